import { describe, expect, it } from 'vitest';
import { decodeResult, encodeResult } from './result.js';
import type { CniResult } from './types.js';

const full: CniResult = {
  interfaces: [{ name: 'cni0', mac: '02:00:00:00:00:01' }, { name: 'eth0', mac: '0a:00:00:00:00:02', mtu: 1450, sandbox: '/run/netns/p' }],
  ips: [{ address: '10.0.0.2/24', gateway: '10.0.0.1', interface: 1 }],
  routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1', mtu: 1400 }],
  dns: { nameservers: ['10.96.0.10'], search: ['svc.cluster.local'] },
};

describe('encodeResult', () => {
  it.each([
    { version: '1.1.0', ipVersion: false, ifaceMtu: true, routeMtu: true },
    { version: '1.0.0', ipVersion: false, ifaceMtu: false, routeMtu: false },
    { version: '0.4.0', ipVersion: true, ifaceMtu: false, routeMtu: false },
    { version: '0.3.1', ipVersion: true, ifaceMtu: false, routeMtu: false },
  ])('$version: ips.version=$ipVersion, interface mtu=$ifaceMtu, route mtu=$routeMtu', ({ version, ipVersion, ifaceMtu, routeMtu }) => {
    const out = encodeResult(full, version) as { cniVersion: string; ips: Record<string, unknown>[]; interfaces: Record<string, unknown>[]; routes: Record<string, unknown>[]; dns: unknown };
    expect(out.cniVersion).toBe(version);
    expect('version' in out.ips[0]!).toBe(ipVersion);
    expect('mtu' in out.interfaces[1]!).toBe(ifaceMtu);
    expect('mtu' in out.routes[0]!).toBe(routeMtu);
    expect(out.ips[0]!.interface).toBe(1);
    expect(out.interfaces[1]!.sandbox).toBe('/run/netns/p');
    expect(out.dns).toEqual(full.dns);
  });

  it('an IPAM result has no interfaces and no dns key when dns is empty', () => {
    expect(encodeResult({ ips: [{ address: '10.0.0.2/24' }], routes: [], dns: {} }, '1.0.0')).toEqual({ cniVersion: '1.0.0', ips: [{ address: '10.0.0.2/24' }], routes: [] });
  });
});

describe('decodeResult', () => {
  it('round-trips our own 1.1.0 result', () => {
    expect(decodeResult(encodeResult(full, '1.1.0'))).toEqual(full);
  });

  it('reads a 0.4.0 result, ignoring ips.version', () => {
    expect(decodeResult({ cniVersion: '0.4.0', ips: [{ version: '4', address: '10.0.0.2/24', interface: 0 }] })).toEqual({ ips: [{ address: '10.0.0.2/24', interface: 0 }] });
  });

  it.each([
    { name: 'not an object', v: 'x', msg: 'prevResult: must be an object' },
    { name: 'ip without address', v: { ips: [{ gateway: '1.1.1.1' }] }, msg: 'prevResult.ips[0].address: missing' },
    { name: 'negative interface index', v: { ips: [{ address: 'a', interface: -1 }] }, msg: 'prevResult.ips[0].interface' },
    { name: 'interfaces not a list', v: { interfaces: {} }, msg: 'prevResult.interfaces: must be a list' },
  ])('$name → decode error naming the field', ({ v, msg }) => {
    expect(() => decodeResult(v)).toThrow(msg);
  });
});
