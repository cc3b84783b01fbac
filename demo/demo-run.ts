// `netkube demo`: the guided tour. Each step says what it does, does it
// against the running lab(s), and prints what it saw:
//   1. service routing   a Deployment behind a ClusterIP and a NodePort; the spread; the proxy's rules
//   2. DNS               A, SRV and PTR answers; a headless Service following its pods
//   3. load balancing    ClusterIP vs a sidecar vs DNS across two clusters vs headless, same load, a
//                        backend killed and one added mid-run
//   4. report            a table here, report.html and results.json under $NETKUBE_HOME/<lab>/demo/
// Every number comes from this run. Without a terminal on stdin it asks nothing.
import { setTimeout as sleep } from 'node:timers/promises';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Deployment, Service } from '../kube/api/core.js';
import { Deployments, Services } from '../kube/client.js';
import { DNS_DEFAULTS } from '../dns/run.js';
import { run } from '../lab/run-command.js';
import { applyDemoObjects, openCluster, podName, readyWebPods, scaleWeb, waitForWeb, type DemoCluster } from './demo-cluster.js';
import { defaultPeerFlags, peerUpArgs, runNetkube, type PeerFlags } from './demo-labs.js';
import { CLIENT, DEMO_NAMESPACE, SERVICE_PORT, WEB, WEB_HEADLESS, WEB_PORT_NAME, type SidecarPolicy } from './demo-manifests.js';
import { demoModes } from './demo-modes.js';
import { startGlobalDns, type GlobalDns } from './global-dns.js';
import { startHealthChecks, type HealthChecks } from './global-dns-health.js';
import { entryPointDisruption, podDisruption, type Disruption } from './disruptions.js';
import { runMode, type LoadParams, type ModeRun } from './mode-run.js';
import { runInPod } from './pod-command.js';
import { rulesForService } from './proxy-rules.js';
import { buildDemoResults, writeDemoReport } from './demo-report.js';
import { MODE_TITLES } from './results.js';

export interface DemoOptions {
  home: string;
  lab: string;
  /** The second cluster (DNS load balancing across clusters); undefined: skip that mode. */
  peer: Partial<PeerFlags> | undefined;
  /** argv running this netkube build. */
  netkube: string[];
  /** Nodes of a lab the demo brings up itself. */
  nodes: number;
  interactive: boolean;
  replicas: number;
  nodePort: number;
  policy: SidecarPolicy;
  load: { rate: number; timeoutMs: number; killAfterS: number; settleS: number };
  globalTtl: number;
  out: (text: string) => void;
}

export const GLOBAL_NAME = 'web.global.netkube.test';

const NS = { namespace: DEMO_NAMESPACE };

function counts(names: readonly (string | null)[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const n of names) m.set(n ?? '(failed)', (m.get(n ?? '(failed)') ?? 0) + 1);
  return new Map([...m].sort((a, b) => a[0].localeCompare(b[0])));
}

function renderCounts(m: Map<string, number>, indent = '    '): string {
  const total = [...m.values()].reduce((a, b) => a + b, 0);
  const width = Math.max(...[...m.keys()].map((k) => k.length));
  return [...m].map(([k, v]) => `${indent}${k.padEnd(width)}  ${String(v).padStart(4)}  ${'█'.repeat(Math.round((v / total) * 40))}`).join('\n');
}

/** One GET on a fresh connection; the answering pod's name or null. */
function getPodName(url: string): Promise<string | null> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve((res.headers['x-pod-name'] as string | undefined) ?? null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

async function ensureLab(o: DemoOptions, name: string, upArgs: string[]): Promise<DemoCluster> {
  const up = (await runNetkube(o.netkube, ['status', '--name', name], true)) === 0;
  if (!up) {
    o.out(`\n==> bringing lab "${name}" up: netkube ${upArgs.join(' ')}\n`);
    const code = await runNetkube(o.netkube, upArgs);
    if (code !== 0) throw new Error(`netkube ${upArgs.join(' ')} failed (exit ${code})`);
  }
  const c = await openCluster(o.home, name);
  if (!c) throw new Error(`lab "${name}" has no lab.json under ${o.home}`);
  return c;
}

async function pause(o: DemoOptions, next: string): Promise<void> {
  if (!o.interactive) return;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    await rl.question(`\n[Enter] ${next} `);
  } finally {
    rl.close();
  }
}

function heading(o: DemoOptions, n: number | string, title: string, what: string): void {
  o.out(`\n━━━ ${n}. ${title} ${'━'.repeat(Math.max(3, 70 - title.length))}\n${what}\n`);
}

async function digShort(c: DemoCluster, args: string[]): Promise<string[]> {
  const r = await runInPod(c.cfg, { ...NS, pod: CLIENT, container: 'tools', command: ['dig', '+time=2', '+tries=2', ...args] });
  return r.stdout.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith(';'));
}

async function stepServiceRouting(o: DemoOptions, a: DemoCluster, svc: Service): Promise<void> {
  heading(o, 1, 'Service routing', `A Deployment of ${o.replicas} netkube/echo pods behind Service ${WEB} (type NodePort: ClusterIP ${svc.spec?.clusterIP}:${SERVICE_PORT}, NodePort ${o.nodePort} on every node).`);
  const pods = await readyWebPods(a);
  o.out(`  pods:\n${pods.map((p) => `    ${podName(p).padEnd(28)} ${String(p.status?.podIP).padEnd(15)} ${p.spec?.nodeName ?? ''}`).join('\n')}\n`);
  const url = `http://${svc.spec?.clusterIP}:${SERVICE_PORT}/`;
  // One curl per request would take minutes; the load generator is one process sending them on fresh connections.
  const probe = await runMode(
    { id: 'clusterip', how: '', loadgenArgs: ['--mode', 'url', '--url', url], backends: 'local', disruption: 'pod' },
    a, [a], undefined, { rate: 30, durationS: 2, timeoutMs: 1000 },
  );
  const byClusterIP = probe.samples.map((s) => s.backend);
  o.out(`\n  ${byClusterIP.length} requests from pod ${CLIENT} to ${url} (a new connection each), answered by:\n${renderCounts(counts(byClusterIP))}\n`);
  const byNodePort: (string | null)[] = [];
  for (let i = 0; i < 30; i++) byNodePort.push(await getPodName(`http://${a.cfg.nodes[i % a.cfg.nodes.length]!.ip}:${o.nodePort}/`));
  o.out(`\n  30 requests from this host to the NodePort on ${a.cfg.nodes.map((n) => `${n.ip}:${o.nodePort}`).join(', ')}:\n${renderCounts(counts(byNodePort))}\n`);
  const node = a.cfg.nodes[0]!;
  const save = await run(['ip', 'netns', 'exec', node.netns, 'iptables-save', '-t', 'nat']);
  const rules = rulesForService(save, `${DEMO_NAMESPACE}/${WEB}:${WEB_PORT_NAME}`);
  o.out(`\n  the proxy's rules for ${DEMO_NAMESPACE}/${WEB}:${WEB_PORT_NAME} on node ${node.name} (ip netns exec ${node.netns} iptables-save -t nat):\n${rules.map((l) => `    ${l}`).join('\n')}\n`);
  o.out(`  KUBE-SERVICES matches the ClusterIP, KUBE-NODEPORTS the port; KUBE-SVC picks an endpoint with -m statistic (probability 1/n, 1/(n-1), …); KUBE-SEP DNATs to the pod.\n`);
}

async function waitForRecordCount(c: DemoCluster, name: string, n: number, timeoutMs: number): Promise<{ ms: number; ips: string[] }> {
  const t0 = Date.now();
  for (;;) {
    const ips = await digShort(c, ['+short', name, 'A']);
    if (ips.length === n || Date.now() - t0 > timeoutMs) return { ms: Date.now() - t0, ips };
    await sleep(250);
  }
}

async function stepDns(o: DemoOptions, a: DemoCluster, svc: Service): Promise<void> {
  const d = a.cfg.clusterDomain;
  const fqdn = `${WEB}.${DEMO_NAMESPACE}.svc.${d}`;
  heading(o, 2, 'Cluster DNS', `The pod's /etc/resolv.conf points at the cluster DNS (${a.cfg.clusterDNS}); these are dig's answers from inside pod ${CLIENT}.`);
  const show = async (label: string, args: string[]) => o.out(`\n  $ dig ${args.join(' ')}    # ${label}\n${(await digShort(a, ['+noall', '+answer', ...args])).map((l) => `    ${l}`).join('\n') || '    (no answer)'}\n`);
  await show('A: the ClusterIP', [fqdn, 'A']);
  await show('SRV: port and target per named port', [`_${WEB_PORT_NAME}._tcp.${fqdn}`, 'SRV']);
  await show('PTR: the ClusterIP back to the name', ['-x', svc.spec?.clusterIP ?? '']);
  const headless = `${WEB_HEADLESS}.${DEMO_NAMESPACE}.svc.${d}`;
  await show('headless (clusterIP: None): one A record per ready pod', [headless, 'A']);
  o.out(`\n  scaling ${WEB} to ${o.replicas + 1}: the headless answer follows the ready pods`);
  await scaleWeb(a, o.replicas + 1);
  const up = await waitForRecordCount(a, headless, o.replicas + 1, 90_000);
  o.out(`\n    ${up.ips.length} records ${up.ips.length === o.replicas + 1 ? `after ${(up.ms / 1000).toFixed(1)} s (pod start + readiness + EndpointSlice + DNS)` : '(timed out)'}: ${up.ips.join(' ')}\n`);
  await scaleWeb(a, o.replicas);
  const down = await waitForRecordCount(a, headless, o.replicas, 60_000);
  o.out(`  back to ${o.replicas}: ${down.ips.length} records after ${(down.ms / 1000).toFixed(1)} s: ${down.ips.join(' ')}\n`);
  await waitForWeb(a, o.replicas);
}

/** The cluster DNS's TTL: DNS clients may keep a dead pod's address that long. */
async function clusterDnsTtl(a: DemoCluster): Promise<number> {
  const dep = await a.client.get<Deployment>(Deployments, 'coredns', { namespace: 'kube-system' }).catch(() => undefined);
  const args = dep?.spec?.template.spec?.containers[0]?.args ?? [];
  const i = args.indexOf('--ttl');
  const v = i >= 0 ? Number(args[i + 1]) : NaN;
  return Number.isFinite(v) ? v : DNS_DEFAULTS.ttl;
}

async function startGlobal(o: DemoOptions, a: DemoCluster, b: DemoCluster): Promise<{ dns: GlobalDns; health: HealthChecks }> {
  const ips = [...a.cfg.nodes, ...b.cfg.nodes].map((n) => n.ip);
  const base = { host: a.cfg.hostIP, zone: 'global.netkube.test', records: { [GLOBAL_NAME]: ips }, ttl: o.globalTtl };
  // Port 53 when it is free on the host's underlay address; else any port (the client is told which).
  const dns = await startGlobalDns({ ...base, port: 53 }).catch(() => startGlobalDns({ ...base, port: 0 }));
  return { dns, health: startHealthChecks(dns, { name: GLOBAL_NAME, ips, port: o.nodePort }) };
}

export async function runDemo(o: DemoOptions): Promise<{ resultsPath: string; reportPath: string }> {
  const startedAt = new Date();
  const a = await ensureLab(o, o.lab, ['up', '--name', o.lab, '--nodes', String(o.nodes)]);
  let b: DemoCluster | undefined;
  if (o.peer) {
    const pf = { ...defaultPeerFlags(a.cfg), ...o.peer };
    b = await ensureLab(o, pf.name, peerUpArgs(a.cfg, pf));
  }
  const clusters = b ? [a, b] : [a];
  o.out(`\n==> creating the demo's objects (namespace ${DEMO_NAMESPACE})\n`);
  for (const c of clusters) {
    for (const l of await applyDemoObjects(c, { replicas: o.replicas, nodePort: o.nodePort, ...(c === a ? { withClient: o.policy } : {}) })) o.out(`  ${c.name}: ${l}\n`);
  }
  for (const c of clusters) await waitForWeb(c, o.replicas, { client: c === a });
  const svc = await a.client.get<Service>(Services, WEB, NS);

  await pause(o, 'step 1: Service routing');
  await stepServiceRouting(o, a, svc);
  await pause(o, 'step 2: DNS');
  await stepDns(o, a, svc);

  await pause(o, 'step 3: sidecar vs DNS load balancing');
  const ttl = await clusterDnsTtl(a);
  const global = b ? await startGlobal(o, a, b) : undefined;
  const runs: ModeRun[] = [];
  try {
    const modes = demoModes({
      clusterIP: svc.spec?.clusterIP ?? '',
      servicePort: SERVICE_PORT,
      clusterDomain: a.cfg.clusterDomain,
      ...(global ? { globalDns: { server: `${global.dns.host}:${global.dns.port}`, name: GLOBAL_NAME, nodePort: o.nodePort } } : {}),
    });
    heading(o, 3, 'Sidecar vs DNS load balancing', [
      `The same load on the same backends, four ways. Each run: ${o.load.rate} requests/s from pod ${CLIENT}, a new connection per request;`,
      `after ${o.load.killAfterS} s one web pod is killed (deleted with no grace period) and its ReplicaSet starts a replacement: the added backend.`,
      ...(b && global
        ? [
            `DNS across clusters: ${GLOBAL_NAME} at ${global.dns.host}:${global.dns.port} (TTL ${o.globalTtl} s, health-checked every second) lists the nodes of "${a.name}" and "${b.name}", both serving NodePort ${o.nodePort};`,
            `there the backend that dies is an entry point: node ${b.cfg.nodes[0]!.ip} of "${b.name}" stops answering on ${o.nodePort}, and answers again once it has been out of the DNS answer for ${o.globalTtl + 3} s.`,
          ]
        : ['(no second cluster: the DNS-across-clusters mode is skipped)']),
    ].join('\n'));
    for (const [i, mode] of modes.entries()) {
      // DNS clients keep a dead pod's address up to the TTL, so the headless run lasts long enough to see that end.
      // The cross-cluster run: detection (~2 s) + out of DNS (TTL + 3 s) + back in + the clients' TTL again.
      const settle = mode.id === 'headless' ? Math.max(o.load.settleS, ttl + 10) : mode.id === 'dns' ? Math.max(o.load.settleS, 2 * o.globalTtl + 12) : o.load.settleS;
      const durationS = o.load.killAfterS + settle;
      for (const c of clusters) await waitForWeb(c, o.replicas, { client: c === a });
      o.out(`\n  ▶ ${MODE_TITLES[mode.id]} — ${mode.how}\n    ${durationS} s at ${o.load.rate}/s …`);
      const disruption: Disruption =
        mode.disruption === 'entry-point' && b && global ? entryPointDisruption(b, b.cfg.nodes[0]!, o.nodePort, global.health, (o.globalTtl + 3) * 1000) : podDisruption(a, i);
      const r = await runMode(mode, a, mode.backends === 'both' ? clusters : [a], disruption, { rate: o.load.rate, timeoutMs: o.load.timeoutMs, killAfterS: o.load.killAfterS, durationS });
      runs.push(r);
      const ok = r.samples.filter((s) => s.ok).length;
      const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
      o.out(` ${r.samples.length} requests, ${r.samples.length - ok} failed\n`);
      const timeline = [
        ...(r.kill ? [{ at: r.kill.at, text: `killed ${r.kill.label}` }] : []),
        ...r.notes,
        ...(r.added ? [{ at: r.added.at, text: r.added.kind === 'pod' ? `replacement ${r.added.label} ready` : `${r.added.label} answers again` }] : []),
      ].sort((x, y) => x.at - y.at);
      for (const e of timeline) o.out(`    ${sec(e.at)}: ${e.text}\n`);
    }
  } finally {
    global?.health.stop();
    await global?.dns.close();
  }
  for (const c of clusters) await waitForWeb(c, o.replicas, { client: c === a }).catch(() => undefined);

  await pause(o, 'step 4: the report');
  const results = buildDemoResults({
    startedAt,
    finishedAt: new Date(),
    labs: clusters.map((c) => c.name),
    runs,
    parameters: { rate: o.load.rate, durationS: o.load.killAfterS + o.load.settleS, timeoutMs: o.load.timeoutMs, replicas: o.replicas, killAtS: o.load.killAfterS, globalDnsTtlS: o.globalTtl, clusterDnsTtlS: ttl, nodePort: o.nodePort },
  });
  const dir = join(o.home, o.lab, 'demo');
  await mkdir(dir, { recursive: true });
  const paths = await writeDemoReport(dir, results, (t) => o.out(t));
  o.out(`\n  results: ${paths.resultsPath}\n  report:  ${paths.reportPath}\n`);
  return paths;
}
