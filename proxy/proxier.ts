// The running proxy: informer callbacks record Service and EndpointSlice
// changes in the trackers and ask the sync runner for a sync; a sync folds
// the changes into the snapshot, renders (full or partial), restores, and
// only then forgets what it applied. kube-proxy's iptables Proxier, without
// the several-hundred-line function: rendering is iptables-render.ts, IO is
// iptables-restore.ts and conntrack.ts.
import type { EndpointSlice, Service } from '../kube/api/core.js';
import type { Informer } from '../kube/informer.js';
import { planConntrackCleanup, type ConntrackDeletion } from './conntrack-plan.js';
import type { ConntrackCleaner } from './conntrack.js';
import { EndpointsChangeTracker } from './endpoints-change-tracker.js';
import type { HealthCheckService } from './health-check-servers.js';
import { KUBE_PROXY_CANARY, renderIptables, type RenderResult } from './iptables-render.js';
import type { RuleApplier } from './iptables-restore.js';
import type { ProxyConfig } from './proxy-config.js';
import { ProxyHealth } from './proxy-health.js';
import type { ProxyMetrics } from './proxy-metrics.js';
import { ServiceChangeTracker } from './service-change-tracker.js';
import { serviceKeyOf, type ServicePortName } from './service-port.js';
import { applyChanges, emptySnapshot, type ProxySnapshot } from './snapshot.js';
import { SyncRunner, systemClock, type RunnerClock } from './sync-runner.js';

export interface ProxierOptions {
  readonly config: ProxyConfig;
  /** --min-sync-period (ms); 0 syncs as soon as a change arrives. */
  readonly minSyncPeriodMs: number;
  /** --sync-period (ms): a full sync at least this often; 2× is the health timeout. */
  readonly syncPeriodMs: number;
  readonly applier: RuleApplier;
  readonly conntrack: ConntrackCleaner;
  readonly metrics?: ProxyMetrics;
  readonly healthCheckServers?: { sync(want: readonly HealthCheckService[]): Promise<void> };
  readonly clock?: RunnerClock;
  readonly log?: (msg: string) => void;
  /** Told after every sync attempt (tests, the benchmark). */
  readonly onSync?: (r: SyncReport) => void;
}

export interface SyncReport {
  readonly ok: boolean;
  readonly full: boolean;
  readonly startedAt: number;
  /** When iptables-restore returned (= the rules are in the kernel, when ok). */
  readonly restoredAt: number;
  readonly finishedAt: number;
  readonly renderMs: number;
  readonly restoreMs: number;
  /** ServicePorts whose chains were rewritten (partial) or all ServicePorts (full). */
  readonly services: number;
  readonly textBytes: number;
  readonly triggerTimes: readonly number[];
  readonly error?: Error;
}

export class Proxier {
  readonly health: ProxyHealth;
  private readonly services = new ServiceChangeTracker();
  private readonly endpoints = new EndpointsChangeTracker();
  private readonly runner: SyncRunner;
  private readonly clock: RunnerClock;
  private readonly log: (msg: string) => void;

  /** Everything the trackers have delivered so far. */
  private snapshot: ProxySnapshot = emptySnapshot();
  /** What the kernel's rules were last successfully rendered from. */
  private applied: ProxySnapshot = emptySnapshot();
  /** ServicePorts changed since `applied`. */
  private readonly dirty = new Set<ServicePortName>();
  /** Conntrack deletions waiting for a successful restore. */
  private pendingConntrack: ConntrackDeletion[] = [];
  private pendingTriggerTimes: number[] = [];
  private needFull = true;
  /** Read the kernel's chains on the next full sync (first sync, or after the canary vanished). */
  private readExistingChains = true;
  private lastFull: number | undefined;
  private servicesSynced = false;
  private endpointSlicesSynced = false;
  private started = false;

  constructor(private readonly opts: ProxierOptions) {
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? ((m) => process.stderr.write(`${m}\n`));
    this.health = new ProxyHealth(2 * opts.syncPeriodMs);
    // Nothing is applied until the first sync: that counts as a queued change.
    this.health.queued(this.clock.now());
    this.runner = new SyncRunner(() => this.syncProxyRules(), {
      minIntervalMs: opts.minSyncPeriodMs,
      maxIntervalMs: opts.syncPeriodMs,
      retry: { initialMs: Math.min(1000, opts.syncPeriodMs), maxMs: opts.syncPeriodMs },
      clock: this.clock,
      onError: (e) => this.log(`proxy: sync failed, retrying with a full sync: ${e instanceof Error ? e.message : String(e)}`),
    });
  }

  onServiceChange(prev?: Service, cur?: Service): void {
    if (this.services.update(prev, cur)) this.changeQueued(true);
    this.opts.metrics?.serviceChangesPending.set(this.services.pending);
  }

  onEndpointSliceChange(prev?: EndpointSlice, cur?: EndpointSlice): void {
    if (this.endpoints.update(prev, cur)) this.changeQueued(false);
    this.opts.metrics?.endpointChangesPending.set(this.endpoints.pending);
  }

  /** Both informers have delivered their initial lists: the first sync may run (kube-proxy waits for both). */
  setInitialSyncDone(which: 'services' | 'endpointSlices'): void {
    if (which === 'services') this.servicesSynced = true;
    else this.endpointSlicesSynced = true;
    if (this.servicesSynced && this.endpointSlicesSynced && !this.started) {
      this.started = true;
      this.runner.run();
    }
  }

  private changeQueued(service: boolean): void {
    const m = this.opts.metrics;
    if (m) {
      (service ? m.serviceChanges : m.endpointChanges).inc();
      m.lastQueuedTimestamp.set(this.clock.now() / 1000);
    }
    this.health.queued(this.clock.now());
    if (this.started) this.runner.run();
  }

  /**
   * Registers on both informers, starts them, and runs the first sync once
   * both have listed. Resolves when both are synced.
   */
  async attach(informers: { services: Informer<Service>; endpointSlices: Informer<EndpointSlice> }, signal: AbortSignal): Promise<void> {
    informers.services.on({
      add: (o) => this.onServiceChange(undefined, o),
      update: (old, cur) => this.onServiceChange(old, cur),
      delete: (o) => this.onServiceChange(o, undefined),
    });
    informers.endpointSlices.on({
      add: (o) => this.onEndpointSliceChange(undefined, o),
      update: (old, cur) => this.onEndpointSliceChange(old, cur),
      delete: (o) => this.onEndpointSliceChange(o, undefined),
    });
    await Promise.all([
      informers.services.start(signal).then(() => this.setInitialSyncDone('services')),
      informers.endpointSlices.start(signal).then(() => this.setInitialSyncDone('endpointSlices')),
    ]);
  }

  /** Asks for a full sync soon (e.g. the canary is gone). */
  forceFullSync(): void {
    this.needFull = true;
    if (this.started) this.runner.run();
  }

  /** Stops syncing; the rules stay in the kernel so traffic keeps flowing. */
  async stop(): Promise<void> {
    await this.runner.stop();
  }

  /** The snapshot last written to the kernel. */
  get appliedSnapshot(): ProxySnapshot {
    return this.applied;
  }

  /** One sync: throws when the restore fails (the runner retries, and the retry is full). */
  async syncProxyRules(): Promise<void> {
    const startedAt = this.clock.now();
    const cfg = this.opts.config;
    const before = this.snapshot;
    const r = applyChanges(before, { services: this.services.checkout(), endpoints: this.endpoints.checkout() });
    this.opts.metrics?.serviceChangesPending.set(0);
    this.opts.metrics?.endpointChangesPending.set(0);
    this.snapshot = r.snapshot;
    for (const spn of r.changedServices) this.dirty.add(spn);
    this.pendingConntrack.push(...planConntrackCleanup(r, before, r.snapshot));
    this.pendingTriggerTimes.push(...r.triggerTimes);

    let full = this.needFull || this.lastFull === undefined || startedAt - this.lastFull >= this.opts.syncPeriodMs;
    let rendered: RenderResult | undefined;
    let renderMs = 0;
    if (!full) {
      // The canary check runs while the partial render does: both are needed, neither waits for the other.
      const canary = this.opts.applier.chainExists('nat', KUBE_PROXY_CANARY);
      const t0 = this.clock.now();
      rendered = renderIptables(this.snapshot, cfg, { full: false, changedServices: this.dirty, previous: this.applied });
      renderMs = this.clock.now() - t0;
      if (!(await canary)) {
        this.log('proxy: canary chain KUBE-PROXY-CANARY is gone (tables flushed?): full resync');
        full = true;
        this.readExistingChains = true;
        rendered = undefined;
      }
    }
    if (full) {
      const existing = this.readExistingChains ? await this.opts.applier.listChains('nat') : undefined;
      const t0 = this.clock.now();
      rendered = renderIptables(this.snapshot, cfg, {
        full: true,
        previous: this.applied,
        ...(existing ? { existingNatChains: existing } : {}),
      });
      renderMs = this.clock.now() - t0;
    }
    const text = rendered!.text;
    const restoreStart = this.clock.now();
    let restoredAt = restoreStart;
    const report = (ok: boolean, error?: Error): SyncReport => ({
      ok,
      full,
      startedAt,
      restoredAt,
      finishedAt: this.clock.now(),
      renderMs,
      restoreMs: restoredAt - restoreStart,
      services: rendered!.rewrittenServices.length,
      textBytes: text.length,
      triggerTimes: ok ? this.pendingTriggerTimes : [],
      ...(error ? { error } : {}),
    });

    try {
      await this.opts.applier.restore(text, full ? 'iptables-restore (full sync)' : 'iptables-restore (partial sync)');
      restoredAt = this.clock.now();
      // The jumps into our chains need the chains to exist: after the restore that declares them.
      if (full) await this.opts.applier.ensureHookRules();
    } catch (e) {
      restoredAt = this.clock.now();
      const err = e instanceof Error ? e : new Error(String(e));
      this.needFull = true;
      this.opts.metrics?.restoreFailures.inc();
      if (!full) this.opts.metrics?.partialRestoreFailures.inc();
      this.opts.onSync?.(report(false, err));
      throw err;
    }

    this.applied = this.snapshot;
    this.dirty.clear();
    if (full) {
      this.needFull = false;
      this.readExistingChains = false;
      this.lastFull = startedAt;
    }
    const finishedAt = this.clock.now();
    const m = this.opts.metrics;
    if (m) {
      const seconds = (finishedAt - startedAt) / 1000;
      m.syncDuration.observe(seconds);
      (full ? m.syncFullDuration : m.syncPartialDuration).observe(seconds);
      m.lastSyncTimestamp.set(finishedAt / 1000);
      for (const t of this.pendingTriggerTimes) m.networkProgrammingDuration.observe(Math.max(0, (finishedAt - t) / 1000));
      if (full) {
        m.numRules.set({ table: 'nat' }, rendered!.natRules);
        m.numRules.set({ table: 'filter' }, rendered!.filterRules);
      }
    }
    this.health.updated(finishedAt, startedAt);
    // Changes that arrived during the sync are still waiting.
    if (this.services.pending > 0 || this.endpoints.pending > 0) this.health.queued(startedAt);
    const syncReport = report(true);
    this.pendingTriggerTimes = [];

    const deletions = this.pendingConntrack;
    this.pendingConntrack = [];
    if (deletions.length > 0) {
      for (const f of await this.opts.conntrack.delete(deletions)) this.log(`proxy: ${f}`);
    }
    if (this.opts.healthCheckServers) await this.opts.healthCheckServers.sync(healthCheckServices(this.applied, cfg.nodeName));
    this.opts.onSync?.(syncReport);
  }
}

/** Per Service with a healthCheckNodePort: its port and how many ready endpoints run on this node. */
export function healthCheckServices(s: ProxySnapshot, nodeName: string): HealthCheckService[] {
  const out = new Map<string, { port: number; local: Set<string> }>();
  for (const [spn, svc] of s.services) {
    if (svc.healthCheckNodePort === 0) continue;
    const key = serviceKeyOf(spn);
    let e = out.get(key);
    if (!e) {
      e = { port: svc.healthCheckNodePort, local: new Set() };
      out.set(key, e);
    }
    for (const ep of s.endpoints.get(spn) ?? []) if (ep.ready && ep.nodeName === nodeName) e.local.add(ep.ip);
  }
  return [...out].map(([service, e]) => ({ service, port: e.port, localEndpoints: e.local.size }));
}
