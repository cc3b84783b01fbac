// JSON merge patch (RFC 7386, application/merge-patch+json): objects merge
// recursively, `null` removes a member, anything else (arrays included)
// replaces. Inputs are never mutated and the result shares no objects with
// them, so callers may edit it freely.

type JsonObject = Record<string, unknown>;

function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets an own data property; plain assignment of `__proto__` would swap the prototype instead. */
function setOwn(obj: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const result: JsonObject = isJsonObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete result[key];
    } else {
      setOwn(result, key, mergeInto(Object.hasOwn(result, key) ? result[key] : undefined, value));
    }
  }
  return result;
}

export function applyJsonMergePatch(target: unknown, patch: unknown): unknown {
  // Work on copies: the algorithm is simplest when it edits in place.
  return mergeInto(structuredClone(target), structuredClone(patch));
}
