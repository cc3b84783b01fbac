// ConfigMap validation: keys are config keys, a key lives in data or
// binaryData but not both, the whole payload fits in 1 MiB, and an immutable
// ConfigMap stays as it is.

import { FieldError, FieldReader, forbidden, invalid, isObject, key, semanticEqual, tooLong } from './field-errors.js';
import { byteLength, isConfigMapKey, nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';

const maxConfigMapBytes = 1024 * 1024;

export function validateConfigMap(obj: unknown): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: true, nameRule: nameIsDNSSubdomain });
  const root = FieldReader.of(isObject(obj) ? obj : {}, '', errs);
  const data = root.stringMap('data') ?? {};
  const binary = root.stringMap('binaryData') ?? {};
  root.bool('immutable');
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const msg of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, msg));
    if (k in binary) errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    total += byteLength(v);
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const msg of isConfigMapKey(k)) errs.push(invalid(key('binaryData', k), k, msg));
    // binaryData travels base64-encoded; the limit is on the decoded bytes.
    total += Math.floor((v.replace(/=+$/, '').length * 3) / 4);
  }
  if (total > maxConfigMapBytes) errs.push(tooLong('', maxConfigMapBytes));
  return errs;
}

export function validateConfigMapUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  const errs = validateObjectMetaUpdate(newObj, oldObj);
  const now = isObject(newObj) ? newObj : {};
  const before = isObject(oldObj) ? oldObj : {};
  if (before['immutable'] === true) {
    const msg = 'field is immutable when `immutable` is set';
    if (now['immutable'] !== true) errs.push(forbidden('immutable', msg));
    if (!semanticEqual(now['data'], before['data'])) errs.push(forbidden('data', msg));
    if (!semanticEqual(now['binaryData'], before['binaryData'])) errs.push(forbidden('binaryData', msg));
  }
  errs.push(...validateConfigMap(newObj));
  return errs;
}
