// The service proxy with real packets, in a real lab (`netkube up`): echo pods
// behind Services, a client pod sending through them with curl and a small
// UDP sender, and the host side of the underlay reaching NodePorts. Every
// assertion is about what a client sees — which pod answered, which source
// address the pod saw, whether the connection was refused — never about time.
// Each node runs `netkube proxy` (started by `up`); the tests wait for its
// rules by reading the node namespaces' iptables, then send traffic.
//
// Load-balancing checks are about probability: with n backends and N
// requests, each backend must get at least half of its fair share N/n (for
// N = 1000, n = 3 that is 9+ standard deviations below the mean).
//
// Traffic stays inside the lab: from pods (netkube exec), from the lab's node
// namespaces, or from the root namespace to the lab's own underlay addresses.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/apiserver-process.js';
import { echoContainerYaml } from './support/echo-container.js';
import { removeTempTestLab, sh, tempTestLab, waitFor, type TestLab } from './support/lab.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const CLI = join(REPO_ROOT, 'bin', 'netkube.js');
const NODE = process.execPath;

// This suite's lab: its own name, prefix, underlay and API server port, never the defaults.
const LAB = 'px5';
const PREFIX = 'nkx';
const UNDERLAY = '172.18.55.0/24';
const HOST_IP = '172.18.55.1';
const API_PORT = 16455;
const NODES = [
  { name: 'node-1', ip: '172.18.55.11' },
  { name: 'node-2', ip: '172.18.55.12' },
] as const;
/** The UDP source port of the flow the conntrack test keeps pinned to one backend. */
const PINNED_UDP_PORT = 40001;

/** Set in beforeAll. */
let lab: TestLab;

// ---------------------------------------------------------------- the cluster's objects

interface PodInfo {
  name: string;
  ip: string;
  node: string;
  ready: boolean;
  deleting: boolean;
}

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

async function pods(selector: string): Promise<PodInfo[]> {
  const list = JSON.parse(await lab.kubectl(['get', 'pods', ...(selector ? ['-l', selector] : []), '-o', 'json'])) as { items: PodJson[] };
  return list.items.map((p) => ({
    name: p.metadata.name,
    ip: p.status?.podIP ?? '',
    node: p.spec?.nodeName ?? '',
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    deleting: p.metadata.deletionTimestamp !== undefined,
  }));
}

const showPods = (ps: readonly PodInfo[]): string =>
  ps.map((p) => `${p.name} ${p.ip || '-'} ${p.node || '-'} ${p.ready ? 'ready' : 'not-ready'}${p.deleting ? ' deleting' : ''}`).join('\n') || '(no pods)';

/** Waits for exactly `count` ready, non-terminating pods matching `selector`. */
function readyPods(selector: string, count: number, timeoutMs = 90_000): Promise<PodInfo[]> {
  return waitFor(`${count} ready pods ${selector}`, async () => {
    const ps = await pods(selector);
    const ready = ps.filter((p) => p.ready && !p.deleting && p.ip);
    return { ok: ready.length === count && ps.length === count, value: ready, state: showPods(ps) };
  }, timeoutMs);
}

interface ServiceJson {
  spec: { clusterIP: string; ports: { name?: string; port: number; nodePort?: number }[] };
}

async function service(name: string): Promise<{ clusterIP: string; nodePort(port: string): number }> {
  const s = JSON.parse(await lab.kubectl(['get', 'service', name, '-o', 'json'])) as ServiceJson;
  return {
    clusterIP: s.spec.clusterIP,
    nodePort(port) {
      const p = s.spec.ports.find((x) => x.name === port)?.nodePort;
      if (!p) throw new Error(`service ${name} has no nodePort for port ${port}`);
      return p;
    },
  };
}

// ---------------------------------------------------------------- the proxy's rules

/**
 * The pod IPs a node's rules DNAT `svcPort` ("default/echo:http") to, read
 * from the KUBE-SEP chains of its nat table.
 */
async function dnatTargets(node: string, svcPort: string): Promise<Set<string>> {
  const r = await lab.inNode(node, ['iptables-save', '-t', 'nat']);
  if (r.code !== 0) throw new Error(`iptables-save in ${lab.netnsOf(node)}: ${r.stderr}`);
  const out = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('-A KUBE-SEP-') || !line.includes(`--comment "${svcPort}"`)) continue;
    const m = / -j DNAT --to-destination ([\d.]+):\d+/.exec(line);
    if (m) out.add(m[1]!);
  }
  return out;
}

/** Waits until every node's rules send `svcPort` to exactly `ips`. */
async function rulesPointAt(svcPort: string, ips: readonly string[]): Promise<void> {
  const want = [...ips].sort().join(',');
  await waitFor(`every node's rules for ${svcPort} to DNAT to ${want}`, async () => {
    const seen = await Promise.all(NODES.map(async (n) => `${n.name}: ${[...(await dnatTargets(n.name, svcPort))].sort().join(',')}`));
    return { ok: seen.every((s) => s.endsWith(`: ${want}`)), value: undefined, state: seen.join('\n') };
  });
}

// ---------------------------------------------------------------- traffic

interface Answer {
  pod: string;
  /** The source address the echo server saw (IPv4, without the ::ffff: prefix). */
  client: string;
}

/** Splits the concatenated echo reports into (pod, client) pairs. */
function parseEcho(text: string): Answer[] {
  const out: Answer[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('pod: ')) out.push({ pod: line.slice(5).trim(), client: '' });
    const m = /^client: (?:::ffff:)?([\d.]+):\d+$/.exec(line.trim());
    if (m && out.length) out[out.length - 1]!.client = m[1]!;
  }
  return out;
}

/**
 * `n` HTTP requests to `url` in one curl (URL globbing), each on a new
 * connection (`Connection: close`), so every request is a new flow the
 * proxy's random rules balance.
 */
function curlBurst(url: string, n: number): string[] {
  return ['curl', '-s', '--noproxy', '*', '--connect-timeout', '5', '-m', '10', '-H', 'Connection: close', `${url}/[1-${n}]`];
}

async function burstFromPod(pod: string, url: string, n: number): Promise<Answer[]> {
  const r = await lab.inPod(pod, curlBurst(url, n));
  const answers = parseEcho(r.stdout);
  expect(answers.length, `${n} requests from ${pod} to ${url}: curl exit ${r.code}\n${r.stderr}`).toBe(n);
  return answers;
}

async function burstFromHost(url: string, n: number): Promise<Answer[]> {
  const r = await sh(curlBurst(url, n));
  const answers = parseEcho(r.stdout);
  expect(answers.length, `${n} requests from the host to ${url}: curl exit ${r.code}\n${r.stderr}`).toBe(n);
  return answers;
}

function countBy(answers: readonly Answer[], key: (a: Answer) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) out[key(a)] = (out[key(a)] ?? 0) + 1;
  return out;
}

/** Every answer came from `backends`, and each backend got at least half its fair share. */
function expectEvenSpread(answers: readonly Answer[], backends: readonly PodInfo[]): void {
  const counts = countBy(answers, (a) => a.pod);
  expect(Object.keys(counts).sort()).toEqual(backends.map((b) => b.name).sort());
  const fair = answers.length / backends.length;
  for (const b of backends) expect(counts[b.name], `share of ${b.name} in ${JSON.stringify(counts)}`).toBeGreaterThanOrEqual(fair / 2);
}

/**
 * A UDP sender for inside a pod: sends datagrams to HOST:PORT from a fresh
 * socket each (a new flow each), or — with a fixed source port — keeps
 * sending from that one port every 200 ms until its stdin closes (one flow
 * the conntrack table keeps alive). Prints each reply or "timeout".
 */
const UDP_SENDER = `
const dgram = require('node:dgram');
const [host, port, count, srcPort] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4] || 0)];
const print = (l) => process.stdout.write(l + '\\n');
if (srcPort) {
  const s = dgram.createSocket('udp4');
  s.on('message', (m) => print(m.toString()));
  s.bind(srcPort, () => {
    let i = 0;
    const t = setInterval(() => s.send('seq ' + i++, port, host), 200);
    const stop = () => { clearInterval(t); s.close(); };
    process.stdin.on('end', stop).on('close', stop).resume();
    setTimeout(stop, 150000);
  });
} else {
  let left = count;
  for (let i = 0; i < count; i++) {
    const s = dgram.createSocket('udp4');
    const done = (l) => { print(l); s.close(); };
    const t = setTimeout(() => done('timeout'), 5000);
    s.on('message', (m) => { clearTimeout(t); done(m.toString()); });
    s.send('ping ' + i, port, host);
  }
}
`;

/** "<pod> <ip>: <payload>" → pod */
const udpPod = (line: string): string => line.split(' ')[0] ?? '';

// ---------------------------------------------------------------- the workload

const MANIFESTS = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
${echoContainerYaml('      ')}
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec:
  type: NodePort
  externalTrafficPolicy: Cluster
  selector: {app: echo}
  ports:
  - {name: http, port: 80, targetPort: 8080, protocol: TCP}
  - {name: udp, port: 9001, targetPort: 9001, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata: {name: echo-sticky, namespace: default}
spec:
  selector: {app: echo}
  sessionAffinity: ClientIP
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: echo-local, namespace: default}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: echo}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: empty, namespace: default}
spec:
  selector: {app: nothing-has-this-label}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: hairpin, namespace: default, labels: {app: hairpin}}
spec:
  containers:
${echoContainerYaml('  ')}
---
apiVersion: v1
kind: Service
metadata: {name: hairpin, namespace: default}
spec:
  selector: {app: hairpin}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default}
spec:
  containers: [{name: tools, image: netkube/toolbox}]
`;

/** Every IPv4 address of a node's namespace: what "the node's address" can be after masquerade. */
async function nodeAddresses(node: string): Promise<string[]> {
  const r = await lab.inNode(node, ['ip', '-j', '-4', 'addr', 'show']);
  const links = JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[];
  return links.flatMap((l) => (l.addr_info ?? []).map((a) => a.local)).filter((a) => !a.startsWith('127.'));
}

describe.skipIf(!isRoot)('service proxy with real packets in a lab (needs root: builds network namespaces)', () => {
  let echo: PodInfo[] = [];
  let client: PodInfo;
  let echoSvc: Awaited<ReturnType<typeof service>>;

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'lab', 'commands.js'))) throw new Error('run npm run build first (the test runs the compiled CLI)');
    lab = await tempTestLab(LAB, PREFIX, 'netkube-proxy-lab-');
    await lab.up(['--nodes', String(NODES.length), '--underlay', UNDERLAY, '--apiserver-port', String(API_PORT)]);
    await lab.kubectl(['apply', '-f', '-'], MANIFESTS);
    echo = await readyPods('app=echo', 3);
    client = await waitFor('the client pod to be ready', async () => {
      const ps = await pods('');
      const c = ps.find((p) => p.name === 'client' && p.ready && p.ip);
      return { ok: Boolean(c), value: c!, state: showPods(ps) };
    });
    await readyPods('app=hairpin', 1);
    echoSvc = await service('echo');
    await rulesPointAt('default/echo:http', echo.map((p) => p.ip));
    await rulesPointAt('default/echo:udp', echo.map((p) => p.ip));
  }, 180_000);

  afterAll(() => removeTempTestLab(lab), 60_000);

  it('spreads 1,000 requests from a client pod evenly over every ready backend, pods on both nodes', async () => {
    expect(new Set(echo.map((p) => p.node)).size, showPods(echo)).toBe(NODES.length);
    const answers = await burstFromPod('client', `http://${echoSvc.clusterIP}`, 1000);
    expectEvenSpread(answers, echo);
    // Pod to ClusterIP is not masqueraded: the backend sees the client pod itself.
    expect(new Set(answers.map((a) => a.client))).toEqual(new Set([client.ip]));
  });

  it('spreads 1,000 requests through a NodePort from the host side of the underlay', async () => {
    const url = `http://${NODES[0].ip}:${echoSvc.nodePort('http')}`;
    expectEvenSpread(await burstFromHost(url, 1000), echo);
  });

  // A deliberate difference from kube-proxy's iptables mode (as its nftables
  // mode does): NodePorts answer on the node's addresses, not on 127.0.0.1,
  // because localhost NodePorts need route_localnet (docs/architecture.md).
  it('answers a NodePort on the node\'s own address from inside the node, but not on 127.0.0.1', async () => {
    const port = echoSvc.nodePort('http');
    const onNodeIP = await lab.inNode(NODES[0].name, ['curl', '-sS', '--noproxy', '*', '-m', '10', `http://${NODES[0].ip}:${port}/`]);
    expect(onNodeIP.code, onNodeIP.stderr).toBe(0);
    expect(echo.map((p) => p.name)).toContain(parseEcho(onNodeIP.stdout)[0]?.pod);

    const onLoopback = await lab.inNode(NODES[0].name, ['curl', '-sS', '-v', '--noproxy', '*', '-m', '10', `http://127.0.0.1:${port}/`]);
    // 7 = could not connect: refused at once by the node's own stack (nothing listens there), not DNATed and dropped.
    expect(onLoopback.code, onLoopback.stderr).toBe(7);
    expect(onLoopback.stderr).toContain('Connection refused');
  });

  it('lets a pod reach itself through its own Service (hairpin, masqueraded to the node)', async () => {
    const [self] = await pods('app=hairpin');
    const svc = await service('hairpin');
    await rulesPointAt('default/hairpin:http', [self!.ip]);
    const answers = await burstFromPod('hairpin', `http://${svc.clusterIP}`, 20);
    expect(new Set(answers.map((a) => a.pod))).toEqual(new Set(['hairpin']));
    // Without masquerade the reply would go straight back inside the pod and the connection would never form;
    // with it the pod sees one of its node's addresses.
    const hostNode = NODES.find((n) => n.name === self!.node)!;
    const nodeIPs = await nodeAddresses(hostNode.name);
    for (const a of answers) expect(nodeIPs, `client ${a.client}`).toContain(a.client);
  });

  it('carries UDP through the Service to every backend', async () => {
    const r = await lab.inPod('client', [NODE, '-e', UDP_SENDER, echoSvc.clusterIP, '9001', '30']);
    const lines = r.stdout.trim().split('\n').filter(Boolean);
    expect(lines, r.stderr).toHaveLength(30);
    expect(lines.filter((l) => l === 'timeout')).toEqual([]);
    // 30 new flows over 3 backends: all landing on one or two has probability < 1e-5.
    expect(new Set(lines.map(udpPod))).toEqual(new Set(echo.map((p) => p.name)));
  });

  it('keeps one backend for a client with sessionAffinity: ClientIP', async () => {
    const svc = await service('echo-sticky');
    await rulesPointAt('default/echo-sticky:http', echo.map((p) => p.ip));
    const answers = await burstFromPod('client', `http://${svc.clusterIP}`, 50);
    expect(Object.keys(countBy(answers, (a) => a.pod))).toHaveLength(1);
  });

  it('refuses a connection to a Service with no endpoints at once (REJECT, not a timeout)', async () => {
    const svc = await service('empty');
    await waitFor('a REJECT rule for default/empty on the client\'s node', async () => {
      const node = NODES.find((n) => n.name === client.node)!;
      const save = (await lab.inNode(node.name, ['iptables-save', '-t', 'filter'])).stdout;
      const rule = save.split('\n').find((l) => l.includes(`-d ${svc.clusterIP}/32`) && l.includes('-j REJECT'));
      return { ok: Boolean(rule), value: undefined, state: save.split('\n').filter((l) => l.includes('KUBE-')).join('\n') };
    });
    const r = await lab.inPod('client', ['curl', '-sS', '-v', '--noproxy', '*', '-m', '20', `http://${svc.clusterIP}/`]);
    expect(r.code, r.stderr).toBe(7);
    expect(r.stderr).toContain('Connection refused');
  });

  it('keeps a node\'s client address with externalTrafficPolicy: Local, masquerades it with Cluster', async () => {
    const local = (await service('echo-local')).nodePort('http');
    await rulesPointAt('default/echo-local:http', echo.map((p) => p.ip));
    for (const node of NODES) {
      const mine = echo.filter((p) => p.node === node.name);
      const viaLocal = await burstFromHost(`http://${node.ip}:${local}`, 100);
      // Local: the host's own address reaches the pod, and only this node's pods answer.
      expect(new Set(viaLocal.map((a) => a.client)), node.name).toEqual(new Set([HOST_IP]));
      for (const a of viaLocal) expect(mine.map((p) => p.name), `${node.name} answered by ${a.pod}`).toContain(a.pod);

      // Cluster: any pod answers, and it sees one of the node's own addresses, never the host's.
      const viaCluster = await burstFromHost(`http://${node.ip}:${echoSvc.nodePort('http')}`, 100);
      const nodeIPs = await nodeAddresses(node.name);
      for (const a of viaCluster) expect(nodeIPs, `${node.name}: client seen by ${a.pod}`).toContain(a.client);
      expect(new Set(viaCluster.map((a) => a.pod)).size, node.name).toBeGreaterThan(1);
    }
  });

  it('stops sending to a deleted backend, and moves a pinned UDP flow off it (conntrack cleanup)', async () => {
    // One UDP flow from a fixed source port, kept alive by a datagram every 200 ms: conntrack pins it to one backend.
    const flow = spawn(NODE, [CLI, 'exec', '--name', LAB, 'client', '--', NODE, '-e', UDP_SENDER, echoSvc.clusterIP, '9001', '0', String(PINNED_UDP_PORT)], {
      env: { ...process.env, NETKUBE_HOME: lab.home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let replies = '';
    flow.stdout.setEncoding('utf8').on('data', (d: string) => (replies += d));
    flow.stderr.setEncoding('utf8').on('data', (d: string) => (replies += d));
    const replyPods = (): string[] => replies.split('\n').filter((l) => l.includes(': seq ')).map(udpPod);
    try {
      const victimName = await waitFor('the pinned UDP flow to be answered', async () => {
        const seen = replyPods();
        return { ok: seen.length >= 3, value: seen[0]!, state: replies || '(no replies)' };
      });
      // A flow is one conntrack entry: every reply so far came from the same pod.
      expect(new Set(replyPods())).toEqual(new Set([victimName]));
      const victim = echo.find((p) => p.name === victimName)!;
      expect(victim, `${victimName} is not one of ${showPods(echo)}`).toBeDefined();

      await lab.kubectl(['delete', 'pod', victim.name, '--wait=false']);
      const rest = echo.filter((p) => p !== victim);
      // The Deployment starts a replacement meanwhile; only the victim's absence matters here.
      await waitFor(`every node's rules to drop ${victim.ip}`, async () => {
        const seen = await Promise.all(NODES.map(async (n) => `${n.name}: ${[...(await dnatTargets(n.name, 'default/echo:http')), ...(await dnatTargets(n.name, 'default/echo:udp'))].join(',')}`));
        return { ok: seen.every((s) => !s.includes(victim.ip)), value: undefined, state: seen.join('\n') };
      });

      const answers = await burstFromPod('client', `http://${echoSvc.clusterIP}`, 200);
      expect(answers.map((a) => a.pod)).not.toContain(victim.name);

      // The same UDP flow (same source port, never idle) now lands elsewhere: the proxy deleted
      // the conntrack entry pointing at the removed endpoint, else it would be stuck on it forever.
      const before = replyPods().length;
      const moved = await waitFor('the pinned UDP flow to be answered by another backend', async () => {
        const after = replyPods().slice(before);
        const other = after.find((p) => p !== victim.name);
        return { ok: Boolean(other), value: other ?? '', state: `replies since the rules changed: ${after.join(', ') || '(none)'}` };
      });
      expect(rest.map((p) => p.name).concat((await pods('app=echo')).map((p) => p.name))).toContain(moved);
    } finally {
      flow.stdin.end();
      await stopChild(flow);
    }
  });

  it('adds new pods to the rotation when the Deployment scales up', async () => {
    const before = await readyPods('app=echo', 3);
    // A patch, not `kubectl scale`: apiserver-lite serves no deployments/scale subresource yet.
    await lab.kubectl(['patch', 'deployment', 'echo', '--type=merge', '-p', '{"spec":{"replicas":4}}']);
    const after = await readyPods('app=echo', 4);
    const added = after.filter((p) => !before.some((b) => b.name === p.name));
    expect(added).toHaveLength(1);
    await rulesPointAt('default/echo:http', after.map((p) => p.ip));
    const answers = await burstFromPod('client', `http://${echoSvc.clusterIP}`, 1000);
    expectEvenSpread(answers, after);
    expect(answers.map((a) => a.pod)).toContain(added[0]!.name);
  });
});

/** Ends a child we started: it exits on stdin EOF; SIGTERM (then SIGKILL) by its own pid if it does not. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const term = setTimeout(() => child.kill('SIGTERM'), 5000);
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(term);
  clearTimeout(kill);
}
