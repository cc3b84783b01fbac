// Pod validation, and the PodSpec / pod template rules the workload kinds
// reuse. Fields Kubernetes defaults (restartPolicy, dnsPolicy, protocols,
// probe thresholds, pull policy) are accepted when absent.

import {
  FieldError,
  FieldReader,
  diffPaths,
  duplicate,
  forbidden,
  index,
  invalid,
  isObject,
  notSupported,
  required,
  semanticEqual,
} from './field-errors.js';
import {
  inclusiveRangeError,
  invalidIPMessage,
  isDNS1123Label,
  isDNS1123Subdomain,
  isLabelValue,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
  nameIsDNSSubdomain,
  parseIP,
} from './names.js';
import { isNegativeErrorMsg, validateAnnotations, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './object-meta.js';

const maxInt32 = 2147483647;
const protocols = ['SCTP', 'TCP', 'UDP'];
const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const pullPolicies = ['Always', 'IfNotPresent', 'Never'];
const terminationMessagePolicies = ['File', 'FallbackToLogsOnError'];
const httpSchemes = ['HTTP', 'HTTPS'];
const taintEffects = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const tolerationOperators = ['Equal', 'Exists'];
const maxDNSNameservers = 3;
const maxDNSSearchPaths = 32;
const maxDNSSearchListChars = 2048;

/** An int-or-string port: a number 1-65535 or an IANA port name. */
export function validatePortNumOrName(port: number | string | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (typeof port === 'number') for (const msg of isValidPortNum(port)) errs.push(invalid(path, port, msg));
  else if (typeof port === 'string') for (const msg of isValidPortName(port)) errs.push(invalid(path, port, msg));
  else errs.push(invalid(path, 0, inclusiveRangeError(1, 65535)));
  return errs;
}

function nonNegative(r: FieldReader, name: string, errs: FieldError[]): void {
  const v = r.int(name);
  if (v !== undefined && v < 0) errs.push(invalid(r.at(name), v, isNegativeErrorMsg));
}

function validateContainerPorts(ctr: FieldReader): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  for (const port of ctr.objects('ports')) {
    const name = port.string('name') ?? '';
    if (name !== '') {
      const msgs = isValidPortName(name);
      for (const msg of msgs) errs.push(invalid(port.at('name'), name, msg));
      if (msgs.length === 0) {
        if (names.has(name)) errs.push(duplicate(port.at('name'), name));
        else names.add(name);
      }
    }
    const containerPort = port.int('containerPort') ?? 0;
    if (containerPort === 0) errs.push(required(port.at('containerPort')));
    else for (const msg of isValidPortNum(containerPort)) errs.push(invalid(port.at('containerPort'), containerPort, msg));
    const hostPort = port.int('hostPort') ?? 0;
    if (hostPort !== 0) for (const msg of isValidPortNum(hostPort)) errs.push(invalid(port.at('hostPort'), hostPort, msg));
    const protocol = port.string('protocol') || 'TCP';
    if (!protocols.includes(protocol)) errs.push(notSupported(port.at('protocol'), protocol, protocols));
    port.string('hostIP');
  }
  return errs;
}

/** Exactly one handler (exec, httpGet, tcpSocket, grpc, sleep) with a valid shape. */
function validateHandler(h: FieldReader, kinds: readonly string[]): FieldError[] {
  const errs: FieldError[] = [];
  let count = 0;
  for (const kind of kinds) {
    const r = h.object(kind);
    if (r === undefined) continue;
    if (count > 0) {
      errs.push(forbidden(r.path, 'may not specify more than 1 handler type'));
      continue;
    }
    count++;
    if (kind === 'exec') {
      if ((r.strings('command') ?? []).length === 0) errs.push(required(r.at('command')));
    } else if (kind === 'httpGet') {
      r.string('path');
      errs.push(...validatePortNumOrName(r.intOrString('port'), r.at('port')));
      const scheme = r.string('scheme');
      if (scheme !== undefined && scheme !== '' && !httpSchemes.includes(scheme)) {
        errs.push(notSupported(r.at('scheme'), scheme, httpSchemes));
      }
    } else if (kind === 'tcpSocket') {
      errs.push(...validatePortNumOrName(r.intOrString('port'), r.at('port')));
    } else if (kind === 'grpc') {
      errs.push(...validatePortNumOrName(r.int('port') ?? 0, r.at('port')));
    } else if (kind === 'sleep') {
      nonNegative(r, 'seconds', errs);
    }
  }
  if (count === 0) errs.push(required(h.path, 'must specify a handler type'));
  return errs;
}

const probeHandlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'];
const lifecycleHandlers = ['exec', 'httpGet', 'tcpSocket', 'sleep'];

function validateProbe(ctr: FieldReader, name: 'livenessProbe' | 'readinessProbe' | 'startupProbe'): FieldError[] {
  const probe = ctr.object(name);
  if (probe === undefined) return [];
  const errs = validateHandler(probe, probeHandlers);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    nonNegative(probe, f, errs);
  }
  const tgps = probe.int('terminationGracePeriodSeconds');
  if (tgps !== undefined && tgps <= 0) errs.push(invalid(probe.at('terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  const success = probe.int('successThreshold');
  // 0 is defaulted to 1; liveness and startup probes cannot need more than one success.
  if (name !== 'readinessProbe' && success !== undefined && success !== 0 && success !== 1) {
    errs.push(invalid(probe.at('successThreshold'), success, 'must be 1'));
  }
  if (name === 'readinessProbe' && tgps !== undefined) {
    errs.push(invalid(probe.at('terminationGracePeriodSeconds'), tgps, 'must not be set for readinessProbes'));
  }
  return errs;
}

function validateContainerCommon(ctr: FieldReader, isPod: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const name = ctr.string('name') ?? '';
  if (name === '') errs.push(required(ctr.at('name')));
  else for (const msg of isDNS1123Label(name)) errs.push(invalid(ctr.at('name'), name, msg));
  const image = ctr.string('image') ?? '';
  if (image === '') errs.push(required(ctr.at('image')));
  else if (isPod && image.trim() !== image) {
    errs.push(invalid(ctr.at('image'), image, 'must not have leading or trailing whitespace'));
  }
  const tmp = ctr.string('terminationMessagePolicy');
  if (tmp !== undefined && tmp !== '' && !terminationMessagePolicies.includes(tmp)) {
    errs.push(notSupported(ctr.at('terminationMessagePolicy'), tmp, terminationMessagePolicies));
  }
  const pull = ctr.string('imagePullPolicy');
  if (pull !== undefined && pull !== '' && !pullPolicies.includes(pull)) {
    errs.push(notSupported(ctr.at('imagePullPolicy'), pull, pullPolicies));
  }
  ctr.strings('command');
  ctr.strings('args');
  errs.push(...validateContainerPorts(ctr));
  return errs;
}

function validateTolerations(spec: FieldReader): FieldError[] {
  const errs: FieldError[] = [];
  for (const t of spec.objects('tolerations')) {
    const k = t.string('key') ?? '';
    const op = t.string('operator') ?? '';
    const value = t.string('value') ?? '';
    const effect = t.string('effect') ?? '';
    if (k !== '') for (const msg of isQualifiedName(k)) errs.push(invalid(t.at('key'), k, msg));
    if (k === '' && op !== 'Exists') {
      errs.push(invalid(t.at('operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.has('tolerationSeconds') && effect !== 'NoExecute') {
      t.int('tolerationSeconds');
      errs.push(invalid(t.at('effect'), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op === 'Equal' || op === '') {
      const msgs = isLabelValue(value);
      if (msgs.length > 0) errs.push(invalid(t.at('operator'), value, msgs.join(';')));
    } else if (op === 'Exists') {
      if (value !== '') errs.push(invalid(t.at('operator'), value, "value must be empty when `operator` is 'Exists'"));
    } else {
      errs.push(notSupported(t.at('operator'), op, tolerationOperators));
    }
    if (effect !== '' && !taintEffects.includes(effect)) errs.push(notSupported(t.at('effect'), effect, taintEffects));
  }
  return errs;
}

function validateDNSConfig(spec: FieldReader, dnsPolicy: string): FieldError[] {
  const errs: FieldError[] = [];
  const config = spec.object('dnsConfig');
  const path = spec.at('dnsConfig');
  if (dnsPolicy === 'None') {
    if (config === undefined) return [required(path, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if ((config.strings('nameservers') ?? []).length === 0) {
      return [required(config.at('nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
    }
  }
  if (config === undefined) return errs;
  const nameservers = config.strings('nameservers') ?? [];
  if (nameservers.length > maxDNSNameservers) {
    errs.push(invalid(config.at('nameservers'), nameservers, `must not have more than ${maxDNSNameservers} nameservers`));
  }
  nameservers.forEach((ns, i) => {
    if (parseIP(ns) === undefined) errs.push(invalid(index(config.at('nameservers'), i), ns, invalidIPMessage));
  });
  const searches = config.strings('searches') ?? [];
  if (searches.length > maxDNSSearchPaths) {
    errs.push(invalid(config.at('searches'), searches, `must not have more than ${maxDNSSearchPaths} search paths`));
  }
  if (searches.join(' ').length > maxDNSSearchListChars) {
    errs.push(
      invalid(config.at('searches'), searches, `must not have more than ${maxDNSSearchListChars} characters (including spaces) in the search list`),
    );
  }
  searches.forEach((s, i) => {
    const name = s.endsWith('.') ? s.slice(0, -1) : s;
    for (const msg of isDNS1123Subdomain(name)) errs.push(invalid(index(config.at('searches'), i), name, msg));
  });
  config.objects('options').forEach((o, i) => {
    if ((o.string('name') ?? '') === '') errs.push(required(index(config.at('options'), i), 'must not be empty'));
  });
  return errs;
}

export interface PodSpecOptions {
  /** True for a Pod itself, false for a pod template inside a workload. */
  isPod: boolean;
}

/** A PodSpec at `spec.path` ("spec" for a Pod, "spec.template.spec" in workloads). */
export function validatePodSpec(spec: FieldReader, opts: PodSpecOptions): FieldError[] {
  const errs: FieldError[] = [];
  const containersPath = spec.at('containers');
  const containersRaw = spec.raw('containers');
  const containers = spec.objects('containers');
  if (containers.length === 0 && !(containersRaw !== undefined && containersRaw !== null && !Array.isArray(containersRaw))) {
    errs.push(required(containersPath));
  }
  const names = new Set<string>();
  for (const ctr of containers) {
    errs.push(...validateContainerCommon(ctr, opts.isPod));
    const name = ctr.string('name') ?? '';
    if (names.has(name)) errs.push(duplicate(ctr.at('name'), name));
    else names.add(name);
    errs.push(...validateProbe(ctr, 'livenessProbe'));
    errs.push(...validateProbe(ctr, 'readinessProbe'));
    errs.push(...validateProbe(ctr, 'startupProbe'));
    const lifecycle = ctr.object('lifecycle');
    for (const hook of ['postStart', 'preStop']) {
      const h = lifecycle?.object(hook);
      if (h !== undefined) errs.push(...validateHandler(h, lifecycleHandlers));
    }
    if (ctr.has('restartPolicy')) errs.push(forbidden(ctr.at('restartPolicy'), 'may not be set for non-init containers'));
  }
  for (const ctr of spec.objects('initContainers')) {
    errs.push(...validateContainerCommon(ctr, opts.isPod));
    const name = ctr.string('name') ?? '';
    if (names.has(name)) errs.push(duplicate(ctr.at('name'), name));
    else if (name !== '') names.add(name);
    const restart = ctr.string('restartPolicy');
    if (restart !== undefined && restart !== 'Always') errs.push(notSupported(ctr.at('restartPolicy'), restart, ['Always']));
    if (restart === 'Always') {
      for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) errs.push(...validateProbe(ctr, p));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (ctr.has(f)) errs.push(forbidden(ctr.at(f), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  }

  const hostNetwork = spec.bool('hostNetwork') ?? false;
  if (hostNetwork) {
    for (const ctr of containers) {
      for (const port of ctr.objects('ports')) {
        const hp = port.int('hostPort') ?? 0;
        const cp = port.int('containerPort') ?? 0;
        // 0 is defaulted to the containerPort when the pod uses the host's network.
        if (hp !== 0 && hp !== cp) errs.push(invalid(port.at('hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
      }
    }
  }

  const restartPolicy = spec.string('restartPolicy');
  if (restartPolicy !== undefined && restartPolicy !== '' && !restartPolicies.includes(restartPolicy)) {
    errs.push(notSupported(spec.at('restartPolicy'), restartPolicy, restartPolicies));
  }
  const dnsPolicy = spec.string('dnsPolicy') || 'ClusterFirst';
  if (!dnsPolicies.includes(dnsPolicy)) errs.push(notSupported(spec.at('dnsPolicy'), dnsPolicy, dnsPolicies));
  errs.push(...validateLabels(spec.stringMap('nodeSelector'), spec.at('nodeSelector')));
  errs.push(...validateDNSConfig(spec, dnsPolicy));

  for (const [field, rule] of [
    ['serviceAccountName', isDNS1123Subdomain],
    ['nodeName', isDNS1123Subdomain],
    ['hostname', isDNS1123Label],
    ['subdomain', isDNS1123Label],
    ['priorityClassName', isDNS1123Subdomain],
  ] as const) {
    const v = spec.string(field) ?? '';
    if (v !== '') for (const msg of rule(v)) errs.push(invalid(spec.at(field), v, msg));
  }
  spec.string('serviceAccount');
  const ads = spec.int('activeDeadlineSeconds');
  if (ads !== undefined && (ads < 1 || ads > maxInt32)) {
    errs.push(invalid(spec.at('activeDeadlineSeconds'), ads, inclusiveRangeError(1, maxInt32)));
  }
  spec.int('terminationGracePeriodSeconds');
  errs.push(...validateTolerations(spec));
  spec.objects('hostAliases').forEach((alias) => {
    const ip = alias.string('ip') ?? '';
    if (parseIP(ip) === undefined) errs.push(invalid(alias.at('ip'), ip, invalidIPMessage));
    (alias.strings('hostnames') ?? []).forEach((h, j) => {
      for (const msg of isDNS1123Subdomain(h)) errs.push(invalid(index(alias.at('hostnames'), j), h, msg));
    });
  });
  return errs;
}

/** A pod template (metadata labels/annotations and a PodSpec) at `template.path`. */
export function validatePodTemplateSpec(template: FieldReader): FieldError[] {
  const errs: FieldError[] = [];
  const meta = template.object('metadata') ?? new FieldReader({}, template.at('metadata'), errs);
  errs.push(...validateLabels(meta.stringMap('labels'), meta.at('labels')));
  errs.push(...validateAnnotations(meta.stringMap('annotations'), meta.at('annotations')));
  const spec = template.object('spec') ?? new FieldReader({}, template.at('spec'), errs);
  errs.push(...validatePodSpec(spec, { isPod: false }));
  if (spec.has('ephemeralContainers')) {
    errs.push(forbidden(spec.at('ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

function podSpecOf(obj: unknown, errs: FieldError[]): FieldReader {
  return FieldReader.of(isObject(obj) ? obj['spec'] : undefined, 'spec', errs);
}

export function validatePod(obj: unknown): FieldError[] {
  const errs = validateObjectMeta(obj, { namespaced: true, nameRule: nameIsDNSSubdomain });
  const spec = podSpecOf(obj, errs);
  errs.push(...validatePodSpec(spec, { isPod: true }));
  if (spec.has('ephemeralContainers')) errs.push(forbidden(spec.at('ephemeralContainers'), 'cannot be set on create'));
  return errs;
}

const updatablePodSpecFields = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Container list updates: same count, every image still present and untrimmed. */
function validateContainerUpdates(newList: unknown[], oldList: unknown[], path: string): { errs: FieldError[]; stop: boolean } {
  if (newList.length !== oldList.length) return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  newList.forEach((c, i) => {
    const image = isObject(c) && typeof c['image'] === 'string' ? c['image'] : '';
    if (image === '') errs.push(required(`${path}[${i}].image`));
    if (image.trim() !== image) errs.push(invalid(`${path}[${i}].image`, image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

/**
 * A Pod's spec is fixed once created, except container images,
 * activeDeadlineSeconds (set, or lowered), added tolerations and removed
 * scheduling gates. Binding to a node goes through /binding, not an update.
 */
export function validatePodUpdate(newObj: unknown, oldObj: unknown): FieldError[] {
  const errs = validateObjectMetaUpdate(newObj, oldObj);
  const spec = podSpecOf(newObj, errs);
  errs.push(...validatePodSpec(spec, { isPod: true }));
  const newSpec = spec.obj;
  const oldSpec = podSpecOf(oldObj, []).obj;

  for (const list of ['containers', 'initContainers']) {
    const r = validateContainerUpdates(asArray(newSpec[list]), asArray(oldSpec[list]), `spec.${list}`);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }

  const newADS = newSpec['activeDeadlineSeconds'];
  const oldADS = oldSpec['activeDeadlineSeconds'];
  if (typeof newADS === 'number') {
    if (newADS < 0 || newADS > maxInt32) {
      errs.push(invalid('spec.activeDeadlineSeconds', newADS, inclusiveRangeError(0, maxInt32)));
      return errs;
    }
    if (typeof oldADS === 'number' && oldADS < newADS) {
      errs.push(invalid('spec.activeDeadlineSeconds', newADS, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (typeof oldADS === 'number') {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }

  const newTol = asArray(newSpec['tolerations']);
  for (const old of asArray(oldSpec['tolerations'])) {
    // tolerationSeconds may change; anything else in an existing toleration may not.
    const found = newTol.some((t) =>
      semanticEqual({ ...(isObject(old) ? old : {}), tolerationSeconds: undefined }, { ...(isObject(t) ? t : {}), tolerationSeconds: undefined }),
    );
    if (!found) {
      errs.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
      break;
    }
  }

  const newGates = asArray(newSpec['schedulingGates']);
  const oldGateNames = asArray(oldSpec['schedulingGates']).map((g) => (isObject(g) ? g['name'] : undefined));
  newGates.forEach((g, i) => {
    const name = isObject(g) ? g['name'] : undefined;
    if (!oldGateNames.includes(name)) {
      errs.push(forbidden(`spec.schedulingGates[${i}].name`, `only deletion is allowed, but found new scheduling gate '${String(name)}'`));
    }
  });

  // Compare what is left once the updatable fields are taken from the old spec.
  const munged: Record<string, unknown> = { ...newSpec };
  for (const list of ['containers', 'initContainers']) {
    const oldList = asArray(oldSpec[list]);
    if (Array.isArray(newSpec[list])) {
      munged[list] = asArray(newSpec[list]).map((c, i) => {
        const o = oldList[i];
        return isObject(c) ? { ...c, image: isObject(o) ? o['image'] : undefined } : c;
      });
    }
  }
  munged['activeDeadlineSeconds'] = oldSpec['activeDeadlineSeconds'];
  munged['tolerations'] = oldSpec['tolerations'];
  munged['schedulingGates'] = oldSpec['schedulingGates'];
  const oldTGPS = oldSpec['terminationGracePeriodSeconds'];
  if (typeof oldTGPS === 'number' && oldTGPS < 0 && munged['terminationGracePeriodSeconds'] === 1) {
    munged['terminationGracePeriodSeconds'] = oldTGPS;
  }
  if (!semanticEqual(munged, oldSpec)) {
    const changed = diffPaths(oldSpec, munged, 'spec');
    errs.push(
      forbidden('spec', `pod updates may not change fields other than ${updatablePodSpecFields.join(',')}\n  changed: ${changed.join(', ')}`),
    );
  }
  return errs;
}
