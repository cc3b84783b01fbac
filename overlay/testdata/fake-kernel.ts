// An in-memory NodeNetwork for unit tests: applies NetlinkOps to a NodePlan
// the way the kernel does (deleting the device drops everything on it, a new
// MAC flushes the neighbours), so the reconciler can be tested without root.
import type { NetlinkOp } from '../netlink-ops.js';
import type { NetlinkApplyError } from '../netlink.js';
import { emptyPlan, type NodePlan } from '../node-plan.js';

export class FakeKernel {
  state: NodePlan;
  applied: NetlinkOp[][] = [];
  failNext: Error | NetlinkApplyError | undefined;

  constructor(readonly node: string) {
    this.state = emptyPlan(node);
  }

  observe = async (): Promise<NodePlan> => structuredClone(this.state);

  apply = async (ops: readonly NetlinkOp[]): Promise<void> => {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    this.applied.push([...ops]);
    for (const op of ops) this.state = step(this.state, op);
  };

  /** "Someone deleted the device by hand." */
  deleteDevice(): void {
    this.state = emptyPlan(this.node);
  }
}

function step(s: NodePlan, op: NetlinkOp): NodePlan {
  switch (op.kind) {
    case 'link-add':
      if (s.device) throw new Error('RTNETLINK answers: File exists');
      return { ...s, device: op.device };
    case 'link-del':
      return emptyPlan(s.node);
    case 'link-set': {
      if (!s.device) throw new Error('Cannot find device');
      const d = { ...s.device, ...(op.mtu !== undefined ? { mtu: op.mtu } : {}), ...(op.mac ? { mac: op.mac } : {}), ...(op.up ? { up: true } : {}) };
      return { ...s, device: d, neighbours: op.mac && op.mac !== s.device.mac ? [] : s.neighbours };
    }
    case 'addr-add':
      return { ...s, addresses: [...s.addresses, op.address] };
    case 'addr-del':
      return { ...s, addresses: s.addresses.filter((a) => a !== op.address) };
    case 'neigh-replace':
      return { ...s, neighbours: [...s.neighbours.filter((n) => n.ip !== op.ip), { ip: op.ip, mac: op.mac }] };
    case 'neigh-del':
      return { ...s, neighbours: s.neighbours.filter((n) => n.ip !== op.ip) };
    case 'fdb-replace': {
      const i = s.fdb.findIndex((f) => f.mac === op.mac);
      const fdb = [...s.fdb];
      if (i >= 0) fdb[i] = { mac: op.mac, dst: op.dst };
      else fdb.push({ mac: op.mac, dst: op.dst });
      return { ...s, fdb };
    }
    case 'fdb-del':
      return { ...s, fdb: s.fdb.filter((f) => !(f.mac === op.mac && f.dst === op.dst)) };
    case 'route-replace':
      return { ...s, routes: [...s.routes.filter((r) => r.dst !== op.dst), { dst: op.dst, via: op.via }] };
    case 'route-del':
      return { ...s, routes: s.routes.filter((r) => r.dst !== op.dst) };
  }
}
