// want (compiled) vs have (observed) → the ordered kernel changes. Pure.
//
// Order, from flannel's vxlan backend and the kernel's behaviour:
//   1. the device (create; recreate when an attribute that cannot change in
//      place differs: VNI, port, local address, learning; or set MTU/MAC/up;
//      a new MAC flushes the device's neighbours, so they are rewritten);
//   2. removals, routes first, then FDB, then neighbours, then addresses, so
//      no route ever points at a next hop whose entries are gone;
//   3. additions/replacements: addresses, neighbours, FDB, routes last, so
//      the kernel never has a route before it knows the next hop's MAC and
//      where to tunnel it (it would ARP into the tunnel and drop).
// A changed entry is one replace, not a delete and an add. Equal plans give [].
import type { NetlinkOp } from './netlink-ops.js';
import type { FdbEntry, NodePlan, VxlanDevice } from './node-plan.js';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function needsRecreate(want: VxlanDevice, have: VxlanDevice): boolean {
  return want.vni !== have.vni || want.dstPort !== have.dstPort || want.local !== have.local || want.learning !== have.learning;
}

function deviceOps(want: VxlanDevice, have: VxlanDevice | undefined): { ops: NetlinkOp[]; fresh: boolean } {
  if (!have) return { ops: [{ kind: 'link-add', device: want }], fresh: true };
  if (needsRecreate(want, have)) {
    return { ops: [{ kind: 'link-del', name: have.name }, { kind: 'link-add', device: want }], fresh: true };
  }
  const set: { mtu?: number; mac?: string; up?: true } = {};
  if (want.mtu !== have.mtu) set.mtu = want.mtu;
  if (want.mac !== have.mac) set.mac = want.mac;
  if (want.up && !have.up) set.up = true;
  return { ops: Object.keys(set).length ? [{ kind: 'link-set', name: want.name, ...set }] : [], fresh: false };
}

function fdbKey(e: FdbEntry): string {
  return `${e.mac} ${e.dst}`;
}

export function diffPlan(want: NodePlan, have: NodePlan): NetlinkOp[] {
  if (!want.device) return have.device ? [{ kind: 'link-del', name: have.device.name }] : [];
  const dev = want.device.name;
  const { ops: devOps, fresh } = deviceOps(want.device, have.device);
  // A new device starts empty: whatever was observed on the old one went with it.
  // A MAC change makes the kernel flush the device's neighbours, permanent ones
  // included (NETDEV_CHANGEADDR), so they must all be written again after it.
  const macChanged = devOps.some((op) => op.kind === 'link-set' && op.mac !== undefined);
  const h: NodePlan = fresh
    ? { ...have, addresses: [], neighbours: [], fdb: [], routes: [] }
    : macChanged
      ? { ...have, neighbours: [] }
      : have;

  const wantRoutes = new Map(want.routes.map((r) => [r.dst, r]));
  const haveRoutes = new Map(h.routes.map((r) => [r.dst, r]));
  const wantNeigh = new Map(want.neighbours.map((n) => [n.ip, n]));
  const haveNeigh = new Map(h.neighbours.map((n) => [n.ip, n]));
  const wantFdb = new Map(want.fdb.map((f) => [f.mac, f]));
  const haveFdbByMac = new Map<string, FdbEntry[]>();
  for (const f of h.fdb) haveFdbByMac.set(f.mac, [...(haveFdbByMac.get(f.mac) ?? []), f]);
  const wantAddr = new Set(want.addresses);
  const haveAddr = new Set(h.addresses);

  const routeDel: NetlinkOp[] = [...haveRoutes.values()]
    .filter((r) => !wantRoutes.has(r.dst))
    .sort((a, b) => cmp(a.dst, b.dst))
    .map((r) => ({ kind: 'route-del', dev, dst: r.dst, via: r.via }));

  // FDB: a MAC with one stale destination is replaced in place (the kernel
  // rewrites the entry's remote); every other stale destination is deleted.
  const fdbDel: FdbEntry[] = [];
  const fdbReplace: FdbEntry[] = [];
  for (const [mac, entries] of haveFdbByMac) {
    const w = wantFdb.get(mac);
    if (!w) {
      fdbDel.push(...entries);
      continue;
    }
    if (entries.some((e) => e.dst === w.dst)) {
      fdbDel.push(...entries.filter((e) => e.dst !== w.dst));
    } else if (entries.length > 1) {
      fdbDel.push(...entries);
    }
  }
  for (const w of wantFdb.values()) {
    const entries = haveFdbByMac.get(w.mac) ?? [];
    if (!entries.some((e) => e.dst === w.dst)) fdbReplace.push(w);
  }

  const neighDel: NetlinkOp[] = [...haveNeigh.values()]
    .filter((n) => !wantNeigh.has(n.ip))
    .sort((a, b) => cmp(a.ip, b.ip))
    .map((n) => ({ kind: 'neigh-del', dev, ip: n.ip }));
  const addrDel: NetlinkOp[] = [...haveAddr]
    .filter((a) => !wantAddr.has(a))
    .sort(cmp)
    .map((address) => ({ kind: 'addr-del', dev, address }));

  const addrAdd: NetlinkOp[] = [...wantAddr]
    .filter((a) => !haveAddr.has(a))
    .sort(cmp)
    .map((address) => ({ kind: 'addr-add', dev, address }));
  const neighReplace: NetlinkOp[] = [...wantNeigh.values()]
    .filter((n) => haveNeigh.get(n.ip)?.mac !== n.mac)
    .sort((a, b) => cmp(a.ip, b.ip))
    .map((n) => ({ kind: 'neigh-replace', dev, ip: n.ip, mac: n.mac }));
  const routeReplace: NetlinkOp[] = [...wantRoutes.values()]
    .filter((r) => haveRoutes.get(r.dst)?.via !== r.via)
    .sort((a, b) => cmp(a.dst, b.dst))
    .map((r) => ({ kind: 'route-replace', dev, dst: r.dst, via: r.via }));

  return [
    ...devOps,
    ...routeDel,
    ...fdbDel.sort((a, b) => cmp(fdbKey(a), fdbKey(b))).map((f): NetlinkOp => ({ kind: 'fdb-del', dev, mac: f.mac, dst: f.dst })),
    ...neighDel,
    ...addrDel,
    ...addrAdd,
    ...neighReplace,
    ...fdbReplace.sort((a, b) => cmp(fdbKey(a), fdbKey(b))).map((f): NetlinkOp => ({ kind: 'fdb-replace', dev, mac: f.mac, dst: f.dst })),
    ...routeReplace,
  ];
}
