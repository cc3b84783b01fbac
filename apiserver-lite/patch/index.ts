// The three PATCH content types kube-apiserver accepts, behind one entry:
// the API layer maps the request's Content-Type to a PatchType, looks up the
// kind's PatchMeta, and calls applyPatch. Server-side apply
// (application/apply-patch+yaml) is recognised so the caller can refuse it
// with a clear 415 instead of mis-applying it as another patch type.

import { applyJsonMergePatch } from './json-merge-patch.js';
import { applyJsonPatch } from './json-patch.js';
import type { PatchMeta } from './patch-meta.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

export { PatchError, type PatchErrorReason } from './patch-error.js';
export {
  fieldPatchMetaAt,
  patchMetaFor,
  supportsStrategicMergePatch,
  type FieldPatchMeta,
  type PatchMeta,
  type PatchStrategy,
} from './patch-meta.js';
export { applyJsonMergePatch, applyJsonPatch, applyStrategicMergePatch };

export type PatchType = 'json' | 'merge' | 'strategic';

const contentTypes: ReadonlyMap<string, PatchType | 'apply'> = new Map<string, PatchType | 'apply'>([
  ['application/json-patch+json', 'json'],
  ['application/merge-patch+json', 'merge'],
  ['application/strategic-merge-patch+json', 'strategic'],
  ['application/apply-patch+yaml', 'apply'],
]);

/** The patch type of a Content-Type header (parameters such as `charset` ignored), or undefined for anything else (→ 415). */
export function patchTypeFromContentType(ct: string): PatchType | 'apply' | undefined {
  const mediaType = ct.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return contentTypes.get(mediaType);
}

/** Applies a parsed patch document to a parsed object; throws PatchError. Inputs are not mutated. */
export function applyPatch(type: PatchType, target: unknown, patch: unknown, meta: PatchMeta): unknown {
  switch (type) {
    case 'json':
      return applyJsonPatch(target, patch);
    case 'merge':
      return applyJsonMergePatch(target, patch);
    case 'strategic':
      return applyStrategicMergePatch(target, patch, meta);
  }
}
