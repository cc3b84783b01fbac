import { describe, expect, it } from 'vitest';
import { canonicalJson, fnv1a32, podTemplateHash, safeEncode } from './deployment-hash.js';

describe('fnv1a32', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('%j → %i', (text, want) => {
    expect(fnv1a32(new TextEncoder().encode(text))).toBe(want);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[{"y":2,"z":1}]},"b":1}');
  });
});

describe('podTemplateHash', () => {
  const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
  it('is stable under key order and uses only the safe alphabet', () => {
    const reordered = { spec: { containers: [{ image: 'nginx:1', name: 'c' }] }, metadata: { labels: { app: 'web' } } };
    expect(podTemplateHash(t)).toBe(podTemplateHash(reordered));
    expect(podTemplateHash(t)).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  });
  it('changes with the template and with the collision count', () => {
    const other = { ...t, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } };
    expect(podTemplateHash(other)).not.toBe(podTemplateHash(t));
    expect(podTemplateHash(t, 1)).not.toBe(podTemplateHash(t));
    expect(podTemplateHash(t, 0)).toBe(podTemplateHash(t));
  });
  it('safeEncode maps each character into the alphabet', () => {
    expect(safeEncode('0123')).toHaveLength(4);
    expect(safeEncode('0')).toBe('4'); // '0' is 48; 48 % 27 = 21, the alphabet's 22nd letter
  });
});
