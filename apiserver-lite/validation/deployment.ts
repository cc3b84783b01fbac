// apps/v1 Deployment validation: the ReplicaSet rules (selector matching the
// template, replicas >= 0) plus the rollout strategy, and an immutable
// selector on update.

import { FieldError, FieldReader, forbidden, invalid, notSupported } from './field-errors.js';
import { nameIsDNSSubdomain } from './names.js';
import { isNegativeErrorMsg, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';
import {
  nonNegativeField,
  specOf,
  validateSelectorAndTemplateLabels,
  validateSelectorUnchanged,
  validateWorkloadTemplate,
} from './replica-set.js';

const percentRe = /^[0-9]+%$/;
const percentErr =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** Reads an int-or-percent; returns its numeric value (percent or count) for the 0/0 check. */
function validateIntOrPercent(r: FieldReader, name: string, errs: FieldError[]): number | undefined {
  const v = r.raw(name);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isInteger(v)) {
    if (v < 0) errs.push(invalid(r.at(name), v, isNegativeErrorMsg));
    return v;
  }
  if (typeof v === 'string') {
    if (!percentRe.test(v)) {
      errs.push(invalid(r.at(name), v, percentErr));
      return undefined;
    }
    return Number(v.slice(0, -1));
  }
  errs.push(invalid(r.at(name), v, "must be an integer or percentage (e.g '5%')"));
  return undefined;
}

function validateStrategy(spec: FieldReader, errs: FieldError[]): void {
  const strategy = spec.object('strategy');
  if (strategy === undefined) return;
  const type = strategy.string('type') || 'RollingUpdate';
  const rolling = strategy.object('rollingUpdate');
  if (type === 'Recreate') {
    if (rolling !== undefined) errs.push(forbidden(rolling.path, "may not be specified when strategy `type` is 'Recreate'"));
  } else if (type === 'RollingUpdate') {
    if (rolling === undefined) return; // defaulted to 25%/25%
    // Absent values default to 25%, so only both explicitly zero is a dead rollout.
    const unavailable = validateIntOrPercent(rolling, 'maxUnavailable', errs);
    const surge = validateIntOrPercent(rolling, 'maxSurge', errs);
    if (unavailable === 0 && surge === 0) {
      errs.push(invalid(rolling.at('maxUnavailable'), rolling.raw('maxUnavailable'), 'may not be 0 when `maxSurge` is 0'));
    }
    const raw = rolling.raw('maxUnavailable');
    if (typeof raw === 'string' && percentRe.test(raw) && Number(raw.slice(0, -1)) > 100) {
      errs.push(invalid(rolling.at('maxUnavailable'), raw, 'must not be greater than 100%'));
    }
  } else {
    errs.push(notSupported(spec.at('strategy'), type, ['Recreate', 'RollingUpdate']));
  }
}

function validateDeploymentSpec(obj: unknown, errs: FieldError[]): void {
  const spec = specOf(obj, errs);
  nonNegativeField(spec, 'replicas', errs);
  errs.push(...validateSelectorAndTemplateLabels(spec, 'deployment'));
  // Deployments check their template with the ReplicaSet rules, wording included.
  errs.push(...validateWorkloadTemplate(spec, 'ReplicaSet'));
  validateStrategy(spec, errs);
  nonNegativeField(spec, 'minReadySeconds', errs);
  nonNegativeField(spec, 'revisionHistoryLimit', errs);
  const pds = spec.int('progressDeadlineSeconds');
  if (pds !== undefined) {
    if (pds < 0) errs.push(invalid(spec.at('progressDeadlineSeconds'), pds, isNegativeErrorMsg));
    if (pds <= (spec.int('minReadySeconds') ?? 0)) {
      errs.push(invalid(spec.at('progressDeadlineSeconds'), pds, 'must be greater than minReadySeconds'));
    }
  }
  spec.bool('paused');
}

export function validateDeployment(obj: unknown): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: true, nameRule: nameIsDNSSubdomain });
  validateDeploymentSpec(obj, errs);
  return errs;
}

export function validateDeploymentUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  const errs = validateObjectMetaUpdate(newObj, oldObj);
  validateDeploymentSpec(newObj, errs);
  errs.push(...validateSelectorUnchanged(newObj, oldObj));
  return errs;
}
