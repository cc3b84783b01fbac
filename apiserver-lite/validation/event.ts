// core/v1 Event validation. Kubernetes checks core/v1 Events only loosely
// (old clients write odd ones), so this follows its legacy rules: the Event's
// namespace agrees with its involvedObject's, and Events that carry an
// eventTime (the newer style) name their reporting controller, instance,
// action and reason within length limits. The name itself must still be a
// DNS subdomain so the Event can be stored and addressed.

import { FieldError, FieldReader, invalid, isObject, required } from './field-errors.js';
import { isDNS1123Subdomain, isQualifiedName, nameIsDNSSubdomain } from './names.js';
import { metadataOf, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';

function legacyValidateEvent(obj: unknown, errs: FieldError[]): void {
  const root = FieldReader.of(isObject(obj) ? obj : {}, '', errs);
  const namespace = metadataOf(obj, []).string('namespace') ?? '';
  const involved = root.object('involvedObject');
  const involvedNs = involved?.string('namespace') ?? '';
  const eventTime = root.string('eventTime') ?? '';
  const mismatch = () => errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
  if (eventTime === '') {
    if (involvedNs === '') {
      if (namespace !== '' && namespace !== 'default') mismatch();
    } else if (namespace !== involvedNs) {
      mismatch();
    }
  } else {
    if (involvedNs === '' && namespace !== 'default' && namespace !== 'kube-system') mismatch();
    // core/v1 spells it reportingComponent; Kubernetes reports it by its internal name.
    const controller = root.string('reportingComponent') ?? '';
    const controllerField = 'reportingController';
    if (controller === '') errs.push(required(controllerField));
    for (const msg of isQualifiedName(controller)) errs.push(invalid(controllerField, controller, msg));
    const limits: [string, number][] = [
      ['reportingInstance', 128],
      ['action', 128],
      ['reason', 128],
    ];
    for (const [field, limit] of limits) {
      const v = root.string(field) ?? '';
      if (v === '') errs.push(required(field));
      if (v.length > limit) errs.push(invalid(field, '', `can have at most ${limit} characters`));
    }
    const message = root.string('message') ?? '';
    if (message.length > 1024) errs.push(invalid('message', '', 'can have at most 1024 characters'));
  }
  if (namespace !== '') for (const msg of isDNS1123Subdomain(namespace)) errs.push(invalid('namespace', namespace, msg));
}

export function validateEvent(obj: unknown): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: true, nameRule: nameIsDNSSubdomain });
  legacyValidateEvent(obj, errs);
  return errs;
}

export function validateEventUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  const errs = validateObjectMetaUpdate(newObj, oldObj);
  legacyValidateEvent(newObj, errs);
  return errs;
}
