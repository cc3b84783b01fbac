import { describe, expect, it } from 'vitest';
import { applyJsonPatch } from './json-patch.js';
import { PatchError } from './patch-error.js';

// RFC 6902 Appendix A examples that apply.
const rfcExamples: { name: string; doc: unknown; ops: unknown; want: unknown }[] = [
  {
    name: 'A.1 adding an object member',
    doc: { foo: 'bar' },
    ops: [{ op: 'add', path: '/baz', value: 'qux' }],
    want: { baz: 'qux', foo: 'bar' },
  },
  {
    name: 'A.2 adding an array element',
    doc: { foo: ['bar', 'baz'] },
    ops: [{ op: 'add', path: '/foo/1', value: 'qux' }],
    want: { foo: ['bar', 'qux', 'baz'] },
  },
  {
    name: 'A.3 removing an object member',
    doc: { baz: 'qux', foo: 'bar' },
    ops: [{ op: 'remove', path: '/baz' }],
    want: { foo: 'bar' },
  },
  {
    name: 'A.4 removing an array element',
    doc: { foo: ['bar', 'qux', 'baz'] },
    ops: [{ op: 'remove', path: '/foo/1' }],
    want: { foo: ['bar', 'baz'] },
  },
  {
    name: 'A.5 replacing a value',
    doc: { baz: 'qux', foo: 'bar' },
    ops: [{ op: 'replace', path: '/baz', value: 'boo' }],
    want: { baz: 'boo', foo: 'bar' },
  },
  {
    name: 'A.6 moving a value',
    doc: { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
    ops: [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
    want: { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
  },
  {
    name: 'A.7 moving an array element',
    doc: { foo: ['all', 'grass', 'cows', 'eat'] },
    ops: [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
    want: { foo: ['all', 'cows', 'eat', 'grass'] },
  },
  {
    name: 'A.8 testing a value: success',
    doc: { baz: 'qux', foo: ['a', 2, 'c'] },
    ops: [
      { op: 'test', path: '/baz', value: 'qux' },
      { op: 'test', path: '/foo/1', value: 2 },
    ],
    want: { baz: 'qux', foo: ['a', 2, 'c'] },
  },
  {
    name: 'A.10 adding a nested member object',
    doc: { foo: 'bar' },
    ops: [{ op: 'add', path: '/child', value: { grandchild: {} } }],
    want: { foo: 'bar', child: { grandchild: {} } },
  },
  {
    name: 'A.11 ignoring unrecognized elements',
    doc: { foo: 'bar' },
    ops: [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }],
    want: { foo: 'bar', baz: 'qux' },
  },
  {
    name: 'A.14 ~ escape ordering',
    doc: { '/': 9, '~1': 10 },
    ops: [{ op: 'test', path: '/~01', value: 10 }],
    want: { '/': 9, '~1': 10 },
  },
  {
    name: 'A.16 adding an array value',
    doc: { foo: ['bar'] },
    ops: [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
    want: { foo: ['bar', ['abc', 'def']] },
  },
  {
    name: 'copy, and replacing the whole document',
    doc: { a: 1 },
    ops: [
      { op: 'copy', from: '/a', path: '/b' },
      { op: 'replace', path: '', value: { whole: true } },
    ],
    want: { whole: true },
  },
  {
    name: 'kubectl patch --type json: add a label whose key needs escaping',
    doc: { metadata: { labels: { a: '1' } } },
    ops: [{ op: 'add', path: '/metadata/labels/app.kubernetes.io~1name', value: 'web' }],
    want: { metadata: { labels: { a: '1', 'app.kubernetes.io/name': 'web' } } },
  },
];

const failures: { name: string; doc: unknown; ops: unknown; message: RegExp; reason: 'Invalid' | 'BadRequest' }[] = [
  {
    name: 'A.9 testing a value: error',
    doc: { baz: 'qux' },
    ops: [{ op: 'test', path: '/baz', value: 'bar' }],
    message: /operation 0 \(test "\/baz"\): Test operation failed/,
    reason: 'Invalid',
  },
  {
    name: 'A.12 adding to a nonexistent target',
    doc: { foo: 'bar' },
    ops: [{ op: 'add', path: '/baz/bat', value: 'qux' }],
    message: /operation 0 \(add "\/baz\/bat"\)/,
    reason: 'Invalid',
  },
  {
    name: 'A.15 comparing strings and numbers',
    doc: { '/': 9, '~1': 10 },
    ops: [{ op: 'test', path: '/~01', value: '10' }],
    message: /Test operation failed/,
    reason: 'Invalid',
  },
  {
    name: 'removing a path that does not exist',
    doc: { a: 1 },
    ops: [{ op: 'remove', path: '/b' }],
    message: /operation 0 \(remove "\/b"\)/,
    reason: 'Invalid',
  },
  {
    name: 'the failing operation is named by its index',
    doc: { a: 1 },
    ops: [
      { op: 'replace', path: '/a', value: 2 },
      { op: 'test', path: '/a', value: 1 },
    ],
    message: /operation 1 \(test "\/a"\)/,
    reason: 'Invalid',
  },
  {
    name: 'an unknown op',
    doc: { a: 1 },
    ops: [{ op: 'frobnicate', path: '/a' }],
    message: /operation 0 \(frobnicate "\/a"\)/,
    reason: 'Invalid',
  },
  { name: 'a patch that is not a list', doc: {}, ops: { op: 'add' }, message: /JSON array/, reason: 'BadRequest' },
  { name: 'an operation that is not an object', doc: {}, ops: ['add'], message: /operation 0 must be an object/, reason: 'BadRequest' },
];

describe('applyJsonPatch', () => {
  it.each(rfcExamples)('$name', ({ doc, ops, want }) => {
    expect(applyJsonPatch(doc, ops)).toEqual(want);
  });

  it.each(failures)('$name → PatchError', ({ doc, ops, message, reason }) => {
    const before = structuredClone(doc);
    let caught: unknown;
    try {
      applyJsonPatch(doc, ops);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PatchError);
    expect((caught as PatchError).message).toMatch(message);
    expect((caught as PatchError).reason).toBe(reason);
    expect(doc).toEqual(before);
  });

  it('applies to a copy: a failure half-way leaves the input untouched', () => {
    const doc = { a: 1, list: [1, 2] };
    expect(() =>
      applyJsonPatch(doc, [
        { op: 'remove', path: '/list/0' },
        { op: 'test', path: '/a', value: 5 },
      ]),
    ).toThrow(PatchError);
    expect(doc).toEqual({ a: 1, list: [1, 2] });
  });

  it('refuses more than 10000 operations, as kube-apiserver does', () => {
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/a', value: 1 }));
    expect(() => applyJsonPatch({ a: 1 }, ops)).toThrow(/maximum operations/);
  });

  it('refuses to modify Object.prototype through __proto__', () => {
    expect(() => applyJsonPatch({}, [{ op: 'add', path: '/__proto__/polluted', value: 1 }])).toThrow(PatchError);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
