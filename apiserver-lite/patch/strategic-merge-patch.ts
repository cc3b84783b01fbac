// Strategic merge patch (application/strategic-merge-patch+json), the patch
// kubectl sends for built-in kinds from `apply`, `patch`, `edit`, `label` and
// `annotate`. It is a JSON merge patch whose lists follow per-field rules
// (see patch-meta.ts) and which carries directives:
//
//   $patch: replace | delete | merge     on a map, or as a list item
//   $retainKeys: [fields]                drop every other field of the map
//   $setElementOrder/<list>: [...]       final order of a merge list
//   $deleteFromPrimitiveList/<list>: [...]  values to remove from a primitive merge list
//
// The behaviour follows k8s.io/apimachinery's strategicpatch package as
// kube-apiserver runs it (parallel lists merged, unmatched nulls ignored),
// including its list ordering: items named in the patch keep the patch's
// order, items only on the server keep theirs, and a new item goes before the
// server-only items that follow it. Where the Go code leaves directives inside
// new values for the typed decoder to drop, we drop them here, because netkube
// stores the untyped result.
//
// Inputs are never mutated: both are copied once, then merged in place.

import { PatchError } from './patch-error.js';
import { fieldPatchMeta, type FieldPatchMeta, type PatchMeta } from './patch-meta.js';

type JsonObject = Record<string, unknown>;

const directiveMarker = '$patch';
const retainKeysDirective = '$retainKeys';
const setElementOrderPrefix = '$setElementOrder/';
const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList/';

/** Returned for `$patch: delete` on a map: the caller removes the field. */
const deleted = Symbol('deleted');
type Deleted = typeof deleted;

type ElementKind = 'map' | 'string' | 'number' | 'boolean' | 'null';

function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(obj: unknown, key: string): unknown {
  return isJsonObject(obj) && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets an own data property; plain assignment of `__proto__` would swap the prototype instead. */
function setOwn(obj: JsonObject, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function hasStrategy(meta: FieldPatchMeta | undefined, strategy: 'merge' | 'replace'): boolean {
  return meta?.patchStrategy?.split(',').includes(strategy) ?? false;
}

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function at(path: string): string {
  return path === '' ? '' : ` at ${path}`;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
}

/** Merge key values and set members compare as JSON values (Go compares them with ==). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b);
}

function unknownPatchDirective(directive: unknown, path: string): PatchError {
  return new PatchError(`unknown directive $patch: ${show(directive)}${at(path)}`, 'BadRequest');
}

function noMergeKey(item: unknown, mergeKey: string, path: string): PatchError {
  return new PatchError(`${path}: item ${JSON.stringify(item)} does not contain the merge key "${mergeKey}"`);
}

function isKnownDirectiveKey(key: string): boolean {
  return (
    key === directiveMarker ||
    key === retainKeysDirective ||
    (key.startsWith(setElementOrderPrefix) && key.length > setElementOrderPrefix.length) ||
    (key.startsWith(deleteFromPrimitiveListPrefix) && key.length > deleteFromPrimitiveListPrefix.length)
  );
}

function checkDirectiveKeys(patch: JsonObject, path: string): void {
  for (const key of Object.keys(patch)) {
    if (key.startsWith('$') && !isKnownDirectiveKey(key)) {
      throw new PatchError(`unknown directive ${key}${at(path)}`, 'BadRequest');
    }
  }
}

export function applyStrategicMergePatch(target: unknown, patch: unknown, meta: PatchMeta): unknown {
  if (!isJsonObject(patch)) {
    throw new PatchError(`a strategic merge patch must be a JSON object, got ${JSON.stringify(patch) ?? 'nothing'}`, 'BadRequest');
  }
  const original: JsonObject = isJsonObject(target) ? structuredClone(target) : {};
  const result = mergeMap(original, structuredClone(patch), meta, '');
  if (result === deleted) {
    throw new PatchError('$patch: delete cannot delete the whole object; send a DELETE request instead', 'BadRequest');
  }
  return result;
}

// ---------------------------------------------------------------------------
// Values that have nothing to merge with (the field is new, or changes type)
// are taken from the patch with the directives removed: deletions and list
// markers have nothing to act on, and nulls delete nothing.

function cleanValue(value: unknown, path: string): unknown {
  if (Array.isArray(value)) return cleanList(value, path);
  if (isJsonObject(value)) return cleanMap(value, path);
  return value;
}

function cleanMap(map: JsonObject, path: string): JsonObject | Deleted {
  if (Object.hasOwn(map, directiveMarker)) {
    const directive = map[directiveMarker];
    if (directive === 'delete') return deleted;
    if (directive !== 'replace' && directive !== 'merge') throw unknownPatchDirective(directive, path);
  }
  checkDirectiveKeys(map, path);
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(map)) {
    if (key.startsWith('$') || value === null) continue;
    const cleaned = cleanValue(value, child(path, key));
    if (cleaned !== deleted) setOwn(out, key, cleaned);
  }
  return out;
}

function cleanList(list: readonly unknown[], path: string): unknown[] {
  const out: unknown[] = [];
  for (const item of list) {
    if (isJsonObject(item) && Object.hasOwn(item, directiveMarker)) {
      const directive = item[directiveMarker];
      if (directive !== 'delete' && directive !== 'replace' && directive !== 'merge') {
        throw unknownPatchDirective(directive, path);
      }
      continue;
    }
    const cleaned = cleanValue(item, path);
    if (cleaned !== deleted) out.push(cleaned);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Maps

function mergeMap(original: JsonObject, patch: JsonObject, meta: PatchMeta | undefined, path: string): JsonObject | Deleted {
  if (Object.hasOwn(patch, directiveMarker)) {
    const directive = patch[directiveMarker];
    delete patch[directiveMarker];
    switch (directive) {
      case 'replace':
        return cleanMap(patch, path);
      case 'delete':
        // The Go code leaves an empty map here; the documented meaning (and
        // what users expect) is "same as null", so the field goes away.
        return deleted;
      case 'merge':
        // Documented as the struct-tag default; accepted as an explicit no-op.
        break;
      default:
        throw unknownPatchDirective(directive, path);
    }
  }
  checkDirectiveKeys(patch, path);
  applyRetainKeys(original, patch, path);
  const ordered = applySetElementOrder(original, patch, meta, path);

  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$') || ordered.has(key)) continue;
    mergeField(original, key, value, fieldPatchMeta(meta, key), child(path, key));
  }
  // Deletions run last, so a value both merged and deleted ends up deleted.
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith(deleteFromPrimitiveListPrefix)) {
      deleteFromPrimitiveList(original, key.slice(deleteFromPrimitiveListPrefix.length), value, path);
    }
  }
  return original;
}

function mergeField(original: JsonObject, key: string, value: unknown, meta: FieldPatchMeta | undefined, path: string): void {
  if (value === null) {
    delete original[key];
    return;
  }
  const current = Object.hasOwn(original, key) ? original[key] : undefined;
  let merged: unknown;
  if (isJsonObject(current) && isJsonObject(value)) {
    merged = hasStrategy(meta, 'replace') ? cleanMap(value, path) : mergeMap(current, value, meta?.fields, path);
  } else if (Array.isArray(current) && Array.isArray(value)) {
    merged = mergeList(current, value, meta, path);
  } else {
    // Absent, or a different type: the patch value wins.
    merged = cleanValue(value, path);
  }
  if (merged === deleted) delete original[key];
  else setOwn(original, key, merged);
}

/** `$retainKeys`: every field of the original map not named in the list is cleared. */
function applyRetainKeys(original: JsonObject, patch: JsonObject, path: string): void {
  if (!Object.hasOwn(patch, retainKeysDirective)) return;
  const retain = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(retain)) {
    throw new PatchError(`$retainKeys${at(path)} must be a list of field names`, 'BadRequest');
  }
  const keep = new Set<unknown>(retain);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(setElementOrderPrefix) || key.startsWith(deleteFromPrimitiveListPrefix)) continue;
    if (!keep.has(key)) {
      throw new PatchError(`field ${key}${at(path)} is set by the patch but missing from its $retainKeys list`, 'BadRequest');
    }
  }
  for (const key of Object.keys(original)) {
    if (!keep.has(key)) delete original[key];
  }
}

function deleteFromPrimitiveList(original: JsonObject, field: string, values: unknown, path: string): void {
  if (!Array.isArray(values)) {
    throw new PatchError(`${deleteFromPrimitiveListPrefix}${field}${at(path)} must be a list`, 'BadRequest');
  }
  const current = Object.hasOwn(original, field) ? original[field] : undefined;
  if (!Array.isArray(current)) return;
  if ([...current, ...values].some((v) => typeof v === 'object' && v !== null)) {
    throw new PatchError(`${child(path, field)}: $deleteFromPrimitiveList only applies to lists of primitive values`);
  }
  setOwn(original, field, current.filter((v) => !values.some((d) => sameValue(d, v))));
}

// ---------------------------------------------------------------------------
// Lists

function mergeList(original: unknown[], patch: unknown[], meta: FieldPatchMeta | undefined, path: string): unknown[] {
  if (!hasStrategy(meta, 'merge')) return cleanList(patch, path);
  return mergeSlice(original, patch, meta?.patchMergeKey, meta?.fields, path);
}

function elementKind(lists: readonly (readonly unknown[])[], path: string): ElementKind | undefined {
  let kind: ElementKind | undefined;
  for (const list of lists) {
    for (const item of list) {
      if (Array.isArray(item)) throw new PatchError(`${path}: lists of lists cannot be merged`);
      const k: ElementKind = item === null ? 'null' : isJsonObject(item) ? 'map' : (typeof item as ElementKind);
      if (kind === undefined) kind = k;
      else if (kind !== k) throw new PatchError(`${path}: list element types are not identical (${kind} and ${k})`);
    }
  }
  return kind;
}

function mergeSlice(
  original: unknown[],
  patch: unknown[],
  mergeKey: string | undefined,
  itemMeta: PatchMeta | undefined,
  path: string,
): unknown[] {
  const kind = elementKind([original, patch], path);
  if (kind === undefined) return [];
  if (kind !== 'map') {
    // A list of primitives with the merge strategy is a set: union, in order.
    const merged: unknown[] = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => sameValue(m, v))) merged.push(v);
    const [fromPatch, serverOnly] = partitionByPresence(merged, patch, undefined, path);
    return normalizeElementOrder(fromPatch, serverOnly, patch, original, undefined, path);
  }
  if (mergeKey === undefined) throw new PatchError(`${path}: cannot merge a list of maps without a merge key`);

  let base = original as JsonObject[];
  let plain: JsonObject[] = [];
  let replace = false;
  for (const item of patch as JsonObject[]) {
    if (!Object.hasOwn(item, directiveMarker)) {
      plain.push(item);
      continue;
    }
    const directive = item[directiveMarker];
    switch (directive) {
      case 'delete': {
        if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey, path);
        const gone = item[mergeKey];
        base = base.filter((o) => !(Object.hasOwn(o, mergeKey) && sameValue(o[mergeKey], gone)));
        break;
      }
      case 'replace':
        // The list is exactly the other items of the patch list.
        replace = true;
        break;
      case 'merge':
        throw new PatchError(`$patch: merge cannot be used as a list item${at(path)}: merge lists by their patch strategy`, 'BadRequest');
      default:
        throw unknownPatchDirective(directive, path);
    }
  }
  if (replace) {
    base = plain.map((item) => cleanMap(item, path)).filter((item): item is JsonObject => item !== deleted);
    plain = [];
  }

  const merged: JsonObject[] = [...base];
  for (const item of plain) {
    if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey, path);
    const key = item[mergeKey];
    const index = merged.findIndex((o) => Object.hasOwn(o, mergeKey) && sameValue(o[mergeKey], key));
    const existing = merged[index];
    if (existing === undefined) {
      const added = cleanMap(item, path);
      if (added !== deleted) merged.push(added);
      continue;
    }
    const result = mergeMap(existing, item, itemMeta, `${path}[${mergeKey}=${show(key)}]`);
    if (result === deleted) merged.splice(index, 1);
    else merged[index] = result;
  }
  const [fromPatch, serverOnly] = partitionByPresence(merged, plain, mergeKey, path);
  return normalizeElementOrder(fromPatch, serverOnly, plain, base, mergeKey, path);
}

// ---------------------------------------------------------------------------
// $setElementOrder: the list named by the directive is merged as usual, then
// the items the directive names take its order; server-only items keep their
// place relative to them.

function applySetElementOrder(original: JsonObject, patch: JsonObject, meta: PatchMeta | undefined, path: string): Set<string> {
  const done = new Set<string>();
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue;
    const field = key.slice(setElementOrderPrefix.length);
    const fieldPath = child(path, field);
    if (!Array.isArray(order)) throw new PatchError(`${key}${at(path)} must be a list`, 'BadRequest');
    const fieldMeta = fieldPatchMeta(meta, field);
    // A replaced list already takes the patch's order; kubectl only sends the directive for merge lists.
    if (!hasStrategy(fieldMeta, 'merge')) continue;

    const hasCurrent = Object.hasOwn(original, field);
    const hasPatch = Object.hasOwn(patch, field);
    const current = hasCurrent ? original[field] : undefined;
    const patchList = hasPatch ? patch[field] : undefined;
    if (hasCurrent && !Array.isArray(current)) {
      throw new PatchError(`${fieldPath}: ${key} needs a list, the object has ${JSON.stringify(current)}`);
    }
    if (hasPatch && !Array.isArray(patchList)) {
      throw new PatchError(`${fieldPath}: ${key} needs a list, the patch has ${JSON.stringify(patchList)}`, 'BadRequest');
    }
    const currentList = (current ?? []) as unknown[];
    const patchItems = (patchList ?? []) as unknown[];
    const mergeKey = fieldMeta?.patchMergeKey;
    checkPatchFollowsOrder(patchItems, order, mergeKey, fieldPath);
    done.add(field);

    let merged: unknown[];
    if (hasCurrent && hasPatch) merged = mergeList(currentList, patchItems, fieldMeta, fieldPath);
    else if (hasPatch) merged = cleanList(patchItems, fieldPath);
    else if (hasCurrent) merged = currentList;
    else continue;

    const kind = elementKind([currentList, patchItems], fieldPath);
    if (kind === undefined) {
      setOwn(original, field, merged);
      continue;
    }
    const orderKey = kind === 'map' ? mergeKey : undefined;
    if (kind === 'map' && orderKey === undefined) {
      throw new PatchError(`${fieldPath}: cannot order a list of maps without a merge key`);
    }
    const [named, serverOnly] = partitionByPresence(merged, order, orderKey, fieldPath);
    setOwn(original, field, normalizeElementOrder(named, serverOnly, order, currentList, orderKey, fieldPath));
  }
  return done;
}

/** The patch list (deletions aside) must be a subsequence of the $setElementOrder list. */
function checkPatchFollowsOrder(patchList: readonly unknown[], order: readonly unknown[], mergeKey: string | undefined, path: string): void {
  if (patchList.length === 0 || order.length === 0) return;
  const items =
    mergeKey === undefined ? patchList : patchList.filter((item) => own(item, directiveMarker) !== 'delete');
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p];
    if (isJsonObject(item) && Object.hasOwn(item, directiveMarker)) {
      p++;
      continue;
    }
    if (sameValue(orderValue(item, mergeKey, path), orderValue(order[o], mergeKey, path))) p++;
    o++;
  }
  if (p < items.length) {
    throw new PatchError(
      `${path}: the order of the patch list ${JSON.stringify(patchList)} does not match the $setElementOrder list ${JSON.stringify(order)}`,
    );
  }
}

/** What identifies an item when ordering: its merge key value, or the item itself for primitives. */
function orderValue(item: unknown, mergeKey: string | undefined, path: string): unknown {
  if (mergeKey === undefined) return item;
  if (!isJsonObject(item) || !Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey, path);
  return item[mergeKey];
}

function indexIn(list: readonly unknown[], item: unknown, mergeKey: string | undefined, path: string): number {
  const value = orderValue(item, mergeKey, path);
  return list.findIndex((x) => sameValue(orderValue(x, mergeKey, path), value));
}

/** Splits `items` into those named in `by` and the rest, each keeping its order. */
function partitionByPresence(items: readonly unknown[], by: readonly unknown[], mergeKey: string | undefined, path: string): [unknown[], unknown[]] {
  const named: unknown[] = [];
  const rest: unknown[] = [];
  for (const item of items) (indexIn(by, item, mergeKey, path) >= 0 ? named : rest).push(item);
  return [named, rest];
}

function sortByOrder(items: readonly unknown[], order: readonly unknown[], mergeKey: string | undefined, path: string): unknown[] {
  const ranked = items.map((item) => ({ item, rank: indexIn(order, item, mergeKey, path) }));
  // Array.prototype.sort is stable; unranked items keep their place relative to each other.
  ranked.sort((a, b) => (a.rank >= 0 && b.rank >= 0 ? a.rank - b.rank : 0));
  return ranked.map((r) => r.item);
}

/**
 * Sorts the patch items by the patch order and the server-only items by the
 * server order, then interleaves them: a server-only item goes first only
 * while the server had it before the next patch item; otherwise the patch
 * item (new ones included) goes first.
 */
function normalizeElementOrder(
  fromPatch: readonly unknown[],
  serverOnly: readonly unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  mergeKey: string | undefined,
  path: string,
): unknown[] {
  if (mergeKey !== undefined) {
    for (const list of [fromPatch, serverOnly, patchOrder, serverOrder]) for (const item of list) orderValue(item, mergeKey, path);
  }
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, path);
  const right = sortByOrder(fromPatch, patchOrder, mergeKey, path);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) {
      out.push(left[i++]);
    } else if (i >= left.length) {
      out.push(right[j++]);
    } else {
      const li = indexIn(serverOrder, left[i], mergeKey, path);
      const ri = indexIn(serverOrder, right[j], mergeKey, path);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}
