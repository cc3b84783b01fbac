// bench/proxy: the service proxy at 10,000 Services × 10 endpoints, in a
// fresh network namespace, against references measured in the same run:
//  (a) our full sync (render + iptables-restore, as the Proxier runs it) vs
//  (b) a bare `iptables-restore --noflush` of the identical text, both into
//      emptied tables;
//  (c) a partial sync after one endpoint of one Service changes;
//  (d) network programming latency: EndpointSlice write at the API → our
//      restore for it returned (rules in the kernel), p50/p99 over 100
//      changes, with --min-sync-period 0; cross-checked once with iptables-save.
//
// Everything runs inside the namespace: the script creates it, re-runs
// itself there (apiserver-lite on the namespace's loopback, the proxy and
// iptables in it), and deletes it at the end, also after a failure.
//
// Usage (root): npm run build && node dist/bench/proxy.js [--services 10000] [--endpoints 10] [--changes 100] [--rounds 1]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EndpointSlice, Service } from '../kube/api/core.js';
import { EndpointSlices, KubeClient, Services } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { commandRunner } from '../proxy/exec-command.js';
import { renderIptables } from '../proxy/iptables-render.js';
import type { SyncReport } from '../proxy/proxier.js';
import { runProxy } from '../proxy/run.js';
import { ms, ratio, summarize } from './bench-stats.js';
import { startBenchApiServer } from './bench-apiserver.js';
import { withNatCacheHint } from '../proxy/restore-cache-hint.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const SERVICES = arg('services', 10_000);
const ENDPOINTS = arg('endpoints', 10);
const CHANGES = arg('changes', 100);
/** Rounds of (b) then (a) after the first full sync. */
const ROUNDS = arg('rounds', 1);
const now = (): number => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------- outside: make the namespace, run inside, clean up

function outside(): number {
  const ns = `nk-bench-${randomBytes(3).toString('hex')}`;
  const ip = (...a: string[]) => {
    const r = spawnSync('ip', a, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`ip ${a.join(' ')} failed`);
  };
  ip('netns', 'add', ns);
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, process.argv[1]!, '--inside', ...process.argv.slice(2)], {
      stdio: 'inherit',
    });
    return r.status ?? 1;
  } finally {
    spawnSync('ip', ['netns', 'del', ns], { stdio: 'inherit' });
  }
}

// ---------------------------------------------------------------- inside the namespace


const endpointIP = (svc: number, ep: number, gen = 0): string => `10.${128 + gen * 8 + (svc >> 8) % 8}.${svc & 255}.${ep + 1}`;

function sliceFor(i: number, ips: string[], trigger?: number): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: 'default',
      name: `svc-${i}-slice`,
      labels: { 'kubernetes.io/service-name': `svc-${i}` },
      ...(trigger !== undefined ? { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': new Date(trigger).toISOString() } } : {}),
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: ips.map((ip, k) => ({ addresses: [ip], conditions: { ready: true }, nodeName: `node-${k % 5}` })),
  };
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function inside(): Promise<void> {
  const run = commandRunner();
  const sh = async (cmd: string, args: string[], input?: string) => {
    const r = await run(cmd, args, input);
    if (r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  // Empties both tables (chains and rules): the "fresh namespace" state for each full-sync measurement.
  const emptyTables = () => sh('iptables-restore', ['-w', '5'], '*filter\nCOMMIT\n*nat\nCOMMIT\n');

  const dataDir = mkdtempSync(join(tmpdir(), 'nk-bench-proxy-'));
  const api = await startBenchApiServer(dataDir, { store: 'memory' });
  // Interrupted: the API server child must not outlive the run (the outer process deletes the namespace).
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      api.proc.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(130);
    });
  }
  const client = new KubeClient(await loadKubeconfig(api.kubeconfig));
  let proxy: Awaited<ReturnType<typeof runProxy>> | undefined;
  try {
    const t0 = now();
    const indexes = Array.from({ length: SERVICES }, (_, i) => i);
    await pool(indexes, 32, async (i) => {
      await client.create<Service>(Services, {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { namespace: 'default', name: `svc-${i}` },
        spec: { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
      });
      await client.create(EndpointSlices, sliceFor(i, Array.from({ length: ENDPOINTS }, (_, k) => endpointIP(i, k))));
    });
    console.log(`populated ${SERVICES} Services and EndpointSlices (${SERVICES * ENDPOINTS} endpoints) in ${((now() - t0) / 1000).toFixed(1)} s`);

    // The proxy, in this process, inside the namespace.
    const reports: SyncReport[] = [];
    const waiters: ((r: SyncReport) => boolean)[] = [];
    const nextSync = (pred: (r: SyncReport) => boolean, what: string, timeoutMs = 120_000): Promise<SyncReport> =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
        waiters.push((r) => {
          if (!pred(r)) return false;
          clearTimeout(t);
          resolve(r);
          return true;
        });
      });
    const firstSync = nextSync((r) => r.ok && r.full, 'the first full sync');
    proxy = await runProxy(
      {
        hostnameOverride: 'node-0',
        clusterCIDR: '10.128.0.0/9',
        minSyncPeriodMs: 0,
        // No periodic full sync during the measurement.
        syncPeriodMs: 3_600_000,
        healthzBindAddress: '',
        metricsBindAddress: '',
        kubeconfig: api.kubeconfig,
        onSync: (r) => {
          reports.push(r);
          for (let i = 0; i < waiters.length; i++) if (waiters[i]!(r)) waiters.splice(i--, 1);
          if (!r.ok) console.error(`sync failed: ${r.error?.message}`);
        },
      },
      () => undefined,
    );
    const first = await firstSync;
    console.log(`first full sync (via the API, into empty tables): ${ms(first.finishedAt - first.startedAt)}`);
    const cfg = { nodeName: 'node-0', nodeIPs: proxy.nodeIPs, clusterCIDR: '10.128.0.0/9' };
    // The bytes our applier sends (the renderer's text plus the iptables-nft cache hint for large restores).
    const text = withNatCacheHint(renderIptables(proxy.proxier.appliedSnapshot, cfg, { full: true }).text);
    const lines = text.split('\n').length;
    console.log(`ruleset: ${lines} lines, ${(text.length / 1e6).toFixed(1)} MB`);

    // (a) vs (b): alternate, each into emptied tables.
    const ours: { total: number; renderRestore: number }[] = [{ total: first.finishedAt - first.startedAt, renderRestore: first.renderMs + first.restoreMs }];
    const bare: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await emptyTables();
      const b0 = now();
      await sh('iptables-restore', ['-w', '5', '--noflush'], text);
      bare.push(now() - b0);
      console.log(`bare iptables-restore: ${ms(bare.at(-1)!)}`);
      await emptyTables();
      const full = nextSync((r) => r.ok && r.full, 'a forced full sync');
      proxy.proxier.forceFullSync();
      const r = await full;
      ours.push({ total: r.finishedAt - r.startedAt, renderRestore: r.renderMs + r.restoreMs });
      console.log(`our full sync: ${ms(ours.at(-1)!.total)}`);
    }
    // A periodic full resync over rules already in place (no emptying).
    const resyncP = nextSync((r) => r.ok && r.full, 'a full resync');
    proxy.proxier.forceFullSync();
    const resync = await resyncP;

    // (c) + (d): one endpoint of one Service changes, 100 times, one at a time.
    const latencies: number[] = [];
    const partials: number[] = [];
    let partialBytes = 0;
    let crossChecked = '';
    for (let c = 0; c < CHANGES; c++) {
      const i = (c * 97) % SERVICES;
      const ips = Array.from({ length: ENDPOINTS }, (_, k) => endpointIP(i, k, k === 0 ? 1 + (c % 2) : 0));
      const trigger = Math.floor(now());
      const applied = nextSync((r) => r.ok && r.triggerTimes.includes(trigger), `the sync of change ${c}`);
      const cur = await client.get<EndpointSlice>(EndpointSlices, `svc-${i}-slice`, { namespace: 'default' });
      const w0 = now();
      const s = sliceFor(i, ips, trigger);
      await client.update(EndpointSlices, { ...s, metadata: { ...s.metadata, resourceVersion: cur.metadata.resourceVersion } });
      const r = await applied;
      latencies.push(r.restoredAt - w0);
      if (!r.full) {
        partials.push(r.finishedAt - r.startedAt);
        partialBytes = r.textBytes;
      }
      if (c === 0) {
        const saved = (await sh('iptables-save', ['-t', 'nat'])).stdout;
        crossChecked = saved.includes(`--to-destination ${ips[0]}:8080`) ? `yes (${ips[0]}:8080 present in iptables-save)` : 'NO: the new endpoint is missing';
      }
      await new Promise((res) => setTimeout(res, 20));
    }

    const bestOurs = Math.min(...ours.map((o) => o.total));
    const bestOursRR = Math.min(...ours.map((o) => o.renderRestore));
    const bestBare = Math.min(...bare);
    const part = summarize(partials);
    const lat = summarize(latencies);
    console.log('');
    console.log(`(a) our full sync, into empty tables:      ${ours.map((o) => ms(o.total)).join(', ')} (render+restore: ${ours.map((o) => ms(o.renderRestore)).join(', ')})`);
    console.log(`(b) bare iptables-restore, same text:       ${bare.map(ms).join(', ')}`);
    console.log(`    ratio (a)/(b), best of each:            ${ratio(bestOurs, bestBare)} (render+restore only: ${ratio(bestOursRR, bestBare)})   aim ≤ 1.30x`);
    console.log(`    full resync over existing rules:        ${ms(resync.finishedAt - resync.startedAt)} (render ${ms(resync.renderMs)}, restore ${ms(resync.restoreMs)})`);
    console.log(`(c) one-endpoint partial sync:              p50 ${ms(part.p50)}, p99 ${ms(part.p99)} (n=${part.n}, ${partialBytes} bytes of restore text)`);
    console.log(`    ratio (c) p50 / (a):                    ${((100 * part.p50) / bestOurs).toFixed(2)} %   aim ≤ 2 %`);
    console.log(`(d) network programming latency (write → restore done), --min-sync-period 0:`);
    console.log(`    p50 ${ms(lat.p50)}, p99 ${ms(lat.p99)}, max ${ms(lat.max)} (n=${lat.n})   aim p99 < 200 ms`);
    console.log(`    cross-check with iptables-save:         ${crossChecked}`);
  } finally {
    await proxy?.close();
    client.close();
    await api.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--inside')) {
  inside().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? e.stack ?? e.message : String(e));
      process.exit(1);
    },
  );
} else {
  if (process.getuid?.() !== 0) {
    console.error('bench/proxy needs root (network namespaces, iptables)');
    process.exit(1);
  }
  process.exitCode = outside();
}
