import { describe, it, expect } from 'vitest';
import { AllocationError, ClusterIPAllocator, NodePortAllocator, parsePortRange } from './allocators.js';

describe('ClusterIPAllocator', () => {
  it('hands out every address of a small range exactly once, then reports it full', () => {
    const a = new ClusterIPAllocator('10.0.0.0/28');
    const got = new Set<string>();
    for (let i = 0; i < 14; i++) got.add(a.allocateNext());
    expect(got.size).toBe(14);
    expect(got.has('10.0.0.0')).toBe(false);
    expect(got.has('10.0.0.15')).toBe(false);
    expect(() => a.allocateNext()).toThrow(/range is full/);
  });

  it('honours a requested address and refuses it twice', () => {
    const a = new ClusterIPAllocator('10.96.0.0/12');
    a.allocate('10.96.0.1');
    expect(() => a.allocate('10.96.0.1')).toThrow('the provided IP (10.96.0.1) is already allocated');
    a.release('10.96.0.1');
    a.allocate('10.96.0.1');
  });

  it('refuses an address outside the range, naming the range', () => {
    const a = new ClusterIPAllocator('10.96.0.0/12');
    expect(() => a.allocate('10.200.0.1')).toThrow('The range of valid IPs is 10.96.0.0/12');
  });

  it('keeps dynamic allocations out of the low static block', () => {
    const a = new ClusterIPAllocator('10.96.0.0/12');
    for (let i = 0; i < 200; i++) {
      const ip = a.allocateNext();
      const last = Number(ip.split('.')[3]);
      const third = Number(ip.split('.')[2]);
      expect(third > 0 || last >= 16).toBe(true);
    }
  });

  it('rejects a malformed range with the flag name', () => {
    expect(() => new ClusterIPAllocator('10.96.0.0/40')).toThrow(AllocationError);
    expect(() => new ClusterIPAllocator('nonsense')).toThrow(/--service-cluster-ip-range/);
  });

  it('nth(1) is the kubernetes Service address', () => {
    expect(new ClusterIPAllocator('10.96.0.0/12').nth(1)).toBe('10.96.0.1');
  });
});

describe('NodePortAllocator', () => {
  it('parses the default range', () => {
    expect(parsePortRange('30000-32767')).toEqual({ base: 30000, size: 2768 });
    expect(() => parsePortRange('32767-30000')).toThrow(/--service-node-port-range/);
  });

  it('allocates unique ports and honours requests', () => {
    const a = new NodePortAllocator(parsePortRange('30000-30009'));
    a.allocate(30005);
    const got = new Set<number>([30005]);
    for (let i = 0; i < 9; i++) got.add(a.allocateNext());
    expect(got.size).toBe(10);
    expect(() => a.allocateNext()).toThrow(/range is full/);
    expect(() => a.allocate(29999)).toThrow(/not in the valid range/);
    a.release(30005);
    expect(a.allocateNext()).toBe(30005);
  });
});
