// The node agent for real (root): a node network namespace with the API
// server inside it, `netkube node` started in it with nsenter --net, and
// pods that become network namespaces with processes, reached with curl,
// read with kubectl logs, crash-looped, adopted across an agent restart and
// deleted gracefully. Everything is removed in afterAll, also after a failure.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Pod } from '../kube/api/core.js';
import { REPO_ROOT } from './support/apiserver-process.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const built = existsSync(join(REPO_ROOT, 'dist', 'node', 'agent.js')) && existsSync(join(REPO_ROOT, 'dist', 'cni', 'main.js'));
const CLI = join(REPO_ROOT, 'bin', 'netkube.js');

const suffix = randomBytes(3).toString('hex');
const NS = `nkn-${suffix}`;
const NODE = `node-${suffix}`;
const NODE_IP = '10.250.0.2';
const POD_CIDR = '10.244.77.0/24';

let dir = '';
let rootDir = '';
let kubeconfig = '';
let apiserver: ChildProcess | undefined;
let agent: ChildProcess | undefined;
let agentOutput = '';
const created: string[] = [];

function ipNetns(...args: string[]): Promise<{ stdout: string }> {
  return run('ip', args);
}

async function kubectl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', NS, '/usr/bin/kubectl', '--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'kcache'), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HOME: dir } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: ${err.trim() || out.trim()}`))));
    child.stdin.end(input ?? '');
  });
}

async function getJson<T>(args: string[]): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'])) as T;
}

/** Polls `fn` until it returns a truthy value; on timeout names what was awaited and the last value seen. */
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}\nagent output:\n${agentOutput.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function startAgent(): ChildProcess {
  const child = spawn('nsenter', [`--net=/run/netns/${NS}`, process.execPath, CLI, 'node', '--kubeconfig', kubeconfig, '--hostname-override', NODE, '--root-dir', rootDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (agentOutput += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (agentOutput += d));
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

interface StateFile {
  name: string;
  netns?: string;
  containers: Record<string, { pid?: number; terminated?: unknown }>;
}

function podStates(): StateFile[] {
  const pods = join(rootDir, 'pods');
  if (!existsSync(pods)) return [];
  return readdirSync(pods).flatMap((uid) => {
    try {
      return [JSON.parse(readFileSync(join(pods, uid, 'state.json'), 'utf8')) as StateFile];
    } catch {
      return [];
    }
  });
}

function containerPid(pod: string, container: string): number | undefined {
  return podStates().find((s) => s.name === pod)?.containers[container]?.pid;
}

/** Running (a zombie waiting for its new parent to reap it counts as gone). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

const echoPod = (name: string): string =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: NODE,
      terminationGracePeriodSeconds: 5,
      containers: [
        {
          name: 'echo',
          image: 'netkube/echo',
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1 },
        },
      ],
    },
  });

const crashPod = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'crasher', namespace: 'default' },
  spec: { nodeName: NODE, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo boom; exit 3'] }] },
});

// hostNetwork, and a liveness probe that always fails: restarted by the agent, not by its own exit.
const livenessPod = JSON.stringify({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'unwell', namespace: 'default' },
  spec: {
    nodeName: NODE,
    hostNetwork: true,
    terminationGracePeriodSeconds: 2,
    containers: [{ name: 't', image: 'netkube/toolbox', livenessProbe: { exec: { command: ['sh', '-c', 'exit 1'] }, periodSeconds: 1, failureThreshold: 1 } }],
  },
});

describe.skipIf(!isRoot || !built)('netkube node (root, real namespaces)', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'netkube-node-it-'));
    rootDir = join(dir, 'root');
    // The node: its own network namespace with lo up and an address on a default route (a veth pair kept inside it).
    await ipNetns('netns', 'add', NS);
    created.push(NS);
    await ipNetns('-n', NS, 'link', 'set', 'lo', 'up');
    await ipNetns('-n', NS, 'link', 'add', 'nkv0', 'type', 'veth', 'peer', 'name', 'nkv1');
    await ipNetns('-n', NS, 'addr', 'add', `${NODE_IP}/24`, 'dev', 'nkv0');
    await ipNetns('-n', NS, 'link', 'set', 'nkv0', 'up');
    await ipNetns('-n', NS, 'link', 'set', 'nkv1', 'up');
    await ipNetns('-n', NS, 'route', 'add', 'default', 'via', '10.250.0.1', 'dev', 'nkv0');

    // The API server inside the node namespace (controllers off: this test binds pods and sets the pod CIDR itself).
    apiserver = spawn('ip', ['netns', 'exec', NS, process.execPath, CLI, 'apiserver', '--data-dir', join(dir, 'api'), '--secure-port', '0', '--store', 'memory', '--controllers', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
    let apiOut = '';
    apiserver.stdout!.setEncoding('utf8').on('data', (d: string) => (apiOut += d));
    apiserver.stderr!.setEncoding('utf8').on('data', (d: string) => (apiOut += d));
    kubeconfig = await until('the API server to listen', async () => /kubeconfig: (\S+)/.exec(apiOut)?.[1], 30_000);

    agent = startAgent();
    await until('the Node to register', () => kubectl(['get', 'node', NODE, '-o', 'name']).then(() => true));
    await kubectl(['patch', 'node', NODE, '--type', 'merge', '-p', JSON.stringify({ spec: { podCIDR: POD_CIDR, podCIDRs: [POD_CIDR] } })]);
  });

  afterAll(async () => {
    await stop(agent);
    // Pods the test left behind: their processes, then their namespaces.
    for (const s of podStates()) {
      for (const c of Object.values(s.containers)) if (c.pid && !c.terminated) {
        try {
          process.kill(-c.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (s.netns) await ipNetns('netns', 'del', s.netns).catch(() => undefined);
    }
    await stop(apiserver);
    for (const ns of created) await ipNetns('netns', 'del', ns).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('registers a Ready Node with its InternalIP, capacity and kubelet port, and keeps a Lease', async () => {
    const node = await getJson<Node>(['get', 'node', NODE]);
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: NODE_IP });
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(10250);
    expect(Number(node.status?.capacity?.['cpu'])).toBeGreaterThan(0);
    const lease = await getJson<{ spec: { holderIdentity: string } }>(['get', 'lease', '-n', 'kube-node-lease', NODE]);
    expect(lease.spec.holderIdentity).toBe(NODE);
  });

  it('runs a pod: Running and Ready with an IP from the pod CIDR, reachable from the node, with its own hostname, DNS and token', async () => {
    await kubectl(['create', '-f', '-'], echoPod('web'));
    await kubectl(['create', '-f', '-'], crashPod); // crash-loops meanwhile, checked below
    await kubectl(['create', '-f', '-'], livenessPod); // likewise
    const pod = await until('pod web Running and Ready', async () => {
      const p = await getJson<Pod>(['get', 'pod', 'web']);
      return p.status?.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? p : undefined;
    });
    const ip = pod.status!.podIP!;
    expect(ip).toMatch(/^10\.244\.77\./);
    expect(pod.status?.hostIP).toBe(NODE_IP);
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'echo', ready: true, restartCount: 0, state: { running: {} } });

    const { stdout } = await run('ip', ['netns', 'exec', NS, 'curl', '-s', '-m', '5', `http://${ip}:8080/hello`]);
    expect(stdout).toContain('pod: web');
    expect(stdout).toContain(`pod_ip: ${ip}`);

    const pid = containerPid('web', 'echo')!;
    const inside = await run('nsenter', [`--target=${pid}`, '--mount', '--uts', '--net', '--', 'sh', '-c', 'hostname; cat /etc/resolv.conf; cat /etc/hosts; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace']);
    expect(inside.stdout).toMatch(/^web\n/);
    expect(inside.stdout).toContain('search default.svc.cluster.local svc.cluster.local cluster.local');
    expect(inside.stdout).toContain('nameserver 10.96.0.10');
    expect(inside.stdout).toContain(`${ip}\tweb`);
    expect(inside.stdout.trim().endsWith('default')).toBe(true);
  });

  it('serves container logs through the API server (kubectl logs)', async () => {
    const logs = await kubectl(['logs', 'web']);
    expect(logs).toContain('echo: http on :8080 as web');
    expect(logs).toContain('GET /hello');
    const tail = await kubectl(['logs', 'web', '--tail', '1', '--timestamps']);
    expect(tail.trim().split('\n')).toHaveLength(1);
    expect(tail).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z /);
  });

  it('restarts a crashing container with back-off (CrashLoopBackOff) and keeps the previous log', async () => {
    let sawBackOff = false;
    const pod = await until(
      'crasher to restart twice',
      async () => {
        const p = await getJson<Pod>(['get', 'pod', 'crasher']);
        const cs = p.status?.containerStatuses?.[0];
        if (cs?.state?.waiting?.reason === 'CrashLoopBackOff') sawBackOff = true;
        return (cs?.restartCount ?? 0) >= 2 && sawBackOff ? p : undefined;
      },
      40_000,
    );
    expect(pod.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(await kubectl(['logs', 'crasher', '--previous'])).toBe('boom\n');
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=crasher', '-o', 'jsonpath={.items[*].reason}']);
    expect(events).toContain('BackOff');
  });

  it('runs a hostNetwork pod in the node namespace and restarts it when its liveness probe fails', async () => {
    const pod = await until('unwell to be restarted', async () => {
      const p = await getJson<Pod>(['get', 'pod', 'unwell']);
      return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? p : undefined;
    });
    expect(pod.status?.podIP).toBe(NODE_IP);
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=unwell', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    expect(events).toContain('Unhealthy: Liveness probe failed');
    expect(events).toContain('Killing: Container t failed liveness probe, will be restarted');
  });

  it('adopts running pods after an agent restart (same PID, still serving)', async () => {
    const before = containerPid('web', 'echo')!;
    await stop(agent);
    agentOutput = '';
    agent = startAgent();
    await until('the agent to adopt web', async () => agentOutput.includes('adopting pod default/web'));
    expect(containerPid('web', 'echo')).toBe(before);
    expect(isAlive(before)).toBe(true);
    const pod = await getJson<Pod>(['get', 'pod', 'web']);
    const { stdout } = await run('ip', ['netns', 'exec', NS, 'curl', '-s', '-m', '5', `http://${pod.status!.podIP}:8080/`]);
    expect(stdout).toContain('pod: web');
  });

  it('deletes gracefully: the process stops, the network namespace goes, then the pod object', async () => {
    const state = podStates().find((s) => s.name === 'web')!;
    const pid = state.containers['echo']!.pid!;
    expect((await ipNetns('netns', 'list')).stdout).toContain(state.netns!);
    await kubectl(['delete', 'pod', 'web', '--wait=false']);
    await until('pod web to be gone from the API', async () => !(await kubectl(['get', 'pods', '-o', 'name'])).includes('pod/web'));
    expect((await ipNetns('netns', 'list')).stdout).not.toContain(state.netns!);
    expect(isAlive(pid)).toBe(false);
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=web', '-o', 'jsonpath={.items[*].reason}']);
    expect(events).toContain('Killing');
  });
});
