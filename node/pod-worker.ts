// One pod on this node, from bound to gone: its sandbox (network namespace +
// CNI), the files a runtime would give it, its containers as processes,
// probes, restarts with back-off, status, and graceful termination. Every
// trigger (an informer event, a container exit, a probe flip, a timer) calls
// kick(); syncs run one at a time and are idempotent: each compares what the
// pod wants with what runs and does the difference. State that must survive
// an agent restart is saved with pod-state-store.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigMap, Container, ContainerState, Pod, PodStatus, Service } from '../kube/api/core.js';
import { ConfigMaps, isApiError, Pods, ServiceAccounts, type KubeClient } from '../kube/client.js';
import { pickNetworkConfig, podIPsFromResult, type PortMapping } from './cni-config.js';
import { cniAdd, cniDel } from './cni-exec.js';
import { buildContainerEnv, EnvError } from './container-env.js';
import { isSameProcess, launchContainer, signalContainer, type BindMount } from './container-process.js';
import { hostAliasesOf, podHostname, renderHostNetworkHostsFile, renderPodHostsFile } from './hosts-file.js';
import { ImageError, resolveContainerArgv } from './images.js';
import { watchLogSizes } from './log-size-index.js';
import { createPodNetns, deletePodNetns, netnsPath, podNetnsHash, podNetnsName } from './netns.js';
import type { PodEventSink } from './pod-events.js';
import { podDir, removePodDir, savePodRecord, type ContainerRecord, type PodRecord } from './pod-state-store.js';
import { computePodStatus, isTerminal, rfc3339, statusDiffers, type ContainerView, type PodView } from './pod-status.js';
import { runProbe } from './probe-runner.js';
import { ProbeSchedule, type ProbeKind } from './probe-schedule.js';
import { computePodResolvConf, renderResolvConf } from './resolv-conf.js';
import { planRestart, shouldRestart } from './restart-backoff.js';

export interface PodWorkerDeps {
  nodeName: string;
  nodeIP: string;
  rootDir: string;
  cniBinDir: string;
  cniConfDir: string;
  /** Prefix of pod network namespace names (default "nkp-"). */
  podNetnsPrefix?: string;
  /** Resolves once this node has a pod CIDR and its CNI configuration is written. */
  networkReady: Promise<void>;
  clusterDNS: string[];
  clusterDomain: string;
  hostResolvConf: string;
  hostHostsFile: string;
  /** The cluster CA, mounted as ca.crt. */
  caPem: string;
  client: Pick<KubeClient, 'get' | 'create' | 'patch' | 'delete'>;
  services(): readonly Service[];
  events: PodEventSink;
  imagePaths: { node: string; images: string };
  /** Bounds concurrent sandbox set-ups (CNI ADD/DEL), shared by all pods of the node. */
  sandboxSlots: Semaphore;
  log(msg: string): void;
  now(): number;
}

const SANDBOX_RETRY_MS = 5_000;
const CONFIG_RETRY_MS = 10_000;
const ADOPTED_POLL_MS = 1_000;
const KILL_WAIT_MS = 5_000;
const IFNAME = 'eth0';
const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

type Waiting = { reason: string; message?: string };

interface RunningContainer {
  spec: Container;
  rec: ContainerRecord;
  /** Why it is not running, when it is not (ContainerCreating, CrashLoopBackOff, …). */
  waiting?: Waiting;
  env?: Record<string, string>;
  exited?: Promise<void>;
  markExited?: () => void;
  probes: Partial<Record<ProbeKind, ProbeSchedule>>;
  probeTimer?: NodeJS.Timeout;
  pollTimer?: NodeJS.Timeout;
  stopLogIndex?: () => void;
  /** Set while the agent kills it on purpose (liveness, deletion): the exit reason is then known. */
  killing?: string;
}

export class PodWorker {
  private pod: Pod;
  private removedFromApi = false;
  private readonly record: PodRecord;
  private readonly containers = new Map<string, RunningContainer>();
  private syncing = false;
  private again = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private podMessage: string | undefined;
  private sandboxWaiting: Waiting | undefined;
  private filesReady = false;
  private lastWritten: PodStatus | undefined;
  private writing: Promise<void> | undefined;
  private writeAgain = false;
  private stopped = false;
  private terminating: Promise<void> | undefined;
  /** Resolves when the pod is fully gone from the node (and the API). */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    pod: Pod,
    private readonly d: PodWorkerDeps,
    adopted?: PodRecord,
  ) {
    this.pod = pod;
    this.done = new Promise((r) => (this.resolveDone = r));
    const uid = pod.metadata.uid ?? '';
    this.record = adopted ?? {
      version: 1,
      uid,
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name ?? '',
      hostNetwork: pod.spec?.hostNetwork === true,
      podIPs: [],
      containers: {},
    };
    if (adopted) this.adopt();
  }

  get uid(): string {
    return this.record.uid;
  }

  get key(): string {
    return `${this.record.namespace}/${this.record.name}`;
  }

  /** The record on disk, e.g. for `netkube exec` style lookups and the log server. */
  get state(): Readonly<PodRecord> {
    return this.record;
  }

  isRunning(container: string): boolean {
    const c = this.containers.get(container);
    return !!c?.rec.pid && !c.rec.terminated;
  }

  update(pod: Pod): void {
    this.pod = pod;
    this.kick();
  }

  /** The pod object is gone from the API (force-deleted): stop everything now. */
  removed(): void {
    this.removedFromApi = true;
    this.kick();
  }

  /** Agent shutdown: stop timers and watchers; containers keep running. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const c of this.containers.values()) {
      clearTimeout(c.probeTimer);
      clearInterval(c.pollTimer);
      c.stopLogIndex?.();
    }
  }

  kick(): void {
    if (this.stopped) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.sync();
        } while (this.again && !this.stopped);
      } catch (e) {
        this.d.log(`pod ${this.key}: sync: ${(e as Error).message}`);
        this.retryIn(SANDBOX_RETRY_MS);
      } finally {
        this.syncing = false;
      }
    })();
  }

  private retryIn(ms: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.kick(), ms);
    this.retryTimer.unref();
  }

  private dir(): string {
    return podDir(this.d.rootDir, this.record.uid);
  }

  private async save(): Promise<void> {
    await savePodRecord(this.d.rootDir, this.record);
  }

  // ------------------------------------------------------------ sync

  private async sync(): Promise<void> {
    if (this.terminating) return;
    if (this.removedFromApi || this.pod.metadata.deletionTimestamp) {
      this.terminating = this.terminate();
      return;
    }
    const spec = this.pod.spec;
    if (!spec) return;
    if (!this.record.startTime) {
      this.record.startTime = rfc3339(this.d.now());
    }
    for (const c of spec.containers) if (!this.containers.has(c.name)) this.containers.set(c.name, this.newRuntime(c));

    if (isTerminal(this.pod, this.view())) {
      // Nothing will run again: give the address back, keep the status (as the kubelet does).
      await this.releaseNetwork();
      this.writeStatus();
      return;
    }

    if (!(await this.ensureSandbox())) {
      this.writeStatus();
      return;
    }
    if (!(await this.ensurePodFiles())) {
      this.writeStatus();
      return;
    }
    let nextWake = Infinity;
    for (const c of spec.containers) {
      const rt = this.containers.get(c.name)!;
      rt.spec = c;
      const wake = await this.syncContainer(rt);
      nextWake = Math.min(nextWake, wake);
    }
    await this.save();
    if (nextWake < Infinity) this.retryIn(Math.max(0, nextWake - this.d.now()));
    this.writeStatus();
  }

  private newRuntime(c: Container): RunningContainer {
    let rec = this.record.containers[c.name];
    if (!rec) {
      rec = { restartCount: 0 };
      this.record.containers[c.name] = rec;
    }
    return { spec: c, rec, probes: {}, waiting: { reason: 'ContainerCreating' } };
  }

  /** Returns when the container wants the next sync (a back-off ending), or Infinity. */
  private async syncContainer(rt: RunningContainer): Promise<number> {
    const rec = rt.rec;
    if (rec.pid && !rec.terminated) return Infinity; // running
    if (rec.terminated) {
      if (rec.restartAtMs === undefined) return Infinity; // done for good
      const now = this.d.now();
      if (now < rec.restartAtMs) {
        const finishedMs = Date.parse(rec.terminated.finishedAt ?? '') || now;
        const secs = Math.max(1, Math.round((rec.restartAtMs - finishedMs) / 1000));
        const message = `back-off ${secs}s restarting failed container=${rt.spec.name} pod=${this.record.name}_${this.record.namespace}(${this.record.uid})`;
        if (rt.waiting?.reason !== 'CrashLoopBackOff') {
          this.d.events.emit(this.pod, 'Warning', 'BackOff', 'Back-off restarting failed container', rt.spec.name);
        }
        rt.waiting = { reason: 'CrashLoopBackOff', message };
        return rec.restartAtMs;
      }
      rec.lastTerminated = rec.terminated;
      delete rec.terminated;
      delete rec.restartAtMs;
      delete rec.pid;
      rec.restartCount++;
    }
    return this.startContainer(rt);
  }

  // ------------------------------------------------------------ sandbox

  private async ensureSandbox(): Promise<boolean> {
    if (this.record.hostNetwork) {
      this.record.podIPs = [this.d.nodeIP];
      return true;
    }
    if (this.record.netns && this.record.cni) return true;
    const name = podNetnsName(this.record.uid, this.d.podNetnsPrefix);
    try {
      await this.d.networkReady;
      const files = await readConfDir(this.d.cniConfDir);
      const list = pickNetworkConfig(this.d.cniConfDir, files);
      const containerID = podNetnsHash(this.record.uid) + this.record.uid.replace(/-/g, '').slice(0, 20);
      const result = await this.d.sandboxSlots.with(async () => {
        await createPodNetns(name);
        this.record.netns = name;
        await this.save();
        return cniAdd(list, this.cniInvocation(name, containerID), this.portMappings());
      });
      const ips = podIPsFromResult(result, IFNAME);
      if (ips.length === 0) throw new Error(`CNI ADD returned no address for ${IFNAME}`);
      this.record.cni = { list, result, containerID };
      this.record.podIPs = ips;
      this.sandboxWaiting = undefined;
      this.podMessage = undefined;
      await this.save();
      return true;
    } catch (e) {
      const msg = `Failed to create pod sandbox: ${(e as Error).message}`;
      this.d.log(`pod ${this.key}: ${msg}`);
      if (this.podMessage !== msg) this.d.events.emit(this.pod, 'Warning', 'FailedCreatePodSandBox', msg);
      this.podMessage = msg;
      this.sandboxWaiting = { reason: 'ContainerCreating' };
      this.retryIn(SANDBOX_RETRY_MS);
      return false;
    }
  }

  private cniInvocation(netns: string, containerID: string) {
    return {
      containerID,
      netns: netnsPath(netns),
      ifName: IFNAME,
      cniPath: this.d.cniBinDir,
      podNamespace: this.record.namespace,
      podName: this.record.name,
      podUID: this.record.uid,
    };
  }

  private portMappings(): PortMapping[] {
    const out: PortMapping[] = [];
    for (const c of this.pod.spec?.containers ?? []) {
      for (const p of c.ports ?? []) {
        if (!p.hostPort) continue;
        out.push({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: (p.protocol ?? 'TCP').toLowerCase(), ...(p.hostIP ? { hostIP: p.hostIP } : {}) });
      }
    }
    return out;
  }

  private async releaseNetwork(): Promise<void> {
    const { netns, cni } = this.record;
    if (cni && netns) {
      try {
        await this.d.sandboxSlots.with(() => cniDel(cni.list, this.cniInvocation(netns, cni.containerID), cni.result, this.portMappings()));
      } catch (e) {
        this.d.log(`pod ${this.key}: ${(e as Error).message}`);
      }
    }
    if (netns) await deletePodNetns(netns);
    if (cni || netns) {
      delete this.record.cni;
      delete this.record.netns;
      await this.save().catch(() => undefined);
    }
  }

  // ------------------------------------------------------------ files

  /** /etc/hosts, /etc/resolv.conf, /etc/hostname, the service account and the volumes: once per pod. */
  private async ensurePodFiles(): Promise<boolean> {
    if (this.filesReady) return true;
    const dir = this.dir();
    const pod = this.pod;
    const spec = pod.spec!;
    try {
      await mkdir(join(dir, 'logs'), { recursive: true });
      const name = podHostname(pod, this.d.clusterDomain);
      const hosts = this.record.hostNetwork
        ? renderHostNetworkHostsFile(this.d.hostHostsFile, hostAliasesOf(pod))
        : renderPodHostsFile(name, this.record.podIPs, hostAliasesOf(pod));
      const resolv = renderResolvConf(computePodResolvConf(this.record.namespace, spec, { clusterDNS: this.d.clusterDNS, clusterDomain: this.d.clusterDomain, hostResolvConf: this.d.hostResolvConf }));
      await Promise.all([writeFile(join(dir, 'hosts'), hosts), writeFile(join(dir, 'resolv.conf'), resolv), writeFile(join(dir, 'hostname'), `${name.hostname}\n`)]);
      if (spec.automountServiceAccountToken !== false) {
        const sa = spec.serviceAccountName || 'default';
        const tr = await this.d.client.create(
          ServiceAccounts,
          { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: { audiences: [], expirationSeconds: 3607, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: this.record.name, uid: this.record.uid } } },
          { namespace: this.record.namespace, name: sa, subresource: 'token' },
        );
        const token = (tr as { status?: { token?: string } }).status?.token;
        if (!token) throw new Error(`TokenRequest for serviceaccount ${this.record.namespace}/${sa} returned no token`);
        const saDir = join(dir, 'serviceaccount');
        await mkdir(saDir, { recursive: true });
        await Promise.all([writeFile(join(saDir, 'token'), token, { mode: 0o644 }), writeFile(join(saDir, 'ca.crt'), this.d.caPem), writeFile(join(saDir, 'namespace'), this.record.namespace)]);
      }
      for (const v of spec.volumes ?? []) {
        const vdir = join(dir, 'volumes', v.name);
        await mkdir(vdir, { recursive: true });
        if (v.configMap) {
          const cm = await this.d.client.get<ConfigMap>(ConfigMaps, v.configMap.name, { namespace: this.record.namespace });
          for (const [k, text] of Object.entries(cm.data ?? {})) await writeFile(join(vdir, k), text);
        } else if (!v.emptyDir) {
          const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
          throw new Error(`volume "${v.name}": ${kind} volumes are not supported by netkube (emptyDir and configMap are)`);
        }
      }
      this.filesReady = true;
      if (this.podMessage?.startsWith('MountVolume')) this.podMessage = undefined;
      return true;
    } catch (e) {
      const msg = `MountVolume.SetUp failed: ${(e as Error).message}`;
      this.d.log(`pod ${this.key}: ${msg}`);
      if (this.podMessage !== msg) this.d.events.emit(this.pod, 'Warning', 'FailedMount', msg);
      this.podMessage = msg;
      this.retryIn(CONFIG_RETRY_MS);
      return false;
    }
  }

  private mountsFor(c: Container): BindMount[] {
    const dir = this.dir();
    const m: BindMount[] = [
      { source: join(dir, 'hosts'), target: '/etc/hosts' },
      { source: join(dir, 'resolv.conf'), target: '/etc/resolv.conf' },
    ];
    if (!this.record.hostNetwork) m.push({ source: join(dir, 'hostname'), target: '/etc/hostname' });
    if (this.pod.spec?.automountServiceAccountToken !== false) m.push({ source: join(dir, 'serviceaccount'), target: SA_MOUNT, readOnly: true });
    for (const vm of c.volumeMounts ?? []) {
      const base = join(dir, 'volumes', vm.name);
      m.push({ source: vm.subPath ? join(base, vm.subPath) : base, target: vm.mountPath, ...(vm.readOnly ? { readOnly: true } : {}) });
    }
    return m;
  }

  // ------------------------------------------------------------ containers

  private async configMapsFor(c: Container): Promise<Map<string, ConfigMap>> {
    const out = new Map<string, ConfigMap>();
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.configMapKeyRef;
      if (!ref || out.has(ref.name)) continue;
      try {
        out.set(ref.name, await this.d.client.get<ConfigMap>(ConfigMaps, ref.name, { namespace: this.record.namespace }));
      } catch (err) {
        if (!isApiError(err, 404)) throw err;
      }
    }
    return out;
  }

  private async startContainer(rt: RunningContainer): Promise<number> {
    const c = rt.spec;
    const rec = rt.rec;
    const name = podHostname(this.pod, this.d.clusterDomain);
    let env: Record<string, string>;
    let argv: string[];
    try {
      env = buildContainerEnv(this.pod, c, {
        services: this.d.services().filter((s) => s.metadata.namespace === this.record.namespace || (s.metadata.namespace === 'default' && s.metadata.name === 'kubernetes')),
        configMaps: await this.configMapsFor(c),
        podIP: this.record.podIPs[0] ?? '',
        podIPs: this.record.podIPs,
        hostIP: this.d.nodeIP,
        nodeName: this.d.nodeName,
        hostname: this.record.hostNetwork ? this.d.nodeName : name.hostname,
      });
      argv = resolveContainerArgv(c, this.d.imagePaths);
    } catch (e) {
      const reason = e instanceof EnvError ? 'CreateContainerConfigError' : e instanceof ImageError ? 'CreateContainerError' : 'CreateContainerError';
      const message = (e as Error).message;
      if (rt.waiting?.message !== message) this.d.events.emit(this.pod, 'Warning', 'Failed', `Error: ${message}`, c.name);
      rt.waiting = { reason, message };
      return this.d.now() + CONFIG_RETRY_MS;
    }
    if (!rt.waiting || rt.waiting.reason === 'ContainerCreating') {
      this.d.events.emit(this.pod, 'Normal', 'Pulled', `Container image "${c.image ?? ''}" already present on machine`, c.name);
    }
    const logDir = join(this.dir(), 'logs', c.name);
    await mkdir(logDir, { recursive: true });
    const logFile = join(logDir, `${rec.restartCount}.log`);
    await pruneLogs(logDir, rec.restartCount);
    try {
      const launched = await launchContainer({
        argv,
        env,
        ...(this.record.netns ? { netns: this.record.netns } : {}),
        ...(this.record.hostNetwork ? {} : { hostname: name.hostname }),
        mounts: this.mountsFor(c),
        ...(c.workingDir ? { workingDir: c.workingDir } : {}),
        mountsFile: join(this.dir(), `mounts-${c.name}`),
        logFile,
      });
      const startedAtMs = this.d.now();
      rec.pid = launched.pid;
      rec.procStart = launched.procStart;
      rec.startedAtMs = startedAtMs;
      rec.containerID = `netkube://${createHash('sha256').update(`${this.record.uid}/${c.name}/${rec.restartCount}/${launched.pid}`).digest('hex').slice(0, 32)}`;
      delete rec.terminated;
      rt.waiting = undefined;
      rt.env = env;
      rt.killing = undefined;
      let markExited!: () => void;
      rt.exited = new Promise((r) => (markExited = r));
      rt.markExited = markExited;
      launched.child.once('exit', (code, signal) => this.onExit(rt, launched.pid, code, signal));
      rt.stopLogIndex = watchLogSizes(logFile, `${logFile}.times`, (m) => this.d.log(m));
      this.d.events.emit(this.pod, 'Normal', 'Created', `Created container ${c.name}`, c.name);
      this.d.events.emit(this.pod, 'Normal', 'Started', `Started container ${c.name}`, c.name);
      this.setupProbes(rt, startedAtMs);
      await this.save();
    } catch (e) {
      const message = (e as Error).message;
      this.d.events.emit(this.pod, 'Warning', 'Failed', `Error: ${message}`, c.name);
      rt.waiting = { reason: 'CreateContainerError', message };
      return this.d.now() + CONFIG_RETRY_MS;
    }
    return Infinity;
  }

  private onExit(rt: RunningContainer, pid: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (rt.rec.pid !== pid || rt.rec.terminated) return;
    const signo = signal ? signalNumber(signal) : undefined;
    const exitCode = code ?? (signo !== undefined ? 128 + signo : 255);
    this.recordExit(rt, exitCode, signo);
  }

  private recordExit(rt: RunningContainer, exitCode: number, signo?: number, message?: string): void {
    const rec = rt.rec;
    const now = this.d.now();
    clearTimeout(rt.probeTimer);
    clearInterval(rt.pollTimer);
    rt.stopLogIndex?.();
    rt.stopLogIndex = undefined;
    rt.probes = {};
    const terminated: NonNullable<ContainerState['terminated']> = {
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      startedAt: rfc3339(rec.startedAtMs ?? now),
      finishedAt: rfc3339(now),
      ...(rec.containerID ? { containerID: rec.containerID } : {}),
    } as NonNullable<ContainerState['terminated']>;
    if (signo !== undefined) terminated.signal = signo;
    if (message) terminated.message = message;
    rec.terminated = terminated;
    const policy = this.pod.spec?.restartPolicy;
    if (!this.pod.metadata.deletionTimestamp && !this.removedFromApi && shouldRestart(policy, exitCode)) {
      const plan = planRestart(rec.backoff, { startedAtMs: rec.startedAtMs ?? now, finishedAtMs: now });
      rec.backoff = plan.next;
      rec.restartAtMs = plan.restartAtMs;
    } else {
      delete rec.restartAtMs;
    }
    rt.markExited?.();
    void this.save().catch(() => undefined);
    this.kick();
  }

  // ------------------------------------------------------------ adoption

  /** After an agent restart: containers whose process still runs are taken over as they are. */
  private adopt(): void {
    this.filesReady = true;
    for (const [name, rec] of Object.entries(this.record.containers)) {
      const spec = this.pod.spec?.containers.find((c) => c.name === name);
      if (!spec) continue;
      const rt: RunningContainer = { spec, rec, probes: {} };
      this.containers.set(name, rt);
      if (!rec.pid || rec.terminated) continue;
      let markExited!: () => void;
      rt.exited = new Promise((r) => (markExited = r));
      rt.markExited = markExited;
      if (!isSameProcess(rec.pid, rec.procStart ?? '')) {
        this.recordExit(rt, 255, undefined, 'the container exited while the node agent was down; its exit code is unknown');
        continue;
      }
      // Not our child any more: poll for its exit (its exit code cannot be known).
      const pid = rec.pid;
      rt.pollTimer = setInterval(() => {
        if (isSameProcess(pid, rec.procStart ?? '')) return;
        this.recordExit(rt, rt.killing ? 137 : 255, undefined, rt.killing ? undefined : 'exit code unknown: the container was adopted after a node agent restart');
      }, ADOPTED_POLL_MS);
      rt.pollTimer.unref();
      const logFile = join(this.dir(), 'logs', name, `${rec.restartCount}.log`);
      rt.stopLogIndex = watchLogSizes(logFile, `${logFile}.times`, (m) => this.d.log(m));
      // The env (for exec probes) is rebuilt as it was at start, as far as the spec tells.
      try {
        rt.env = buildContainerEnv(this.pod, spec, {
          services: [], configMaps: new Map(), podIP: this.record.podIPs[0] ?? '', podIPs: this.record.podIPs, hostIP: this.d.nodeIP, nodeName: this.d.nodeName, hostname: podHostname(this.pod, this.d.clusterDomain).hostname,
        });
      } catch {
        rt.env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
      }
      this.setupProbes(rt, rec.startedAtMs ?? this.d.now());
      // Keep readiness as the API last saw it, so an agent restart does not flap endpoints.
      const wasReady = this.pod.status?.containerStatuses?.find((s) => s.name === name)?.ready;
      if (wasReady && rt.probes.readiness) rt.probes.readiness.reset('success');
      const wasStarted = this.pod.status?.containerStatuses?.find((s) => s.name === name)?.started;
      if (wasStarted && rt.probes.startup) delete rt.probes.startup;
    }
  }

  // ------------------------------------------------------------ probes

  private setupProbes(rt: RunningContainer, startedAtMs: number): void {
    const c = rt.spec;
    rt.probes = {};
    if (c.startupProbe) rt.probes.startup = new ProbeSchedule('startup', c.startupProbe, startedAtMs);
    if (c.readinessProbe) rt.probes.readiness = new ProbeSchedule('readiness', c.readinessProbe, startedAtMs);
    if (c.livenessProbe) rt.probes.liveness = new ProbeSchedule('liveness', c.livenessProbe, startedAtMs);
    this.scheduleProbes(rt);
  }

  /** Readiness and liveness wait until a startup probe has succeeded. */
  private activeProbes(rt: RunningContainer): ProbeSchedule[] {
    if (rt.probes.startup) return [rt.probes.startup];
    return [rt.probes.readiness, rt.probes.liveness].filter((p): p is ProbeSchedule => !!p);
  }

  private scheduleProbes(rt: RunningContainer): void {
    clearTimeout(rt.probeTimer);
    const active = this.activeProbes(rt);
    if (active.length === 0 || this.stopped) return;
    const due = Math.min(...active.map((p) => p.dueAtMs()));
    rt.probeTimer = setTimeout(() => void this.runDueProbes(rt), Math.max(0, due - this.d.now()));
    rt.probeTimer.unref();
  }

  private async runDueProbes(rt: RunningContainer): Promise<void> {
    const pid = rt.rec.pid;
    if (!pid || rt.rec.terminated || rt.killing) return;
    const now = this.d.now();
    const due = this.activeProbes(rt).filter((p) => p.dueAtMs() <= now);
    let changed = false;
    await Promise.all(
      due.map(async (p) => {
        const spec = p.kind === 'startup' ? rt.spec.startupProbe! : p.kind === 'readiness' ? rt.spec.readinessProbe! : rt.spec.livenessProbe!;
        const out = await runProbe(spec, { podIP: this.record.podIPs[0] ?? '127.0.0.1', container: rt.spec, pid, env: rt.env ?? {} }, p.timing.timeoutMs);
        if (rt.rec.pid !== pid || rt.rec.terminated) return;
        if (!out.ok) this.d.events.emit(this.pod, 'Warning', 'Unhealthy', `${capitalize(p.kind)} probe failed: ${out.message}`, rt.spec.name);
        const flipped = p.record(out.ok ? 'success' : 'failure', this.d.now());
        if (!flipped) return;
        changed = true;
        if (p.kind === 'startup' && p.current === 'success') {
          delete rt.probes.startup;
          // Readiness and liveness count from now.
          const t = this.d.now();
          if (rt.spec.readinessProbe) rt.probes.readiness = new ProbeSchedule('readiness', rt.spec.readinessProbe, t);
          if (rt.spec.livenessProbe) rt.probes.liveness = new ProbeSchedule('liveness', rt.spec.livenessProbe, t);
        } else if ((p.kind === 'liveness' || p.kind === 'startup') && p.current === 'failure') {
          const why = p.kind === 'liveness' ? 'failed liveness probe' : 'failed startup probe';
          this.d.events.emit(this.pod, 'Normal', 'Killing', `Container ${rt.spec.name} ${why}, will be restarted`, rt.spec.name);
          void this.killContainer(rt, probeGraceSeconds(spec, this.pod), why);
        }
      }),
    );
    if (changed) this.kick();
    this.scheduleProbes(rt);
  }

  /** SIGTERM to the container's process group, SIGKILL after the grace period; resolves when it has exited (or after a last wait). */
  private async killContainer(rt: RunningContainer, graceSeconds: number, why: string): Promise<void> {
    const pid = rt.rec.pid;
    if (!pid || rt.rec.terminated) return;
    rt.killing = why;
    clearTimeout(rt.probeTimer);
    signalContainer(pid, 'SIGTERM');
    const exited = rt.exited ?? Promise.resolve();
    const timedOut = await Promise.race([exited.then(() => false), sleep(graceSeconds * 1000).then(() => true)]);
    if (timedOut && !rt.rec.terminated) {
      signalContainer(pid, 'SIGKILL');
      await Promise.race([exited, sleep(KILL_WAIT_MS)]);
    }
    if (!rt.rec.terminated) this.recordExit(rt, 137, 9, 'the container did not exit after SIGKILL');
  }

  // ------------------------------------------------------------ termination

  private async terminate(): Promise<void> {
    const meta = this.pod.metadata;
    const grace = this.removedFromApi ? 0 : (meta.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30);
    clearTimeout(this.retryTimer);
    await Promise.all(
      [...this.containers.values()].map(async (rt) => {
        if (!rt.rec.pid || rt.rec.terminated) return;
        this.d.events.emit(this.pod, 'Normal', 'Killing', `Stopping container ${rt.spec.name}`, rt.spec.name);
        await this.killContainer(rt, grace, 'pod deletion');
      }),
    );
    this.writeStatus();
    await this.writing?.catch(() => undefined);
    await this.releaseNetwork();
    for (const rt of this.containers.values()) {
      clearInterval(rt.pollTimer);
      rt.stopLogIndex?.();
    }
    await removePodDir(this.d.rootDir, this.record.uid);
    if (!this.removedFromApi) {
      try {
        await this.d.client.delete(Pods, this.record.name, { namespace: this.record.namespace, gracePeriodSeconds: 0, preconditions: { uid: this.record.uid } });
      } catch (e) {
        if (!isApiError(e, 404) && !isApiError(e, 409)) this.d.log(`pod ${this.key}: final delete: ${(e as Error).message}`);
      }
    }
    this.stopped = true;
    this.resolveDone();
  }

  // ------------------------------------------------------------ status

  view(): PodView {
    const spec = this.pod.spec;
    const containers: ContainerView[] = (spec?.containers ?? []).map((c) => {
      const rt = this.containers.get(c.name);
      const rec = rt?.rec;
      let state: ContainerState;
      let lastState: ContainerState | undefined = rec?.lastTerminated ? { terminated: rec.lastTerminated } : undefined;
      let running = false;
      if (rec?.terminated && rec.restartAtMs !== undefined) {
        state = { waiting: rt?.waiting ?? { reason: 'CrashLoopBackOff' } };
        lastState = { terminated: rec.terminated };
      } else if (rec?.terminated) {
        state = { terminated: rec.terminated };
      } else if (rec?.pid && rec.startedAtMs !== undefined) {
        state = { running: { startedAt: rfc3339(rec.startedAtMs) } };
        running = true;
      } else {
        state = { waiting: rt?.waiting ?? this.sandboxWaiting ?? { reason: 'ContainerCreating' } };
      }
      const started = running && !rt?.probes.startup;
      const ready = started && (c.readinessProbe ? rt?.probes.readiness?.current === 'success' : true);
      const v: ContainerView = { name: c.name, image: c.image ?? '', state, restartCount: rec?.restartCount ?? 0, ready, started };
      if (lastState) v.lastState = lastState;
      if (rec?.containerID) v.containerID = rec.containerID;
      return v;
    });
    const sandboxReady = this.record.hostNetwork || (!!this.record.netns && !!this.record.cni);
    const view: PodView = { hostIP: this.d.nodeIP, podIPs: this.record.podIPs, sandboxReady, containers };
    if (this.record.startTime) view.startTime = this.record.startTime;
    if (this.podMessage) view.message = this.podMessage;
    return view;
  }

  /** Writes pods/status when it changed; one write in flight per pod, later changes coalesce into the next. */
  private writeStatus(): void {
    if (this.removedFromApi) return;
    if (this.writing) {
      this.writeAgain = true;
      return;
    }
    const base = this.lastWritten ? { ...this.pod, status: this.lastWritten } : this.pod;
    const next = computePodStatus(base, this.view(), this.d.now());
    if (!statusDiffers(base.status, next)) return;
    const body: Record<string, unknown> = { ...next };
    // A merge patch keeps fields it does not mention: clear the pod-level message explicitly.
    if (next.message === undefined && base.status?.message !== undefined) body['message'] = null;
    this.writing = (async () => {
      try {
        await this.d.client.patch(Pods, this.record.name, 'merge', { status: body }, { namespace: this.record.namespace, subresource: 'status' });
        this.lastWritten = next;
      } catch (e) {
        if (isApiError(e, 404)) return;
        this.d.log(`pod ${this.key}: status update: ${(e as Error).message}`);
        this.lastWritten = undefined;
        this.retryIn(1000);
      } finally {
        this.writing = undefined;
        if (this.writeAgain) {
          this.writeAgain = false;
          this.writeStatus();
        }
      }
    })();
  }

  /** For the log server: the log file of the current (or previous) run of a container. */
  logFileOf(container: string, previous: boolean): { file: string; startedAtMs: number } | undefined {
    const rec = this.record.containers[container];
    if (!rec) return undefined;
    const n = previous ? rec.restartCount - 1 : rec.restartCount;
    if (n < 0) return undefined;
    const file = join(this.dir(), 'logs', container, `${n}.log`);
    return { file, startedAtMs: previous ? Date.parse(rec.lastTerminated?.startedAt ?? '') || 0 : (rec.startedAtMs ?? 0) };
  }
}

/**
 * A counting semaphore. Each CNI call is a plugin process that takes the
 * node's IPAM lock: a hundred at once only fight over two CPUs and the lock,
 * and every pod finishes late; a few at a time finish in order, early.
 */
export class Semaphore {
  private free: number;
  private readonly waiters: Array<() => void> = [];

  constructor(slots: number) {
    this.free = slots;
  }

  async with<T>(f: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((r) => this.waiters.push(r));
    try {
      return await f();
    } finally {
      const next = this.waiters.shift();
      if (next) next();
      else this.free++;
    }
  }
}

async function readConfDir(dir: string): Promise<Array<{ name: string; text: string }>> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: Array<{ name: string; text: string }> = [];
  for (const name of names) {
    try {
      out.push({ name, text: await readFile(join(dir, name), 'utf8') });
    } catch {
      // a directory or unreadable file is not a network config
    }
  }
  return out;
}

/** Keeps the current and previous run's logs (kubectl logs --previous), as the kubelet does. */
async function pruneLogs(dir: string, current: number): Promise<void> {
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    const n = Number(f.split('.')[0]);
    if (Number.isInteger(n) && n < current - 1) await rm(join(dir, f), { force: true });
  }
}

function probeGraceSeconds(p: { terminationGracePeriodSeconds?: number }, pod: Pod): number {
  return p.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
}

function signalNumber(s: NodeJS.Signals): number | undefined {
  return (
    ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 } as Record<string, number>)[s]
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
