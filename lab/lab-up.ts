// `netkube up`: the API server, the underlay, N node namespaces, and in each
// node the components that exist (node agent, which also programs the
// pod-to-pod overlay, or a standalone proxy while there is no agent). Every process
// runs in the background with a pid file and a log; `up` returns once the
// cluster answers. A failed `up` tears down what it made.
import { access, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { KubeClient, Nodes } from '../kube/client.js';
import type { Node } from '../kube/api/core.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { clusterDnsObjects, createClusterDns, waitForClusterDns, type ClusterDnsOptions } from './cluster-dns.js';
import { waitForProxiesSynced } from './proxy-synced.js';
import { cidrsOverlap, networkOfInterfaceAddress, parseIpv4Cidr } from './ipv4.js';
import { LabConfigError, type LabConfig, type LabNode } from './lab-config.js';
import { labDown, labLeftovers } from './lab-down.js';
import { brNetfilterAvailable, createNode, createUnderlay, listRootLinks } from './lab-network.js';
import { isAlive, logFileOf, logTail, runningDaemons, startDaemon, type DaemonSpec } from './lab-processes.js';
import { readLabState, writeLabState } from './lab-state.js';
import { formatSeconds, type Progress } from './progress.js';

/** A subcommand of this build of `netkube`, with the long flags it accepts. */
export interface ComponentCommand {
  flags: ReadonlySet<string>;
}

/** Which components this build has: the pieces are written in parallel, so `up` uses what exists. */
export interface AvailableComponents {
  nodeAgent?: ComponentCommand;
  proxy?: ComponentCommand;
  dns?: ComponentCommand;
}

export interface UpOptions {
  /** argv prefix that runs this netkube: [node, /path/bin/netkube.js]. */
  netkube: string[];
  components: AvailableComponents;
  progress: Progress;
  /** How long to wait for every node to be Ready. Default 60 s + 5 s per node. */
  readyTimeoutMs?: number;
  /** Replicas and upstreams of the cluster DNS (default: 1 replica, no upstream: the lab has no way out). */
  dns?: ClusterDnsOptions;
  /** How long to wait for the cluster DNS to answer once the nodes are Ready. Default 90 s. */
  dnsTimeoutMs?: number;
}

export interface UpResult {
  elapsedMs: number;
  started: string[];
  missing: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class LabUpError extends Error {
  override name = 'LabUpError';
}

/** Refuses a second lab of this name; cleans up the leftovers of a crashed one. */
async function takeOver(cfg: LabConfig, home: string, progress: Progress): Promise<void> {
  const old = (await readLabState(home, cfg.name))?.config;
  const plans = old && old.id !== cfg.id ? [old, cfg] : [old ?? cfg];
  for (const p of plans) {
    const running = await runningDaemons(p.id, p.paths);
    if (running.length > 0) {
      throw new LabUpError(`lab "${cfg.name}" is already up (${running.map((r) => `${r.name} pid ${r.pid}`).join(', ')}); run "netkube down --name ${cfg.name}" first`);
    }
  }
  for (const p of plans) {
    const left = await labLeftovers(p);
    if (left.processes.length > 0 || left.objects.length > 0 || old) {
      await progress.step(`cleaning up a crashed earlier lab "${cfg.name}"`, async (detail) => {
        const r = await labDown(p, { graceMs: 1000 });
        detail(`${r.processes} processes, ${r.netns.length} namespaces, ${r.links.length} links`);
      });
    }
  }
}

/** Names and addresses another lab (or anything else) already holds. */
async function checkConflicts(cfg: LabConfig): Promise<void> {
  const underlay = parseIpv4Cidr('--underlay', cfg.underlayCIDR);
  if (typeof underlay === 'string') throw new LabConfigError(underlay);
  for (const l of await listRootLinks()) {
    if (l.name === cfg.hostLink) {
      throw new LabUpError(
        `link ${cfg.hostLink} already exists${l.alias?.startsWith('netkube-lab:') ? ` and belongs to lab ${l.alias.slice('netkube-lab:'.length)}` : ''}: choose another --prefix`,
      );
    }
    for (const a of l.addresses) {
      const net = networkOfInterfaceAddress(a);
      if (net && cidrsOverlap(net, underlay)) {
        throw new LabUpError(`--underlay ${cfg.underlayCIDR} overlaps ${a} on link ${l.name}${l.alias ? ` (${l.alias})` : ''}: choose another --underlay`);
      }
    }
  }
}

async function waitForApiServer(cfg: LabConfig, pid: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const log = await readFile(logFileOf(cfg.paths, 'apiserver'), 'utf8').catch(() => '');
    if (log.includes('listening on')) {
      if (await access(cfg.paths.kubeconfig, constants.R_OK).then(() => true, () => false)) return;
    }
    if (!(await isAlive(pid))) throw new LabUpError(`the API server exited:\n${await logTail(cfg.paths, 'apiserver')}`);
    if (Date.now() > deadline) throw new LabUpError(`the API server did not start within ${formatSeconds(timeoutMs)}:\n${await logTail(cfg.paths, 'apiserver')}`);
    await sleep(50);
  }
}

function isReady(n: Node): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The flags we would like to give the node agent; only those its command declares are passed. */
function nodeAgentArgs(cfg: LabConfig, node: LabNode, flags: ReadonlySet<string>): string[] {
  const args = ['--kubeconfig', cfg.paths.kubeconfig, '--hostname-override', node.name, '--node-ip', node.ip];
  const optional: [string, string][] = [
    ['--root-dir', node.rootDir],
    // Pod namespaces named <prefix>-<lab>-pod-…: `down` finds them by name even when the lab's files are gone.
    ['--netns-prefix', `${cfg.objectPrefix}pod-`],
    ['--cluster-dns', cfg.clusterDNS],
    ['--cluster-domain', cfg.clusterDomain],
    ['--cluster-cidr', cfg.clusterCIDR],
    ['--service-cluster-ip-range', cfg.serviceCIDR],
    // lab.json written before --overlay existed: those labs ran host-gw.
    ['--overlay', cfg.overlay ?? 'host-gw'],
  ];
  for (const [flag, value] of optional) if (flags.has(flag)) args.push(flag, value);
  return args;
}

/** How `up` runs one node's agent: in the node's network namespace, pid file and log named after the node. */
function nodeAgentSpec(cfg: LabConfig, node: LabNode, netkube: readonly string[], agent: ComponentCommand): DaemonSpec {
  return { name: node.name, netns: node.netns, argv: [...netkube, 'node', ...nodeAgentArgs(cfg, node, agent.flags)] };
}

/**
 * Starts one node's agent exactly as `up` does (same argv, pid file and log).
 * For restarting an agent that was stopped or crashed: the new agent adopts
 * the node's running pods. Refuses while that agent is still running.
 */
export async function startNodeAgent(cfg: LabConfig, nodeName: string, opts: Pick<UpOptions, 'netkube' | 'components'>): Promise<number> {
  const node = cfg.nodes.find((n) => n.name === nodeName);
  if (!node) throw new LabUpError(`lab "${cfg.name}" has no node "${nodeName}" (nodes: ${cfg.nodes.map((n) => n.name).join(', ')})`);
  const agent = opts.components.nodeAgent;
  if (!agent) throw new LabUpError('this build has no node agent ("netkube node")');
  const running = (await runningDaemons(cfg.id, cfg.paths)).find((d) => d.name === node.name);
  if (running) throw new LabUpError(`the agent of ${node.name} is still running (pid ${running.pid})`);
  return startDaemon(cfg.id, cfg.paths, nodeAgentSpec(cfg, node, opts.netkube, agent));
}

export async function labUp(cfg: LabConfig, home: string, opts: UpOptions): Promise<UpResult> {
  const t0 = Date.now();
  const { progress } = opts;
  await takeOver(cfg, home, progress);
  // A lab on another lab's underlay (--join-underlay) reuses its host link and range; planLab checked what must differ.
  if (!cfg.joinedUnderlay) await checkConflicts(cfg);
  const started: string[] = [];
  const missing: string[] = [];
  await writeLabState({ version: 1, config: cfg, createdAt: new Date().toISOString(), components: { started, missing } });
  const daemons: { name: string; pid: number }[] = [];
  const start = async (spec: DaemonSpec): Promise<number> => {
    const pid = await startDaemon(cfg.id, cfg.paths, spec);
    daemons.push({ name: spec.name, pid });
    return pid;
  };
  try {
    if (!brNetfilterAvailable()) {
      progress.note('! br_netfilter is not available (no /proc/sys/net/bridge): same-node Service traffic and hairpin will not work; try "modprobe br_netfilter"');
    }
    await progress.step(`underlay ${cfg.underlayCIDR}: ${cfg.hostLink} ${cfg.hostIP} ↔ bridge in ${cfg.underlayNetns}`, () => createUnderlay(cfg));

    const apiPid = await start({
      name: 'apiserver',
      argv: [
        ...opts.netkube, 'apiserver',
        '--data-dir', cfg.paths.dir,
        '--bind-address', cfg.hostIP,
        '--advertise-address', cfg.hostIP,
        '--secure-port', String(cfg.apiServerPort),
        '--service-cluster-ip-range', cfg.serviceCIDR,
        '--cluster-cidr', cfg.clusterCIDR,
      ],
    });
    started.push('apiserver');
    // The API server boots while the node namespaces are made.
    await progress.step(`${cfg.nodes.length} node namespace${cfg.nodes.length === 1 ? '' : 's'} (${cfg.nodes[0]!.ip}…)`, async (detail) => {
      for (const n of cfg.nodes) {
        detail(n.netns);
        await createNode(cfg, n);
      }
      detail(cfg.nodes.map((n) => n.netns).join(', '));
    });
    await progress.step(`API server ${cfg.apiServerURL}`, () => waitForApiServer(cfg, apiPid));

    const agent = opts.components.nodeAgent;
    if (agent) {
      // Each agent also programs its node's datapath to the others (--overlay) and the egress masquerade.
      await progress.step(`node agent × ${cfg.nodes.length} (overlay ${cfg.overlay})`, async () => {
        for (const n of cfg.nodes) await start(nodeAgentSpec(cfg, n, opts.netkube, agent));
      });
      started.push('node agent');
    } else {
      missing.push('node agent');
      progress.note('- node agent: not available yet (no "netkube node" in this build): nodes will not register');
    }
    // The agent will host the proxy (DESIGN); until its command takes kube-proxy's --proxy-mode, the lab runs one per node.
    const proxy = opts.components.proxy;
    if (proxy && !agent?.flags.has('--proxy-mode')) {
      await progress.step(`service proxy × ${cfg.nodes.length}`, async () => {
        for (const n of cfg.nodes) {
          const args = ['--kubeconfig', cfg.paths.kubeconfig, '--hostname-override', n.name];
          if (proxy.flags.has('--cluster-cidr')) args.push('--cluster-cidr', cfg.clusterCIDR);
          await start({ name: `proxy-${n.name}`, netns: n.netns, argv: [...opts.netkube, 'proxy', ...args] });
        }
      });
      started.push('service proxy');
    } else if (!proxy) {
      missing.push('service proxy');
      progress.note('- service proxy: not available yet');
    }
    // The DNS runs as pods, so it needs the agent; it is deployed once the nodes are Ready.
    const deployDns = Boolean(opts.components.dns && agent);
    if (!deployDns) {
      missing.push('cluster DNS');
      progress.note(`- cluster DNS: not available yet${opts.components.dns ? ' (it runs as pods: needs the node agent)' : ''}`);
    }
    await writeLabState({ version: 1, config: cfg, createdAt: new Date().toISOString(), components: { started, missing } });

    await checkDaemonsAlive(cfg, daemons);
    if (agent) {
      const timeout = opts.readyTimeoutMs ?? 60_000 + 5_000 * cfg.nodes.length;
      await progress.step(`${cfg.nodes.length} node${cfg.nodes.length === 1 ? '' : 's'} Ready`, (detail) => waitForNodesReady(cfg, daemons, timeout, detail));
    }
    if (deployDns) {
      if (opts.components.proxy) {
        await progress.step('service proxy synced', (detail) => waitForProxiesSynced(cfg, { timeoutMs: 30_000, detail }));
      }
      await progress.step(`cluster DNS: kube-system/coredns behind Service kube-dns ${cfg.clusterDNS}`, async (detail) => {
        const client = new KubeClient(await loadKubeconfig(cfg.paths.kubeconfig), { userAgent: 'netkube-up', requestTimeoutMs: 10_000 });
        try {
          detail((await createClusterDns(client, clusterDnsObjects(cfg, opts.dns))).join(', ') || 'already there');
        } finally {
          client.close();
        }
      });
      await progress.step(`cluster DNS answers at ${cfg.clusterDNS}`, (detail) =>
        waitForClusterDns(cfg, { timeoutMs: opts.dnsTimeoutMs ?? 90_000, detail, check: () => checkDaemonsAlive(cfg, daemons) }),
      );
      started.push('cluster DNS');
      await writeLabState({ version: 1, config: cfg, createdAt: new Date().toISOString(), components: { started, missing } });
    }
    return { elapsedMs: Date.now() - t0, started, missing };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    progress.note(`up failed; removing what it made`);
    await labDown(cfg, { graceMs: 500 }).catch(() => undefined);
    throw new LabUpError(why);
  }
}

async function checkDaemonsAlive(cfg: LabConfig, daemons: readonly { name: string; pid: number }[]): Promise<void> {
  for (const d of daemons) {
    if (!(await isAlive(d.pid))) throw new LabUpError(`${d.name} exited:\n${await logTail(cfg.paths, d.name)}`);
  }
}

async function waitForNodesReady(cfg: LabConfig, daemons: readonly { name: string; pid: number }[], timeoutMs: number, detail: (d: string) => void): Promise<void> {
  const client = new KubeClient(await loadKubeconfig(cfg.paths.kubeconfig), { userAgent: 'netkube-up', requestTimeoutMs: 5000 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const nodes = await client.list<Node>(Nodes).then((l) => l.items, () => [] as Node[]);
      const ready = cfg.nodes.filter((n) => nodes.some((o) => o.metadata.name === n.name && isReady(o)));
      detail(`${ready.length}/${cfg.nodes.length}`);
      if (ready.length === cfg.nodes.length) return;
      await checkDaemonsAlive(cfg, daemons);
      if (Date.now() > deadline) {
        const waiting = cfg.nodes.filter((n) => !ready.includes(n)).map((n) => n.name);
        throw new LabUpError(`nodes not Ready after ${formatSeconds(timeoutMs)}: ${waiting.join(', ')}\n${await logTail(cfg.paths, waiting[0]!)}`);
      }
      await sleep(250);
    }
  } finally {
    client.close();
  }
}

/** What to type next, for the end of `up`. */
export function renderNextSteps(cfg: LabConfig, r: UpResult, defaultName: string): string {
  const nameFlag = cfg.name === defaultName ? '' : ` --name ${cfg.name}`;
  const lines = [
    `lab "${cfg.name}" is up in ${formatSeconds(r.elapsedMs)}: ${cfg.nodes.length} node${cfg.nodes.length === 1 ? '' : 's'}, API server ${cfg.apiServerURL}`,
    ...(r.missing.length ? [`not running yet: ${r.missing.join(', ')}`] : []),
    '',
    'Next:',
    `  export KUBECONFIG=${cfg.paths.kubeconfig}`,
    '  kubectl get nodes -o wide',
    `  netkube status${nameFlag}`,
    ...(r.started.includes('node agent') ? [`  netkube exec${nameFlag} POD -- ip addr`] : []),
    ...(r.started.includes('cluster DNS') ? [`  netkube exec${nameFlag} POD -- dig kubernetes.default.svc.${cfg.clusterDomain}`] : []),
    `  nsenter --net=/run/netns/${cfg.nodes[0]!.netns} ip route     # a node's view`,
    `  netkube down${nameFlag}`,
  ];
  return `${lines.join('\n')}\n`;
}
