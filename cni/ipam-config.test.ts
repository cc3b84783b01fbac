import { describe, expect, it } from 'vitest';
import { CniError } from './cni-error.js';
import { parseIpamConfig, type LocalIpamConfig } from './ipam-config.js';
import { formatIpv4 } from './ipv4.js';

function local(v: unknown): LocalIpamConfig {
  const c = parseIpamConfig(v);
  if (c.kind !== 'local') throw new Error('expected local');
  return c;
}

describe('parseIpamConfig', () => {
  it('subnet shorthand: gateway .1, range .1–.254, default data dir', () => {
    const c = local({ type: 'netkube-ipam', subnet: '10.244.1.0/24' });
    const r = c.ranges[0]!;
    expect([formatIpv4(r.gateway), formatIpv4(r.rangeStart), formatIpv4(r.rangeEnd)]).toEqual(['10.244.1.1', '10.244.1.1', '10.244.1.254']);
    expect(c.dataDir).toBe('/var/lib/cni/networks');
    expect(c.routes).toEqual([]);
  });

  it('host-local ranges with explicit bounds, routes and dataDir', () => {
    const c = local({
      type: 'netkube-ipam',
      ranges: [[{ subnet: '10.1.0.0/16', rangeStart: '10.1.5.10', rangeEnd: '10.1.5.20', gateway: '10.1.0.254' }, { subnet: '10.2.0.0/24' }]],
      routes: [{ dst: '10.96.0.0/12' }, { dst: '192.168.0.0/16', gw: '10.1.0.254' }],
      dataDir: '/tmp/x',
    });
    expect(c.ranges.map((r) => formatIpv4(r.rangeStart))).toEqual(['10.1.5.10', '10.2.0.1']);
    expect(c.routes).toEqual([{ dst: '10.96.0.0/12' }, { dst: '192.168.0.0/16', gw: '10.1.0.254' }]);
    expect(c.dataDir).toBe('/tmp/x');
  });

  it('another ipam type is delegated without parsing', () => {
    expect(parseIpamConfig({ type: 'host-local', whatever: 1 })).toEqual({ kind: 'delegated', type: 'host-local' });
  });

  it.each([
    { name: 'missing ipam', ipam: undefined, msg: 'ipam: missing' },
    { name: 'missing type', ipam: { subnet: '10.0.0.0/24' }, msg: 'ipam.type: missing' },
    { name: 'type is a path', ipam: { type: '../evil' }, msg: 'must be a plugin name' },
    { name: 'neither subnet nor ranges', ipam: { type: 'netkube-ipam' }, msg: 'needs "subnet" or "ranges"' },
    { name: 'both subnet and ranges', ipam: { type: 'netkube-ipam', subnet: '10.0.0.0/24', ranges: [[{ subnet: '10.0.1.0/24' }]] }, msg: 'either "subnet" or "ranges"' },
    { name: 'host bits set', ipam: { type: 'netkube-ipam', subnet: '10.0.1.7/24' }, msg: 'did you mean 10.0.1.0/24' },
    { name: '/31 too small', ipam: { type: 'netkube-ipam', subnet: '192.168.0.0/31' }, msg: 'too small to allocate from' },
    { name: 'IPv6', ipam: { type: 'netkube-ipam', subnet: 'fd00::/64' }, msg: 'only IPv4 is supported' },
    { name: 'not a CIDR', ipam: { type: 'netkube-ipam', subnet: '10.0.0.0' }, msg: 'is not an IPv4 CIDR' },
    { name: 'gateway outside', ipam: { type: 'netkube-ipam', subnet: '10.0.0.0/24', gateway: '10.0.1.1' }, msg: 'ipam.gateway: 10.0.1.1 is not a usable address' },
    { name: 'rangeStart is broadcast', ipam: { type: 'netkube-ipam', subnet: '10.0.0.0/24', rangeStart: '10.0.0.255' }, msg: 'ipam.rangeStart' },
    { name: 'start after end', ipam: { type: 'netkube-ipam', subnet: '10.0.0.0/24', rangeStart: '10.0.0.9', rangeEnd: '10.0.0.5' }, msg: 'is after rangeEnd' },
    { name: 'two range sets', ipam: { type: 'netkube-ipam', ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.0.1.0/24' }]] }, msg: 'give one range set' },
    { name: 'overlapping ranges', ipam: { type: 'netkube-ipam', ranges: [[{ subnet: '10.0.0.0/24' }, { subnet: '10.0.0.0/25' }]] }, msg: 'overlap' },
    { name: 'relative dataDir', ipam: { type: 'netkube-ipam', subnet: '10.0.0.0/24', dataDir: 'var/lib' }, msg: 'must be an absolute path' },
    { name: 'bad route', ipam: { type: 'netkube-ipam', subnet: '10.0.0.0/24', routes: [{ dst: 'x' }] }, msg: 'ipam.routes[0].dst' },
  ])('$name → code 7 naming the field', ({ ipam, msg }) => {
    let err: unknown;
    try {
      parseIpamConfig(ipam);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(7);
    expect((err as CniError).message).toContain(msg);
  });
});
