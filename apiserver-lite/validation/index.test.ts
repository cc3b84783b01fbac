import { describe, it, expect } from 'vitest';
import { validatorFor, type ValidationContext } from './index.js';

const ctx: ValidationContext = { serviceCIDR: '10.96.0.0/12', nodePortRange: { base: 30000, size: 2768 } };
const strings = (errs: { toString(): string }[]) => errs.map((e) => e.toString());

describe('validatorFor', () => {
  it.each([
    { group: '', kind: 'Namespace', obj: { metadata: { name: 'Team_A' } }, want: [expect.stringMatching(/^metadata\.name: Invalid value: "Team_A": a lowercase RFC 1123 label/)] },
    { group: '', kind: 'Namespace', obj: { metadata: { name: 'team-a' }, spec: { finalizers: ['kubernetes'] } }, want: [] },
    {
      group: '',
      kind: 'Namespace',
      obj: { metadata: { name: 'team-a' }, spec: { finalizers: ['custom'] } },
      want: ['spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified'],
    },
    { group: '', kind: 'Service', obj: { metadata: { name: 'web', namespace: 'd' }, spec: { ports: [{ port: 0 }] } }, want: ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive'] },
    { group: '', kind: 'ServiceAccount', obj: { metadata: { name: 'default', namespace: 'd' } }, want: [] },
    {
      group: '',
      kind: 'ConfigMap',
      obj: { metadata: { name: 'cfg', namespace: 'd' }, data: { 'bad key': 'v' } },
      want: [expect.stringMatching(/^data\[bad key\]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters/)],
    },
    {
      group: '',
      kind: 'Event',
      obj: { metadata: { name: 'web.1', namespace: 'd' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' } },
      want: ['involvedObject.namespace: Invalid value: "other": does not match event.namespace'],
    },
    {
      group: 'coordination.k8s.io',
      kind: 'Lease',
      obj: { metadata: { name: 'node-1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'node-1', leaseDurationSeconds: 0 } },
      want: ['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0'],
    },
    { group: 'example.com', kind: 'Widget', obj: { metadata: { namespace: 'd' } }, want: ['metadata.name: Required value: name or generateName is required'] },
    { group: 'discovery.k8s.io', kind: 'EndpointSlice', obj: { metadata: { name: 's', namespace: 'd' }, addressType: 'IPv4' }, want: [] },
  ])('$group/$kind', ({ group, kind, obj, want }) => {
    expect(strings(validatorFor(group, kind).create(obj, ctx))).toEqual(want);
  });

  it('unknown cluster-scoped kinds forbid a namespace', () => {
    expect(strings(validatorFor('x.io', 'Thing', false).create({ metadata: { name: 'a', namespace: 'd' } }, ctx))).toEqual([
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });

  it('an immutable ConfigMap cannot change its data', () => {
    const old = { metadata: { name: 'cfg', namespace: 'd' }, immutable: true, data: { a: '1' } };
    const next = { ...old, data: { a: '2' } };
    expect(strings(validatorFor('', 'ConfigMap').update(next, old, ctx))).toEqual(['data: Forbidden: field is immutable when `immutable` is set']);
  });

  it('never throws on garbage input', () => {
    const kinds = [['', 'Service'], ['', 'Pod'], ['', 'Node'], ['', 'Endpoints'], ['discovery.k8s.io', 'EndpointSlice'], ['apps', 'Deployment'], ['apps', 'StatefulSet'], ['', 'Event']] as const;
    const garbage: unknown[] = [null, 5, 'x', [], { metadata: [] }, { spec: [1, 2] }, { spec: { ports: [null, 'a', { port: {} }], containers: [null], selector: 7, template: 'x' } }];
    for (const [g, k] of kinds) {
      for (const o of garbage) {
        expect(() => validatorFor(g, k).create(o, ctx)).not.toThrow();
        expect(() => validatorFor(g, k).update(o, garbage[5], ctx)).not.toThrow();
      }
    }
  });
});
