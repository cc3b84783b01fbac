// bench/dns: `netkube dns` against dnsmasq serving the same names, measured
// with dnsperf in the same run (issue 6).
//
//  1. apiserver-lite (memory store) gets N ClusterIP Services (default 1,000)
//     in namespace `bench`, each with a named port.
//  2. `netkube dns` loads them through its informers; dnsmasq gets the same
//     names as --host-record (A) and --srv-host (SRV) lines, with the same
//     ClusterIPs and TTL, and no upstream (--no-resolv).
//  3. One query file (A for every Service, SRV for every tenth) is replayed by
//     dnsperf (pinned to core 1) against each server in turn: ours and dnsmasq
//     each pinned to core 0 (per-core figures and the ratio), then ours
//     unpinned. Two runs per server: throughput (as fast as it answers, a
//     fixed number of queries in flight, no -v because printing every query
//     slows dnsperf down more than the servers), then latency percentiles at
//     a fixed offered rate from dnsperf -v's per-query latencies.
//  4. Printed: QPS, average latency under full load, lost queries, p50/p99 at
//     the fixed rate; ours/dnsmasq, and ours per core against CoreDNS's
//     published ~17,000 QPS per vCPU for in-cluster names.
//
// Needs dnsperf and dnsmasq (Debian packages: apt-get install dnsperf dnsmasq).
// Usage: npm run build && node dist/bench/dns.js [--services 1000] [--duration 10] [--clients 4] [--outstanding 100]
//        [--latency-duration 5] [--latency-qps 5000]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Service } from '../kube/api/core.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { KubeClient, Namespaces, Services } from '../kube/client.js';
import { ms, ratio, summarize } from './bench-stats.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const SERVICES = arg('services', 1000);
const DURATION = arg('duration', 10);
const CLIENTS = arg('clients', 4);
const OUTSTANDING = arg('outstanding', 100);
const LATENCY_DURATION = arg('latency-duration', 5);
const LATENCY_QPS = arg('latency-qps', 5000);
const TTL = 30;
const ZONE = 'cluster.local';
const COREDNS_QPS_PER_VCPU = 17_000;

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const children = new Set<ChildProcess>();
function start(cmd: string, args: string[]): { proc: ChildProcess; output: () => string } {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out };
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise<void>((r) => proc.once('exit', () => r()));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(t);
}

async function waitFor<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const p = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

function digShort(port: number, name: string, type: string): string {
  return spawnSync('dig', ['@127.0.0.1', '-p', String(port), '+short', '+time=1', '+tries=1', name, type], { encoding: 'utf8' }).stdout.trim();
}

interface Throughput {
  qps: number;
  lost: number;
  avgMs: number;
  command: string;
}

interface Latency {
  p50: number;
  p99: number;
  n: number;
  command: string;
}

/** dnsperf on core 1; resolves with its summary text (stdout goes to `stdoutFile` when given). */
async function runDnsperf(args: string[], stdoutFile?: string): Promise<{ summary: string; command: string }> {
  const pinned = which('taskset');
  const cmd = pinned ? 'taskset' : 'dnsperf';
  const full = pinned ? ['-c', '1', 'dnsperf', ...args] : args;
  const out = stdoutFile ? openSync(stdoutFile, 'w') : 'pipe';
  const proc = spawn(cmd, full, { stdio: ['ignore', out, 'pipe'] });
  children.add(proc);
  let summary = '';
  proc.stdout?.on('data', (d: Buffer) => (summary += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (summary += d.toString()));
  const code = await new Promise<number | null>((r) => proc.once('close', (c) => r(c)));
  children.delete(proc);
  if (typeof out === 'number') closeSync(out);
  if (stdoutFile) summary += readFileSync(stdoutFile, 'utf8').split('\n').filter((l) => !l.startsWith('> ')).join('\n');
  if (code !== 0) throw new Error(`dnsperf ${args.join(' ')} failed (exit ${code}):\n${summary}`);
  return { summary, command: `${cmd} ${full.join(' ')}` };
}

const base = (port: number, queryFile: string, seconds: number) => ['-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-l', String(seconds), '-c', String(CLIENTS), '-t', '2'];

/** As fast as the server answers with OUTSTANDING queries in flight: QPS (dnsperf only reports an average latency). */
async function measureThroughput(port: number, queryFile: string): Promise<Throughput> {
  const { summary, command } = await runDnsperf([...base(port, queryFile, DURATION), '-q', String(OUTSTANDING)]);
  const num = (re: RegExp) => Number(re.exec(summary)?.[1] ?? Number.NaN);
  const qps = num(/Queries per second:\s+([\d.]+)/);
  if (!Number.isFinite(qps)) throw new Error(`no QPS in dnsperf output:\n${summary}`);
  return { qps, lost: num(/Queries lost:\s+(\d+)/), avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000, command };
}

/**
 * Latency percentiles at a fixed offered rate, from dnsperf -v's per-query
 * lines ("> NOERROR name type seconds"). -v slows dnsperf itself down, which
 * is why throughput is measured in a run of its own.
 */
async function measureLatency(port: number, queryFile: string, rate: number, file: string): Promise<Latency> {
  const { command } = await runDnsperf([...base(port, queryFile, LATENCY_DURATION), '-Q', String(rate), '-v'], file);
  const lat: number[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('> ')) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) lat.push(v * 1000);
  }
  const s = summarize(lat);
  return { p50: s.p50, p99: s.p99, n: s.n, command };
}

async function main(): Promise<void> {
  const missing = ['dnsperf', 'dnsmasq', 'dig'].filter((c) => !which(c));
  if (missing.length) {
    console.error(`bench/dns needs ${missing.join(', ')}: apt-get install ${missing.map((m) => (m === 'dig' ? 'dnsutils' : m)).join(' ')}`);
    process.exitCode = 2;
    return;
  }
  const pin = which('taskset') ? ['taskset', '-c', '0'] : [];
  if (!pin.length) console.warn('taskset not found: servers and dnsperf are not pinned to cores');
  const dir = mkdtempSync(join(tmpdir(), 'netkube-bench-dns-'));
  try {
    // ---- the API and the Services ----
    const api = start(process.execPath, ['bin/netkube.js', 'apiserver', '--data-dir', dir, '--secure-port', '0', '--store', 'memory']);
    await waitFor('apiserver-lite', () => (api.output().includes('listening on') ? true : undefined));
    const client = new KubeClient(await loadKubeconfig(join(dir, 'kubeconfig')));
    await client.create(Namespaces, { metadata: { name: 'bench' } });
    const services: { name: string; ip: string }[] = [];
    let next = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < SERVICES; i = next++) {
          const s = await client.create<Service>(Services, {
            metadata: { namespace: 'bench', name: `svc-${i}` },
            spec: { ports: [{ name: 'http', protocol: 'TCP', port: 80 }] },
          });
          services.push({ name: `svc-${i}`, ip: s.spec!.clusterIP! });
        }
      }),
    );
    console.log(`${SERVICES} Services created in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // ---- the same names for both servers, and one query file ----
    const fqdn = (n: string) => `${n}.bench.svc.${ZONE}`;
    const queries: string[] = [];
    const dnsmasqConf: string[] = [];
    services.forEach((s, i) => {
      queries.push(`${fqdn(s.name)} A`);
      dnsmasqConf.push(`host-record=${fqdn(s.name)},${s.ip}`);
      dnsmasqConf.push(`srv-host=_http._tcp.${fqdn(s.name)},${fqdn(s.name)},80,0,100`);
      if (i % 10 === 0) queries.push(`_http._tcp.${fqdn(s.name)} SRV`);
    });
    const queryFile = join(dir, 'queries.txt');
    const confFile = join(dir, 'dnsmasq.conf');
    writeFileSync(queryFile, `${queries.join('\n')}\n`);
    writeFileSync(confFile, `${dnsmasqConf.join('\n')}\n`);
    const probe = services[services.length - 1]!;

    // ---- servers ----
    const startOurs = async (pinned: boolean) => {
      const args = ['bin/netkube.js', 'dns', '--kubeconfig', join(dir, 'kubeconfig'), '--port', '0', '--bind-address', '127.0.0.1', '--health-port', '0', '--ready-port', '0', '--metrics-address', '127.0.0.1:0', '--resolv-conf', '/dev/null', '--ttl', String(TTL)];
      const p = pinned && pin.length ? start(pin[0]!, [...pin.slice(1), process.execPath, ...args]) : start(process.execPath, args);
      const port = Number(await waitFor('netkube dns', () => /dns listening on udp\/tcp \S+:(\d+)/.exec(p.output())?.[1]));
      await waitFor('netkube dns to sync', () => (digShort(port, fqdn(probe.name), 'A') === probe.ip ? true : undefined));
      return { proc: p.proc, port, command: `${pinned && pin.length ? `${pin.join(' ')} ` : ''}node ${args.join(' ')}` };
    };
    const startDnsmasq = async () => {
      const port = await freePort();
      const args = ['--keep-in-foreground', '--conf-file=' + confFile, '--no-resolv', '--no-hosts', '--listen-address=127.0.0.1', '--bind-interfaces', `--port=${port}`, `--local-ttl=${TTL}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`];
      const p = start(pin[0] ?? 'dnsmasq', pin.length ? [...pin.slice(1), 'dnsmasq', ...args] : args);
      await waitFor('dnsmasq', () => (digShort(port, fqdn(probe.name), 'A') === probe.ip ? true : undefined));
      return { proc: p.proc, port, command: `${pin.join(' ')} dnsmasq ${args.join(' ')}`.trim() };
    };

    // Both answer the same names the same way before anything is timed.
    const rows: { label: string; t: Throughput; l: Latency }[] = [];
    const commands: string[] = [];
    for (const kind of ['ours-pinned', 'dnsmasq-pinned', 'ours-unpinned'] as const) {
      const srv = kind === 'dnsmasq-pinned' ? await startDnsmasq() : await startOurs(kind === 'ours-pinned');
      const srvAnswer = digShort(srv.port, `_http._tcp.${fqdn(services[0]!.name)}`, 'SRV');
      if (!srvAnswer.includes(`80 ${fqdn(services[0]!.name)}.`)) throw new Error(`${kind}: unexpected SRV answer "${srvAnswer}"`);
      const label = { 'ours-pinned': 'netkube dns (core 0)', 'dnsmasq-pinned': 'dnsmasq (core 0)', 'ours-unpinned': 'netkube dns (unpinned)' }[kind];
      const t = await measureThroughput(srv.port, queryFile);
      const l = await measureLatency(srv.port, queryFile, LATENCY_QPS, join(dir, `latency-${kind}.txt`));
      rows.push({ label, t, l });
      commands.push(`${label}:\n    server:     ${srv.command}\n    throughput: ${t.command}\n    latency:    ${l.command} > FILE`);
      await stop(srv.proc);
    }
    await stop(api.proc);
    client.close();

    // ---- report ----
    console.log(`\n${queries.length} distinct queries (A for ${SERVICES} Services, SRV for every tenth); dnsperf on core 1, -c ${CLIENTS}`);
    console.log(`throughput: ${DURATION} s, ${OUTSTANDING} queries outstanding; latency: ${LATENCY_DURATION} s at a fixed ${LATENCY_QPS} QPS (dnsperf -Q, -v)\n`);
    console.log('server                      QPS   avg (loaded)   lost  |  p50 @fixed   p99 @fixed');
    for (const r of rows) {
      console.log(`${r.label.padEnd(24)} ${r.t.qps.toFixed(0).padStart(7)}   ${ms(r.t.avgMs).padStart(10)}  ${String(r.t.lost).padStart(5)}  |  ${ms(r.l.p50).padStart(10)}  ${ms(r.l.p99).padStart(10)}`);
    }
    const ours = rows[0]!.t;
    const ref = rows[1]!.t;
    console.log(`\nours/dnsmasq, QPS, both on one core:          ${ratio(ours.qps, ref.qps)}  (aim >= 0.50x)`);
    console.log(`ours on one core / CoreDNS ~${COREDNS_QPS_PER_VCPU} QPS per vCPU: ${ratio(ours.qps, COREDNS_QPS_PER_VCPU)}  (aim >= 1.00x)`);
    console.log(`\ncommands:\n  ${commands.join('\n  ')}`);
  } finally {
    for (const c of [...children]) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  for (const c of [...children]) c.kill('SIGKILL');
  process.exitCode = 1;
});
