// The overlay's only IO module: reads a node's VXLAN state with iproute2's
// JSON output and applies ordered changes with `ip -batch -` and
// `bridge -batch -` (the FDB), optionally inside a named network namespace
// (`ip -n`, `bridge -n`). Without a namespace it acts on the caller's own
// namespace, which is where the node agent runs.
import { execFile } from 'node:child_process';
import { renderBatches, type NetlinkOp } from './netlink-ops.js';
import { parseObservedState } from './netlink-parse.js';
import type { NodePlan } from './node-plan.js';

export interface NodeNetwork {
  observe(): Promise<NodePlan>;
  apply(ops: readonly NetlinkOp[]): Promise<void>;
}

export interface NodeNetworkOptions {
  /** Node name, carried into the observed plan. */
  readonly node: string;
  /** The VXLAN device to observe. */
  readonly device: string;
  /** Named network namespace (/run/netns/NAME); default: the current one. */
  readonly netns?: string;
  readonly timeoutMs?: number;
}

/** A batch the kernel refused; names the tool, quotes the lines sent and what the tool said. */
export class NetlinkApplyError extends Error {
  override name = 'NetlinkApplyError';
  constructor(
    readonly tool: string,
    readonly lines: readonly string[],
    readonly stderr: string,
  ) {
    super(`${tool} -batch failed: ${stderr.trim() || 'no message'}\n  sent:\n${lines.map((l) => `    ${l}`).join('\n')}`);
  }
}

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(argv: readonly string[], input: string | undefined, timeoutMs: number): Promise<Result> {
  const [cmd, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = execFile(cmd!, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      // Could not start (ENOENT) or was killed by the timeout: no exit status to report.
      if (err && (typeof (err as NodeJS.ErrnoException).code === 'string' || (err as { killed?: boolean }).killed)) {
        reject(new Error(`${argv.join(' ')}: ${err.message}`));
        return;
      }
      const code = err ? Number((err as { code?: number }).code ?? 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

export function createNodeNetwork(o: NodeNetworkOptions): NodeNetwork {
  const timeoutMs = o.timeoutMs ?? 15_000;
  const ns = o.netns ? ['-n', o.netns] : [];
  const ip = (...args: string[]): string[] => ['ip', ...ns, ...args];
  const bridge = (...args: string[]): string[] => ['bridge', ...ns, ...args];

  const must = async (argv: string[]): Promise<string> => {
    const r = await exec(argv, undefined, timeoutMs);
    if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.trim() || `exit ${r.code}`}`);
    return r.stdout;
  };

  return {
    async observe(): Promise<NodePlan> {
      const link = await exec(ip('-j', '-d', 'addr', 'show', 'dev', o.device), undefined, timeoutMs);
      if (link.code !== 0) {
        if (/does not exist|Cannot find device/i.test(link.stderr)) return parseObservedState(o.node, { link: undefined, neigh: '', fdb: '', route: '' });
        throw new Error(`ip addr show dev ${o.device}: ${link.stderr.trim() || `exit ${link.code}`}`);
      }
      const [neigh, fdb, route] = await Promise.all([
        must(ip('-j', 'neigh', 'show', 'dev', o.device)),
        must(bridge('-j', 'fdb', 'show', 'dev', o.device)),
        must(ip('-j', 'route', 'show', 'dev', o.device)),
      ]);
      return parseObservedState(o.node, { link: link.stdout, neigh, fdb, route });
    },

    async apply(ops: readonly NetlinkOp[]): Promise<void> {
      // Consecutive runs, one process each, in order: a later run (routes) never starts if an earlier one failed.
      for (const b of renderBatches(ops)) {
        const argv = b.tool === 'ip' ? ip('-batch', '-') : bridge('-batch', '-');
        const r = await exec(argv, b.lines.join('\n') + '\n', timeoutMs);
        if (r.code !== 0) throw new NetlinkApplyError(argv.join(' '), b.lines, r.stderr);
      }
    },
  };
}

/**
 * The MTU of the interface holding `address` (the node's encap IP), or
 * undefined if no interface holds it: the underlay MTU the pod MTU derives from.
 */
export async function observeUnderlayMtu(address: string, netns?: string): Promise<number | undefined> {
  const argv = ['ip', ...(netns ? ['-n', netns] : []), '-j', 'addr', 'show'];
  const r = await exec(argv, undefined, 15_000);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.trim()}`);
  const links = JSON.parse(r.stdout || '[]') as { mtu?: number; addr_info?: { local?: string }[] }[];
  return links.find((l) => (l.addr_info ?? []).some((a) => a.local === address))?.mtu;
}

/** The MAC the device has now, if it exists: reused as the VTEP MAC when the annotation was lost, so peers keep working. */
export async function observeDeviceMac(device: string, netns?: string): Promise<string | undefined> {
  const argv = ['ip', ...(netns ? ['-n', netns] : []), '-j', 'link', 'show', 'dev', device];
  const r = await exec(argv, undefined, 15_000);
  if (r.code !== 0) return undefined;
  const links = JSON.parse(r.stdout || '[]') as { address?: string }[];
  return links[0]?.address?.toLowerCase();
}
