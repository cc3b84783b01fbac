// ReplicaSet validation, and the selector/template rules Deployments share:
// a non-empty selector that matches the pod template's labels, replicas >= 0,
// a valid pod template that restarts its pods Always. In apps/v1 the
// selector is fixed once created.

import { FieldError, FieldReader, GoValue, forbidden, invalid, isObject, notSupported, required } from './field-errors.js';
import { selectorFromLabelSelector, type LabelSelector } from '../../kube/label-selector.js';
import { nameIsDNSSubdomain } from './names.js';
import {
  isNegativeErrorMsg,
  labelSelectorGoValue,
  labelSelectorIsEmpty,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './object-meta.js';
import { validatePodTemplateSpec } from './pod.js';

export function specOf(obj: unknown, errs: FieldError[]): FieldReader {
  return FieldReader.of(isObject(obj) ? obj['spec'] : undefined, 'spec', errs);
}

export function nonNegativeField(r: FieldReader, name: string, errs: FieldError[]): void {
  const v = r.int(name);
  if (v !== undefined && v < 0) errs.push(invalid(r.at(name), v, isNegativeErrorMsg));
}

/**
 * spec.selector must be present and non-empty, well formed, and match
 * spec.template.metadata.labels. `kindWord` is the word Kubernetes uses in
 * "empty selector is invalid for <kindWord>" (ReplicaSets say "deployment").
 */
export function validateSelectorAndTemplateLabels(spec: FieldReader, kindWord: string): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec.object('selector');
  if (sel === undefined) {
    if (!spec.has('selector')) errs.push(required(spec.at('selector')));
    return errs;
  }
  const shapeErrs = validateLabelSelector(sel);
  errs.push(...shapeErrs);
  if (labelSelectorIsEmpty(sel)) {
    errs.push(invalid(spec.at('selector'), labelSelectorGoValue(sel.obj), `empty selector is invalid for ${kindWord}`));
    return errs;
  }
  if (shapeErrs.length > 0) return errs;
  let selector;
  try {
    selector = selectorFromLabelSelector(sel.obj as LabelSelector);
  } catch {
    errs.push(invalid(spec.at('selector'), labelSelectorGoValue(sel.obj), 'invalid label selector'));
    return errs;
  }
  const template = isObject(spec.obj['template']) ? spec.obj['template'] : {};
  const meta = isObject(template['metadata']) ? template['metadata'] : {};
  const labelsRaw = meta['labels'];
  const labels = isObject(labelsRaw) ? (labelsRaw as Record<string, string>) : undefined;
  if (!selector.matches(labels)) {
    errs.push(
      invalid(
        `${spec.at('template')}.metadata.labels`,
        labels ?? new GoValue('map[string]string(nil)'),
        '`selector` does not match template `labels`',
      ),
    );
  }
  return errs;
}

/** The pod template of a ReplicaSet or Deployment: a valid template whose pods restart Always. */
export function validateWorkloadTemplate(spec: FieldReader, kindName: string): FieldError[] {
  const errs: FieldError[] = [];
  const template = spec.object('template');
  if (template === undefined) {
    if (!spec.has('template')) errs.push(required(spec.at('template')));
    return errs;
  }
  errs.push(...validatePodTemplateSpec(template));
  const podSpec = isObject(template.obj['spec']) ? template.obj['spec'] : {};
  const restart = podSpec['restartPolicy'];
  if (typeof restart === 'string' && restart !== '' && restart !== 'Always') {
    errs.push(notSupported(`${template.path}.spec.restartPolicy`, restart, ['Always']));
  }
  if (podSpec['activeDeadlineSeconds'] !== undefined && podSpec['activeDeadlineSeconds'] !== null) {
    errs.push(forbidden(`${template.path}.spec.activeDeadlineSeconds`, `activeDeadlineSeconds in ${kindName} is not Supported`));
  }
  return errs;
}

/** apps/v1 makes a workload's selector immutable. */
export function validateSelectorUnchanged(newObj: unknown, oldObj: unknown): FieldError[] {
  const sel = (o: unknown) => (isObject(o) && isObject(o['spec']) ? o['spec']['selector'] : undefined);
  const now = sel(newObj);
  const before = sel(oldObj);
  if (JSON.stringify(canonical(now)) === JSON.stringify(canonical(before))) return [];
  return [invalid('spec.selector', labelSelectorGoValue(now), 'field is immutable')];
}

// Key order and empty lists must not count as a change.
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(canonical);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const c = canonical(v[k]);
      if (c !== undefined && c !== null) out[k] = c;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v;
}

function validateReplicaSetSpec(obj: unknown, errs: FieldError[]): void {
  const spec = specOf(obj, errs);
  nonNegativeField(spec, 'replicas', errs);
  nonNegativeField(spec, 'minReadySeconds', errs);
  errs.push(...validateSelectorAndTemplateLabels(spec, 'deployment'));
  errs.push(...validateWorkloadTemplate(spec, 'ReplicaSet'));
}

export function validateReplicaSet(obj: unknown): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: true, nameRule: nameIsDNSSubdomain });
  validateReplicaSetSpec(obj, errs);
  return errs;
}

export function validateReplicaSetUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  const errs = validateObjectMetaUpdate(newObj, oldObj);
  validateReplicaSetSpec(newObj, errs);
  errs.push(...validateSelectorUnchanged(newObj, oldObj));
  return errs;
}
