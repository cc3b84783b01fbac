// A container's environment, as the kubelet builds it: the service link
// variables (Docker-links style, for Services that exist when the pod
// starts), then `env` from the spec with the downward API and ConfigMap
// references, with $(VAR) expansion. Pure: the Services and ConfigMaps come in.
import type { ConfigMap, Container, Pod, Service } from '../kube/api/core.js';

export interface EnvInputs {
  /** Services of the pod's namespace, plus `default/kubernetes` (whatever namespace it is in). */
  services: readonly Service[];
  configMaps: ReadonlyMap<string, ConfigMap>;
  podIP: string;
  podIPs: readonly string[];
  hostIP: string;
  nodeName: string;
  hostname: string;
}

/** An env entry that cannot be resolved: the container must not start (CreateContainerConfigError). */
export class EnvError extends Error {
  override name = 'EnvError';
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Service name → variable prefix: "my-svc" → "MY_SVC". */
export function serviceEnvPrefix(name: string): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/** The variables one Service contributes (none for headless or ExternalName Services). */
export function serviceEnvVars(svc: Service): Array<[string, string]> {
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === 'None' || svc.spec?.type === 'ExternalName') return [];
  const prefix = serviceEnvPrefix(svc.metadata.name ?? '');
  const ports = svc.spec?.ports ?? [];
  const first = ports[0];
  if (!first) return [];
  const out: Array<[string, string]> = [[`${prefix}_SERVICE_HOST`, ip], [`${prefix}_SERVICE_PORT`, String(first.port)]];
  for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${serviceEnvPrefix(p.name)}`, String(p.port)]);
  const host = ip.includes(':') ? `[${ip}]` : ip;
  const proto0 = (first.protocol ?? 'TCP').toLowerCase();
  out.push([`${prefix}_PORT`, `${proto0}://${host}:${first.port}`]);
  for (const p of ports) {
    const proto = (p.protocol ?? 'TCP').toLowerCase();
    const base = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push([base, `${proto}://${host}:${p.port}`], [`${base}_PROTO`, proto], [`${base}_PORT`, String(p.port)], [`${base}_ADDR`, ip]);
  }
  return out;
}

/**
 * The env of `container` in `pod`, in the kubelet's precedence: service
 * links first (only the `kubernetes` Service when enableServiceLinks is
 * false), then the spec's `env` in order, each able to refer to those
 * before it with $(NAME).
 */
export function buildContainerEnv(pod: Pod, container: Container, inp: EnvInputs): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, HOSTNAME: inp.hostname };
  const ns = pod.metadata.namespace ?? 'default';
  const links = (pod.spec as { enableServiceLinks?: boolean } | undefined)?.enableServiceLinks !== false;
  // Sorted so that the result does not depend on list order; the `kubernetes` Service of `default` is always there.
  const services = [...inp.services].sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  for (const svc of services) {
    const isMaster = svc.metadata.namespace === 'default' && svc.metadata.name === 'kubernetes';
    if (!isMaster && (!links || svc.metadata.namespace !== ns)) continue;
    for (const [k, v] of serviceEnvVars(svc)) env[k] = v;
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined || !e.valueFrom) {
      env[e.name] = expandVars(e.value ?? '', env);
      continue;
    }
    const v = resolveValueFrom(pod, e.name, e.valueFrom, inp);
    if (v !== undefined) env[e.name] = v;
  }
  return env;
}

function resolveValueFrom(pod: Pod, name: string, from: NonNullable<NonNullable<Container['env']>[number]['valueFrom']>, inp: EnvInputs): string | undefined {
  if (from.fieldRef) {
    const path = from.fieldRef.fieldPath;
    const v = fieldRefValue(pod, path, inp);
    if (v === undefined) throw new EnvError(`env ${name}: fieldRef ${path} is not supported`);
    return v;
  }
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const cm = inp.configMaps.get(ref.name);
    const v = cm?.data?.[ref.key];
    if (v !== undefined) return v;
    if (ref.optional) return undefined;
    throw new EnvError(cm ? `couldn't find key ${ref.key} in ConfigMap ${pod.metadata.namespace}/${ref.name}` : `configmap "${ref.name}" not found`);
  }
  throw new EnvError(`env ${name}: only value, fieldRef and configMapKeyRef are supported`);
}

/** The downward API fields the kubelet resolves for env. */
export function fieldRefValue(pod: Pod, path: string, inp: Pick<EnvInputs, 'podIP' | 'podIPs' | 'hostIP' | 'nodeName'>): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'spec.nodeName':
      return inp.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
      return inp.podIP;
    case 'status.podIPs':
      return inp.podIPs.join(',');
    case 'status.hostIP':
      return inp.hostIP;
    case 'status.hostIPs':
      return inp.hostIP;
    default:
      return undefined;
  }
}

/**
 * Kubernetes' $(VAR) expansion: a defined variable is replaced, an undefined
 * reference stays as written, and $$ escapes a dollar.
 */
export function expandVars(s: string, vars: Readonly<Record<string, string>>): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '$' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const next = s[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const end = s.indexOf(')', i + 2);
      if (end < 0) {
        out += s.slice(i);
        break;
      }
      const name = s.slice(i + 2, end);
      out += Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : `$(${name})`;
      i = end;
    } else {
      out += c;
    }
  }
  return out;
}
