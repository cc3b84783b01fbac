import { describe, expect, it } from 'vitest';
import { applyJsonMergePatch } from './json-merge-patch.js';

// RFC 7386 Appendix A, every row.
const rfcExamples: { original: unknown; patch: unknown; result: unknown }[] = [
  { original: { a: 'b' }, patch: { a: 'c' }, result: { a: 'c' } },
  { original: { a: 'b' }, patch: { b: 'c' }, result: { a: 'b', b: 'c' } },
  { original: { a: 'b' }, patch: { a: null }, result: {} },
  { original: { a: 'b', b: 'c' }, patch: { a: null }, result: { b: 'c' } },
  { original: { a: ['b'] }, patch: { a: 'c' }, result: { a: 'c' } },
  { original: { a: 'c' }, patch: { a: ['b'] }, result: { a: ['b'] } },
  { original: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } }, result: { a: { b: 'd' } } },
  { original: { a: [{ b: 'c' }] }, patch: { a: [1] }, result: { a: [1] } },
  { original: ['a', 'b'], patch: ['c', 'd'], result: ['c', 'd'] },
  { original: { a: 'b' }, patch: ['c'], result: ['c'] },
  { original: { a: 'foo' }, patch: null, result: null },
  { original: { a: 'foo' }, patch: 'bar', result: 'bar' },
  { original: { e: null }, patch: { a: 1 }, result: { e: null, a: 1 } },
  { original: [1, 2], patch: { a: 'b', c: null }, result: { a: 'b' } },
  { original: {}, patch: { a: { bb: { ccc: null } } }, result: { a: { bb: {} } } },
];

describe('applyJsonMergePatch', () => {
  it.each(rfcExamples)('RFC 7386 appendix A: $original + $patch', ({ original, patch, result }) => {
    expect(applyJsonMergePatch(original, patch)).toEqual(result);
  });

  it('RFC 7386 section 3 example', () => {
    const target = {
      title: 'Goodbye!',
      author: { givenName: 'John', familyName: 'Doe' },
      tags: ['example', 'sample'],
      content: 'This will be unchanged',
    };
    const patch = { title: 'Hello!', phoneNumber: '+01-123-456-7890', author: { familyName: null }, tags: ['example'] };
    expect(applyJsonMergePatch(target, patch)).toEqual({
      title: 'Hello!',
      author: { givenName: 'John' },
      tags: ['example'],
      content: 'This will be unchanged',
      phoneNumber: '+01-123-456-7890',
    });
  });

  it('kubectl patch --type merge replaces lists whole (no merge keys)', () => {
    const svc = { spec: { ports: [{ port: 80 }, { port: 443 }], selector: { app: 'web' } } };
    expect(applyJsonMergePatch(svc, { spec: { ports: [{ port: 8080 }] } })).toEqual({
      spec: { ports: [{ port: 8080 }], selector: { app: 'web' } },
    });
  });

  it('does not mutate its inputs and shares no objects with them', () => {
    const target = { metadata: { labels: { a: '1' } }, spec: { x: { y: 1 } } };
    const patch = { metadata: { labels: { b: '2' } }, extra: { z: 1 } };
    const before = structuredClone({ target, patch });
    const result = applyJsonMergePatch(target, patch) as typeof target & typeof patch;
    expect({ target, patch }).toEqual(before);
    expect(result.spec.x).not.toBe(target.spec.x);
    expect(result.extra).not.toBe(patch.extra);
  });

  it('a "__proto__" member is data, not a prototype change', () => {
    const result = applyJsonMergePatch({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.keys(result)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
