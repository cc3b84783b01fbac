// Benchmark (a script, not a test): pod create → Running-with-IP latency on
// one node, and the node agent's memory. Run as root after `npm run build`:
//   node dist/node/pod-startup-bench.js [--pods 100] [--image netkube/toolbox]
// It makes a node network namespace, runs the API server (controllers off)
// and `netkube node` in it, creates the pods at once, times each from just
// before its POST to the first watch event showing phase Running with a
// podIP, prints p50/p90/p99/max and the agent's RSS, then removes everything.
// Kubernetes' SLO for pod startup is 5 s at p99.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pod } from '../kube/api/core.js';
import { KubeClient, Nodes, Pods } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';

const CLI = fileURLToPath(new URL('../../bin/netkube.js', import.meta.url));

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function started(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  let out = '';
  return new Promise((resolve, reject) => {
    const on = (d: Buffer): void => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) resolve(m);
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (c) => reject(new Error(`${what} exited (${c}): ${out}`)));
  });
}

async function inside(ns: string): Promise<void> {
  const count = Number(arg('pods', '100'));
  const image = arg('image', 'netkube/toolbox');
  // --cni reference: the reference bridge + host-local plugins (Go binaries) instead of netkube-cni,
  // to tell the agent's own cost from the plugin's (the agent uses the first config file by name).
  const cni = arg('cni', 'netkube');
  const dir = await mkdtemp(join(tmpdir(), 'netkube-bench-node-'));
  const nodeName = `bench-${ns}`;
  const procs: ChildProcess[] = [];
  try {
    const api = spawn(process.execPath, [CLI, 'apiserver', '--data-dir', join(dir, 'api'), '--secure-port', '0', '--store', 'memory', '--controllers', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(api);
    const kubeconfig = (await started(api, /kubeconfig: (\S+)/, 'apiserver'))[1]!;
    const agent = spawn(process.execPath, [CLI, 'node', '--kubeconfig', kubeconfig, '--hostname-override', nodeName, '--root-dir', join(dir, 'root')], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(agent);
    const client = new KubeClient(await loadKubeconfig(kubeconfig));
    await waitFor('the node', () => client.get(Nodes, nodeName));
    if (cni === 'reference') {
      await mkdir(join(dir, 'root', 'net.d'), { recursive: true });
      const ref = { cniVersion: '1.0.0', name: 'ref', plugins: [{ type: 'bridge', bridge: 'nk-br0', isGateway: true, hairpinMode: true, ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: join(dir, 'ipam') } }] };
      await writeFile(join(dir, 'root', 'net.d', '05-reference.conflist'), JSON.stringify(ref));
    }
    await client.patch(Nodes, nodeName, 'merge', { spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] } });
    await started(agent, /node agent ready/, 'agent');
    const idleRss = rssMiB(agent.pid!);

    const sent = new Map<string, number>();
    const running = new Map<string, number>();
    const abort = new AbortController();
    let allRunning!: () => void;
    const done = new Promise<void>((r) => (allRunning = r));
    const watching = client.watch<Pod>('/api/v1/namespaces/default/pods', { resourceVersion: '0' }, (e) => {
      const p = e.object;
      const name = p.metadata?.name ?? '';
      if (p.status?.phase === 'Running' && p.status.podIP && sent.has(name) && !running.has(name)) {
        running.set(name, performance.now());
        if (running.size === count) allRunning();
      }
    }, abort.signal).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const name = `p-${i}`;
        sent.set(name, performance.now());
        await client.create(Pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image }] } });
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`only ${running.size}/${count} pods Running after 120 s`)), 120_000)))]);
    clearTimeout(timer);
    const total = performance.now() - t0;
    const peakRss = rssMiB(agent.pid!);
    const lat = [...running].map(([n, t]) => t - sent.get(n)!).sort((a, b) => a - b);
    const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(
      `${count} pods (${image}, CNI ${cni}) on one node, created at once: create → Running-with-IP p50 ${s(quantile(lat, 0.5))}, p90 ${s(quantile(lat, 0.9))}, p99 ${s(quantile(lat, 0.99))}, max ${s(lat[lat.length - 1]!)}; all Running after ${s(total)}\n` +
        `agent RSS: ${idleRss.toFixed(0)} MiB idle, ${peakRss.toFixed(0)} MiB with ${count} pods\n`,
    );
    abort.abort();
    await watching;
    const d0 = performance.now();
    await Promise.all([...sent.keys()].map((name) => client.delete(Pods, name, { namespace: 'default' })));
    await waitFor('all pods deleted', async () => ((await client.list(Pods, { namespace: 'default' })).items.length === 0 ? true : undefined), 120_000);
    process.stdout.write(`deleting ${count} pods (grace 1 s) took ${s(performance.now() - d0)}\n`);
    client.close();
  } finally {
    for (const p of procs.reverse()) {
      p.kill('SIGTERM');
      await new Promise((r) => (p.exitCode !== null ? r(undefined) : p.once('exit', r)));
    }
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--inside');
  if (i >= 0) return inside(process.argv[i + 1]!);
  if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces)');
  const ns = `nkn-b${randomBytes(3).toString('hex')}`;
  const ip = (...a: string[]): void => void execFileSync('ip', a);
  ip('netns', 'add', ns);
  try {
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'add', 'nkv0', 'type', 'veth', 'peer', 'name', 'nkv1');
    ip('-n', ns, 'addr', 'add', '10.250.0.2/24', 'dev', 'nkv0');
    ip('-n', ns, 'link', 'set', 'nkv0', 'up');
    ip('-n', ns, 'link', 'set', 'nkv1', 'up');
    ip('-n', ns, 'route', 'add', 'default', 'via', '10.250.0.1', 'dev', 'nkv0');
    // nsenter --net only: the pod namespaces the agent makes must stay visible under the host's /run/netns.
    const child = spawn('nsenter', [`--net=/run/netns/${ns}`, process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--inside', ns], { stdio: 'inherit' });
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    if (code !== 0) process.exitCode = 1;
  } finally {
    ip('netns', 'del', ns);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`pod-startup-bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
