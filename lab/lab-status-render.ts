// `netkube status` as text: components, nodes, pods and services at a glance.
// Pure: the caller gathers the objects and the process states.
import type { Node, Pod, Service } from '../kube/api/core.js';

export interface ComponentState {
  name: string;
  pid?: number;
  running: boolean;
}

export interface StatusInput {
  lab: string;
  apiServerURL: string;
  /** The pod-to-pod datapath between nodes (vxlan, host-gw). */
  overlay?: string;
  kubeconfig: string;
  components: readonly ComponentState[];
  /** Components this build does not have yet (from lab.json). */
  missing: readonly string[];
  /** undefined when the API server could not be asked; `apiError` says why. */
  nodes?: readonly Node[];
  pods?: readonly Pod[];
  services?: readonly Service[];
  apiError?: string;
  /** Lab node name → its network namespace. */
  netnsOf: ReadonlyMap<string, string>;
}

/** Columns padded to the widest cell, kubectl style. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function nodeReady(n: Node): string {
  const c = n.status?.conditions?.find((x) => x.type === 'Ready');
  if (!c) return 'Unknown';
  return c.status === 'True' ? 'Ready' : 'NotReady';
}

function podReady(p: Pod): string {
  const cs = p.status?.containerStatuses ?? [];
  const total = p.spec?.containers.length ?? cs.length;
  return `${cs.filter((c) => c.ready).length}/${total}`;
}

/** kubectl's STATUS column in short: a waiting/terminated reason beats the phase. */
function podStatus(p: Pod): string {
  if (p.metadata.deletionTimestamp) return 'Terminating';
  for (const c of p.status?.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason && p.status?.phase === 'Running') return c.state.terminated.reason;
  }
  return p.status?.phase ?? 'Pending';
}

function servicePorts(s: Service): string {
  const ports = s.spec?.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

function byNamespaceName<T extends { metadata: { name?: string; namespace?: string } }>(a: T, b: T): number {
  return `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`);
}

export function renderStatus(s: StatusInput): string {
  const out: string[] = [];
  out.push(`lab "${s.lab}": API server ${s.apiServerURL}${s.overlay ? `, overlay ${s.overlay}` : ''}   (KUBECONFIG=${s.kubeconfig})`);
  out.push('');
  out.push('COMPONENTS');
  out.push(
    renderTable(
      ['NAME', 'STATE', 'PID'],
      s.components.map((c) => [c.name, c.running ? 'running' : 'NOT RUNNING', c.pid !== undefined ? String(c.pid) : '-']),
    ),
  );
  if (s.missing.length) out.push(`not in this build yet: ${s.missing.join(', ')}`);
  out.push('');
  if (s.apiError !== undefined) {
    out.push(`API server: ${s.apiError}`);
    return `${out.join('\n')}\n`;
  }
  const nodes = [...(s.nodes ?? [])].sort(byNamespaceName);
  out.push(`NODES (${nodes.length})`);
  out.push(
    renderTable(
      ['NAME', 'STATUS', 'POD CIDR', 'ADDRESS', 'NETNS'],
      nodes.map((n) => [
        n.metadata.name ?? '',
        nodeReady(n),
        n.spec?.podCIDR ?? '<none>',
        n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '<none>',
        s.netnsOf.get(n.metadata.name ?? '') ?? '-',
      ]),
    ),
  );
  out.push('');
  const pods = [...(s.pods ?? [])].sort(byNamespaceName);
  out.push(`PODS (${pods.length})`);
  if (pods.length > 0) {
    out.push(
      renderTable(
        ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'IP', 'NODE'],
        pods.map((p) => [
          p.metadata.namespace ?? '',
          p.metadata.name ?? '',
          podReady(p),
          podStatus(p),
          String((p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0)),
          p.status?.podIP ?? '<none>',
          p.spec?.nodeName ?? '<none>',
        ]),
      ),
    );
  }
  out.push('');
  const services = [...(s.services ?? [])].sort(byNamespaceName);
  out.push(`SERVICES (${services.length})`);
  out.push(
    renderTable(
      ['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'PORTS'],
      services.map((v) => [v.metadata.namespace ?? '', v.metadata.name ?? '', v.spec?.type ?? 'ClusterIP', v.spec?.clusterIP ?? '<none>', servicePorts(v)]),
    ),
  );
  return `${out.join('\n')}\n`;
}
