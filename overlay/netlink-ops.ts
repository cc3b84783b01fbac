// The kernel changes the overlay makes, as values, and their rendering into
// `ip -batch` / `bridge -batch` lines. Pure: netlink.ts feeds the lines to
// the tools. `ip -batch` cannot program a VXLAN FDB, so an ordered op list
// becomes consecutive runs, each run one batch of one tool; the order of the
// list (neighbour, FDB, then route) survives the split.
import type { VxlanDevice } from './node-plan.js';

export type NetlinkOp =
  | { readonly kind: 'link-add'; readonly device: VxlanDevice }
  | { readonly kind: 'link-del'; readonly name: string }
  | { readonly kind: 'link-set'; readonly name: string; readonly mtu?: number; readonly mac?: string; readonly up?: true }
  | { readonly kind: 'addr-add'; readonly dev: string; readonly address: string }
  | { readonly kind: 'addr-del'; readonly dev: string; readonly address: string }
  | { readonly kind: 'neigh-replace'; readonly dev: string; readonly ip: string; readonly mac: string }
  | { readonly kind: 'neigh-del'; readonly dev: string; readonly ip: string }
  | { readonly kind: 'fdb-replace'; readonly dev: string; readonly mac: string; readonly dst: string }
  | { readonly kind: 'fdb-del'; readonly dev: string; readonly mac: string; readonly dst: string }
  | { readonly kind: 'route-replace'; readonly dev: string; readonly dst: string; readonly via: string }
  | { readonly kind: 'route-del'; readonly dev: string; readonly dst: string; readonly via: string };

export type BatchTool = 'ip' | 'bridge';

export interface Batch {
  readonly tool: BatchTool;
  readonly lines: readonly string[];
}

export function toolFor(op: NetlinkOp): BatchTool {
  return op.kind === 'fdb-replace' || op.kind === 'fdb-del' ? 'bridge' : 'ip';
}

/** The batch line(s) for one op, without the tool name (what `ip -batch -` reads). */
export function renderBatchLines(op: NetlinkOp): string[] {
  switch (op.kind) {
    case 'link-add': {
      const d = op.device;
      const add = [
        `link add ${d.name} address ${d.mac} mtu ${d.mtu} type vxlan id ${d.vni}`,
        `local ${d.local} dstport ${d.dstPort}`,
        d.learning ? 'learning' : 'nolearning',
        ...(d.underlayDevice ? [`dev ${d.underlayDevice}`] : []),
      ].join(' ');
      return d.up ? [add, `link set ${d.name} up`] : [add];
    }
    case 'link-del':
      return [`link del ${op.name}`];
    case 'link-set': {
      const parts = [`link set ${op.name}`];
      if (op.mtu !== undefined) parts.push(`mtu ${op.mtu}`);
      if (op.mac !== undefined) parts.push(`address ${op.mac}`);
      if (op.up) parts.push('up');
      return [parts.join(' ')];
    }
    case 'addr-add':
      return [`addr add ${op.address} dev ${op.dev}`];
    case 'addr-del':
      return [`addr del ${op.address} dev ${op.dev}`];
    case 'neigh-replace':
      return [`neigh replace ${op.ip} lladdr ${op.mac} dev ${op.dev} nud permanent`];
    case 'neigh-del':
      return [`neigh del ${op.ip} dev ${op.dev}`];
    case 'fdb-replace':
      return [`fdb replace ${op.mac} dev ${op.dev} dst ${op.dst} self permanent`];
    case 'fdb-del':
      return [`fdb del ${op.mac} dev ${op.dev} dst ${op.dst} self`];
    case 'route-replace':
      return [`route replace ${op.dst} via ${op.via} dev ${op.dev} onlink`];
    case 'route-del':
      return [`route del ${op.dst} via ${op.via} dev ${op.dev}`];
  }
}

/** Splits ordered ops into consecutive same-tool batches, keeping the order. */
export function renderBatches(ops: readonly NetlinkOp[]): Batch[] {
  const out: { tool: BatchTool; lines: string[] }[] = [];
  for (const op of ops) {
    const tool = toolFor(op);
    const last = out[out.length - 1];
    if (last && last.tool === tool) last.lines.push(...renderBatchLines(op));
    else out.push({ tool, lines: renderBatchLines(op) });
  }
  return out;
}

/** One op as a user would type it, for logs: `ip neigh replace …`, `bridge fdb replace …`. */
export function describeOp(op: NetlinkOp): string {
  return renderBatchLines(op)
    .map((l) => `${toolFor(op)} ${l}`)
    .join('; ');
}
