import { describe, expect, it } from 'vitest';
import { CniError } from './cni-error.js';
import { allocate, countUsable, pickAddress, staleAllocations, type Allocation } from './ipam-allocator.js';
import { parseIpamConfig, type IpRange } from './ipam-config.js';
import { formatIpv4, parseIpv4 } from './ipv4.js';

function ranges(ipam: Record<string, unknown>): readonly IpRange[] {
  const c = parseIpamConfig({ type: 'netkube-ipam', ...ipam });
  if (c.kind !== 'local') throw new Error('local expected');
  return c.ranges;
}
const ip = (s: string): number => parseIpv4(s)!;
const alloc = (s: string, containerId = `c-${s}`, ifName = 'eth0'): Allocation => ({ ip: ip(s), containerId, ifName });

describe('pickAddress', () => {
  const r24 = ranges({ subnet: '10.0.0.0/24' });
  it.each([
    { name: 'empty pool starts after the gateway', taken: [], last: undefined, want: '10.0.0.2' },
    { name: 'continues after the last reserved address', taken: [], last: '10.0.0.7', want: '10.0.0.8' },
    { name: 'skips taken addresses', taken: ['10.0.0.8', '10.0.0.9'], last: '10.0.0.7', want: '10.0.0.10' },
    { name: 'wraps from the end to the start, skipping the gateway', taken: [], last: '10.0.0.254', want: '10.0.0.2' },
    { name: 'a last reserved outside the ranges restarts from the start', taken: [], last: '192.168.1.1', want: '10.0.0.2' },
  ])('$name', ({ taken, last, want }) => {
    const got = pickAddress(r24, new Set(taken.map(ip)), last === undefined ? undefined : ip(last));
    expect(got && formatIpv4(got.ip)).toBe(want);
  });

  it('never hands out network, broadcast or gateway, and runs out after every usable address', () => {
    const r = ranges({ subnet: '10.0.0.0/29' }); // .1 gateway, .2–.6 usable
    const taken = new Set<number>();
    let last: number | undefined;
    for (;;) {
      const p = pickAddress(r, taken, last);
      if (!p) break;
      taken.add(p.ip);
      last = p.ip;
    }
    expect([...taken].map(formatIpv4).sort()).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
    expect(countUsable(r)).toBe(5);
  });

  it('moves to the next range when the first is full', () => {
    const r = ranges({ ranges: [[{ subnet: '10.0.0.0/30' }, { subnet: '10.0.1.0/24', rangeStart: '10.0.1.50' }]] });
    expect(formatIpv4(pickAddress(r, new Set([ip('10.0.0.2')]))!.ip)).toBe('10.0.1.50');
  });
});

describe('allocate', () => {
  const r = ranges({ subnet: '10.0.0.0/30' }); // one usable address: .2
  function code(fn: () => unknown): number | undefined {
    try {
      fn();
    } catch (e) {
      return e instanceof CniError ? e.code : -1;
    }
    return undefined;
  }
  it.each([
    { name: 'exhausted pool → 102', existing: [alloc('10.0.0.2')], who: 'new', requested: undefined, want: 102 },
    { name: 'second allocation for one attachment → 103', existing: [alloc('10.0.0.2', 'c1')], who: 'c1', requested: undefined, want: 103 },
    { name: 'requested address outside the range → 7', existing: [], who: 'c1', requested: '10.9.9.9', want: 7 },
    { name: 'requested gateway → 7', existing: [], who: 'c1', requested: '10.0.0.1', want: 7 },
    { name: 'requested address already taken → 103', existing: [alloc('10.0.0.2')], who: 'c1', requested: '10.0.0.2', want: 103 },
  ])('$name', ({ existing, who, requested, want }) => {
    const taken = new Set(existing.map((a) => a.ip));
    const held = existing.filter((a) => a.containerId === who).map((a) => a.ip);
    expect(code(() => allocate(r, taken, held, { containerId: who, ifName: 'eth0' }, requested ? { requested: ip(requested) } : {}))).toBe(want);
  });

  it('the same container may hold one address per interface name (the caller passes what this attachment holds)', () => {
    const big = ranges({ subnet: '10.0.0.0/24' });
    expect(formatIpv4(allocate(big, new Set([ip('10.0.0.2')]), [], { containerId: 'c1', ifName: 'net1' }).ip)).toBe('10.0.0.3');
  });

  it('the exhaustion message names the pool and its size', () => {
    expect(() => allocate(r, new Set([ip('10.0.0.2')]), [], { containerId: 'x', ifName: 'eth0' })).toThrow('no free address in 10.0.0.0/30: all 1 are allocated');
  });
});

describe('staleAllocations', () => {
  it('keeps exactly the valid (containerID, ifname) pairs', () => {
    const all = [alloc('10.0.0.2', 'a', 'eth0'), alloc('10.0.0.3', 'a', 'net1'), alloc('10.0.0.4', 'b', 'eth0')];
    const stale = staleAllocations(all, [{ containerID: 'a', ifname: 'eth0' }, { containerID: 'zz', ifname: 'eth0' }]);
    expect(stale.map((s) => formatIpv4(s.ip))).toEqual(['10.0.0.3', '10.0.0.4']);
  });
});
