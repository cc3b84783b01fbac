import { describe, it, expect } from 'vitest';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { nameIsDNSSubdomain } from './names.js';

const rules = { namespaced: true, nameRule: nameIsDNSSubdomain };
const obj = (metadata: unknown) => ({ metadata });
const strings = (errs: { toString(): string }[]) => errs.map((e) => e.toString());

describe('validateObjectMeta', () => {
  it.each([
    { name: 'valid', meta: { name: 'a', namespace: 'default', labels: { app: 'web' }, annotations: { 'example.com/x': 'y' } }, want: [] },
    { name: 'name required', meta: { namespace: 'default' }, want: ['metadata.name: Required value: name or generateName is required'] },
    { name: 'namespace required', meta: { name: 'a' }, want: ['metadata.namespace: Required value'] },
    { name: 'metadata missing entirely', meta: undefined, want: ['metadata.name: Required value: name or generateName is required', 'metadata.namespace: Required value'] },
    { name: 'metadata of the wrong type', meta: 5, want: ['metadata: Invalid value: 5: must be an object', 'metadata.name: Required value: name or generateName is required', 'metadata.namespace: Required value'] },
    { name: 'labels of the wrong type', meta: { name: 'a', namespace: 'd', labels: { app: 1 } }, want: ['metadata.labels[app]: Invalid value: 1: must be a string'] },
    {
      name: 'bad label key',
      meta: { name: 'a', namespace: 'd', labels: { 'a b': 'x' } },
      want: [
        "metadata.labels: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      ],
    },
    { name: 'annotations too large', meta: { name: 'a', namespace: 'd', annotations: { big: 'x'.repeat(262144) } }, want: ['metadata.annotations: Too long: must have at most 262144 bytes'] },
    {
      name: 'owner reference missing fields',
      meta: { name: 'a', namespace: 'd', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet' }] },
      want: ['metadata.ownerReferences.name: Invalid value: "": must not be empty', 'metadata.ownerReferences.uid: Invalid value: "": must not be empty'],
    },
    {
      name: 'two controllers',
      meta: {
        name: 'a',
        namespace: 'd',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r1', uid: '1', controller: true },
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'r2', uid: '2', controller: true },
        ],
      },
      want: [
        'metadata.ownerReferences: Invalid value: [{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"r1","uid":"1","controller":true},{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"r2","uid":"2","controller":true}]: Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/r1 and ReplicaSet/r2',
      ],
    },
    { name: 'bad finalizer', meta: { name: 'a', namespace: 'd', finalizers: ['a/b/c'] }, want: [expect.stringMatching(/^metadata\.finalizers: Invalid value: "a\/b\/c": a qualified name /)] },
  ])('$name', ({ meta, want }) => {
    expect(strings(validateObjectMeta(obj(meta), rules))).toEqual(want);
  });
});

describe('validateObjectMetaUpdate', () => {
  const old = { name: 'a', namespace: 'd', uid: 'u1', creationTimestamp: '2025-01-01T00:00:00Z', generation: 3 };
  it.each([
    { name: 'labels may change', meta: { ...old, labels: { x: 'y' } }, want: [] },
    { name: 'name immutable', meta: { ...old, name: 'b' }, want: ['metadata.name: Invalid value: "b": field is immutable'] },
    { name: 'namespace immutable', meta: { ...old, namespace: 'e' }, want: ['metadata.namespace: Invalid value: "e": field is immutable'] },
    { name: 'creationTimestamp immutable', meta: { ...old, creationTimestamp: '2026-01-01T00:00:00Z' }, want: ['metadata.creationTimestamp: Invalid value: "2026-01-01T00:00:00Z": field is immutable'] },
    { name: 'generation never decreases', meta: { ...old, generation: 2 }, want: ['metadata.generation: Invalid value: 2: must not be decremented'] },
  ])('$name', ({ meta, want }) => {
    expect(strings(validateObjectMetaUpdate(obj(meta), obj(old)))).toEqual(want);
  });
  it('no new finalizers while deleting', () => {
    const deleting = { ...old, deletionTimestamp: '2025-02-01T00:00:00Z', finalizers: ['a.io/x'] };
    expect(strings(validateObjectMetaUpdate(obj({ ...deleting, finalizers: ['a.io/x', 'a.io/y'] }), obj(deleting)))).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"a.io/y"}',
    ]);
  });
});
