import { describe, expect, it } from 'vitest';
import { CniError } from './cni-error.js';
import { parseBridgeNetConf } from './config.js';

const base = { cniVersion: '1.1.0', name: 'podnet', type: 'netkube-cni', ipam: { type: 'netkube-ipam', subnet: '10.244.1.0/24' } };

describe('parseBridgeNetConf', () => {
  it('defaults: bridge cni0, MTU 1500, hairpin and gateway on; unknown keys (runtimeConfig, args) ignored', () => {
    const c = parseBridgeNetConf({ ...base, runtimeConfig: { portMappings: [] }, args: {}, isDefaultGateway: true });
    expect([c.bridge, c.mtu, c.hairpinMode, c.isGateway, c.dns, c.prevResult]).toEqual(['cni0', 1500, true, true, undefined, undefined]);
  });

  it('reads bridge, mtu, flags, dns and prevResult', () => {
    const c = parseBridgeNetConf({
      ...base,
      bridge: 'nkbr0',
      mtu: 1450,
      hairpinMode: false,
      isGateway: false,
      dns: { nameservers: ['10.96.0.10'], options: ['ndots:5'] },
      prevResult: { cniVersion: '1.1.0', ips: [{ address: '10.244.1.2/24' }] },
    });
    expect([c.bridge, c.mtu, c.hairpinMode, c.isGateway]).toEqual(['nkbr0', 1450, false, false]);
    expect(c.dns).toEqual({ nameservers: ['10.96.0.10'], options: ['ndots:5'] });
    expect(c.prevResult).toEqual({ ips: [{ address: '10.244.1.2/24' }] });
  });

  it.each([
    { name: 'ipMasq true is an unsupported field (2) naming key and value', extra: { ipMasq: true }, code: 2, msg: 'ipMasq: true' },
    { name: 'mtu too large', extra: { mtu: 70000 }, code: 7, msg: 'mtu: 70000' },
    { name: 'mtu not a number', extra: { mtu: '1500' }, code: 7, msg: 'mtu: "1500"' },
    { name: 'bridge name too long', extra: { bridge: 'a-very-long-bridge' }, code: 7, msg: 'the limit is 15' },
    { name: 'hairpinMode not boolean', extra: { hairpinMode: 'yes' }, code: 7, msg: 'hairpinMode' },
    { name: 'no ipam', extra: { ipam: undefined }, code: 7, msg: 'ipam: missing' },
  ])('$name', ({ extra, code, msg }) => {
    let err: unknown;
    try {
      parseBridgeNetConf({ ...base, ...extra });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CniError);
    expect([(err as CniError).code, (err as CniError).message.includes(msg)]).toEqual([code, true]);
  });

  it('ipMasq false is fine', () => {
    expect(parseBridgeNetConf({ ...base, ipMasq: false }).name).toBe('podnet');
  });
});
