// The overlay's "southbound" step, per node: (logical model, this chassis) →
// the kernel state this node needs (a NodePlan). Pure; netlink.ts applies it.
// A remote chassis is reachable once it has an encap IP, a VTEP MAC and a
// switch (pod CIDR); until then it is listed as pending and left out, so a
// half-registered node never gets a route that would black-hole traffic.
import { nthAddress, parseIpv4Cidr } from '../lab/ipv4.js';
import type { Chassis, LogicalSwitch, LogicalTopology } from './logical-model.js';
import type { FdbEntry, NeighbourEntry, NodePlan, PendingChassis, RouteEntry } from './node-plan.js';

/** VXLAN over IPv4 adds 50 bytes: outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
export const VXLAN_OVERHEAD = 50;
export const DEFAULT_DEVICE = 'nk-vxlan';
export const DEFAULT_VNI = 1;
export const DEFAULT_DST_PORT = 4789;

export interface CompileOptions {
  readonly vni: number;
  readonly dstPort: number;
  /** MTU of the underlay interface; the VXLAN device (and every pod) gets this minus 50. */
  readonly underlayMtu: number;
  readonly device: string;
  /** Bind the tunnel to this underlay interface (flannel does); optional. */
  readonly underlayDevice?: string;
}

export const DEFAULT_COMPILE_OPTIONS: CompileOptions = {
  vni: DEFAULT_VNI,
  dstPort: DEFAULT_DST_PORT,
  underlayMtu: 1500,
  device: DEFAULT_DEVICE,
};

/** Why compileNode cannot produce a plan for this node (yet); the message names the node and the missing piece. */
export class OverlayCompileError extends Error {
  override name = 'OverlayCompileError';
  constructor(
    readonly chassis: string,
    readonly reason: string,
  ) {
    super(`overlay: node "${chassis}": ${reason}`);
  }
}

/** The VTEP address of a switch: its subnet's .0 (the network address), as flannel uses it. */
export function vtepAddressOf(sw: Pick<LogicalSwitch, 'subnet'>): string {
  const c = parseIpv4Cidr('subnet', sw.subnet);
  if (typeof c === 'string') throw new Error(c);
  return nthAddress(c, 0);
}

/** The pod MTU that fits a given underlay MTU. */
export function podMtuFor(underlayMtu: number): number {
  return underlayMtu - VXLAN_OVERHEAD;
}

function whyUnreachable(c: Chassis | undefined, sw: LogicalSwitch | undefined): string | undefined {
  if (!c) return 'no InternalIP yet';
  if (!c.vtepMAC) return `no VTEP MAC yet (annotation netkube.io/vtep-mac)`;
  if (!sw) return 'no pod CIDR yet';
  return undefined;
}

export function compileNode(model: LogicalTopology, chassis: string, opts: CompileOptions = DEFAULT_COMPILE_OPTIONS): NodePlan {
  const self = model.chassis.find((c) => c.name === chassis);
  const selfSwitch = model.switches.find((s) => s.chassis === chassis);
  const problem = whyUnreachable(self, selfSwitch);
  if (problem || !self?.vtepMAC || !selfSwitch) throw new OverlayCompileError(chassis, problem ?? 'incomplete');
  const mtu = podMtuFor(opts.underlayMtu);
  if (mtu < 68) throw new OverlayCompileError(chassis, `underlay MTU ${opts.underlayMtu} leaves no room for VXLAN (needs ≥ ${68 + VXLAN_OVERHEAD})`);

  const neighbours: NeighbourEntry[] = [];
  const fdb: FdbEntry[] = [];
  const routes: RouteEntry[] = [];
  const pending: PendingChassis[] = [];
  // Two chassis with one MAC would share an FDB entry: the second would steal the first's traffic.
  const macOwner = new Map<string, string>([[self.vtepMAC, chassis]]);
  const names = new Set([...model.chassis.map((c) => c.name), ...model.switches.map((s) => s.chassis)]);
  for (const name of [...names].sort()) {
    if (name === chassis) continue;
    const c = model.chassis.find((x) => x.name === name);
    const sw = model.switches.find((s) => s.chassis === name);
    const why = whyUnreachable(c, sw);
    if (why || !c?.vtepMAC || !sw) {
      pending.push({ chassis: name, reason: why ?? 'incomplete' });
      continue;
    }
    const owner = macOwner.get(c.vtepMAC);
    if (owner) {
      pending.push({ chassis: name, reason: `VTEP MAC ${c.vtepMAC} is also node "${owner}"'s` });
      continue;
    }
    macOwner.set(c.vtepMAC, name);
    const vtep = vtepAddressOf(sw);
    neighbours.push({ ip: vtep, mac: c.vtepMAC });
    fdb.push({ mac: c.vtepMAC, dst: c.encapIP });
    routes.push({ dst: sw.subnet, via: vtep });
  }
  return {
    node: chassis,
    device: {
      name: opts.device,
      vni: opts.vni,
      dstPort: opts.dstPort,
      local: self.encapIP,
      mac: self.vtepMAC,
      mtu,
      learning: false,
      up: true,
      ...(opts.underlayDevice ? { underlayDevice: opts.underlayDevice } : {}),
    },
    addresses: [`${vtepAddressOf(selfSwitch)}/32`],
    neighbours,
    fdb,
    routes,
    ...(pending.length ? { pending } : {}),
  };
}
