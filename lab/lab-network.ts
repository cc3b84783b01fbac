// The lab's kernel objects: the underlay and the node namespaces, and their
// removal. The underlay bridge lives in a namespace of its own
// (<prefix>-<lab>-underlay) and the host joins it through one veth, <prefix>0:
// a bridge in the root namespace would pass its frames through the host's
// iptables FORWARD chain whenever the host's bridge-nf-call-iptables is 1
// (Docker sets it), and the bridge's own nf_call_iptables=0 cannot override
// that sysctl. In a namespace of its own the sysctl is the lab's to set.
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { agentPodNetns } from './agent-pod-state.js';
import { isLabLink, isLabNetns, linkOwnerAlias, type LabConfig, type LabNode } from './lab-config.js';
import { run, tryRun } from './run-command.js';

export const NETNS_DIR = '/run/netns';
export const ETC_NETNS_DIR = '/etc/netns';

export function netnsPath(name: string): string {
  return join(NETNS_DIR, name);
}

export async function listNetns(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).sort();
  } catch {
    return [];
  }
}

export interface RootLink {
  name: string;
  alias?: string;
  /** IPv4 addresses as CIDRs, e.g. "172.18.0.1/24". */
  addresses: string[];
}

export async function listRootLinks(): Promise<RootLink[]> {
  // Aliases are only in `link show`, addresses only in `addr show`.
  const links = JSON.parse((await run(['ip', '-j', 'link', 'show'])) || '[]') as { ifname: string; ifalias?: string }[];
  const addrs = JSON.parse((await run(['ip', '-j', 'addr', 'show'])) || '[]') as { ifname: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return links.map((l) => ({
    name: l.ifname,
    ...(l.ifalias ? { alias: l.ifalias } : {}),
    addresses: (addrs.find((a) => a.ifname === l.ifname)?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
  }));
}

/** Whether br_netfilter's sysctls exist (built in or loaded): without them same-node Service traffic and hairpin break. */
export function brNetfilterAvailable(): boolean {
  return existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables');
}

/** Runs `ip -batch` in a namespace: one process for many link/addr/route commands. */
function ipBatch(netns: string | undefined, lines: string[]): Promise<string> {
  return run(['ip', ...(netns ? ['-n', netns] : []), '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

/** Writes sysctls inside a namespace (sysctl's net.* keys follow the caller's network namespace). */
function sysctlsIn(netns: string, settings: Record<string, string>): Promise<string> {
  return run(['nsenter', `--net=${netnsPath(netns)}`, 'sysctl', '-q', '-w', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)]);
}

export async function createUnderlay(cfg: LabConfig): Promise<void> {
  const ns = cfg.underlayNetns;
  if (cfg.joinedUnderlay) {
    // --join-underlay: the bridge, host link and address are the other lab's; only check they are still there.
    if (!(await listNetns()).includes(ns)) throw new Error(`--join-underlay ${cfg.joinedUnderlay.lab}: its underlay namespace ${ns} is gone; bring lab "${cfg.joinedUnderlay.lab}" up again first`);
    return;
  }
  await run(['ip', 'netns', 'add', ns]);
  await ipBatch(ns, [
    'link set lo up',
    `link add ${cfg.underlayBridge} type bridge nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0`,
    `link set ${cfg.underlayBridge} up`,
  ]);
  if (brNetfilterAvailable()) {
    await sysctlsIn(ns, { 'net.bridge.bridge-nf-call-iptables': '0', 'net.bridge.bridge-nf-call-ip6tables': '0', 'net.bridge.bridge-nf-call-arptables': '0' });
  }
  // The host's leg: created with its peer directly in the underlay namespace, so no second name ever appears in the root namespace.
  await run(['ip', 'link', 'add', cfg.hostLink, 'type', 'veth', 'peer', 'name', cfg.underlayHostPort, 'netns', ns]);
  await ipBatch(ns, [`link set ${cfg.underlayHostPort} master ${cfg.underlayBridge} up`]);
  await ipBatch(undefined, [
    `link set ${cfg.hostLink} alias ${linkOwnerAlias(cfg)}`,
    `addr add ${cfg.hostIP}/${cfg.underlayPrefixLength} dev ${cfg.hostLink}`,
    `link set ${cfg.hostLink} up`,
  ]);
}

export async function createNode(cfg: LabConfig, node: LabNode): Promise<void> {
  await run(['ip', 'netns', 'add', node.netns]);
  await ipBatch(cfg.underlayNetns, [
    `link add ${node.bridgePort} type veth peer name eth0 netns ${node.netns}`,
    `link set ${node.bridgePort} master ${cfg.underlayBridge} up`,
    // Whose port it is: the underlay may carry several labs' nodes (--join-underlay), and `down` counts the users by this.
    `link set ${node.bridgePort} alias ${linkOwnerAlias(cfg)}`,
  ]);
  await ipBatch(node.netns, [
    'link set lo up',
    `addr add ${node.ip}/${cfg.underlayPrefixLength} dev eth0`,
    'link set eth0 up',
    // Connections the node itself opens to a ClusterIP need a route before the proxy's DNAT rewrites them.
    `route add default via ${cfg.hostIP} dev eth0`,
  ]);
  await sysctlsIn(node.netns, {
    'net.ipv4.ip_forward': '1',
    ...(brNetfilterAvailable() ? { 'net.bridge.bridge-nf-call-iptables': '1', 'net.bridge.bridge-nf-call-ip6tables': '1' } : {}),
  });
}

export interface MountEntry {
  target: string;
}

/** Mount points in the caller's mount namespace (octal escapes in /proc/self/mountinfo decoded). */
export async function listMounts(): Promise<MountEntry[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => ({ target: (l.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))) }));
}

export interface NetworkRemoval {
  netns: string[];
  links: string[];
  mounts: string[];
  etcNetns: string[];
  /** Set when the underlay stays because other labs' nodes are on it (it goes with the last lab's `down`). */
  keptUnderlay?: { netns: string; link: string; usedBy: string[] };
}

const ALIAS_PREFIX = 'netkube-lab:';

/** The id of the lab that created an underlay: its namespace is <id>-underlay, its host link's alias netkube-lab:<id>. */
function underlayCreatorId(cfg: Pick<LabConfig, 'underlayNetns'>): string {
  return cfg.underlayNetns.replace(/-underlay$/, '');
}

/** The ports of the underlay bridge (node legs and the host's), with the alias naming their lab. */
export async function underlayPorts(cfg: LabConfig): Promise<{ name: string; alias?: string }[]> {
  const out = await tryRun(['ip', '-n', cfg.underlayNetns, '-j', 'link', 'show', 'master', cfg.underlayBridge]);
  const ports = JSON.parse(out || '[]') as { ifname: string; ifalias?: string }[];
  return ports.map((p) => ({ name: p.ifname, ...(p.ifalias ? { alias: p.ifalias } : {}) }));
}

/** Ids of the other labs with nodes on this lab's underlay (the lab itself excluded). */
export async function otherUnderlayUsers(cfg: LabConfig): Promise<string[]> {
  const ids = (await underlayPorts(cfg))
    .filter((p) => p.name !== cfg.underlayHostPort)
    // A port without an alias predates aliased ports: it can only be the creator's own node.
    .map((p) => (p.alias?.startsWith(ALIAS_PREFIX) ? p.alias.slice(ALIAS_PREFIX.length) : underlayCreatorId(cfg)));
  return [...new Set(ids)].filter((id) => id !== cfg.id).sort();
}

/** What of the lab's is in the kernel and the file system right now. */
export async function findLabNetworkObjects(cfg: LabConfig): Promise<NetworkRemoval> {
  // Pod namespaces the agents recorded count as the lab's whatever their names.
  const recorded = new Set(await agentPodNetns(cfg));
  // The underlay (namespace and host link) belongs to whichever lab leaves it last, creator or joiner alike.
  const usedBy = await otherUnderlayUsers(cfg);
  const keep = usedBy.length > 0;
  const isUnderlay = (n: string): boolean => n === cfg.underlayNetns;
  const isHostLink = (l: RootLink): boolean => l.name === cfg.hostLink && l.alias === `${ALIAS_PREFIX}${underlayCreatorId(cfg)}`;
  const netns = (await listNetns()).filter((n) => (isUnderlay(n) ? !keep : isLabNetns(cfg, n) || recorded.has(n)));
  const rootLinks = await listRootLinks();
  const links = rootLinks.filter((l) => (isHostLink(l) ? !keep : l.name !== cfg.hostLink && isLabLink(cfg, l))).map((l) => l.name);
  const netnsMounts = new Set(netns.map(netnsPath));
  const mounts = (await listMounts())
    .map((m) => m.target)
    .filter((t) => t.startsWith(`${cfg.paths.dir}/`) || t === cfg.paths.dir || (t.startsWith(`${NETNS_DIR}/${cfg.objectPrefix}`) && !netnsMounts.has(t) && !(keep && t === netnsPath(cfg.underlayNetns))));
  let etcNetns: string[] = [];
  try {
    etcNetns = (await readdir(ETC_NETNS_DIR)).filter((n) => isLabNetns(cfg, n) && !(keep && isUnderlay(n)));
  } catch {
    etcNetns = [];
  }
  const out: NetworkRemoval = { netns, links, mounts: [...new Set(mounts)].sort().reverse(), etcNetns };
  if (keep) out.keptUnderlay = { netns: cfg.underlayNetns, link: cfg.hostLink, usedBy };
  return out;
}

/**
 * Removes every namespace, root-namespace link, mount and /etc/netns entry of
 * the lab. Processes must be gone first, or namespaces they hold live on
 * unnamed. Idempotent: objects already gone are not an error.
 */
export async function removeLabNetwork(cfg: LabConfig): Promise<NetworkRemoval> {
  // Our own bridge ports go first, synchronously: a namespace's veths vanish asynchronously, and a
  // neighbouring lab's `down` right after ours must not count them as a user of the underlay.
  const own = (await underlayPorts(cfg)).filter((p) => p.alias === linkOwnerAlias(cfg));
  for (const p of own) await tryRun(['ip', '-n', cfg.underlayNetns, 'link', 'delete', p.name]);
  const found = await findLabNetworkObjects(cfg);
  // Deepest first (the reverse sort), lazily, so a busy mount cannot stop the teardown.
  for (const m of found.mounts) await tryRun(['umount', '-l', m]);
  // Links first: the kernel frees a deleted namespace (and the veth peers inside it) asynchronously.
  for (const l of found.links) await tryRun(['ip', 'link', 'delete', l]);
  for (const ns of found.netns) {
    if ((await tryRun(['ip', 'netns', 'delete', ns])) === undefined) {
      await tryRun(['umount', '-l', netnsPath(ns)]);
      await rm(netnsPath(ns), { force: true });
    }
  }
  for (const e of found.etcNetns) await rm(join(ETC_NETNS_DIR, e), { recursive: true, force: true });
  return found;
}

/** The bridge's own netfilter switch and the underlay namespace's sysctl, for checks and `status`. */
export async function underlayNetfilterState(cfg: LabConfig): Promise<{ bridgeNfCallIptables?: number; sysctl?: string }> {
  const link = await tryRun(['ip', '-n', cfg.underlayNetns, '-j', '-d', 'link', 'show', cfg.underlayBridge]);
  const info = link ? (JSON.parse(link) as { linkinfo?: { info_data?: { nf_call_iptables?: number } } }[])[0] : undefined;
  const sysctl = await tryRun(['nsenter', `--net=${netnsPath(cfg.underlayNetns)}`, 'sysctl', '-n', 'net.bridge.bridge-nf-call-iptables']);
  const out: { bridgeNfCallIptables?: number; sysctl?: string } = {};
  const v = info?.linkinfo?.info_data?.nf_call_iptables;
  if (v !== undefined) out.bridgeNfCallIptables = v;
  if (sysctl !== undefined) out.sysctl = sysctl.trim();
  return out;
}
