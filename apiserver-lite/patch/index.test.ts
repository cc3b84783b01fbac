import { describe, expect, it } from 'vitest';
import { applyPatch, patchMetaFor, patchTypeFromContentType, PatchError } from './index.js';

describe('patchTypeFromContentType', () => {
  it.each([
    ['application/json-patch+json', 'json'],
    ['application/merge-patch+json', 'merge'],
    ['application/strategic-merge-patch+json', 'strategic'],
    ['application/apply-patch+yaml', 'apply'],
    ['application/strategic-merge-patch+json; charset=utf-8', 'strategic'],
    ['Application/Merge-Patch+JSON', 'merge'],
    ['application/json', undefined],
    ['text/plain', undefined],
    ['', undefined],
  ])('%j → %s', (ct, want) => {
    expect(patchTypeFromContentType(ct)).toBe(want);
  });
});

describe('applyPatch', () => {
  const svc = { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }, { port: 443 }] } };
  const meta = patchMetaFor('', 'Service');

  it.each([
    { type: 'strategic' as const, patch: { spec: { ports: [{ port: 8080 }] } }, ports: [{ port: 8080 }, { port: 80 }, { port: 443 }] },
    { type: 'merge' as const, patch: { spec: { ports: [{ port: 8080 }] } }, ports: [{ port: 8080 }] },
    { type: 'json' as const, patch: [{ op: 'remove', path: '/spec/ports/0' }], ports: [{ port: 443 }] },
  ])('$type patch of Service ports', ({ type, patch, ports }) => {
    expect(applyPatch(type, svc, patch, meta)).toEqual({ metadata: { name: 'web' }, spec: { ports } });
  });

  it('errors of every patch type are PatchErrors', () => {
    expect(() => applyPatch('json', svc, [{ op: 'test', path: '/metadata/name', value: 'x' }], meta)).toThrow(PatchError);
    expect(() => applyPatch('strategic', svc, { spec: { $patch: 'foo' } }, meta)).toThrow(PatchError);
  });
});
