// metadata validation shared by every kind, on create and on update, plus the
// meta/v1 shapes that appear inside specs (labels, label selectors).

import {
  FieldError,
  FieldReader,
  GoValue,
  forbidden,
  goQuote,
  index,
  invalid,
  isObject,
  required,
  tooLong,
  validateImmutableField,
} from './field-errors.js';
import { byteLength, isDNS1123Label, isLabelValue, isQualifiedName, totalAnnotationSizeLimitBytes, type NameRule } from './names.js';

export interface ObjectMetaRules {
  /** Namespace-scoped kinds require metadata.namespace; cluster-scoped kinds forbid it. */
  namespaced: boolean;
  /** How this kind's names are checked (DNS subdomain for most, DNS-1035 label for Services...). */
  nameRule: NameRule;
}

export const isNegativeErrorMsg = 'must be greater than or equal to 0';

/** Labels: every key a qualified name, every value a label value. Errors point at the map, as in Kubernetes. */
export function validateLabels(labels: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(path, k, msg));
    for (const msg of isLabelValue(v)) errs.push(invalid(path, v, msg));
  }
  return errs;
}

/** Annotation keys are qualified names (case-insensitive); all keys and values together fit in 256 KiB. */
export function validateAnnotations(annotations: Record<string, string> | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
    total += byteLength(k) + byteLength(v);
  }
  if (total > totalAnnotationSizeLimitBytes) errs.push(tooLong(path, totalAnnotationSizeLimitBytes));
  return errs;
}

function validateOwnerReferences(refs: FieldReader[], path: string, all: unknown): FieldError[] {
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs) {
    const apiVersion = ref.string('apiVersion') ?? '';
    const kind = ref.string('kind') ?? '';
    const name = ref.string('name') ?? '';
    const uid = ref.string('uid') ?? '';
    const controller = ref.bool('controller');
    ref.bool('blockOwnerDeletion');
    const slash = apiVersion.lastIndexOf('/');
    const group = slash >= 0 ? apiVersion.slice(0, slash) : '';
    const version = slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion;
    // Each reference reports under the list path, as Kubernetes does.
    if (version.length === 0) errs.push(invalid(`${path}.apiVersion`, apiVersion, 'version must not be empty'));
    if (kind.length === 0) errs.push(invalid(`${path}.kind`, kind, 'must not be empty'));
    if (name.length === 0) errs.push(invalid(`${path}.name`, name, 'must not be empty'));
    if (uid.length === 0) errs.push(invalid(`${path}.uid`, uid, 'must not be empty'));
    if (group === '' && version === 'v1' && kind === 'Event') {
      errs.push(invalid(path, ref.obj, '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (controller === true) {
      const current = `${kind}/${name}`;
      if (firstController !== '') {
        errs.push(
          invalid(
            path,
            all,
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`,
          ),
        );
      } else {
        firstController = current;
      }
    }
  }
  return errs;
}

function validateFinalizers(finalizers: string[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers) for (const msg of isQualifiedName(f)) errs.push(invalid(path, f, msg));
  if (finalizers.includes('orphan') && finalizers.includes('foregroundDeletion')) {
    errs.push(invalid(path, finalizers, 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/** Reads metadata of any object; an absent or mistyped metadata is reported once. */
export function metadataOf(obj: unknown, errs: FieldError[]): FieldReader {
  const raw = isObject(obj) ? obj['metadata'] : undefined;
  if (isObject(obj) && (raw === undefined || raw === null)) return new FieldReader({}, 'metadata', errs);
  return FieldReader.of(raw, 'metadata', errs);
}

/**
 * metadata on create. Name generation (generateName) has already run, so a
 * name is required; a generateName present is checked as a prefix.
 */
export function validateObjectMeta(obj: unknown, rules: ObjectMetaRules): FieldError[] {
  const errs: FieldError[] = [];
  const meta = metadataOf(obj, errs);
  const path = meta.path;
  const name = meta.string('name') ?? '';
  const generateName = meta.string('generateName') ?? '';
  const namespace = meta.string('namespace') ?? '';

  if (generateName.length > 0) {
    for (const msg of rules.nameRule(generateName, true)) errs.push(invalid(`${path}.generateName`, generateName, msg));
  }
  if (name.length === 0) {
    errs.push(required(`${path}.name`, 'name or generateName is required'));
  } else {
    for (const msg of rules.nameRule(name, false)) errs.push(invalid(`${path}.name`, name, msg));
  }
  if (rules.namespaced) {
    if (namespace.length === 0) errs.push(required(`${path}.namespace`));
    else for (const msg of isDNS1123Label(namespace)) errs.push(invalid(`${path}.namespace`, namespace, msg));
  } else if (namespace.length > 0) {
    errs.push(forbidden(`${path}.namespace`, 'not allowed on this type'));
  }
  errs.push(...validateMetaCommon(meta));
  return errs;
}

function validateMetaCommon(meta: FieldReader): FieldError[] {
  const errs: FieldError[] = [];
  const path = meta.path;
  const generation = meta.int('generation');
  if (generation !== undefined && generation < 0) errs.push(invalid(`${path}.generation`, generation, isNegativeErrorMsg));
  errs.push(...validateLabels(meta.stringMap('labels'), `${path}.labels`));
  errs.push(...validateAnnotations(meta.stringMap('annotations'), `${path}.annotations`));
  const refsPath = `${path}.ownerReferences`;
  errs.push(...validateOwnerReferences(meta.objects('ownerReferences'), refsPath, meta.raw('ownerReferences')));
  errs.push(...validateFinalizers(meta.strings('finalizers') ?? [], `${path}.finalizers`));
  return errs;
}

/**
 * metadata on update: identity fields (name, namespace, uid,
 * creationTimestamp) and deletion fields never change, generation never goes
 * back, and nothing may add finalizers to an object that is being deleted.
 * Optimistic concurrency (resourceVersion) is the storage layer's job.
 */
export function validateObjectMetaUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  const errs: FieldError[] = [];
  const meta = metadataOf(newObj, errs);
  const old = metadataOf(oldObj, []);
  const path = meta.path;

  const oldFinalizers = old.strings('finalizers') ?? [];
  const newFinalizers = meta.strings('finalizers') ?? [];
  if (old.has('deletionTimestamp')) {
    const extra = [...new Set(newFinalizers.filter((f) => !oldFinalizers.includes(f)))].sort();
    if (extra.length > 0) {
      errs.push(
        forbidden(
          `${path}.finalizers`,
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map(goQuote).join(', ')}}`,
        ),
      );
    }
  }
  const newGen = meta.int('generation') ?? 0;
  const oldGen = old.int('generation') ?? 0;
  if (newGen < oldGen) errs.push(invalid(`${path}.generation`, newGen, 'must not be decremented'));

  for (const f of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds']) {
    errs.push(...validateImmutableField(meta.raw(f), old.raw(f), `${path}.${f}`));
  }
  errs.push(...validateMetaCommon(meta));
  return errs;
}

// ---- label selectors (meta/v1 LabelSelector) ----

/** The shape of a LabelSelector: valid labels, known operators, values present exactly when the operator needs them. */
export function validateLabelSelector(sel: FieldReader | undefined): FieldError[] {
  if (sel === undefined) return [];
  const errs: FieldError[] = [];
  errs.push(...validateLabels(sel.stringMap('matchLabels'), sel.at('matchLabels')));
  sel.objects('matchExpressions').forEach((expr) => {
    const operator = expr.string('operator') ?? '';
    const values = expr.strings('values') ?? [];
    const keyName = expr.string('key') ?? '';
    if (operator === 'In' || operator === 'NotIn') {
      if (values.length === 0) errs.push(required(expr.at('values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (operator === 'Exists' || operator === 'DoesNotExist') {
      if (values.length > 0) errs.push(forbidden(expr.at('values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(invalid(expr.at('operator'), operator, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(keyName)) errs.push(invalid(expr.at('key'), keyName, msg));
    if (operator === 'In' || operator === 'NotIn') {
      values.forEach((v, i) => {
        for (const msg of isLabelValue(v)) errs.push(invalid(index(expr.at('values'), i), v, msg));
      });
    }
  });
  return errs;
}

/** True when a LabelSelector has no requirements at all (it would select everything). */
export function labelSelectorIsEmpty(sel: FieldReader): boolean {
  const labels = sel.raw('matchLabels');
  const exprs = sel.raw('matchExpressions');
  const nLabels = isObject(labels) ? Object.keys(labels).length : 0;
  const nExprs = Array.isArray(exprs) ? exprs.length : 0;
  return nLabels + nExprs === 0;
}

/**
 * A LabelSelector printed as Go's %#v prints metav1.LabelSelector, which is
 * how Kubernetes shows it in messages such as the Deployment
 * "spec.selector: Invalid value: v1.LabelSelector{...}: field is immutable".
 */
export function labelSelectorGoValue(sel: unknown): GoValue {
  const obj = isObject(sel) ? sel : {};
  const labels = isObject(obj['matchLabels']) ? obj['matchLabels'] : undefined;
  const exprs = Array.isArray(obj['matchExpressions']) ? obj['matchExpressions'] : undefined;
  const labelsText =
    labels === undefined
      ? 'map[string]string(nil)'
      : `map[string]string{${Object.keys(labels)
          .sort()
          .map((k) => `${goQuote(k)}:${goQuote(String(labels[k]))}`)
          .join(', ')}}`;
  const exprText =
    exprs === undefined
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${exprs
          .map((e) => {
            const r = isObject(e) ? e : {};
            const values = Array.isArray(r['values'])
              ? `[]string{${r['values'].map((v) => goQuote(String(v))).join(', ')}}`
              : '[]string(nil)';
            return `v1.LabelSelectorRequirement{Key:${goQuote(String(r['key'] ?? ''))}, Operator:${goQuote(String(r['operator'] ?? ''))}, Values:${values}}`;
          })
          .join(', ')}}`;
  return new GoValue(`v1.LabelSelector{MatchLabels:${labelsText}, MatchExpressions:${exprText}}`);
}

