import { describe, it, expect } from 'vitest';
import { decodeBody, negotiate } from './negotiation.js';

describe('negotiate', () => {
  it.each([
    { accept: undefined, want: { kind: 'json' } },
    { accept: 'application/json', want: { kind: 'json' } },
    { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', want: { kind: 'table', version: 'v1' } },
    { accept: 'application/vnd.kubernetes.protobuf, application/json', want: { kind: 'json' } },
    { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io', want: { kind: 'partial', version: 'v1' } },
    { accept: 'application/json;as=Foo;v=v1;g=meta.k8s.io, */*', want: { kind: 'json' } },
  ])('$accept', ({ accept, want }) => expect(negotiate(accept)).toEqual(want));

  it('refuses protobuf-only clients with 406', () => {
    expect(() => negotiate('application/vnd.kubernetes.protobuf')).toThrow(expect.objectContaining({ code: 406 }));
  });
});

describe('decodeBody', () => {
  it('reads JSON and YAML', () => {
    expect(decodeBody('application/json', '{"a":1}')).toEqual({ a: 1 });
    expect(decodeBody('application/yaml', 'a: 1\n')).toEqual({ a: 1 });
  });
  it('says what is wrong with malformed JSON', () => {
    expect(() => decodeBody('application/json', '{"a":')).toThrow(/not valid JSON/);
  });
  it('refuses unknown media types with 415', () => {
    expect(() => decodeBody('text/plain', 'x')).toThrow(expect.objectContaining({ code: 415 }));
  });
});
