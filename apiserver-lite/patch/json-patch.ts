// JSON patch (RFC 6902, application/json-patch+json), applied with
// fast-json-patch. The library edits documents in place, so it works on a
// copy: a patch that fails half-way leaves nothing behind.

import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { PatchError } from './patch-error.js';

// kube-apiserver refuses longer patches with the same limit.
export const maxJsonPatchOperations = 10_000;

function describeOperation(op: unknown): string {
  if (typeof op !== 'object' || op === null) return JSON.stringify(op) ?? String(op);
  const { op: name, path } = op as { op?: unknown; path?: unknown };
  return `${String(name)} ${JSON.stringify(path)}`;
}

function toPatchError(err: unknown, ops: readonly unknown[]): PatchError {
  if (err instanceof jsonpatch.JsonPatchError) {
    const index = err.index ?? 0;
    const where = `json patch operation ${index} (${describeOperation(ops[index])})`;
    // The library's message carries a dump of the operation and document after the first line.
    const what = err.message.split('\n')[0] ?? err.name;
    // kube-apiserver answers 422 for every operation that does not apply, malformed ones included.
    return new PatchError(`${where}: ${what}`, 'Invalid');
  }
  return new PatchError(`json patch: ${err instanceof Error ? err.message : String(err)}`, 'BadRequest');
}

export function applyJsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) {
    throw new PatchError('a json patch must be a JSON array of operations', 'BadRequest');
  }
  if (ops.length > maxJsonPatchOperations) {
    throw new PatchError(
      `the allowed maximum operations in a json patch is ${maxJsonPatchOperations}, got ${ops.length}`,
      'Invalid',
    );
  }
  ops.forEach((op, index) => {
    if (typeof op !== 'object' || op === null || Array.isArray(op)) {
      throw new PatchError(`json patch operation ${index} must be an object, got ${JSON.stringify(op)}`, 'BadRequest');
    }
  });
  const operations = structuredClone(ops) as Operation[];
  // Check every operation's shape before touching the document, so a malformed
  // op late in the list is reported even if an earlier `test` would fail.
  const malformed = jsonpatch.validate(operations);
  if (malformed !== undefined) throw toPatchError(malformed, ops);
  try {
    return jsonpatch.applyPatch(structuredClone(target), operations, true, true, true).newDocument;
  } catch (err) {
    throw toPatchError(err, ops);
  }
}
