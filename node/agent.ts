// `netkube node`: the node agent (kubelet-lite). Registers the Node, keeps
// its Lease and status fresh, waits for the pod CIDR and writes the node's
// CNI configuration, serves container logs on :10250, and runs one
// PodWorker per pod bound to this node. On start it adopts the pods it ran
// before (their processes keep running across an agent restart); on stop it
// leaves them running.
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lease, Node, Pod, Service } from '../kube/api/core.js';
import { isApiError, KubeClient, Leases, Nodes, Pods, Services } from '../kube/client.js';
import { createInformer, listWatchFor, type Informer } from '../kube/informer.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { writeFileAtomic } from '../apiserver-lite/auth/atomic-write.js';
import { CNI_CONF_FILE, renderNodeCniConfig } from './cni-config.js';
import { isSameProcess, signalContainer } from './container-process.js';
import { startLogServer, type LogServer } from './log-server.js';
import { defaultRouteAddress, deletePodNetns, netnsPath } from './netns.js';
import { cniDel } from './cni-exec.js';
import { goArch, KUBELET_PORT, newNode, computeNodeStatus, nodeLease, NODE_LEASE_NAMESPACE, type MachineInfo } from './node-status.js';
import { PodEventRecorder } from './pod-events.js';
import { loadPodRecords, removePodDir, type PodRecord } from './pod-state-store.js';
import { PodWorker, Semaphore } from './pod-worker.js';
import { ensureServingCert } from './serving-cert.js';
import { podMtuForMode, runNodeDatapath, type OverlayMode } from '../overlay/node-datapath.js';

export interface NodeAgentOptions {
  kubeconfig: string;
  nodeName: string;
  /** Default: the address of the default-route interface. */
  nodeIP?: string;
  cniBinDir: string;
  /** Default: <rootDir>/net.d (several agents may share one host in the lab). */
  cniConfDir?: string;
  /** Prefix of pod network namespace names; default "nkp-" (the lab passes "<prefix>-<lab>-pod-"). */
  podNetnsPrefix?: string;
  rootDir: string;
  clusterDNS: string[];
  clusterDomain: string;
  /** The :10250 listener. Default 0.0.0.0:10250. */
  address?: string;
  port?: number;
  /** Pod MTU written into the CNI configuration. Default: underlay MTU − 50 with the vxlan overlay, else 1500. */
  mtu?: number;
  /** The pod-to-pod datapath between nodes this agent programs in its own network namespace. Default none. */
  overlay?: OverlayMode;
  /** Pod and Service ranges: with an overlay, pod traffic leaving them is masqueraded. */
  clusterCIDR?: string;
  serviceCIDR?: string;
  /** CNI calls run at most this many at a time. Default 4. */
  parallelSandboxes?: number;
  /** Heartbeat periods (Kubernetes' defaults: Lease every 10 s, status every 40 s). */
  leaseRenewMs?: number;
  statusUpdateMs?: number;
  log?: (msg: string) => void;
}

export interface RunningNodeAgent {
  nodeName: string;
  nodeIP: string;
  logPort: number;
  /** Pod UID → worker (for tests and the bench). */
  workers(): ReadonlyMap<string, PodWorker>;
  /** Stops the agent; pods keep running. */
  close(): Promise<void>;
}

export async function runNodeAgent(opts: NodeAgentOptions): Promise<RunningNodeAgent> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`${new Date().toISOString()} node ${opts.nodeName}: ${m}\n`));
  const nodeName = opts.nodeName;
  const rootDir = opts.rootDir;
  const cniConfDir = opts.cniConfDir ?? join(rootDir, 'net.d');
  await mkdir(rootDir, { recursive: true });
  const conn = await loadKubeconfig(opts.kubeconfig);
  const client = new KubeClient(conn, { userAgent: `netkube-node/${nodeName}` });
  const nodeIP = opts.nodeIP ?? (await defaultRouteAddress());
  const machine = await machineInfo();
  const abort = new AbortController();
  const timers: NodeJS.Timeout[] = [];
  const overlay = opts.overlay ?? 'none';
  const podMtu = opts.mtu ?? (await podMtuForMode(overlay, nodeIP));

  // ---- the Node and its heartbeats
  let node = await registerNode(client, nodeName, nodeIP, machine, log);
  const patchStatus = async (): Promise<void> => {
    node = await client.patch<Node>(Nodes, nodeName, 'merge', { status: computeNodeStatus(nodeName, nodeIP, machine, node.status?.conditions, Date.now()) }, { subresource: 'status' });
    podCIDRSeen(node);
  };
  const renewLease = async (): Promise<void> => {
    const want = nodeLease(nodeName, node.metadata.uid, Date.now());
    try {
      const cur = await client.get<Lease>(Leases, nodeName, { namespace: NODE_LEASE_NAMESPACE });
      await client.update<Lease>(Leases, { ...cur, spec: { ...cur.spec, ...want.spec } });
    } catch (e) {
      if (!isApiError(e, 404)) throw e;
      await client.create(Leases, want);
    }
  };
  const every = (ms: number, what: string, f: () => Promise<void>): void => {
    const t = setInterval(() => void f().catch((e: unknown) => log(`${what}: ${(e as Error).message}`)), ms);
    t.unref();
    timers.push(t);
  };

  // ---- pod CIDR → CNI configuration
  let resolveNetwork!: () => void;
  const networkReady = new Promise<void>((r) => (resolveNetwork = r));
  let writtenCIDR: string | undefined;
  const podCIDRSeen = (n: Node): void => {
    const cidr = n.spec?.podCIDR;
    if (!cidr || cidr === writtenCIDR) return;
    writtenCIDR = cidr;
    void (async () => {
      await mkdir(cniConfDir, { recursive: true });
      await writeFileAtomic(join(cniConfDir, CNI_CONF_FILE), renderNodeCniConfig({ podCIDR: cidr, mtu: podMtu, ipamDataDir: join(rootDir, 'cni-ipam'), portmap: opts.cniBinDir.split(':').some((d) => d && existsSync(join(d, 'portmap'))) }), 0o644);
      log(`pod CIDR ${cidr}: wrote ${join(cniConfDir, CNI_CONF_FILE)}`);
      resolveNetwork();
    })().catch((e: unknown) => log(`writing the CNI configuration: ${(e as Error).message}`));
  };
  podCIDRSeen(node);
  await renewLease().catch((e: unknown) => log(`lease: ${(e as Error).message}`));
  every(opts.leaseRenewMs ?? 10_000, 'lease', renewLease);
  every(opts.statusUpdateMs ?? 40_000, 'node status', patchStatus);
  if (!node.spec?.podCIDR) {
    log('waiting for node IPAM to set spec.podCIDR');
    // Poll faster than the status heartbeat until the CIDR is there.
    const t = setInterval(() => {
      if (writtenCIDR) return clearInterval(t);
      void client.get<Node>(Nodes, nodeName).then(podCIDRSeen, (e: unknown) => log(`get node: ${(e as Error).message}`));
    }, 1000);
    t.unref();
    timers.push(t);
  }

  // ---- the datapath between nodes (VXLAN or host-gw), in this agent's network namespace
  const datapath = runNodeDatapath({
    mode: overlay,
    client,
    nodeName,
    ...(opts.clusterCIDR ? { clusterCIDR: opts.clusterCIDR } : {}),
    ...(opts.serviceCIDR ? { serviceCIDR: opts.serviceCIDR } : {}),
    signal: abort.signal,
    log,
  }).catch((e: unknown) => log(`overlay ${overlay}: ${(e as Error).message}`));

  // ---- informers
  const services: Informer<Service> = createInformer(listWatchFor<Service>(client, Services), { name: 'services', onError: (e) => log(`services informer: ${(e as Error).message}`) });
  const pods: Informer<Pod> = createInformer(listWatchFor<Pod>(client, Pods, { fieldSelector: `spec.nodeName=${nodeName}` }), { name: 'pods', onError: (e) => log(`pods informer: ${(e as Error).message}`) });
  const [hostResolvConf, hostHostsFile] = await Promise.all([readFile('/etc/resolv.conf', 'utf8').catch(() => ''), readFile('/etc/hosts', 'utf8').catch(() => '')]);
  const workers = new Map<string, PodWorker>();
  const events = new PodEventRecorder(client, nodeName, log);
  const here = dirname(fileURLToPath(import.meta.url));
  const deps = {
    nodeName,
    nodeIP,
    rootDir,
    cniBinDir: opts.cniBinDir,
    cniConfDir,
    ...(opts.podNetnsPrefix ? { podNetnsPrefix: opts.podNetnsPrefix } : {}),
    networkReady,
    clusterDNS: opts.clusterDNS,
    clusterDomain: opts.clusterDomain,
    hostResolvConf,
    hostHostsFile,
    caPem: conn.caPem ?? '',
    client,
    services: () => services.list(),
    events,
    imagePaths: { node: process.execPath, images: join(here, 'images') },
    sandboxSlots: new Semaphore(opts.parallelSandboxes ?? 4),
    log,
    now: Date.now,
  };

  const startWorker = (pod: Pod, adopted?: PodRecord): void => {
    const uid = pod.metadata.uid;
    if (!uid || workers.has(uid)) return;
    const w = new PodWorker(pod, deps, adopted);
    workers.set(uid, w);
    void w.done.then(() => workers.delete(uid));
    w.kick();
  };
  const onPod = (pod: Pod): void => {
    const uid = pod.metadata.uid;
    if (!uid) return;
    const w = workers.get(uid);
    if (w) return w.update(pod);
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      // Finished before this agent started and nothing of it is left here: only the final delete remains.
      if (pod.metadata.deletionTimestamp) {
        void client.delete(Pods, pod.metadata.name ?? '', { namespace: pod.metadata.namespace ?? 'default', gracePeriodSeconds: 0, preconditions: { uid } }).catch(() => undefined);
      }
      return;
    }
    startWorker(pod);
  };

  // ---- adopt what ran before, then follow the pods
  const records = await loadPodRecords(rootDir, log);
  await services.start(abort.signal);
  await pods.start(abort.signal);
  const byUid = new Map(pods.list().map((p) => [p.metadata.uid ?? '', p]));
  for (const r of records) {
    const pod = byUid.get(r.uid);
    if (pod) {
      log(`adopting pod ${r.namespace}/${r.name} (${Object.values(r.containers).filter((c) => c.pid && !c.terminated).length} running containers)`);
      startWorker(pod, r);
    } else {
      log(`pod ${r.namespace}/${r.name} (${r.uid}) is gone from the API: cleaning up what is left of it`);
      await cleanupOrphan(r, rootDir, opts.cniBinDir, log);
    }
  }
  pods.on({ add: onPod, update: (_o, cur) => onPod(cur), delete: (p) => workers.get(p.metadata.uid ?? '')?.removed() });

  // ---- logs on :10250
  const cert = await ensureServingCert(rootDir, nodeName, [nodeIP]);
  const logServer: LogServer = await startLogServer({
    host: opts.address ?? '0.0.0.0',
    port: opts.port ?? KUBELET_PORT,
    certPem: cert.certPem,
    keyPem: cert.keyPem,
    log,
    source: {
      find(ns, name, container, previous) {
        const pod = pods.get(ns, name);
        const w = pod ? workers.get(pod.metadata.uid ?? '') : undefined;
        if (!pod || !w) return { code: 404, message: `pod ${ns}/${name} is not running on node ${nodeName}` };
        const f = w.logFileOf(container, previous);
        if (!f) return { code: 404, message: previous ? `previous terminated container "${container}" in pod "${name}" not found` : `container "${container}" in pod "${name}" has not started yet` };
        return { file: f.file, indexFile: `${f.file}.times`, startedAtMs: f.startedAtMs, running: () => !previous && w.isRunning(container) };
      },
    },
  });
  log(`node agent ready: node ${nodeName}, InternalIP ${nodeIP}, logs on :${logServer.port}, root ${rootDir}, CNI conf ${cniConfDir}, overlay ${overlay}, pod MTU ${podMtu}`);

  return {
    nodeName,
    nodeIP,
    logPort: logServer.port,
    workers: () => workers,
    async close() {
      abort.abort();
      for (const t of timers) clearInterval(t);
      for (const w of workers.values()) w.stop();
      await datapath;
      await logServer.close();
      client.close();
    },
  };
}

async function registerNode(client: KubeClient, name: string, ip: string, m: MachineInfo, log: (m: string) => void): Promise<Node> {
  for (let attempt = 0; ; attempt++) {
    try {
      try {
        await client.create(Nodes, newNode(name, ip, m, Date.now()));
        log(`registered node ${name}`);
      } catch (e) {
        if (!isApiError(e, 409)) throw e;
        const cur = await client.get<Node>(Nodes, name);
        await client.patch(Nodes, name, 'merge', { metadata: { labels: { ...(cur.metadata.labels ?? {}), ...newNode(name, ip, m, Date.now()).metadata.labels } } });
      }
      const cur = await client.get<Node>(Nodes, name);
      return await client.patch<Node>(Nodes, name, 'merge', { status: computeNodeStatus(name, ip, m, cur.status?.conditions, Date.now()) }, { subresource: 'status' });
    } catch (e) {
      if (attempt >= 30) throw e;
      log(`registering node ${name}: ${(e as Error).message}; retrying`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** A pod the agent ran whose object is gone: kill what runs, give the network back, forget it. */
async function cleanupOrphan(r: PodRecord, rootDir: string, cniBinDir: string, log: (m: string) => void): Promise<void> {
  for (const c of Object.values(r.containers)) if (c.pid && !c.terminated && isSameProcess(c.pid, c.procStart ?? '')) signalContainer(c.pid, 'SIGKILL');
  if (r.cni && r.netns) {
    const inv = { containerID: r.cni.containerID, netns: netnsPath(r.netns), ifName: 'eth0', cniPath: cniBinDir, podNamespace: r.namespace, podName: r.name, podUID: r.uid };
    await cniDel(r.cni.list, inv, r.cni.result, []).catch((e: unknown) => log(`orphan ${r.namespace}/${r.name}: ${(e as Error).message}`));
  }
  if (r.netns) await deletePodNetns(r.netns).catch((e: unknown) => log(`orphan ${r.namespace}/${r.name}: ${(e as Error).message}`));
  await removePodDir(rootDir, r.uid);
}

async function machineInfo(): Promise<MachineInfo> {
  const osRelease = await readFile('/etc/os-release', 'utf8').catch(() => '');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? `${os.type()} ${os.release()}`;
  const machineID = (await readFile('/etc/machine-id', 'utf8').catch(() => '')).trim();
  return { cpus: os.cpus().length, memoryBytes: os.totalmem(), kernelVersion: os.release(), osImage: pretty, architecture: goArch(os.arch()), ...(machineID ? { machineID } : {}) };
}
