// Namespace validation: a cluster-scoped object named by a DNS-1123 label,
// whose spec.finalizers are qualified names or the standard "kubernetes".

import { FieldError, FieldReader, invalid, isObject } from './field-errors.js';
import { isQualifiedName, nameIsDNSLabel } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';

const standardFinalizers = ['kubernetes'];

function validateFinalizers(obj: unknown, errs: FieldError[], indexed: boolean): void {
  const spec = FieldReader.of(isObject(obj) ? obj['spec'] : undefined, 'spec', errs);
  (spec.strings('finalizers') ?? []).forEach((f, i) => {
    // Kubernetes reports create errors at the list and update errors at the item.
    const path = indexed ? `spec.finalizers[${i}]` : 'spec.finalizers';
    for (const msg of isQualifiedName(f)) errs.push(invalid(path, f, msg));
    if (!f.includes('/') && !standardFinalizers.includes(f)) {
      errs.push(invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
}

export function validateNamespace(obj: unknown): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: false, nameRule: nameIsDNSLabel });
  validateFinalizers(obj, errs, false);
  return errs;
}

export function validateNamespaceUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  const errs = validateObjectMetaUpdate(newObj, oldObj);
  validateFinalizers(newObj, errs, true);
  return errs;
}
