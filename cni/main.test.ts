import { describe, expect, it } from 'vitest';
import { bridgePlugin } from './bridge-plugin.js';
import { ipamPlugin } from './ipam-plugin.js';
import { selectPlugin } from './main.js';

describe('selectPlugin', () => {
  it.each([
    { name: 'our own type → bridge plugin', conf: { type: 'netkube-cni', ipam: { type: 'netkube-ipam' } }, want: bridgePlugin },
    { name: 'another main plugin delegating to netkube-ipam → IPAM plugin', conf: { type: 'bridge', ipam: { type: 'netkube-ipam' } }, want: ipamPlugin },
    { name: 'our type with a delegated IPAM → bridge plugin', conf: { type: 'netkube-cni', ipam: { type: 'host-local' } }, want: bridgePlugin },
  ])('$name', ({ conf, want }) => {
    expect(selectPlugin(JSON.stringify(conf))).toBe(want);
  });

  it('garbage goes to the bridge plugin, whose dispatcher reports it', () => {
    expect(selectPlugin('{oops')).toBe(bridgePlugin);
  });
});
