// Node validation: a cluster-scoped object with a DNS-subdomain name, valid
// taints and pod CIDRs; on update the pod CIDRs and providerID may only go
// from unset to set.

import { FieldError, FieldReader, GoValue, duplicate, forbidden, goQuote, index, invalid, isObject, notSupported, required } from './field-errors.js';
import { invalidCIDRMessage, isLabelValue, isQualifiedName, nameIsDNSSubdomain, parseCIDR } from './names.js';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';

const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function specOf(obj: unknown, errs: FieldError[]): FieldReader {
  return FieldReader.of(isObject(obj) ? obj['spec'] : undefined, 'spec', errs);
}

/** spec.podCIDRs, falling back to the older single spec.podCIDR. */
function podCIDRsOf(spec: FieldReader): string[] {
  const list = spec.strings('podCIDRs') ?? [];
  if (list.length > 0) return list;
  const single = spec.string('podCIDR') ?? '';
  return single === '' ? [] : [single];
}

function validateTaints(spec: FieldReader): FieldError[] {
  const errs: FieldError[] = [];
  // Kubernetes reports taint errors under metadata.taints; kept so messages match.
  const path = 'metadata.taints';
  const seen = new Set<string>();
  spec.objects('taints').forEach((t, i) => {
    const p = index(path, i);
    const k = t.string('key') ?? '';
    const value = t.string('value') ?? '';
    const effect = t.string('effect') ?? '';
    for (const msg of isQualifiedName(k)) errs.push(invalid(`${p}.key`, k, msg));
    const valueErrs = isLabelValue(value);
    if (valueErrs.length > 0) errs.push(invalid(`${p}.value`, value, valueErrs.join(';')));
    if (effect === '') errs.push(required(`${p}.effect`));
    else if (!taintEffects.includes(effect)) errs.push(notSupported(`${p}.effect`, effect, taintEffects));
    const id = `${effect}\u0000${k}`;
    if (seen.has(id)) {
      const dup = duplicate(
        p,
        new GoValue(`core.Taint{Key:${goQuote(k)}, Value:${goQuote(value)}, Effect:${goQuote(effect)}, TimeAdded:<nil>}`),
      );
      errs.push(new FieldError(dup.type, dup.field, 'taints must be unique by key and effect pair', dup.badValue));
    }
    seen.add(id);
  });
  return errs;
}

function validatePodCIDRs(spec: FieldReader): FieldError[] {
  const errs: FieldError[] = [];
  const cidrs = podCIDRsOf(spec);
  const listed = spec.strings('podCIDRs') ?? [];
  const single = spec.string('podCIDR') ?? '';
  if (single !== '' && listed.length > 0 && listed[0] !== single) {
    errs.push(invalid('spec.podCIDR', single, 'must match the first value of `podCIDRs`'));
  }
  const path = 'spec.podCIDRs';
  const parsed = cidrs.map((c) => parseCIDR(c));
  parsed.forEach((p, i) => {
    if (p === undefined) errs.push(invalid(index(path, i), cidrs[i], invalidCIDRMessage));
  });
  if (cidrs.length > 1 && parsed.every((p) => p !== undefined)) {
    if (cidrs.length > 2 || parsed[0]?.family === parsed[1]?.family) {
      errs.push(invalid(path, cidrs, 'may specify no more than one CIDR for each IP family'));
    }
    const seen = new Set<string>();
    cidrs.forEach((c, i) => {
      if (seen.has(c)) errs.push(duplicate(index(path, i), c));
      seen.add(c);
    });
  }
  return errs;
}

export function validateNode(obj: unknown): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: false, nameRule: nameIsDNSSubdomain });
  const spec = specOf(obj, errs);
  errs.push(...validateTaints(spec));
  errs.push(...validatePodCIDRs(spec));
  spec.bool('unschedulable');
  spec.string('providerID');
  return errs;
}

export function validateNodeUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  const errs = validateObjectMetaUpdate(newObj, oldObj);
  const spec = specOf(newObj, errs);
  const old = specOf(oldObj, []);
  errs.push(...validateTaints(spec));
  errs.push(...validatePodCIDRs(spec));

  // Node IPAM may assign pod CIDRs once; after that they are fixed.
  const oldCIDRs = podCIDRsOf(old);
  const newCIDRs = podCIDRsOf(spec);
  if (oldCIDRs.length > 0 && (oldCIDRs.length !== newCIDRs.length || oldCIDRs.some((c, i) => c !== newCIDRs[i]))) {
    errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  const oldProvider = old.string('providerID') ?? '';
  if (oldProvider !== '' && oldProvider !== (spec.string('providerID') ?? '')) {
    errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  return errs;
}
