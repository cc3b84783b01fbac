// coordination.k8s.io/v1 Lease validation (node heartbeats, leader election).

import { FieldError, FieldReader, invalid, isObject } from './field-errors.js';
import { nameIsDNSSubdomain } from './names.js';
import { isNegativeErrorMsg, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';

function validateLeaseSpec(obj: unknown, errs: FieldError[]): void {
  const spec = FieldReader.of(isObject(obj) ? obj['spec'] : undefined, 'spec', errs);
  const duration = spec.int('leaseDurationSeconds');
  if (duration !== undefined && duration <= 0) errs.push(invalid(spec.at('leaseDurationSeconds'), duration, 'must be greater than 0'));
  const transitions = spec.int('leaseTransitions');
  if (transitions !== undefined && transitions < 0) errs.push(invalid(spec.at('leaseTransitions'), transitions, isNegativeErrorMsg));
  spec.string('holderIdentity');
  spec.string('acquireTime');
  spec.string('renewTime');
}

export function validateLease(obj: unknown): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: true, nameRule: nameIsDNSSubdomain });
  validateLeaseSpec(obj, errs);
  return errs;
}

export function validateLeaseUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  const errs = validateObjectMetaUpdate(newObj, oldObj);
  validateLeaseSpec(newObj, errs);
  return errs;
}
