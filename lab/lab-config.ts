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
import { cidrSize, cidrsOverlap, nthAddress, parseIpv4Cidr, type Ipv4Cidr } from './ipv4.js';

export interface LabFlags {
  name: string;
  nodes: number;
  podCidr: string;
  serviceCidr: string;
  underlay: string;
  apiserverPort: number;
  prefix: string;
  /** $NETKUBE_HOME (default ./.netkube), resolved against `cwd`. */
  home: string;
}

export const DEFAULT_LAB_FLAGS: Omit<LabFlags, 'home'> = {
  name: 'netkube',
  nodes: 2,
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/12',
  underlay: '172.18.0.0/24',
  apiserverPort: 6443,
  prefix: 'nk',
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
export function planLab(f: LabFlags): LabConfig {
  checkLabName(f.name);
  if (!PREFIX.test(f.prefix)) {
    throw new LabConfigError(`--prefix: "${f.prefix}" must be 1-8 lowercase letters and digits, starting with a letter (interface names are at most 15 characters)`);
  }
  if (!Number.isInteger(f.nodes) || f.nodes < 1 || f.nodes > MAX_NODES) throw new LabConfigError(`--nodes: ${f.nodes} must be between 1 and ${MAX_NODES}`);
  if (!Number.isInteger(f.apiserverPort) || f.apiserverPort < 1 || f.apiserverPort > 65535) {
    throw new LabConfigError(`--apiserver-port: ${f.apiserverPort} must be a port number (1-65535)`);
  }
  const pods = cidr('--pod-cidr', f.podCidr);
  const services = cidr('--service-cidr', f.serviceCidr);
  const underlay = cidr('--underlay', f.underlay);
  if (pods.prefixLength > 23) throw new LabConfigError(`--pod-cidr: ${pods.text} is too small: node IPAM hands each node a /24`);
  if (services.prefixLength > 28) throw new LabConfigError(`--service-cidr: ${services.text} is too small (the DNS Service takes its 10th address)`);
  const needed = FIRST_NODE_OFFSET + f.nodes + 2;
  if (cidrSize(underlay) < needed) {
    throw new LabConfigError(`--underlay: ${underlay.text} has no room for ${f.nodes} nodes at .${FIRST_NODE_OFFSET + 1}-.${FIRST_NODE_OFFSET + f.nodes}`);
  }
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
  const hostIP = nthAddress(underlay, 1);
  const nodes: LabNode[] = [];
  for (let i = 1; i <= f.nodes; i++) {
    const name = `node-${i}`;
    nodes.push({ index: i, name, netns: `${objectPrefix}${name}`, ip: nthAddress(underlay, FIRST_NODE_OFFSET + i), bridgePort: name, rootDir: join(paths.dir, 'nodes', name) });
  }
  return {
    name: f.name,
    prefix: f.prefix,
    id,
    objectPrefix,
    clusterCIDR: pods.text,
    serviceCIDR: services.text,
    underlayCIDR: underlay.text,
    underlayPrefixLength: underlay.prefixLength,
    hostIP,
    apiServerPort: f.apiserverPort,
    apiServerURL: `https://${hostIP}:${f.apiserverPort}`,
    clusterDNS: nthAddress(services, 10),
    clusterDomain: 'cluster.local',
    hostLink: `${f.prefix}0`,
    underlayNetns: `${objectPrefix}underlay`,
    underlayBridge: 'br0',
    underlayHostPort: 'host',
    paths,
    nodes,
  };
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
