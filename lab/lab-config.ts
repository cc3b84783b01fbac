// The lab's plan, computed once from the `netkube up` flags: every name,
// address and path the lab (and the components it starts) will use. Pure, so
// `up`, `down`, `status` and `exec` agree on names, and tests can check the
// plan without root.
//
// Naming contract (every kernel object a lab or its agents create):
//   network namespaces  <prefix>-<lab>-…   (nodes: <prefix>-<lab>-node-<i>, underlay: <prefix>-<lab>-underlay,
//                                           pods: <prefix>-<lab>-<anything>, chosen by the node agent)
//   root-namespace link <prefix>0          (the only one: the host's leg on the underlay, alias "netkube-lab:<prefix>-<lab>")
//   files under /etc/netns/<prefix>-<lab>-…
// `down` removes everything matching these, so a crash never strands anything.
import { isAbsolute, join, resolve } from 'node:path';
import { cidrContains, cidrSize, cidrsOverlap, formatIpv4, nthAddress, parseIpv4, parseIpv4Cidr, type Ipv4Cidr } from './ipv4.js';

export interface LabFlags {
  name: string;
  nodes: number;
  podCidr: string;
  serviceCidr: string;
  underlay: string;
  apiserverPort: number;
  prefix: string;
  /** Pod-to-pod datapath between nodes, run by every node agent. */
  overlay: LabOverlayMode;
  /** TTL of the cluster DNS's answers, seconds (CoreDNS's kubernetes `ttl`; kubeadm configures 30). */
  dnsTtl: number;
  /** $NETKUBE_HOME (default ./.netkube), resolved against `cwd`. */
  home: string;
  /** --join-underlay: run on this other lab's underlay (bridge, host link and address) instead of creating one. */
  joinUnderlay?: string;
  /** --first-node-address: node i's underlay address is this + (i-1). Default .11, or past the other labs' nodes when joining. */
  firstNodeAddress?: string;
}

/** `--overlay`: VXLAN (default) or flannel-style host-gw routes; both compiled from the overlay's logical model. */
export const LAB_OVERLAY_MODES = ['vxlan', 'host-gw'] as const;
export type LabOverlayMode = (typeof LAB_OVERLAY_MODES)[number];

export const DEFAULT_LAB_FLAGS: Omit<LabFlags, 'home'> = {
  name: 'netkube',
  nodes: 2,
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/12',
  underlay: '172.18.0.0/24',
  apiserverPort: 6443,
  prefix: 'nk',
  overlay: 'vxlan',
  dnsTtl: 30,
};

/** The first node is .11: node i = underlay network + 10 + i (the host side is .1). */
export const FIRST_NODE_OFFSET = 10;
export const MAX_NODES = 50;

export interface LabNode {
  index: number;
  /** The Node object's name (what kubectl shows). */
  name: string;
  netns: string;
  /** The node's underlay address (its InternalIP). */
  ip: string;
  /** The node's port on the underlay bridge, inside the underlay namespace. */
  bridgePort: string;
  /** --root-dir of the node agent: per-pod state lives in <rootDir>/pods/<uid>/. */
  rootDir: string;
}

export interface LabPaths {
  /** $NETKUBE_HOME/<lab>: the API server's data dir (SQLite, PKI, kubeconfig). */
  dir: string;
  state: string;
  kubeconfig: string;
  logs: string;
  run: string;
}

export interface LabConfig {
  name: string;
  prefix: string;
  /** "<prefix>-<lab>": value of NETKUBE_LAB in every lab process's environment. */
  id: string;
  /** "<prefix>-<lab>-": every namespace the lab or its agents create starts with this. */
  objectPrefix: string;
  clusterCIDR: string;
  serviceCIDR: string;
  /** The node agents' `--overlay` (labs written before this field existed ran host-gw). */
  overlay: LabOverlayMode;
  /** The cluster DNS's `--ttl` (absent in lab.json written before the flag: the DNS default, 30). */
  dnsTtl?: number;
  underlayCIDR: string;
  underlayPrefixLength: number;
  /** The host's address on the underlay: the API server binds and advertises it. */
  hostIP: string;
  apiServerPort: number;
  apiServerURL: string;
  /** The kube-dns Service's ClusterIP (10th address of the service range). */
  clusterDNS: string;
  clusterDomain: string;
  /** Root-namespace end of the host's veth into the underlay namespace. */
  hostLink: string;
  underlayNetns: string;
  /** The bridge inside the underlay namespace, and the host's port on it. */
  underlayBridge: string;
  underlayHostPort: string;
  paths: LabPaths;
  nodes: LabNode[];
  /** Set when the lab runs on another lab's underlay (--join-underlay): underlayNetns, hostLink and hostIP are that lab's. */
  joinedUnderlay?: JoinedUnderlay;
}

/** What a lab started with --join-underlay joined (recorded in its lab.json). */
export interface JoinedUnderlay {
  /** The lab named by --join-underlay. */
  lab: string;
  /** Its id, <prefix>-<lab>. */
  id: string;
}

/** Input of planLab for --join-underlay: the lab named, and every other lab already on its underlay (it included). */
export interface SharedUnderlay {
  target: LabConfig;
  labs: LabConfig[];
}

export class LabConfigError extends Error {
  override name = 'LabConfigError';
}

const LAB_NAME = /^[a-z][a-z0-9]{0,19}$/;
const PREFIX = /^[a-z][a-z0-9]{0,7}$/;

export function labPaths(home: string, name: string): LabPaths {
  const dir = join(home, name);
  return { dir, state: join(dir, 'lab.json'), kubeconfig: join(dir, 'kubeconfig'), logs: join(dir, 'logs'), run: join(dir, 'run') };
}

export function resolveHome(env: Record<string, string | undefined>, cwd: string): string {
  const h = env['NETKUBE_HOME'] || '.netkube';
  return isAbsolute(h) ? h : resolve(cwd, h);
}

export function checkLabName(name: string): void {
  if (!LAB_NAME.test(name)) {
    throw new LabConfigError(`--name: "${name}" must be 1-20 lowercase letters and digits, starting with a letter (it becomes part of kernel object names)`);
  }
}

function cidr(flag: string, text: string): Ipv4Cidr {
  const c = parseIpv4Cidr(flag, text);
  if (typeof c === 'string') throw new LabConfigError(c);
  return c;
}

/** Validates the flags and computes the plan; throws LabConfigError naming the flag. */
export function planLab(f: LabFlags, shared?: SharedUnderlay): LabConfig {
  checkLabName(f.name);
  if (!PREFIX.test(f.prefix)) {
    throw new LabConfigError(`--prefix: "${f.prefix}" must be 1-8 lowercase letters and digits, starting with a letter (interface names are at most 15 characters)`);
  }
  if (!(LAB_OVERLAY_MODES as readonly string[]).includes(f.overlay)) {
    throw new LabConfigError(`--overlay: "${f.overlay}" must be one of ${LAB_OVERLAY_MODES.join(', ')}`);
  }
  if (!Number.isInteger(f.dnsTtl) || f.dnsTtl < 0 || f.dnsTtl > 3600) throw new LabConfigError(`--dns-ttl: ${f.dnsTtl} must be 0..3600 seconds`);
  if (!Number.isInteger(f.nodes) || f.nodes < 1 || f.nodes > MAX_NODES) throw new LabConfigError(`--nodes: ${f.nodes} must be between 1 and ${MAX_NODES}`);
  if (!Number.isInteger(f.apiserverPort) || f.apiserverPort < 1 || f.apiserverPort > 65535) {
    throw new LabConfigError(`--apiserver-port: ${f.apiserverPort} must be a port number (1-65535)`);
  }
  const pods = cidr('--pod-cidr', f.podCidr);
  const services = cidr('--service-cidr', f.serviceCidr);
  const underlay = cidr('--underlay', f.underlay);
  if (pods.prefixLength > 23) throw new LabConfigError(`--pod-cidr: ${pods.text} is too small: node IPAM hands each node a /24`);
  if (services.prefixLength > 28) throw new LabConfigError(`--service-cidr: ${services.text} is too small (the DNS Service takes its 10th address)`);
  // The lab named by --join-underlay counts as one of the labs on its underlay.
  const targetId = shared?.target.id;
  if (shared && !shared.labs.some((l) => l.id === targetId)) shared = { ...shared, labs: [shared.target, ...shared.labs] };
  if (shared) checkJoin(f, shared);
  const firstHost = firstNodeHost(f, underlay, shared);
  const pairs: [string, Ipv4Cidr, string, Ipv4Cidr][] = [
    ['--pod-cidr', pods, '--service-cidr', services],
    ['--pod-cidr', pods, '--underlay', underlay],
    ['--service-cidr', services, '--underlay', underlay],
  ];
  for (const [fa, a, fb, b] of pairs) {
    if (cidrsOverlap(a, b)) throw new LabConfigError(`${fa} ${a.text} overlaps ${fb} ${b.text}`);
  }

  const id = `${f.prefix}-${f.name}`;
  const objectPrefix = `${id}-`;
  const paths = labPaths(f.home, f.name);
  const hostIP = shared ? shared.target.hostIP : nthAddress(underlay, 1);
  const nodes: LabNode[] = [];
  for (let i = 1; i <= f.nodes; i++) {
    const name = `node-${i}`;
    const host = firstHost + i - 1;
    // Bridge ports share the joined underlay's namespace with the other labs' ports: named after the (unique) address there.
    const bridgePort = shared ? `ip-${host}` : name;
    nodes.push({ index: i, name, netns: `${objectPrefix}${name}`, ip: nthAddress(underlay, host), bridgePort, rootDir: join(paths.dir, 'nodes', name) });
  }
  return {
    name: f.name,
    prefix: f.prefix,
    id,
    objectPrefix,
    clusterCIDR: pods.text,
    serviceCIDR: services.text,
    overlay: f.overlay,
    dnsTtl: f.dnsTtl,
    underlayCIDR: underlay.text,
    underlayPrefixLength: underlay.prefixLength,
    hostIP,
    apiServerPort: f.apiserverPort,
    apiServerURL: `https://${hostIP}:${f.apiserverPort}`,
    clusterDNS: nthAddress(services, 10),
    clusterDomain: 'cluster.local',
    hostLink: shared ? shared.target.hostLink : `${f.prefix}0`,
    underlayNetns: shared ? shared.target.underlayNetns : `${objectPrefix}underlay`,
    underlayBridge: shared ? shared.target.underlayBridge : 'br0',
    underlayHostPort: shared ? shared.target.underlayHostPort : 'host',
    paths,
    nodes,
    ...(shared ? { joinedUnderlay: { lab: shared.target.name, id: shared.target.id } } : {}),
  };
}

/** The host number (offset in the underlay) of a lab's node i, from its node address. */
function hostNumberOf(underlay: Ipv4Cidr, ip: string): number {
  return (parseIpv4(ip) ?? 0) - underlay.network;
}

/** The first node's host number: --first-node-address, else .11, or when joining the first .x1 past every node already there. */
function firstNodeHost(f: LabFlags, underlay: Ipv4Cidr, shared: SharedUnderlay | undefined): number {
  let first: number;
  if (f.firstNodeAddress !== undefined) {
    if (parseIpv4(f.firstNodeAddress) === undefined || !cidrContains(underlay, f.firstNodeAddress)) {
      throw new LabConfigError(`--first-node-address: "${f.firstNodeAddress}" is not an address in the underlay ${underlay.text}`);
    }
    first = hostNumberOf(underlay, f.firstNodeAddress);
  } else if (shared) {
    const used = shared.labs.flatMap((l) => l.nodes.map((n) => hostNumberOf(underlay, n.ip)));
    first = (Math.floor(Math.max(FIRST_NODE_OFFSET, ...used) / 10) + 1) * 10 + 1;
  } else {
    first = FIRST_NODE_OFFSET + 1;
  }
  const last = first + f.nodes - 1;
  // .0 is the network, .1 the host, the last the broadcast address.
  if (first < 2 || last > cidrSize(underlay) - 2) {
    const flag = f.firstNodeAddress !== undefined ? '--first-node-address' : '--underlay';
    throw new LabConfigError(`${flag}: ${underlay.text} has no room for ${f.nodes} node${f.nodes === 1 ? '' : 's'} from ${formatIpv4(underlay.network + first)} (the host is .1)`);
  }
  for (const l of shared?.labs ?? []) {
    const theirs = l.nodes.map((n) => hostNumberOf(underlay, n.ip));
    if (theirs.some((h) => h >= first && h <= last)) {
      throw new LabConfigError(
        `--first-node-address: nodes ${nthAddress(underlay, first)}-${nthAddress(underlay, last)} overlap lab "${l.name}"'s nodes ${l.nodes[0]!.ip}-${l.nodes.at(-1)!.ip} on the shared underlay; choose another --first-node-address`,
      );
    }
  }
  return first;
}

/** What must differ between labs on one underlay: name, pod and service ranges, the API server's port on the shared host address. */
function checkJoin(f: LabFlags, shared: SharedUnderlay): void {
  const { target } = shared;
  if (f.joinUnderlay !== undefined && f.joinUnderlay !== target.name) throw new Error(`planLab: --join-underlay ${f.joinUnderlay} given lab ${target.name}`);
  if (f.underlay !== target.underlayCIDR) {
    throw new LabConfigError(`--underlay ${f.underlay}: lab "${target.name}" (--join-underlay) is on ${target.underlayCIDR}; leave --underlay out, a joining lab uses the underlay it joins`);
  }
  const pods = cidr('--pod-cidr', f.podCidr);
  const services = cidr('--service-cidr', f.serviceCidr);
  for (const l of shared.labs) {
    if (l.name === f.name || l.id === `${f.prefix}-${f.name}`) {
      throw new LabConfigError(`--name ${f.name}: lab "${l.name}" (${l.id}) is already on this underlay; choose another --name`);
    }
    const theirs: [string, Ipv4Cidr][] = [
      ['pod CIDR', cidr('--pod-cidr', l.clusterCIDR)],
      ['service CIDR', cidr('--service-cidr', l.serviceCIDR)],
    ];
    for (const [flag, mine] of [['--pod-cidr', pods], ['--service-cidr', services]] as const) {
      for (const [what, other] of theirs) {
        if (cidrsOverlap(mine, other)) {
          throw new LabConfigError(`${flag} ${mine.text} overlaps lab "${l.name}"'s ${what} ${other.text}: labs on one underlay route each other's ranges, choose another ${flag}`);
        }
      }
    }
    if (l.apiServerPort === f.apiserverPort) {
      throw new LabConfigError(`--apiserver-port ${f.apiserverPort} is lab "${l.name}"'s API server port on the shared host address ${l.hostIP}; choose another --apiserver-port`);
    }
  }
}

/** The alias the lab writes on its root-namespace link, so `up` and `down` can tell whose it is. */
export function linkOwnerAlias(cfg: Pick<LabConfig, 'id'>): string {
  return `netkube-lab:${cfg.id}`;
}

/** Whether a network namespace name belongs to this lab (nodes, underlay, pods). */
export function isLabNetns(cfg: Pick<LabConfig, 'objectPrefix'>, name: string): boolean {
  return name.startsWith(cfg.objectPrefix);
}

/** Whether a root-namespace link belongs to this lab: by name prefix, or the host link carrying our alias. */
export function isLabLink(cfg: Pick<LabConfig, 'objectPrefix' | 'hostLink' | 'id'>, link: { name: string; alias?: string }): boolean {
  if (link.name.startsWith(cfg.objectPrefix)) return true;
  return link.name === cfg.hostLink && link.alias === linkOwnerAlias(cfg);
}
