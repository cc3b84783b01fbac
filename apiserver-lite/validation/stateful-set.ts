// apps/v1 StatefulSet validation: a DNS-label name (its pods are named
// <name>-<ordinal>), a non-empty selector matching the template labels, a
// known pod management policy and update strategy; on update only replicas,
// ordinals, template, updateStrategy, persistentVolumeClaimRetentionPolicy and
// minReadySeconds may change.

import { FieldError, forbidden, invalid, isObject, notSupported, required, semanticEqual } from './field-errors.js';
import { nameIsDNSLabel } from './names.js';
import { validateAnnotations, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import { nonNegativeField, specOf, validateSelectorAndTemplateLabels } from './replica-set.js';

const retentionPolicies = ['Retain', 'Delete'];

function validateStatefulSetSpec(obj: unknown, errs: FieldError[]): void {
  const spec = specOf(obj, errs);
  const pmp = spec.string('podManagementPolicy');
  if (pmp !== undefined && pmp !== '' && pmp !== 'OrderedReady' && pmp !== 'Parallel') {
    errs.push(invalid(spec.at('podManagementPolicy'), pmp, "must be 'OrderedReady' or 'Parallel'"));
  }
  const strategy = spec.object('updateStrategy');
  if (strategy !== undefined) {
    const type = strategy.string('type') || 'RollingUpdate';
    const rolling = strategy.object('rollingUpdate');
    if (type === 'OnDelete') {
      if (rolling !== undefined) errs.push(invalid(rolling.path, rolling.obj, "only allowed for updateStrategy 'RollingUpdate'"));
    } else if (type === 'RollingUpdate') {
      if (rolling !== undefined) nonNegativeField(rolling, 'partition', errs);
    } else {
      errs.push(invalid(strategy.path, type, "must be 'RollingUpdate' or 'OnDelete'"));
    }
  }
  const retention = spec.object('persistentVolumeClaimRetentionPolicy');
  for (const f of ['whenDeleted', 'whenScaled']) {
    const v = retention?.string(f);
    if (retention !== undefined && v !== undefined && !retentionPolicies.includes(v)) {
      errs.push(notSupported(retention.at(f), v, retentionPolicies));
    }
  }
  nonNegativeField(spec, 'replicas', errs);
  nonNegativeField(spec, 'minReadySeconds', errs);
  const ordinals = spec.object('ordinals');
  if (ordinals !== undefined) nonNegativeField(ordinals, 'start', errs);
  spec.string('serviceName');

  errs.push(...validateSelectorAndTemplateLabels(spec, 'statefulset'));
  const template = spec.object('template');
  if (template === undefined) {
    if (!spec.has('template')) errs.push(required(spec.at('template')));
    return;
  }
  // Like Kubernetes, only the template's metadata is checked here; its pods are validated when created.
  const meta = template.object('metadata');
  if (meta !== undefined) {
    errs.push(...validateLabels(meta.stringMap('labels'), meta.at('labels')));
    errs.push(...validateAnnotations(meta.stringMap('annotations'), meta.at('annotations')));
  }
  const podSpec = isObject(template.obj['spec']) ? template.obj['spec'] : {};
  const restart = podSpec['restartPolicy'];
  if (typeof restart === 'string' && restart !== '' && restart !== 'Always') {
    errs.push(notSupported(`${template.path}.spec.restartPolicy`, restart, ['Always']));
  }
  if (podSpec['activeDeadlineSeconds'] !== undefined && podSpec['activeDeadlineSeconds'] !== null) {
    errs.push(forbidden(`${template.path}.spec.activeDeadlineSeconds`, 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
}

export function validateStatefulSet(obj: unknown): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: true, nameRule: nameIsDNSLabel });
  validateStatefulSetSpec(obj, errs);
  return errs;
}

const updatable = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export function validateStatefulSetUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  // The name is not re-checked: older StatefulSets with subdomain names must stay deletable.
  const errs = validateObjectMetaUpdate(newObj, oldObj);
  validateStatefulSetSpec(newObj, errs);
  const strip = (o: unknown) => {
    const spec = isObject(o) && isObject(o['spec']) ? { ...o['spec'] } : {};
    for (const f of updatable) delete spec[f];
    return spec;
  };
  if (!semanticEqual(strip(newObj), strip(oldObj))) {
    errs.push(
      forbidden(
        'spec',
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  return errs;
}
