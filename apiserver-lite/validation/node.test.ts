import { describe, it, expect } from 'vitest';
import { validateNode, validateNodeUpdate } from './node.js';

const node = (spec: unknown, meta: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', ...meta }, spec });
const strings = (errs: { toString(): string }[]) => errs.map((e) => e.toString());

describe('validateNode', () => {
  it.each([
    { name: 'valid with podCIDR', spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] }, want: [] },
    { name: 'dual-stack podCIDRs', spec: { podCIDRs: ['10.244.1.0/24', 'fd00:244:1::/64'] }, want: [] },
    { name: 'invalid podCIDR', spec: { podCIDR: '10.244.1.0/40' }, want: ['spec.podCIDRs[0]: Invalid value: "10.244.1.0/40": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'] },
    {
      name: 'two IPv4 podCIDRs',
      spec: { podCIDRs: ['10.244.1.0/24', '10.244.2.0/24'] },
      want: ['spec.podCIDRs: Invalid value: []string{"10.244.1.0/24", "10.244.2.0/24"}: may specify no more than one CIDR for each IP family'],
    },
    {
      name: 'unsupported taint effect',
      spec: { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoRun' }] },
      want: ['metadata.taints[0].effect: Unsupported value: "NoRun": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"'],
    },
    { name: 'taint effect required', spec: { taints: [{ key: 'a' }] }, want: ['metadata.taints[0].effect: Required value'] },
    {
      name: 'duplicate taint',
      spec: { taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'a', value: 'x', effect: 'NoSchedule' }] },
      want: ['metadata.taints[1]: Duplicate value: core.Taint{Key:"a", Value:"x", Effect:"NoSchedule", TimeAdded:<nil>}: taints must be unique by key and effect pair'],
    },
  ])('$name', ({ spec, want }) => {
    expect(strings(validateNode(node(spec)))).toEqual(want);
  });

  it('Nodes are cluster-scoped', () => {
    expect(strings(validateNode(node({}, { namespace: 'default' })))).toEqual(['metadata.namespace: Forbidden: not allowed on this type']);
  });
});

describe('validateNodeUpdate', () => {
  it('a pod CIDR can be assigned once', () => {
    expect(strings(validateNodeUpdate(node({ podCIDR: '10.244.1.0/24' }), node({})))).toEqual([]);
  });
  it('and never changed afterwards', () => {
    expect(strings(validateNodeUpdate(node({ podCIDR: '10.244.2.0/24' }), node({ podCIDR: '10.244.1.0/24' })))).toEqual([
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    ]);
  });
});
