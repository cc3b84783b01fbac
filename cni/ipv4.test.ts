import { describe, expect, it } from 'vitest';
import { broadcastAddress, cidrContains, formatIpv4, networkAddress, parseCidr, parseIpv4 } from './ipv4.js';

describe('ipv4', () => {
  it.each([
    ['10.244.1.5', 0x0af40105],
    ['255.255.255.255', 0xffffffff],
    ['0.0.0.0', 0],
    ['256.1.1.1', undefined],
    ['10.1.1', undefined],
    ['01.1.1.1', undefined],
    ['::1', undefined],
  ])('parseIpv4(%s)', (s, want) => {
    expect(parseIpv4(s)).toBe(want);
    if (want !== undefined) expect(formatIpv4(want)).toBe(s);
  });

  it.each([
    ['10.1.2.3/24', '10.1.2.0', '10.1.2.255'],
    ['10.1.2.3/32', '10.1.2.3', '10.1.2.3'],
    ['10.1.2.3/0', '0.0.0.0', '255.255.255.255'],
    ['172.16.5.4/12', '172.16.0.0', '172.31.255.255'],
  ])('%s: network %s, broadcast %s', (c, net, bcast) => {
    const cidr = parseCidr(c)!;
    expect(formatIpv4(networkAddress(cidr))).toBe(net);
    expect(formatIpv4(broadcastAddress(cidr))).toBe(bcast);
    expect(cidrContains(cidr, parseIpv4(bcast)!)).toBe(true);
  });

  it('rejects malformed CIDRs', () => {
    expect([parseCidr('10.0.0.0/33'), parseCidr('10.0.0.0'), parseCidr('10.0.0.0/x')]).toEqual([undefined, undefined, undefined]);
  });
});
