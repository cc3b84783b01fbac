// The overlay's "northbound": the logical network derived from the API, in
// OVN's terms. A chassis per Node (where its tunnels end), a logical switch
// per Node (its pod CIDR), a logical switch port per pod, and one distributed
// router joining the switches. Pure: API objects in, a LogicalTopology out.
// The per-node kernel state is compiled from it (compile.ts).
import { createHash } from 'node:crypto';
import type { Node, Pod } from '../kube/api/core.js';
import { nthAddress, parseIpv4Cidr } from '../lab/ipv4.js';

/** Node annotation holding the node's VTEP MAC, so it stays the same across agent restarts. */
export const VTEP_MAC_ANNOTATION = 'netkube.io/vtep-mac';

/** The one distributed router joining every node's switch. */
export const CLUSTER_ROUTER = 'cluster-router';

/** A Node as the overlay sees it (converted once, on the way in). */
export interface OverlayNode {
  readonly name: string;
  readonly internalIP?: string;
  /** IPv4 pod CIDR; the overlay is IPv4 only, like the lab. */
  readonly podCIDR?: string;
  readonly vtepMAC?: string;
}

/** A Pod as the overlay sees it. */
export interface OverlayPod {
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly podIP: string;
  /** The API does not carry a pod's MAC; a CNI that reports it may fill it in. */
  readonly mac?: string;
}

export interface Chassis {
  readonly name: string;
  readonly hostname: string;
  readonly encapType: 'vxlan';
  readonly encapIP: string;
  /** Missing until the node's agent has published it; other nodes cannot reach such a chassis yet. */
  readonly vtepMAC?: string;
}

export interface LogicalSwitchPort {
  readonly name: string;
  /** `router` for the switch's port facing the cluster router. */
  readonly type?: 'router';
  readonly routerPort?: string;
  readonly namespace?: string;
  readonly pod?: string;
  readonly ip?: string;
  readonly mac?: string;
}

export interface LogicalSwitch {
  readonly name: string;
  /** The chassis the switch's ports are bound to (one switch per node). */
  readonly chassis: string;
  readonly subnet: string;
  /** The subnet's .1, held by the node's bridge: the pods' default gateway. */
  readonly gatewayIP: string;
  readonly ports: readonly LogicalSwitchPort[];
}

export interface LogicalRouterPort {
  readonly name: string;
  readonly switch: string;
  /** `<gateway>/<prefix length>`, as ovn-nbctl prints `networks`. */
  readonly networks: readonly string[];
}

export interface LogicalRouter {
  readonly name: string;
  readonly ports: readonly LogicalRouterPort[];
}

export interface LogicalTopology {
  /** Sorted by name. */
  readonly chassis: readonly Chassis[];
  /** Sorted by name. */
  readonly switches: readonly LogicalSwitch[];
  readonly router: LogicalRouter;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** A unicast MAC in canonical lower-case form, or undefined. */
export function normalizeMac(text: string | undefined): string | undefined {
  const mac = text?.trim().toLowerCase();
  if (!mac || !MAC_RE.test(mac)) return undefined;
  if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) return undefined; // multicast: not a VTEP
  if (mac === '00:00:00:00:00:00') return undefined;
  return mac;
}

function ipv4PodCIDR(n: Node): string | undefined {
  const list = n.spec?.podCIDRs?.length ? n.spec.podCIDRs : n.spec?.podCIDR ? [n.spec.podCIDR] : [];
  return list.find((c) => !c.includes(':'));
}

/** The only reader of Node fields in the overlay. Deleting nodes are dropped (their tunnels go first). */
export function toOverlayNode(n: Node): OverlayNode | undefined {
  const name = n.metadata.name;
  if (!name || n.metadata.deletionTimestamp) return undefined;
  const internalIP = n.status?.addresses?.find((a) => a.type === 'InternalIP' && !a.address.includes(':'))?.address;
  const podCIDR = ipv4PodCIDR(n);
  const vtepMAC = normalizeMac(n.metadata.annotations?.[VTEP_MAC_ANNOTATION]);
  return { name, ...(internalIP ? { internalIP } : {}), ...(podCIDR ? { podCIDR } : {}), ...(vtepMAC ? { vtepMAC } : {}) };
}

/** The only reader of Pod fields. Host-network, unscheduled, address-less and finished pods have no switch port. */
export function toOverlayPod(p: Pod): OverlayPod | undefined {
  const { name, namespace } = p.metadata;
  const nodeName = p.spec?.nodeName;
  const podIP = p.status?.podIP;
  if (!name || !namespace || !nodeName || !podIP || p.spec?.hostNetwork) return undefined;
  if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') return undefined;
  return { namespace, name, nodeName, podIP };
}

/** Logical port names follow ovn-kubernetes' habit: `<namespace>_<pod>`, `stor-<node>`, `rtos-<node>`. */
export const switchPortName = (p: Pick<OverlayPod, 'namespace' | 'name'>): string => `${p.namespace}_${p.name}`;
export const routerPortName = (node: string): string => `rtos-${node}`;
export const switchRouterPortName = (node: string): string => `stor-${node}`;

const byName = <T extends { readonly name: string }>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Builds the northbound model. A node without an InternalIP has no chassis
 * and a node without an IPv4 pod CIDR has no switch (both come later, when
 * the node registers and node IPAM assigns a CIDR); pods on such a node are
 * left out until then.
 */
export function buildLogicalTopology(nodes: readonly OverlayNode[], pods: readonly OverlayPod[]): LogicalTopology {
  const chassis: Chassis[] = [];
  const switches: LogicalSwitch[] = [];
  const routerPorts: LogicalRouterPort[] = [];
  const podsByNode = new Map<string, OverlayPod[]>();
  for (const p of pods) {
    const list = podsByNode.get(p.nodeName) ?? [];
    list.push(p);
    podsByNode.set(p.nodeName, list);
  }
  for (const n of [...nodes].sort(byName)) {
    if (n.internalIP) {
      chassis.push({ name: n.name, hostname: n.name, encapType: 'vxlan', encapIP: n.internalIP, ...(n.vtepMAC ? { vtepMAC: n.vtepMAC } : {}) });
    }
    const cidr = n.podCIDR ? parseIpv4Cidr('podCIDR', n.podCIDR) : undefined;
    if (!cidr || typeof cidr === 'string' || cidr.prefixLength > 30) continue;
    const gatewayIP = nthAddress(cidr, 1);
    const podPorts: LogicalSwitchPort[] = (podsByNode.get(n.name) ?? []).map((p) => ({
      name: switchPortName(p),
      namespace: p.namespace,
      pod: p.name,
      ip: p.podIP,
      ...(p.mac ? { mac: p.mac } : {}),
    }));
    const ports: LogicalSwitchPort[] = [
      ...podPorts.sort(byName),
      { name: switchRouterPortName(n.name), type: 'router', routerPort: routerPortName(n.name) },
    ];
    switches.push({ name: n.name, chassis: n.name, subnet: cidr.text, gatewayIP, ports });
    routerPorts.push({ name: routerPortName(n.name), switch: n.name, networks: [`${gatewayIP}/${cidr.prefixLength}`] });
  }
  return { chassis, switches, router: { name: CLUSTER_ROUTER, ports: routerPorts } };
}

/** Convenience: the model straight from API objects. */
export function buildLogicalTopologyFromApi(nodes: readonly Node[], pods: readonly Pod[]): LogicalTopology {
  return buildLogicalTopology(
    nodes.map(toOverlayNode).filter((n): n is OverlayNode => n !== undefined),
    pods.map(toOverlayPod).filter((p): p is OverlayPod => p !== undefined),
  );
}

/** A stable UUID-shaped id per row, so `show` output is diffable between runs (OVN prints row UUIDs). */
export function rowId(table: string, name: string): string {
  const h = createHash('sha256').update(`${table}\0${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * The model in `ovn-nbctl show`'s layout: each switch with its ports
 * (addresses "MAC IP", with `dynamic` for a MAC the API does not know), then the router with its
 * ports and networks.
 */
export function renderNbctlShow(model: LogicalTopology): string {
  const out: string[] = [];
  for (const sw of model.switches) {
    out.push(`switch ${rowId('Logical_Switch', sw.name)} (${sw.name})`);
    out.push(`    other_config: {subnet="${sw.subnet}"}`);
    for (const p of sw.ports) {
      out.push(`    port ${p.name}`);
      if (p.type === 'router') {
        out.push('        type: router');
        out.push(`        router-port: ${p.routerPort ?? ''}`);
      } else {
        // OVN's "dynamic" means "MAC not known here"; the kernel learns it by ARP on the node's bridge.
        out.push(`        addresses: ["${[p.mac ?? 'dynamic', p.ip].filter(Boolean).join(' ')}"]`);
      }
    }
  }
  out.push(`router ${rowId('Logical_Router', model.router.name)} (${model.router.name})`);
  for (const p of model.router.ports) {
    out.push(`    port ${p.name}`);
    out.push(`        networks: [${p.networks.map((n) => `"${n}"`).join(', ')}]`);
  }
  return out.join('\n') + '\n';
}
