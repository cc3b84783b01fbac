import { describe, expect, it } from 'vitest';
import type { Node } from '../kube/api/core.js';
import { CIDRSet, CIDRSetError, parseCIDR } from './node-ipam-cidr-set.js';
import { NodeCIDRAssignments } from './node-ipam-assignments.js';

describe('CIDRSet', () => {
  it('hands out /24s of 10.244.0.0/16 in order', () => {
    const s = new CIDRSet('10.244.0.0/16', 24);
    expect(s.size).toBe(256);
    expect([s.allocateNext(), s.allocateNext(), s.allocateNext()]).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
  });

  it('skips occupied subnets', () => {
    const s = new CIDRSet('10.244.0.0/16', 24);
    expect(s.occupy('10.244.0.0/24')).toBe(true);
    expect(s.occupy('10.244.1.0/24')).toBe(true);
    expect(s.allocateNext()).toBe('10.244.2.0/24');
  });

  it.each([
    { name: 'outside the cluster CIDR', cidr: '10.245.0.0/24' },
    { name: 'another mask size', cidr: '10.244.0.0/25' },
    { name: 'another family', cidr: 'fd00::/120' },
    { name: 'not a CIDR', cidr: 'banana' },
  ])('occupy refuses a subnet $name', ({ cidr }) => {
    expect(new CIDRSet('10.244.0.0/16', 24).occupy(cidr)).toBe(false);
  });

  it('exhaustion gives undefined; a release is reused only after the rest', () => {
    const s = new CIDRSet('10.244.0.0/22', 24);
    const all = [s.allocateNext(), s.allocateNext(), s.allocateNext(), s.allocateNext()];
    expect(all).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']);
    expect(s.allocateNext()).toBeUndefined();
    s.release('10.244.1.0/24');
    expect(s.allocateNext()).toBe('10.244.1.0/24');
    expect(s.allocateNext()).toBeUndefined();
  });

  it('the search continues after the last subnet handed out', () => {
    const s = new CIDRSet('10.244.0.0/22', 24);
    s.allocateNext();
    s.allocateNext();
    s.release('10.244.0.0/24');
    expect(s.allocateNext()).toBe('10.244.2.0/24');
  });

  it('IPv6 cluster CIDRs work too', () => {
    const s = new CIDRSet('fd00:10:244::/56', 64);
    expect([s.allocateNext(), s.allocateNext()]).toEqual(['fd00:10:244::/64', 'fd00:10:244:1::/64']);
  });

  it.each([
    { cidr: '10.244.0.0/16', mask: 8 },
    { cidr: '10.244.0.0/16', mask: 33 },
    { cidr: '10.0.0.0/8', mask: 33 },
    { cidr: 'nope', mask: 24 },
  ])('rejects cluster CIDR $cidr with mask /$mask', ({ cidr, mask }) => {
    expect(() => new CIDRSet(cidr, mask)).toThrow(CIDRSetError);
  });

  it('parseCIDR masks host bits', () => {
    expect(parseCIDR('10.244.3.7/16')).toEqual({ family: 4, base: parseCIDR('10.244.0.0/16')!.base, prefix: 16 });
  });
});

const node = (name: string, podCIDR?: string): Node => ({
  metadata: { name },
  spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {},
});

describe('NodeCIDRAssignments', () => {
  it('rebuilt from existing nodes, new nodes never get a taken subnet', () => {
    const a = new NodeCIDRAssignments(new CIDRSet('10.244.0.0/16', 24));
    a.step('n1', node('n1', '10.244.0.0/24'));
    a.step('n2', node('n2', '10.244.2.0/24'));
    expect(a.step('n3', node('n3'))).toEqual({ kind: 'assign', cidr: '10.244.1.0/24' });
    expect(a.step('n4', node('n4'))).toEqual({ kind: 'assign', cidr: '10.244.3.0/24' });
  });

  it('a node whose write is still in flight keeps the same pick', () => {
    const a = new NodeCIDRAssignments(new CIDRSet('10.244.0.0/16', 24));
    const first = a.step('n1', node('n1'));
    expect(a.step('n1', node('n1'))).toEqual(first);
    expect(a.step('n1', node('n1', '10.244.0.0/24'))).toEqual({ kind: 'none' });
  });

  it('a full range reports full; a deleted node frees its subnet for the waiting one', () => {
    const a = new NodeCIDRAssignments(new CIDRSet('10.244.0.0/23', 24));
    a.step('n1', node('n1', '10.244.0.0/24'));
    a.step('n2', node('n2', '10.244.1.0/24'));
    expect(a.step('n3', node('n3'))).toEqual({ kind: 'full' });
    a.step('n1', undefined);
    expect(a.step('n3', node('n3'))).toEqual({ kind: 'assign', cidr: '10.244.0.0/24' });
  });

  it('a node given another subnet by someone else: ours is released', () => {
    const a = new NodeCIDRAssignments(new CIDRSet('10.244.0.0/16', 24));
    expect(a.step('n1', node('n1'))).toEqual({ kind: 'assign', cidr: '10.244.0.0/24' });
    a.step('n1', node('n1', '10.244.9.0/24'));
    expect(a.set.isTaken('10.244.0.0/24')).toBe(false);
    expect(a.set.isTaken('10.244.9.0/24')).toBe(true);
  });

  it('a hand-made duplicate stays taken until both nodes are gone', () => {
    const a = new NodeCIDRAssignments(new CIDRSet('10.244.0.0/16', 24));
    a.step('n1', node('n1', '10.244.5.0/24'));
    a.step('n2', node('n2', '10.244.5.0/24'));
    a.forget('n1');
    expect(a.set.isTaken('10.244.5.0/24')).toBe(true);
    a.forget('n2');
    expect(a.set.isTaken('10.244.5.0/24')).toBe(false);
  });
});
