// The Node object and Lease a node agent keeps up to date. Pure: machine
// facts and the clock come in.
import type { Lease, Node, NodeCondition } from '../kube/api/core.js';
import { rfc3339 } from './pod-status.js';

export const KUBELET_PORT = 10250;
export const KUBELET_VERSION = 'v1.32.0-netkube';
export const RUNTIME_VERSION = 'netkube://0.1';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;

export interface MachineInfo {
  cpus: number;
  memoryBytes: number;
  kernelVersion: string;
  osImage: string;
  architecture: string;
  machineID?: string;
  /** Pods this node accepts (the kubelet's --max-pods; 110 by default). */
  maxPods?: number;
}

export function nodeLabels(name: string, m: MachineInfo): Record<string, string> {
  return {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': m.architecture,
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': m.architecture,
  };
}

/** The status fields this agent owns; conditions keep their lastTransitionTime while they hold. */
export function computeNodeStatus(name: string, ip: string, m: MachineInfo, previous: NodeCondition[] | undefined, nowMs: number): NonNullable<Node['status']> {
  const now = rfc3339(nowMs);
  const resources = { cpu: String(m.cpus), memory: `${Math.floor(m.memoryBytes / 1024)}Ki`, pods: String(m.maxPods ?? 110), 'ephemeral-storage': '0' };
  const wanted: NodeCondition[] = [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ];
  const conditions = wanted.map((c) => {
    const before = previous?.find((p) => p.type === c.type);
    const since = before && before.status === c.status && before.lastTransitionTime ? before.lastTransitionTime : now;
    return { ...c, lastHeartbeatTime: now, lastTransitionTime: since };
  });
  const arch = m.architecture;
  return {
    capacity: resources,
    allocatable: resources,
    conditions,
    addresses: [
      { type: 'InternalIP', address: ip },
      { type: 'Hostname', address: name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
    nodeInfo: {
      machineID: m.machineID ?? '',
      systemUUID: m.machineID ?? '',
      bootID: '',
      kernelVersion: m.kernelVersion,
      osImage: m.osImage,
      containerRuntimeVersion: RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: arch,
    },
  };
}

/** The Node a fresh agent registers (the API server fills uid etc.). */
export function newNode(name: string, ip: string, m: MachineInfo, nowMs: number): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: nodeLabels(name, m) }, spec: {}, status: computeNodeStatus(name, ip, m, undefined, nowMs) };
}

/** Lease times are MicroTime: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function nodeLease(name: string, nodeUID: string | undefined, nowMs: number): Lease {
  const lease: Lease = {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace: NODE_LEASE_NAMESPACE },
    spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTime(nowMs) },
  };
  // Owned by the Node, so deleting the Node removes its Lease (as in Kubernetes).
  if (nodeUID) lease.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUID }];
  return lease;
}

/** The kubelet's arch names from Node's. */
export function goArch(nodeArch: string): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[nodeArch] ?? nodeArch;
}
