import { describe, expect, it } from 'vitest';
import { failedBatchLine, isFileExists, isNoSuchDevice, parseLinks, parseRoutes } from './ip-json.js';

// Shapes as iproute2 6.1 prints them (`ip -j -d addr show`, `ip -j route show`, trimmed).
const ADDR = JSON.stringify([
  {
    ifindex: 3, ifname: 'nkv4e048ba14c2a', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1400, master: 'nkbr0',
    address: 'ca:e7:ff:5e:f5:3e', ifalias: 'netkube-cni/smoke/c1/eth0',
    linkinfo: { info_kind: 'veth', info_slave_kind: 'bridge', info_slave_data: { state: 'forwarding', hairpin: true } },
    addr_info: [{ family: 'inet6', local: 'fe80::1', prefixlen: 64 }],
  },
  { ifindex: 2, ifname: 'nkbr0', flags: ['BROADCAST', 'MULTICAST'], mtu: 1500, address: '02:93:61:f4:da:2f', linkinfo: { info_kind: 'bridge' }, addr_info: [{ family: 'inet', local: '10.77.1.1', prefixlen: 24 }] },
]);

describe('ip -j parsing', () => {
  it('reads links with kind, master, alias, hairpin and IPv4 addresses only', () => {
    expect(parseLinks(`${ADDR}\n`)).toEqual([
      { name: 'nkv4e048ba14c2a', kind: 'veth', mac: 'ca:e7:ff:5e:f5:3e', mtu: 1400, up: true, master: 'nkbr0', alias: 'netkube-cni/smoke/c1/eth0', hairpin: true, addresses: [] },
      { name: 'nkbr0', kind: 'bridge', mac: '02:93:61:f4:da:2f', mtu: 1500, up: false, addresses: ['10.77.1.1/24'] },
    ]);
  });

  it('reads one JSON array per line from a batch', () => {
    const batch = `[{"ifname":"a","mtu":1,"flags":[]}]\n[{"ifname":"b","mtu":2,"flags":["UP"]}]\n`;
    expect(parseLinks(batch).map((l) => [l.name, l.up])).toEqual([['a', false], ['b', true]]);
  });

  it('normalises route destinations', () => {
    const text = '[{"dst":"default","gateway":"10.0.0.1","dev":"eth0"},{"dst":"10.0.0.0/24","dev":"eth0"},{"dst":"10.9.9.9","dev":"eth0"}]';
    expect(parseRoutes(text)).toEqual([
      { dst: '0.0.0.0/0', gateway: '10.0.0.1', dev: 'eth0' },
      { dst: '10.0.0.0/24', dev: 'eth0' },
      { dst: '10.9.9.9/32', dev: 'eth0' },
    ]);
  });

  it.each([
    ['Cannot find device "nkv1"', true, false],
    ['Device "eth0" does not exist.', true, false],
    ['RTNETLINK answers: File exists\nCommand failed -:1', false, true],
  ])('classifies %j', (stderr, missing, exists) => {
    expect([isNoSuchDevice(stderr), isFileExists(stderr)]).toEqual([missing, exists]);
  });

  it('finds the failing batch line', () => {
    expect(failedBatchLine('RTNETLINK answers: Invalid argument\nCommand failed -:4\n')).toBe(4);
    expect(failedBatchLine('something else')).toBeUndefined();
  });
});
