// `netkube proxy` with real packets, without the lab: a "node" network
// namespace runs the proxy; a "client" namespace and two "backend"
// namespaces hang off it on veths. The API server runs on the root
// namespace's loopback; the node namespace reaches it through a Unix socket
// relay (sockets on the filesystem cross namespaces), so the test itself uses
// an ordinary client. iptables and conntrack only ever run inside the node
// namespace; every namespace is deleted in afterAll, also after failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EndpointSlice, Node, Service } from '../kube/api/core.js';
import { EndpointSlices, KubeClient, Nodes, Services } from '../kube/client.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { cleanup, eventually, REPO_ROOT, startApiServer, type ApiServerProcess } from './support/apiserver-process.js';
import { startChild, stopAllChildren, stopChild, type TrackedChild } from './support/children.js';

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const hasTools = ['/usr/sbin/ip', '/usr/sbin/iptables-restore', '/usr/sbin/conntrack'].every((p) => existsSync(p)) || ['/sbin/ip'].every((p) => existsSync(p));
const canRun = isRoot && hasTools && existsSync(join(REPO_ROOT, 'dist', 'lab', 'cli.js'));
if (!canRun) console.warn('proxy-netns.test: needs root, ip/iptables/conntrack and a build (npm run build); skipping');

const id = randomBytes(3).toString('hex');
const NS = { node: `nk-test-${id}-node`, client: `nk-test-${id}-cli`, a: `nk-test-${id}-a`, b: `nk-test-${id}-b` };
const NODE_IP = '10.0.1.1';
const CLIENT_IP = '10.0.1.2';
const BACKEND = { a: '10.244.1.2', b: '10.244.2.2' } as const;
const RELAY_SOCKET = `/tmp/nk-test-${id}-api.sock`;

let relayServer: net.Server | undefined;
let api: ApiServerProcess;
let client: KubeClient;
let proxy: TrackedChild | undefined;
let nodeKubeconfig: string;

async function sh(...args: string[]): Promise<string> {
  const r = await run(args[0]!, args.slice(1));
  return r.stdout;
}
const inNs = (ns: string, ...args: string[]) => sh('ip', 'netns', 'exec', ns, ...args);

/** Starts a long-running process in a namespace; afterAll stops it. */
function spawnIn(ns: string, args: string[]): TrackedChild {
  return startChild('ip', ['netns', 'exec', ns, ...args]);
}

// A backend: HTTP on 8080 and UDP on 5353, both answering with the backend's name.
const ECHO = `
const name = process.argv[1];
require('http').createServer((q, s) => s.end(name)).listen(8080, '0.0.0.0');
const u = require('dgram').createSocket('udp4');
u.on('message', (m, r) => u.send(name, r.port, r.address));
u.bind(5353, '0.0.0.0', () => console.log('ready'));
`;

// The client: N HTTP requests (or one connect) to ip:port; prints the answers or error codes as JSON.
const HTTP_CLIENT = `
const [ip, port, n] = process.argv.slice(1);
const out = [];
const one = () => new Promise((res) => {
  const req = require('http').get({ host: ip, port: Number(port), path: '/', agent: false, timeout: 1500 }, (r) => {
    let b = ''; r.on('data', (d) => b += d); r.on('end', () => res(b));
  });
  req.on('timeout', () => { req.destroy(); res('ETIMEDOUT'); });
  req.on('error', (e) => res(e.code || e.message));
});
(async () => { for (let i = 0; i < Number(n); i++) out.push(await one()); console.log(JSON.stringify(out)); })();
`;

// One UDP request from a fixed source port (so conntrack sees the same flow), answer or error code.
const UDP_CLIENT = `
const [ip, port, sport] = process.argv.slice(1);
const s = require('dgram').createSocket({ type: 'udp4', reuseAddr: true });
const done = (v) => { console.log(JSON.stringify(v)); s.close(); };
const t = setTimeout(() => done('ETIMEDOUT'), 1000);
s.on('message', (m) => { clearTimeout(t); done(m.toString()); });
s.on('error', (e) => { clearTimeout(t); done(e.code || e.message); });
s.bind(Number(sport), () => { s.connect(Number(port), ip, () => s.send('hi')); });
`;

// The node namespace's end of the API relay: 127.0.0.1:6443 → the Unix socket.
const RELAY = `
const net = require('net');
net.createServer((c) => { const u = net.connect(process.argv[1]); c.pipe(u).pipe(c); c.on('error', () => u.destroy()); u.on('error', () => c.destroy()); })
  .listen(6443, '127.0.0.1', () => console.log('relay ready'));
`;

async function httpFromClient(ip: string, port: number, n: number): Promise<string[]> {
  return JSON.parse(await inNs(NS.client, 'node', '-e', HTTP_CLIENT, ip, String(port), String(n))) as string[];
}
async function udpFromClient(ip: string, port: number, sport: number): Promise<string> {
  return JSON.parse(await inNs(NS.client, 'node', '-e', UDP_CLIENT, ip, String(port), String(sport))) as string;
}

function slice(service: string, port: { name: string; port: number; protocol: 'TCP' | 'UDP' }, ips: string[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: 'default',
      name: `${service}-abc`,
      labels: { 'kubernetes.io/service-name': service },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': new Date().toISOString() },
    },
    addressType: 'IPv4',
    ports: [port],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'node-1' })),
  };
}

async function putSlice(s: EndpointSlice): Promise<void> {
  const cur = await client.get<EndpointSlice>(EndpointSlices, s.metadata.name!, { namespace: 'default' }).catch(() => undefined);
  if (cur) await client.update(EndpointSlices, { ...s, metadata: { ...s.metadata, resourceVersion: cur.metadata.resourceVersion } });
  else await client.create(EndpointSlices, s);
}

async function createService(name: string, spec: Service['spec']): Promise<Service> {
  return client.create<Service>(Services, { apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name }, spec });
}

async function buildNetwork(): Promise<void> {
  for (const ns of Object.values(NS)) {
    await sh('ip', 'netns', 'add', ns);
    await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up');
  }
  const veth = async (peerNs: string, nodeIf: string, peerIf: string, nodeCidr: string, peerCidr: string, gw: string) => {
    await sh('ip', '-n', NS.node, 'link', 'add', nodeIf, 'type', 'veth', 'peer', 'name', peerIf, 'netns', peerNs);
    await sh('ip', '-n', NS.node, 'addr', 'add', nodeCidr, 'dev', nodeIf);
    await sh('ip', '-n', NS.node, 'link', 'set', nodeIf, 'up');
    await sh('ip', '-n', peerNs, 'addr', 'add', peerCidr, 'dev', peerIf);
    await sh('ip', '-n', peerNs, 'link', 'set', peerIf, 'up');
    await sh('ip', '-n', peerNs, 'route', 'add', 'default', 'via', gw);
  };
  await veth(NS.client, 'nkc0', 'eth0', `${NODE_IP}/24`, `${CLIENT_IP}/24`, NODE_IP);
  await veth(NS.a, 'nka0', 'eth0', '10.244.1.1/24', `${BACKEND.a}/24`, '10.244.1.1');
  await veth(NS.b, 'nkb0', 'eth0', '10.244.2.1/24', `${BACKEND.b}/24`, '10.244.2.1');
  // A default route out of the node, so ClusterIP packets without DNAT reach FORWARD (and its REJECT) as on a real node.
  await sh('ip', '-n', NS.node, 'link', 'add', 'nkup0', 'type', 'veth', 'peer', 'name', 'nkup1');
  await sh('ip', '-n', NS.node, 'link', 'set', 'nkup0', 'up');
  await sh('ip', '-n', NS.node, 'link', 'set', 'nkup1', 'up');
  await sh('ip', '-n', NS.node, 'route', 'add', 'default', 'dev', 'nkup0');
  await inNs(NS.node, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
}

async function waitForOutput(p: { output: () => string }, re: RegExp, what: string, timeoutMs = 20_000): Promise<void> {
  await eventually(() => re.test(p.output()), `${what}; output so far:\n${p.output()}`, timeoutMs);
}

function startProxy(): TrackedChild {
  return spawnIn(NS.node, [
    process.execPath, 'bin/netkube.js', 'proxy',
    '--kubeconfig', nodeKubeconfig,
    '--hostname-override', 'node-1',
    '--cluster-cidr', '10.244.0.0/16',
    '--min-sync-period', '0',
    '--sync-period', '30s',
    '--healthz-bind-address', '127.0.0.1:10256',
  ]);
}

describe.skipIf(!canRun)('netkube proxy in network namespaces', () => {
  beforeAll(async () => {
    await buildNetwork();
    api = await startApiServer();
    // Root-namespace end of the relay: Unix socket → the API server's loopback port.
    relayServer = net.createServer((c) => {
      const t = net.connect(api.port, '127.0.0.1');
      c.pipe(t).pipe(c);
      c.on('error', () => t.destroy());
      t.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => relayServer!.listen(RELAY_SOCKET, () => r()));
    const relay = spawnIn(NS.node, [process.execPath, '-e', RELAY, RELAY_SOCKET]);
    await waitForOutput(relay, /relay ready/, 'the API relay in the node namespace');
    nodeKubeconfig = join(api.dataDir, 'kubeconfig-node');
    await writeFile(nodeKubeconfig, (await readFile(api.kubeconfigPath, 'utf8')).replace(api.url, 'https://127.0.0.1:6443'), { mode: 0o600 });

    client = new KubeClient(await loadKubeconfig(api.kubeconfigPath));
    await client.create<Node>(Nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-1' },
      status: { addresses: [{ type: 'InternalIP', address: NODE_IP }] },
    });
    for (const [name, ns] of [['a', NS.a], ['b', NS.b]] as const) {
      const echo = spawnIn(ns, [process.execPath, '-e', ECHO, name]);
      await waitForOutput(echo, /ready/, `backend ${name}`);
    }
    // Someone else's rules in the node's tables: the proxy must leave them alone, --cleanup too.
    await inNs(NS.node, 'iptables', '-w', '-t', 'nat', '-N', 'OTHER-SOFTWARE');
    await inNs(NS.node, 'iptables', '-w', '-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '9', '-j', 'OTHER-SOFTWARE');

    proxy = startProxy();
    await waitForOutput(proxy, /full sync of \d+ service ports done/, 'the first full sync');
  });

  afterAll(async () => {
    client?.close();
    await stopAllChildren(5000);
    relayServer?.close();
    await rm(RELAY_SOCKET, { force: true });
    for (const ns of Object.values(NS)) await sh('ip', 'netns', 'del', ns).catch(() => undefined);
    await cleanup();
  });

  let web: Service;

  it('a ClusterIP reaches every endpoint', async () => {
    web = await createService('web', { type: 'NodePort', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] });
    await putSlice(slice('web', { name: 'http', port: 8080, protocol: 'TCP' }, [BACKEND.a, BACKEND.b]));
    const ip = web.spec!.clusterIP!;
    const seen = await eventually(async () => {
      const got = await httpFromClient(ip, 80, 30);
      return new Set(got).size === 2 && got.every((g) => g === 'a' || g === 'b') ? got : undefined;
    }, `answers from both backends through ${ip}:80`);
    expect(new Set(seen)).toEqual(new Set(['a', 'b']));
  });

  it('the NodePort on the node address reaches the endpoints too', async () => {
    const nodePort = web.spec!.ports![0]!.nodePort!;
    const got = await eventually(async () => {
      const r = await httpFromClient(NODE_IP, nodePort, 30);
      return new Set(r).size === 2 ? r : undefined;
    }, `answers from both backends through ${NODE_IP}:${nodePort}`);
    expect(got.every((g) => g === 'a' || g === 'b')).toBe(true);
  });

  it('a Service without endpoints refuses the connection at once (REJECT, not a timeout)', async () => {
    const empty = await createService('empty', { ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] });
    const got = await eventually(async () => {
      const r = await httpFromClient(empty.spec!.clusterIP!, 80, 1);
      return r[0] === 'ECONNREFUSED' ? r : undefined;
    }, 'connection refused from a Service without endpoints');
    expect(got).toEqual(['ECONNREFUSED']);
  });

  it('an endpoint removed from the slice gets no more traffic', async () => {
    await putSlice(slice('web', { name: 'http', port: 8080, protocol: 'TCP' }, [BACKEND.b]));
    const got = await eventually(async () => {
      const r = await httpFromClient(web.spec!.clusterIP!, 80, 20);
      return r.every((g) => g === 'b') ? r : undefined;
    }, 'only backend b answering');
    expect(new Set(got)).toEqual(new Set(['b']));
  });

  it('UDP: the first endpoint is reached, and when it goes away its conntrack entry goes with it', async () => {
    const dns = await createService('dns', { ports: [{ name: 'dns', port: 53, targetPort: 5353, protocol: 'UDP' }] });
    const ip = dns.spec!.clusterIP!;
    await eventually(async () => (await udpFromClient(ip, 53, 40053)) === 'ECONNREFUSED', 'UDP rejected without endpoints');
    await putSlice(slice('dns', { name: 'dns', port: 5353, protocol: 'UDP' }, [BACKEND.a, BACKEND.b]));
    // The same client flow (source port) that was rejected now gets an answer.
    const first = await eventually(async () => {
      const r = await udpFromClient(ip, 53, 40053);
      return r === 'a' || r === 'b' ? r : undefined;
    }, 'a UDP answer once the Service has endpoints');
    // The flow sticks to its endpoint through conntrack while both exist.
    expect(await udpFromClient(ip, 53, 40053)).toBe(first);
    const other = first === 'a' ? 'b' : 'a';
    await putSlice(slice('dns', { name: 'dns', port: 5353, protocol: 'UDP' }, [BACKEND[other]]));
    // The endpoint still runs: only deleting the conntrack entry moves the flow to the other one.
    const moved = await eventually(async () => ((await udpFromClient(ip, 53, 40053)) === other ? other : undefined), `the UDP flow moving to ${other}`);
    expect(moved).toBe(other);
  });

  it('externalTrafficPolicy: Local serves its healthCheckNodePort: 200 with local endpoints, 503 without', async () => {
    const lb = await createService('lb', {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
    });
    const hc = lb.spec!.healthCheckNodePort!;
    expect(hc).toBeGreaterThan(0);
    await putSlice(slice('lb', { name: 'http', port: 8080, protocol: 'TCP' }, [BACKEND.a]));
    const url = `http://${NODE_IP}:${hc}/`;
    const ok = await eventually(async () => {
      const body = await inNs(NS.client, 'curl', '-s', url);
      return body.includes('"localEndpoints":1') ? body : undefined;
    }, `200 from ${url}`);
    expect(JSON.parse(ok)).toEqual({ service: { namespace: 'default', name: 'lb' }, localEndpoints: 1, serviceProxyHealthy: true });
    await putSlice({ ...slice('lb', { name: 'http', port: 8080, protocol: 'TCP' }, []), endpoints: [{ addresses: [BACKEND.a], nodeName: 'node-2' }] });
    const code = await eventually(async () => {
      const c = await inNs(NS.client, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', url);
      return c === '503' ? c : undefined;
    }, `503 from ${url} once the only endpoint is on another node`);
    expect(code).toBe('503');
  });

  it('serves /healthz, /metrics with kube-proxy names, and /proxyMode', async () => {
    const healthz = JSON.parse(await inNs(NS.node, 'curl', '-sf', 'http://127.0.0.1:10256/healthz')) as { lastUpdated: string; currentTime: string };
    expect(Date.parse(healthz.lastUpdated)).toBeGreaterThan(Date.parse('2020-01-01'));
    expect(Date.parse(healthz.currentTime)).toBeGreaterThanOrEqual(Date.parse(healthz.lastUpdated));
    const metrics = await inNs(NS.node, 'curl', '-sf', 'http://127.0.0.1:10249/metrics');
    for (const name of [
      'kubeproxy_sync_proxy_rules_duration_seconds_count',
      'kubeproxy_sync_full_proxy_rules_duration_seconds_count',
      'kubeproxy_sync_partial_proxy_rules_duration_seconds_count',
      'kubeproxy_network_programming_duration_seconds_count',
      'kubeproxy_sync_proxy_rules_last_timestamp_seconds',
      'kubeproxy_sync_proxy_rules_iptables_restore_failures_total 0',
    ]) {
      expect(metrics).toContain(name);
    }
    expect(metrics).toMatch(/^kubeproxy_sync_partial_proxy_rules_duration_seconds_count [1-9]/m);
    expect(metrics).toMatch(/^kubeproxy_sync_proxy_rules_endpoint_changes_total [1-9]/m);
    expect(metrics).toMatch(/^kubeproxy_sync_proxy_rules_service_changes_total [1-9]/m);
    expect(await inNs(NS.node, 'curl', '-sf', 'http://127.0.0.1:10249/proxyMode')).toBe('iptables');
  });

  it('a stopped proxy leaves its rules (traffic flows); --cleanup removes only its own', async () => {
    await stopChild(proxy!.child, 5000);
    expect(await httpFromClient(web.spec!.clusterIP!, 80, 3)).toEqual(['b', 'b', 'b']);
    await inNs(NS.node, process.execPath, join(REPO_ROOT, 'bin', 'netkube.js'), 'proxy', '--cleanup');
    const nat = await inNs(NS.node, 'iptables-save', '-t', 'nat');
    const filter = await inNs(NS.node, 'iptables-save', '-t', 'filter');
    expect(nat + filter).not.toContain('KUBE-');
    expect(nat).toContain(':OTHER-SOFTWARE');
    expect(nat).toContain('-A PREROUTING -p tcp -m tcp --dport 9 -j OTHER-SOFTWARE');
    expect(await httpFromClient(web.spec!.clusterIP!, 80, 1)).not.toEqual(['b']);
  });
});
