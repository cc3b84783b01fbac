import { describe, it, expect } from 'vitest';
import { parseFieldSelector } from './field-selector.js';
import { findResource } from './resources.js';

const pods = findResource('', 'v1', 'pods')!;
const pod = (name: string, node?: string, phase?: string) => ({
  metadata: { name, namespace: 'default' },
  spec: node ? { nodeName: node } : {},
  status: phase ? { phase } : {},
});

describe('parseFieldSelector', () => {
  it.each([
    { name: 'name equality', sel: 'metadata.name=web', obj: pod('web'), want: true },
    { name: 'double-equals is equality', sel: 'metadata.name==web', obj: pod('db'), want: false },
    { name: 'inequality', sel: 'spec.nodeName!=node-1', obj: pod('a', 'node-2'), want: true },
    { name: 'unscheduled pods have an empty nodeName', sel: 'spec.nodeName=', obj: pod('a'), want: true },
    { name: 'all terms must hold', sel: 'spec.nodeName=node-1,status.phase=Running', obj: pod('a', 'node-1', 'Pending'), want: false },
    { name: 'namespace', sel: 'metadata.namespace=default', obj: pod('a'), want: true },
    { name: 'empty selector matches all', sel: '', obj: pod('a'), want: true },
  ])('$name', ({ sel, obj, want }) => {
    expect(parseFieldSelector(sel, pods).matches(obj)).toBe(want);
  });

  it('rejects an unsupported field, naming it', () => {
    expect(() => parseFieldSelector('spec.foo=bar', pods)).toThrow('field label not supported: spec.foo');
  });

  it('rejects a term without an operator', () => {
    expect(() => parseFieldSelector('metadata.name', pods)).toThrow(/invalid selector/);
  });

  it('reports exact values for narrowing', () => {
    expect(parseFieldSelector('metadata.name=x,spec.nodeName!=y', pods).exact('metadata.name')).toBe('x');
  });
});
