// The VXLAN overlay with real packets, without the lab or an API server:
// three "node" namespaces on an "underlay" bridge namespace, each node with a
// pod bridge (its pod CIDR's .1) and one "pod" namespace on a veth. The
// model is built from literal Node objects; each node's plan is compiled and
// applied through overlay/netlink.ts exactly as the agent does (syncNode).
// Every namespace is named nkov-<random>-… and deleted in afterAll, also
// after failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Node } from '../kube/api/core.js';
import { DEFAULT_COMPILE_OPTIONS, type CompileOptions } from '../overlay/compile.js';
import { buildLogicalTopologyFromApi } from '../overlay/logical-model.js';
import { describeOp } from '../overlay/netlink-ops.js';
import { createNodeNetwork, type NodeNetwork } from '../overlay/netlink.js';
import { syncNode, type SyncResult } from '../overlay/reconciler.js';
import { testNode } from '../overlay/testdata/nodes.js';

const execFileP = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const hasTools = ['ip', 'bridge', 'ping'].every((t) => ['/usr/sbin/', '/sbin/', '/usr/bin/', '/bin/'].some((d) => existsSync(d + t)));
const canRun = isRoot && hasTools;
if (!canRun) console.warn('overlay-vxlan.test: needs root and ip/bridge/ping (iproute2, iputils-ping); skipping');

const P = `nkov-${randomBytes(3).toString('hex')}`;
const UL = `${P}-ul`;
const NODES = [1, 2, 3] as const;
const nodeNs = (i: number): string => `${P}-n${i}`;
const podNs = (i: number): string => `${P}-p${i}`;
const podIP = (i: number): string => `10.244.${i}.2`;
const UNDERLAY_MTU = 1500;
const POD_MTU = UNDERLAY_MTU - 50;
const OPTS: CompileOptions = { ...DEFAULT_COMPILE_OPTIONS, underlayMtu: UNDERLAY_MTU };

const children = new Set<ChildProcess>();
const networks = new Map<number, NodeNetwork>();

async function sh(...argv: string[]): Promise<string> {
  return (await execFileP(argv[0]!, argv.slice(1))).stdout;
}
/** Runs argv; resolves with exit status and output instead of throwing (ping's failures are results here). */
function tryRun(argv: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) =>
    execFile(argv[0]!, argv.slice(1), { timeout: 20_000 }, (err, stdout, stderr) => resolve({ ok: !err, out: `${stdout}${stderr}` })),
  );
}
const inNs = (ns: string, ...argv: string[]): Promise<string> => sh('ip', 'netns', 'exec', ns, ...argv);

async function ping(from: number, to: string, extra: string[] = []): Promise<{ ok: boolean; out: string }> {
  return tryRun(['ip', 'netns', 'exec', podNs(from), 'ping', '-n', '-c', '2', '-i', '0.2', '-W', '2', ...extra, to]);
}

async function syncAll(nodes: Node[], which: readonly number[] = NODES): Promise<Map<number, SyncResult>> {
  const model = buildLogicalTopologyFromApi(nodes, []);
  const out = new Map<number, SyncResult>();
  for (const i of which) out.set(i, await syncNode(networks.get(i)!, model, `node-${i}`, OPTS));
  return out;
}

async function buildLab(): Promise<void> {
  await sh('ip', 'netns', 'add', UL);
  await sh('ip', '-n', UL, 'link', 'add', 'br0', 'type', 'bridge');
  // Bridged underlay frames must not meet the host's netfilter (see docs/architecture.md, the lab).
  await tryRun(['ip', 'netns', 'exec', UL, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=0']);
  await sh('ip', '-n', UL, 'link', 'set', 'br0', 'up');
  for (const i of NODES) {
    const n = nodeNs(i);
    const p = podNs(i);
    await sh('ip', 'netns', 'add', n);
    await sh('ip', 'netns', 'add', p);
    await sh('ip', '-n', n, 'link', 'add', 'eth0', 'mtu', String(UNDERLAY_MTU), 'type', 'veth', 'peer', 'name', `n${i}`, 'netns', UL);
    await sh('ip', '-n', UL, 'link', 'set', `n${i}`, 'master', 'br0', 'up');
    await sh('ip', '-n', n, 'addr', 'add', `172.18.0.${10 + i}/24`, 'dev', 'eth0');
    await sh('ip', '-n', n, 'link', 'set', 'eth0', 'up');
    await sh('ip', '-n', n, 'link', 'set', 'lo', 'up');
    await inNs(n, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
    await sh('ip', '-n', n, 'link', 'add', 'cni0', 'type', 'bridge');
    await sh('ip', '-n', n, 'addr', 'add', `10.244.${i}.1/24`, 'dev', 'cni0');
    await sh('ip', '-n', n, 'link', 'set', 'cni0', 'up');
    // The pod: what the CNI plugin would make, with the overlay's pod MTU on both ends.
    await sh('ip', '-n', p, 'link', 'add', 'eth0', 'mtu', String(POD_MTU), 'type', 'veth', 'peer', 'name', 'vethpod', 'netns', n);
    await sh('ip', '-n', n, 'link', 'set', 'vethpod', 'mtu', String(POD_MTU), 'master', 'cni0', 'up');
    await sh('ip', '-n', p, 'addr', 'add', `${podIP(i)}/24`, 'dev', 'eth0');
    await sh('ip', '-n', p, 'link', 'set', 'eth0', 'up');
    await sh('ip', '-n', p, 'link', 'set', 'lo', 'up');
    await sh('ip', '-n', p, 'route', 'add', 'default', 'via', `10.244.${i}.1`);
    networks.set(i, createNodeNetwork({ node: `node-${i}`, device: 'nk-vxlan', netns: n }));
  }
}

/** A TCP echo server in each pod (node's net module, since the image has no nc). */
async function startEchoServers(): Promise<void> {
  const src = `require('net').createServer((s) => s.pipe(s)).listen(7000, '0.0.0.0', () => console.log('ready'))`;
  await Promise.all(
    NODES.map(
      (i) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn('ip', ['netns', 'exec', podNs(i), process.execPath, '-e', src], { stdio: ['ignore', 'pipe', 'pipe'] });
          children.add(child);
          child.once('exit', () => children.delete(child));
          child.once('error', reject);
          child.stdout!.setEncoding('utf8').on('data', (d: string) => d.includes('ready') && resolve());
        }),
    ),
  );
}

/** From one pod, a TCP round trip to each address; prints {ip: echoed text | error code} as JSON. */
async function tcpFrom(i: number, targets: string[]): Promise<Record<string, string>> {
  const src = `
const net = require('net');
const one = (ip) => new Promise((res) => {
  const s = net.connect({ host: ip, port: 7000, timeout: 3000 }, () => s.end('hello from ${podIP(i)}'));
  let got = ''; s.setEncoding('utf8'); s.on('data', (d) => (got += d)); s.on('end', () => res(got));
  s.on('timeout', () => { s.destroy(); res('ETIMEDOUT'); }); s.on('error', (e) => res(e.code));
});
Promise.all(process.argv.slice(1).map(one)).then((r) => console.log(JSON.stringify(Object.fromEntries(process.argv.slice(1).map((ip, k) => [ip, r[k]])))));`;
  return JSON.parse(await inNs(podNs(i), process.execPath, '-e', src, ...targets)) as Record<string, string>;
}

async function entryCounts(i: number): Promise<{ neigh: number; fdb: number; routes: number; addrs: number }> {
  const have = await networks.get(i)!.observe();
  return { neigh: have.neighbours.length, fdb: have.fdb.length, routes: have.routes.length, addrs: have.addresses.length };
}

describe.skipIf(!canRun)('VXLAN overlay across three node namespaces', () => {
  const three = NODES.map((i) => testNode({ i }));

  beforeAll(async () => {
    await buildLab();
    await startEchoServers();
  });

  afterAll(async () => {
    if (process.env['NKOV_KEEP']) return console.warn(`NKOV_KEEP: leaving ${P}-*`);
    for (const c of children) c.kill('SIGKILL');
    for (const i of NODES) await tryRun(['ip', 'netns', 'del', podNs(i)]);
    for (const i of NODES) await tryRun(['ip', 'netns', 'del', nodeNs(i)]);
    await tryRun(['ip', 'netns', 'del', UL]);
    const left = (await sh('ip', 'netns', 'list')).split('\n').filter((l) => l.startsWith(P));
    expect(left).toEqual([]);
  });

  it('programs each node: device with VNI 1, port 4789, no learning, MTU 1450, and one neighbour/FDB/route per peer', async () => {
    const results = await syncAll(three);
    for (const i of NODES) expect(results.get(i)!.ops.length).toBeGreaterThan(0);
    const have = await networks.get(1)!.observe();
    expect(have.device).toMatchObject({ vni: 1, dstPort: 4789, learning: false, mtu: POD_MTU, local: '172.18.0.11', mac: '02:00:00:00:00:01', up: true });
    expect(have.addresses).toEqual(['10.244.1.0/32']);
    expect(have.neighbours).toEqual([
      { ip: '10.244.2.0', mac: '02:00:00:00:00:02' },
      { ip: '10.244.3.0', mac: '02:00:00:00:00:03' },
    ]);
    expect(have.fdb).toEqual([
      { mac: '02:00:00:00:00:02', dst: '172.18.0.12' },
      { mac: '02:00:00:00:00:03', dst: '172.18.0.13' },
    ]);
    expect(have.routes).toEqual([
      { dst: '10.244.2.0/24', via: '10.244.2.0' },
      { dst: '10.244.3.0/24', via: '10.244.3.0' },
    ]);
  });

  it('every pod pings every pod on the other nodes', async () => {
    const failures: string[] = [];
    for (const a of NODES) for (const b of NODES) if (a !== b) {
      const r = await ping(a, podIP(b));
      if (!r.ok) failures.push(`pod ${a} → pod ${b}: ${r.out}`);
    }
    expect(failures).toEqual([]);
  });

  it('every pod opens TCP to every pod on the other nodes, and the server sees the pod source address', async () => {
    for (const a of NODES) {
      const targets = NODES.filter((b) => b !== a).map(podIP);
      const got = await tcpFrom(a, targets);
      expect(got).toEqual(Object.fromEntries(targets.map((t) => [t, `hello from ${podIP(a)}`])));
    }
  });

  it(`a full-size pod packet (${POD_MTU - 28} bytes of ICMP data, DF set) crosses nodes; one byte more fails locally with "message too long"`, async () => {
    const fits = await ping(1, podIP(2), ['-M', 'do', '-s', String(POD_MTU - 28)]);
    expect(fits.out).toMatch(/2 received/);
    const tooBig = await ping(1, podIP(2), ['-M', 'do', '-s', String(POD_MTU - 27)]);
    expect(tooBig.ok).toBe(false);
    expect(tooBig.out).toMatch(/message too long/i);
  });

  it('re-applying the same model changes nothing in the kernel', async () => {
    const before = await Promise.all(NODES.map(entryCounts));
    const results = await syncAll(three);
    for (const i of NODES) expect(results.get(i)!.ops.map(describeOp)).toEqual([]);
    expect(await Promise.all(NODES.map(entryCounts))).toEqual(before);
  });

  it('a VXLAN device deleted by hand comes back on the next sync, and traffic flows again', async () => {
    await sh('ip', '-n', nodeNs(1), 'link', 'del', 'nk-vxlan');
    expect((await ping(1, podIP(2), ['-c', '1'])).ok).toBe(false);
    const r = await syncAll(three, [1]);
    expect(r.get(1)!.ops[0]).toMatchObject({ kind: 'link-add' });
    expect((await ping(1, podIP(2))).ok).toBe(true);
    expect(await entryCounts(1)).toEqual({ neigh: 2, fdb: 2, routes: 2, addrs: 1 });
  });

  it('a remote VTEP MAC change is followed by every peer (neighbour replaced, FDB moved) and traffic keeps flowing', async () => {
    const changed = [testNode({ i: 1 }), testNode({ i: 2, mac: '02:00:00:00:00:22' }), testNode({ i: 3 })];
    const r = await syncAll(changed);
    // The kernel flushes a device's neighbours (permanent ones too) when its MAC changes: they are rewritten.
    expect(r.get(2)!.ops.map(describeOp)).toEqual([
      'ip link set nk-vxlan address 02:00:00:00:00:22',
      'ip neigh replace 10.244.1.0 lladdr 02:00:00:00:00:01 dev nk-vxlan nud permanent',
      'ip neigh replace 10.244.3.0 lladdr 02:00:00:00:00:03 dev nk-vxlan nud permanent',
    ]);
    const have1 = await networks.get(1)!.observe();
    expect(have1.neighbours).toContainEqual({ ip: '10.244.2.0', mac: '02:00:00:00:00:22' });
    expect(have1.fdb.filter((f) => f.dst === '172.18.0.12')).toEqual([{ mac: '02:00:00:00:00:22', dst: '172.18.0.12' }]);
    expect((await ping(1, podIP(2))).ok).toBe(true);
    expect((await ping(3, podIP(2))).ok).toBe(true);
  });

  it('a remote encap IP change replaces the FDB destination in place on every peer', async () => {
    // Renumber node 2's underlay: the new address must survive removing the old primary one.
    await inNs(nodeNs(2), 'sysctl', '-qw', 'net.ipv4.conf.eth0.promote_secondaries=1');
    await sh('ip', '-n', nodeNs(2), 'addr', 'add', '172.18.0.112/24', 'dev', 'eth0');
    const moved = [testNode({ i: 1 }), testNode({ i: 2, mac: '02:00:00:00:00:22', ip: '172.18.0.112' }), testNode({ i: 3 })];
    const r = await syncAll(moved);
    expect(r.get(1)!.ops.map(describeOp)).toEqual(['bridge fdb replace 02:00:00:00:00:22 dev nk-vxlan dst 172.18.0.112 self permanent']);
    expect(r.get(2)!.ops.slice(0, 2).map((o) => o.kind)).toEqual(['link-del', 'link-add']);
    // Replace rewrote the one entry; it did not append a second destination.
    expect((await networks.get(1)!.observe()).fdb.filter((f) => f.mac === '02:00:00:00:00:22')).toEqual([{ mac: '02:00:00:00:00:22', dst: '172.18.0.112' }]);
    // Traffic really goes to the new address: without it on node 2, the old one would black-hole.
    await sh('ip', '-n', nodeNs(2), 'addr', 'del', '172.18.0.12/24', 'dev', 'eth0');
    expect((await ping(1, podIP(2))).ok).toBe(true);
    expect((await ping(2, podIP(3))).ok).toBe(true);
  });

  it('removing a node from the model removes its entries from the others (route, FDB, neighbour) and its pods become unreachable', async () => {
    const without3 = [testNode({ i: 1 }), testNode({ i: 2, mac: '02:00:00:00:00:22', ip: '172.18.0.112' })];
    const r = await syncAll(without3, [1, 2]);
    expect(r.get(1)!.ops.map(describeOp)).toEqual([
      'ip route del 10.244.3.0/24 via 10.244.3.0 dev nk-vxlan',
      'bridge fdb del 02:00:00:00:00:03 dev nk-vxlan dst 172.18.0.13 self',
      'ip neigh del 10.244.3.0 dev nk-vxlan',
    ]);
    for (const i of [1, 2]) {
      const have = await networks.get(i)!.observe();
      const mentions3 = JSON.stringify(have).match(/10\.244\.3\.|172\.18\.0\.13|:03"/g);
      expect(mentions3).toBeNull();
    }
    expect((await ping(1, podIP(3), ['-c', '1'])).ok).toBe(false);
    expect((await ping(1, podIP(2))).ok).toBe(true);
  });
});
