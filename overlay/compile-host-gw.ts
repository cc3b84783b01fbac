// The host-gw option compiled from the same logical model as VXLAN: one
// route per remote switch, via the remote chassis' encap (underlay) address.
// Needs every node on one L2 segment, as flannel's host-gw does. The result
// has the shape of lab/host-gw-routes.ts' HostGwRoute; host-gw-agent.ts
// applies it.
import type { LogicalTopology } from './logical-model.js';

export interface HostGwRouteEntry {
  /** The remote node's pod CIDR. */
  readonly dst: string;
  /** The remote node's encap (underlay) address. */
  readonly via: string;
}

export function compileHostGwRoutes(model: LogicalTopology, chassis: string): HostGwRouteEntry[] {
  const out: HostGwRouteEntry[] = [];
  for (const sw of model.switches) {
    if (sw.chassis === chassis) continue;
    const c = model.chassis.find((x) => x.name === sw.chassis);
    if (c) out.push({ dst: sw.subnet, via: c.encapIP });
  }
  return out.sort((a, b) => (a.dst < b.dst ? -1 : a.dst > b.dst ? 1 : 0));
}
