// The kernel state of one node's overlay: what compile.ts wants and what
// netlink.ts observes, in the same shape so diff.ts can compare them.
// Flannel's vxlan layout: one VXLAN device holding the node's own VTEP
// address (its pod CIDR's .0 as a /32), and per remote node a permanent
// neighbour (remote .0 → remote VTEP MAC), an FDB entry (VTEP MAC → remote
// encap IP) and a route (remote pod CIDR via remote .0 onlink).

export interface VxlanDevice {
  readonly name: string;
  readonly vni: number;
  /** UDP destination port; set explicitly because the kernel's default (8472) is not IANA's 4789. */
  readonly dstPort: number;
  /** Source address of the outer packets: this node's encap IP. */
  readonly local: string;
  /** The node's VTEP MAC (remote nodes point their neighbour entries at it). */
  readonly mac: string;
  readonly mtu: number;
  /** Always false in a plan: every peer is programmed, nothing is learned from traffic. */
  readonly learning: boolean;
  readonly up: boolean;
  /** Optional underlay device the tunnel is bound to (`dev`); not observed back, so not diffed. */
  readonly underlayDevice?: string;
}

export interface NeighbourEntry {
  readonly ip: string;
  readonly mac: string;
}

export interface FdbEntry {
  readonly mac: string;
  readonly dst: string;
}

/** Installed as `<dst> via <via> dev <device> onlink`. */
export interface RouteEntry {
  readonly dst: string;
  readonly via: string;
}

/** A remote chassis the compiler had to leave out, and why (shown by `overlay show`). */
export interface PendingChassis {
  readonly chassis: string;
  readonly reason: string;
}

export interface NodePlan {
  readonly node: string;
  /** Undefined: no VXLAN device (observed missing, or not wanted). */
  readonly device: VxlanDevice | undefined;
  /** Addresses on the device, `a.b.c.d/len`. */
  readonly addresses: readonly string[];
  readonly neighbours: readonly NeighbourEntry[];
  readonly fdb: readonly FdbEntry[];
  readonly routes: readonly RouteEntry[];
  readonly pending?: readonly PendingChassis[];
}

/** A plan with nothing in it: what a node without the device has. */
export function emptyPlan(node: string): NodePlan {
  return { node, device: undefined, addresses: [], neighbours: [], fdb: [], routes: [] };
}
