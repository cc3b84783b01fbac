// Defaulting, as the Kubernetes API applies it when an object is decoded: the
// fields a user sees filled in by `kubectl get -o yaml` although the manifest
// left them out. Each function mutates the object it is given (a fresh copy
// owned by the request).
import type { Container, Pod, PodSpec, Probe, Service } from '../kube/api/core.js';
import type { KubeObject } from '../kube/api/meta.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objAt(parent: Obj, key: string): Obj {
  const v = parent[key];
  if (isObj(v)) return v;
  const fresh: Obj = {};
  parent[key] = fresh;
  return fresh;
}

export function defaultService(svc: Service): void {
  if (!isObj(svc.spec)) return;
  const spec = svc.spec;
  spec.type ??= 'ClusterIP';
  if (spec.type === 'ExternalName') return;
  spec.sessionAffinity ??= 'None';
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = objAt(spec as Obj, 'sessionAffinityConfig');
    const cip = objAt(cfg, 'clientIP');
    cip.timeoutSeconds ??= 10800;
  }
  if (Array.isArray(spec.ports)) {
    for (const p of spec.ports) {
      if (!isObj(p)) continue;
      p.protocol ??= 'TCP';
      if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
    }
  }
  spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  spec.ipFamilies ??= ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
}

function defaultProbe(p: Probe | undefined): void {
  if (!isObj(p)) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  if (isObj(p.httpGet)) {
    p.httpGet.path ??= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
}

function defaultContainer(c: Container): void {
  if (!isObj(c)) return;
  const co = c as unknown as Obj;
  if (typeof c.image === 'string') {
    const tag = c.image.includes('@') ? 'digest' : /:[^/]+$/.exec(c.image)?.[0].slice(1);
    co.imagePullPolicy ??= tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  co.terminationMessagePath ??= '/dev/termination-log';
  co.terminationMessagePolicy ??= 'File';
  co.resources ??= {};
  if (Array.isArray(c.ports)) for (const p of c.ports) if (isObj(p)) p.protocol ??= 'TCP';
  defaultProbe(c.readinessProbe);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.startupProbe);
}

export function defaultPodSpec(spec: PodSpec | undefined): void {
  if (!isObj(spec)) return;
  const so = spec as unknown as Obj;
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= 'default-scheduler';
  spec.serviceAccountName ??= 'default';
  so.serviceAccount ??= spec.serviceAccountName;
  so.enableServiceLinks ??= true;
  so.securityContext ??= {};
  if (Array.isArray(spec.containers)) spec.containers.forEach(defaultContainer);
  if (Array.isArray(spec.initContainers)) spec.initContainers.forEach(defaultContainer);
}

export function defaultPod(pod: Pod): void {
  defaultPodSpec(pod.spec);
}

function defaultTemplate(spec: Obj): void {
  const tpl = spec.template;
  if (isObj(tpl)) defaultPodSpec(tpl.spec as PodSpec | undefined);
}

export function defaultDeployment(d: KubeObject): void {
  const spec = d.spec;
  if (!isObj(spec)) return;
  spec.replicas ??= 1;
  const strategy = objAt(spec, 'strategy');
  strategy.type ??= 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = objAt(strategy, 'rollingUpdate');
    ru.maxSurge ??= '25%';
    ru.maxUnavailable ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  defaultTemplate(spec);
}

export function defaultReplicaSet(rs: KubeObject): void {
  const spec = rs.spec;
  if (!isObj(spec)) return;
  spec.replicas ??= 1;
  defaultTemplate(spec);
}

export function defaultStatefulSet(sts: KubeObject): void {
  const spec = sts.spec;
  if (!isObj(spec)) return;
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= 'OrderedReady';
  const us = objAt(spec, 'updateStrategy');
  us.type ??= 'RollingUpdate';
  if (us.type === 'RollingUpdate') objAt(us, 'rollingUpdate').partition ??= 0;
  spec.revisionHistoryLimit ??= 10;
  defaultTemplate(spec);
}

export function defaultEndpointPorts(ports: unknown): void {
  if (Array.isArray(ports)) for (const p of ports) if (isObj(p)) p.protocol ??= 'TCP';
}

export function defaultEndpointSlice(s: KubeObject): void {
  defaultEndpointPorts(s.ports);
  if (Array.isArray(s.endpoints)) {
    for (const e of s.endpoints) {
      if (!isObj(e)) continue;
      // Kubernetes leaves conditions unset to mean "unknown"; kube-proxy treats unknown ready as ready.
      e.conditions ??= {};
    }
  }
}

export function defaultEndpoints(ep: KubeObject): void {
  if (Array.isArray(ep.subsets)) for (const s of ep.subsets) if (isObj(s)) defaultEndpointPorts(s.ports);
}

export function defaultNamespace(ns: KubeObject): void {
  const name = ns.metadata.name;
  if (name) ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
  const spec = objAt(ns as Obj, 'spec');
  spec.finalizers ??= ['kubernetes'];
}

/** The defaulting function for a kind ("" group kinds by kind name, others "group/Kind"). */
export function defaulterFor(group: string, kind: string): ((obj: KubeObject) => void) | undefined {
  switch (group ? `${group}/${kind}` : kind) {
    case 'Service':
      return (o) => defaultService(o as Service);
    case 'Pod':
      return (o) => defaultPod(o as Pod);
    case 'Namespace':
      return defaultNamespace;
    case 'Endpoints':
      return defaultEndpoints;
    case 'discovery.k8s.io/EndpointSlice':
      return defaultEndpointSlice;
    case 'apps/Deployment':
      return defaultDeployment;
    case 'apps/ReplicaSet':
      return defaultReplicaSet;
    case 'apps/StatefulSet':
      return defaultStatefulSet;
    default:
      return undefined;
  }
}
