// host-gw, flannel's simplest backend, the pure parts: the diff from the
// routes a node has to the routes it wants (compiled from the overlay's
// logical model by overlay/compile-host-gw.ts), and the egress masquerade
// rules the node agent installs with any overlay. Routes are owned by a
// protocol number, so the agent only ever removes its own.

/** `proto` of every host-gw route the node agent installs (any unassigned number would do). */
export const HOST_GW_ROUTE_PROTO = 77;

/** The chain, in the node namespace's nat table, that masquerades pod traffic leaving the cluster. */
export const MASQ_CHAIN = 'NETKUBE-HOSTGW-MASQ';

export interface HostGwRoute {
  /** The other node's pod CIDR. */
  dst: string;
  /** The other node's underlay address. */
  via: string;
}

export type RouteOp = { op: 'replace'; route: HostGwRoute } | { op: 'delete'; dst: string };

/** Minimal changes from `have` (the routes with our proto) to `want`; deletes first. */
export function diffHostGwRoutes(want: readonly HostGwRoute[], have: readonly HostGwRoute[]): RouteOp[] {
  const wanted = new Map(want.map((r) => [r.dst, r.via]));
  const had = new Map(have.map((r) => [r.dst, r.via]));
  const ops: RouteOp[] = [];
  for (const dst of had.keys()) if (!wanted.has(dst)) ops.push({ op: 'delete', dst });
  for (const [dst, via] of wanted) if (had.get(dst) !== via) ops.push({ op: 'replace', route: { dst, via } });
  return ops;
}

/**
 * iptables-restore input (for --noflush) for the node namespace: pod traffic
 * to anywhere outside the cluster and service ranges leaves with the node's
 * address, so a pod reaches the host (and the API server behind the
 * `kubernetes` Service). Declaring the chain flushes it, so re-applying is
 * idempotent; the POSTROUTING jump is checked separately (it must not repeat).
 */
export function renderHostGwMasquerade(clusterCIDR: string, serviceCIDR: string): string {
  return [
    '*nat',
    `:${MASQ_CHAIN} - [0:0]`,
    `-A ${MASQ_CHAIN} -d ${clusterCIDR} -m comment --comment "pod to pod: keep the source" -j RETURN`,
    `-A ${MASQ_CHAIN} -d ${serviceCIDR} -m comment --comment "pod to service: the proxy decides" -j RETURN`,
    `-A ${MASQ_CHAIN} -m comment --comment "pod leaving the cluster: node address" -j MASQUERADE`,
    'COMMIT',
    '',
  ].join('\n');
}

/** The POSTROUTING rule (iptables argument list after the table/chain) that sends pod traffic to MASQ_CHAIN. */
export function hostGwMasqueradeJump(clusterCIDR: string): string[] {
  return ['-s', clusterCIDR, '-m', 'comment', '--comment', 'netkube lab host-gw masquerade', '-j', MASQ_CHAIN];
}
