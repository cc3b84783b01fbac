// bench/apiserver: apiserver-lite against references measured in the same run.
//
//  1. Single-object writes (create, then update) through the real HTTPS API on
//     the SQLite store: sequential p50/p99 latency and a sustained rate with
//     concurrent clients. Reference: the same JSON written straight into
//     SQLite with better-sqlite3 (WAL, synchronous=FULL), i.e. the floor any
//     API server on this store pays.
//  2. One event fanned out to N concurrent watchers (default 1,000): time from
//     the write being acknowledged to each watcher receiving it, p50/p99.
//     Reference: a bare node:https server holding N streaming responses and
//     writing one line to each, measured by the same client code.
//
// Usage: npm run build && node dist/bench/apiserver.js [--writes 2000] [--watchers 1000] [--events 20]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { KubeClient, Services } from '../kube/client.js';
import { ms, ratio, summarize } from './bench-stats.js';
import { startBenchApiServer } from './bench-apiserver.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

const WRITES = arg('writes', 2000);
const CONCURRENCY = arg('concurrency', 16);
const WATCHERS = arg('watchers', 1000);
const EVENTS = arg('events', 20);

function serviceBody(name: string, i: number): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, labels: { app: `bench-${i % 10}`, tier: 'backend' }, annotations: { 'bench/padding': 'x'.repeat(600) } },
    spec: { selector: { app: `bench-${i % 10}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }] },
  };
}


async function benchWrites(client: KubeClient): Promise<{ create: number[]; update: number[]; rate: number }> {
  const create: number[] = [];
  const update: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    const t0 = performance.now();
    await client.create(Services, serviceBody(`seq-${i}`, i) as never, { namespace: 'default' });
    create.push(performance.now() - t0);
  }
  for (let i = 0; i < WRITES; i++) {
    const t0 = performance.now();
    await client.patch(Services, `seq-${i}`, 'merge', { metadata: { labels: { rev: String(i) } } }, { namespace: 'default' });
    update.push(performance.now() - t0);
  }
  // Sustained rate: CONCURRENCY clients writing as fast as the server acknowledges.
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        const i = next++;
        if (i >= WRITES) return;
        await client.create(Services, serviceBody(`par-${i}`, i) as never, { namespace: 'default' });
      }
    }),
  );
  const rate = WRITES / ((performance.now() - t0) / 1000);
  return { create, update, rate };
}

function benchSqliteReference(dir: string): { create: number[]; update: number[] } {
  const db = new Database(join(dir, 'ref.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, rev INTEGER NOT NULL)');
  const ins = db.prepare('INSERT INTO kv (key, value, rev) VALUES (?, ?, ?)');
  const upd = db.prepare('UPDATE kv SET value = ?, rev = ? WHERE key = ?');
  const create: number[] = [];
  const update: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    const t0 = performance.now();
    ins.run(`/registry/services/default/seq-${i}`, JSON.stringify(serviceBody(`seq-${i}`, i)), i);
    create.push(performance.now() - t0);
  }
  for (let i = 0; i < WRITES; i++) {
    const t0 = performance.now();
    upd.run(JSON.stringify(serviceBody(`seq-${i}`, i + 1)), WRITES + i, `/registry/services/default/seq-${i}`);
    update.push(performance.now() - t0);
  }
  db.close();
  return { create, update };
}

interface Watcher {
  wait(marker: string): Promise<number>;
  close(): void;
}

/** One streaming GET; resolves `wait(marker)` with the time a line containing marker arrived. */
function openWatcher(url: URL, headers: Record<string, string>, agent: https.Agent, ca: string): Promise<Watcher> {
  return new Promise((resolve, reject) => {
    const waiting = new Map<string, (t: number) => void>();
    const seen = new Map<string, number>();
    let buf = '';
    const req = https.get(url, { headers, agent, ca }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`watch: HTTP ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const now = performance.now();
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const m = /"name":"(ev-\d+)"/.exec(line) ?? /^(ev-\d+)$/.exec(line);
          if (!m) continue;
          const w = waiting.get(m[1]!);
          if (w) w(now);
          else seen.set(m[1]!, now);
        }
      });
      resolve({
        wait: (marker) =>
          new Promise((r) => {
            const t = seen.get(marker);
            if (t !== undefined) r(t);
            else waiting.set(marker, r);
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', (e) => reject(e));
  });
}

async function fanout(open: () => Promise<Watcher>, fire: (marker: string) => Promise<void>): Promise<number[]> {
  const watchers: Watcher[] = [];
  for (let i = 0; i < WATCHERS; i += 50) {
    watchers.push(...(await Promise.all(Array.from({ length: Math.min(50, WATCHERS - i) }, open))));
  }
  await new Promise((r) => setTimeout(r, 500));
  const samples: number[] = [];
  for (let e = 0; e < EVENTS; e++) {
    const marker = `ev-${e}`;
    const waits = watchers.map((w) => w.wait(marker));
    await fire(marker);
    const t0 = performance.now();
    const arrivals = await Promise.all(waits);
    for (const t of arrivals) samples.push(Math.max(0, t - t0));
  }
  for (const w of watchers) w.close();
  return samples;
}

/** The reference: a bare HTTPS server fanning one line out to every open stream. */
const BARE_FANOUT_SERVER = `
const https = require('node:https');
const [key, cert] = [process.env.KEY, process.env.CERT];
const streams = new Set();
const srv = https.createServer({ key, cert }, (req, res) => {
  if (req.method === 'POST') {
    const marker = new URL(req.url, 'https://x').searchParams.get('m');
    const line = marker + '\\n';
    for (const s of streams) s.write(line);
    res.end('ok');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  streams.add(res);
  res.on('close', () => streams.delete(res));
});
srv.listen(0, '127.0.0.1', () => process.stdout.write(String(srv.address().port) + '\\n'));
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'netkube-bench-'));
  const children: ChildProcess[] = [];
  try {
    const { proc, kubeconfig } = await startBenchApiServer(join(dir, 'data'));
    children.push(proc);
    const conn = await loadKubeconfig(kubeconfig);
    const client = new KubeClient(conn);
    console.log(`apiserver-lite benchmark: ${WRITES} writes, ${CONCURRENCY} concurrent writers, ${WATCHERS} watchers x ${EVENTS} events`);

    const ours = await benchWrites(client);
    const ref = benchSqliteReference(dir);
    const oc = summarize(ours.create);
    const ou = summarize(ours.update);
    const rc = summarize(ref.create);
    const ru = summarize(ref.update);
    console.log('\nsingle-object writes, sequential (HTTPS API → SQLite, synchronous=FULL)');
    console.log(`  create  p50 ${ms(oc.p50)}  p99 ${ms(oc.p99)}   | bare SQLite insert p50 ${ms(rc.p50)} p99 ${ms(rc.p99)}   | p99 ratio ${ratio(oc.p99, rc.p99)}`);
    console.log(`  update  p50 ${ms(ou.p50)}  p99 ${ms(ou.p99)}   | bare SQLite update p50 ${ms(ru.p50)} p99 ${ms(ru.p99)}   | p99 ratio ${ratio(ou.p99, ru.p99)}`);
    console.log(`  sustained creates with ${CONCURRENCY} clients: ${ours.rate.toFixed(0)}/s   (aim: p99 < 10 ms)`);

    // Fan-out through apiserver-lite: watchers on Services in a namespace of their own.
    await client.create({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fanout' } } as never);
    const ca = conn.caPem!;
    const agent = new https.Agent({ keepAlive: true, maxSockets: Infinity, ca });
    const base = new URL(conn.server);
    const watchUrl = new URL('/api/v1/namespaces/fanout/configmaps?watch=1&resourceVersion=', base);
    const list = await client.list({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true }, { namespace: 'fanout' });
    watchUrl.searchParams.set('resourceVersion', list.resourceVersion);
    const oursFan = await fanout(
      () => openWatcher(watchUrl, { Authorization: `Bearer ${conn.token}` }, agent, ca),
      async (marker) => {
        await client.create({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: marker }, data: { a: 'b' } } as never, { namespace: 'fanout' });
      },
    );
    agent.destroy();

    const pki = join(dir, 'data', 'pki');
    const bare = spawn(process.execPath, ['-e', BARE_FANOUT_SERVER], {
      env: { ...process.env, KEY: readFileSync(join(pki, 'apiserver.key'), 'utf8'), CERT: readFileSync(join(pki, 'apiserver.crt'), 'utf8') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(bare);
    const port = await new Promise<number>((r) => bare.stdout!.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
    const agent2 = new https.Agent({ keepAlive: true, maxSockets: Infinity, ca });
    const bareUrl = new URL(`https://127.0.0.1:${port}/watch`);
    const refFan = await fanout(
      () => openWatcher(bareUrl, {}, agent2, ca),
      (marker) =>
        new Promise((resolve, reject) => {
          const req = https.request(new URL(`/fire?m=${marker}`, bareUrl), { method: 'POST', agent: agent2, ca }, (res) => {
            res.resume();
            res.on('end', () => resolve());
          });
          req.on('error', reject);
          req.end();
        }),
    );
    agent2.destroy();
    const of = summarize(oursFan);
    const rf = summarize(refFan);
    console.log(`\none event to ${WATCHERS} watchers (from write acknowledged to each watcher, ${EVENTS} events)`);
    console.log(`  apiserver-lite  p50 ${ms(of.p50)}  p99 ${ms(of.p99)}`);
    console.log(`  bare https fan-out of one line  p50 ${ms(rf.p50)}  p99 ${ms(rf.p99)}`);
    console.log(`  p99 ratio ${ratio(of.p99, rf.p99)}   (aim: p99 < 100 ms)`);
    client.close();
  } finally {
    for (const c of children) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench/apiserver: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
