// ServiceAccount validation: metadata only, with a DNS-subdomain name.

import type { FieldError } from './field-errors.js';
import { nameIsDNSSubdomain } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';

export function validateServiceAccount(obj: unknown): FieldError[] {
  return validateObjectMeta(obj, { namespaced: true, nameRule: nameIsDNSSubdomain });
}

export function validateServiceAccountUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  return [...validateObjectMetaUpdate(newObj, oldObj), ...validateServiceAccount(newObj)];
}
