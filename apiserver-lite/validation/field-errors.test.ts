import { describe, it, expect } from 'vitest';
import {
  FieldReader,
  duplicate,
  forbidden,
  formatInvalidMessage,
  invalid,
  invalidStatus,
  notSupported,
  required,
  semanticEqual,
  tooLong,
  tooMany,
  type FieldError,
} from './field-errors.js';

describe('FieldError text matches Kubernetes', () => {
  it.each([
    { err: invalid('spec.ports[0].port', 0, 'must be between 1 and 65535, inclusive'), want: 'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive' },
    { err: required('metadata.name', 'name or generateName is required'), want: 'metadata.name: Required value: name or generateName is required' },
    { err: required('spec.ports'), want: 'spec.ports: Required value' },
    {
      err: notSupported('spec.type', 'Foo', ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']),
      want: 'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    },
    { err: duplicate('spec.ports[1].name', 'http'), want: 'spec.ports[1].name: Duplicate value: "http"' },
    { err: forbidden('spec.clusterIPs', 'may not be set for ExternalName services'), want: 'spec.clusterIPs: Forbidden: may not be set for ExternalName services' },
    { err: tooLong('metadata.annotations', 262144), want: 'metadata.annotations: Too long: must have at most 262144 bytes' },
    { err: tooMany('endpoints', 1001, 1000), want: 'endpoints: Too many: 1001: must have at most 1000 items' },
    { err: invalid('x', ['a', 'b'], 'd'), want: 'x: Invalid value: []string{"a", "b"}: d' },
    { err: invalid('x', { b: '2', a: '1' }, 'd'), want: 'x: Invalid value: map[string]string{"a":"1", "b":"2"}: d' },
    { err: invalid('x', null, 'd'), want: 'x: Invalid value: null: d' },
    { err: invalid('x', 'say "hi"\n', 'd'), want: 'x: Invalid value: "say \\"hi\\"\\n": d' },
  ])('$want', ({ err, want }) => {
    expect(err.toString()).toBe(want);
  });

  it('toCause carries the type, the body without the path, and the path', () => {
    expect(invalid('spec.ports[0].port', 0, 'must be between 1 and 65535, inclusive').toCause()).toEqual({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: 0: must be between 1 and 65535, inclusive',
      field: 'spec.ports[0].port',
    });
  });
});

describe('formatInvalidMessage', () => {
  const e1 = invalid('spec.ports[0].port', 0, 'must be between 1 and 65535, inclusive');
  const e2 = required('spec.selector');
  it('one error', () => {
    expect(formatInvalidMessage('Service', 'web', [e1])).toBe(
      'Service "web" is invalid: spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    );
  });
  it('several errors are bracketed and de-duplicated', () => {
    expect(formatInvalidMessage('Deployment', 'web', [e1, e2, e1], 'apps')).toBe(
      'Deployment.apps "web" is invalid: [spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive, spec.selector: Required value]',
    );
  });
  it('builds the 422 Status with causes', () => {
    const s = invalidStatus('Service', 'web', [e1]);
    expect(s.code).toBe(422);
    expect(s.reason).toBe('Invalid');
    expect(s.details?.causes).toEqual([e1.toCause()]);
    expect(s.message).toBe(formatInvalidMessage('Service', 'web', [e1]));
  });
});

describe('FieldReader reports wrong types instead of throwing', () => {
  it.each([
    { obj: { a: 5 }, read: (r: FieldReader) => r.string('a'), want: ['x.a: Invalid value: 5: must be a string'] },
    { obj: { a: 1.5 }, read: (r: FieldReader) => r.int('a'), want: ['x.a: Invalid value: 1.5: must be an integer'] },
    { obj: { a: 'y' }, read: (r: FieldReader) => r.array('a'), want: ['x.a: Invalid value: "y": must be an array'] },
    { obj: { a: { k: 1 } }, read: (r: FieldReader) => r.stringMap('a'), want: ['x.a[k]: Invalid value: 1: must be a string'] },
    { obj: { a: [1, 'z'] }, read: (r: FieldReader) => r.strings('a'), want: ['x.a[0]: Invalid value: 1: must be a string'] },
    { obj: { a: true }, read: (r: FieldReader) => r.intOrString('a'), want: ['x.a: Invalid value: true: must be an integer or a string'] },
  ])('$want', ({ obj, read, want }) => {
    const errs: FieldError[] = [];
    read(FieldReader.of(obj, 'x', errs));
    expect(errs.map(String)).toEqual(want);
  });
});

describe('semanticEqual treats unset and zero values alike', () => {
  it.each([
    { a: { x: [] }, b: {}, want: true },
    { a: { x: '' }, b: { x: null }, want: true },
    { a: { x: 'a' }, b: { x: 'b' }, want: false },
    { a: [1, 2], b: [1, 2], want: true },
    { a: [1, 2], b: [2, 1], want: false },
  ])('$a vs $b', ({ a, b, want }) => {
    expect(semanticEqual(a, b)).toBe(want);
  });
});
