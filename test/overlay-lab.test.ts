// The VXLAN overlay as the lab's datapath (`netkube up`, default --overlay
// vxlan), with real packets in one 3-node lab: one echo pod pinned to each
// node. Every assertion is about what pods see (who answered, which source
// address the server saw, which ping got through) or about the kernel state
// on the nodes' nk-vxlan devices (neighbours, FDB, routes), never about time.
//
// Traffic stays inside the lab: from pods (netkube exec) to pods, Services
// and the lab's own host address on its underlay.
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableComponents, netkubeArgv } from '../lab/commands.js';
import { readLabState } from '../lab/lab-state.js';
import { startNodeAgent } from '../lab/lab-up.js';
import { registerNodeCommand } from '../node/command.js';
import { REPO_ROOT } from './support/apiserver-process.js';
import { echoContainerYaml } from './support/echo-container.js';
import { removeTempTestLab, tempTestLab, waitFor, type TestLab } from './support/lab.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;

// This suite's lab: its own name, prefix, ranges and API server port, never the defaults.
const LAB = 'ovt';
const PREFIX = 'nkv';
const UNDERLAY = '172.31.8.0/24';
const HOST_IP = '172.31.8.1';
const API_PORT = 16572;
const POD_CIDR = '10.252.0.0/16';
const SERVICE_CIDR = '10.113.0.0/16';
const NODES = ['node-1', 'node-2', 'node-3'] as const;
const DEVICE = 'nk-vxlan';

const MANIFESTS = [
  ...NODES.map(
    (node, i) => `
apiVersion: v1
kind: Pod
metadata: {name: echo-${i + 1}, namespace: default, labels: {app: ov-echo, backend: "${node === 'node-3' ? 'yes' : 'no'}"}}
spec:
  nodeName: ${node}
  terminationGracePeriodSeconds: 1
  containers:
${echoContainerYaml('  ')}
`,
  ),
  `
apiVersion: v1
kind: Service
metadata: {name: ov-backend, namespace: default}
spec:
  selector: {app: ov-echo, backend: "yes"}
  ports: [{name: http, port: 80, targetPort: 8080}]
`,
].join('---');

interface PodJson {
  metadata: { name: string };
  spec?: { nodeName?: string };
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

/** The kernel state of one node's VXLAN device, as `ip`/`bridge` print it. */
interface VxlanState {
  ifindex: number;
  mac: string;
  mtu: number;
  neigh: string[];
  fdb: string[];
  routes: string[];
}

async function vxlanState(lab: TestLab, node: string): Promise<VxlanState | undefined> {
  const j = async <T>(argv: string[]): Promise<T[]> => {
    const r = await lab.inNode(node, argv);
    if (r.code !== 0) return [];
    return JSON.parse(r.stdout || '[]') as T[];
  };
  const [link] = await j<{ ifindex: number; address: string; mtu: number }>(['ip', '-j', 'link', 'show', 'dev', DEVICE]);
  if (!link) return undefined;
  const neigh = await j<{ dst: string; lladdr?: string; state?: string[] }>(['ip', '-j', 'neigh', 'show', 'dev', DEVICE]);
  const fdb = await j<{ mac: string; dst?: string; flags?: string[] }>(['bridge', '-j', 'fdb', 'show', 'dev', DEVICE]);
  const routes = await j<{ dst: string; gateway?: string; flags?: string[] }>(['ip', '-j', 'route', 'show', 'dev', DEVICE]);
  return {
    ifindex: link.ifindex,
    mac: link.address,
    mtu: link.mtu,
    neigh: neigh.map((n) => `${n.dst} ${n.lladdr ?? '-'} ${(n.state ?? []).join(',')}`).sort(),
    // The kernel adds an all-zero entry for nothing here (learning off); only unicast peers remain.
    fdb: fdb.filter((f) => f.dst).map((f) => `${f.mac} ${f.dst}`).sort(),
    routes: routes.map((r) => `${r.dst} via ${r.gateway ?? '-'} ${(r.flags ?? []).join(',')}`).sort(),
  };
}

const peersOf = (s: VxlanState | undefined): string => (s ? `neigh ${s.neigh.length}, fdb ${s.fdb.length}, routes ${s.routes.length}` : 'no device');

/** Splits the echo server's HTTP report into the answering pod and the client address it saw. */
function parseEcho(text: string): { pod: string; client: string } {
  const pod = /^pod: (.+)$/m.exec(text)?.[1]?.trim() ?? '';
  const client = /^client: (?:::ffff:)?([\d.]+):\d+$/m.exec(text)?.[1] ?? '';
  return { pod, client };
}

describe.skipIf(!isRoot)('VXLAN overlay as the lab datapath, 3 nodes (needs root: builds network namespaces)', () => {
  let lab: TestLab;
  /** Pod name → IP; echo-i runs on node-i. */
  const ips = new Map<string, string>();
  const pods = NODES.map((_, i) => `echo-${i + 1}`);

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'lab', 'commands.js'))) throw new Error('run npm run build first (the test runs the compiled CLI)');
    lab = await tempTestLab(LAB, PREFIX, 'netkube-overlay-lab-');
    const up = await lab.up([
      '--nodes', String(NODES.length), '--underlay', UNDERLAY,
      '--apiserver-port', String(API_PORT), '--pod-cidr', POD_CIDR, '--service-cidr', SERVICE_CIDR,
    ]);
    expect(up.stdout).toContain('overlay vxlan');
    await lab.kubectl(['apply', '-f', '-'], MANIFESTS);
    const ready = await waitFor('3 ready echo pods, one per node', async () => {
      const list = JSON.parse(await lab.kubectl(['get', 'pods', '-l', 'app=ov-echo', '-o', 'json'])) as { items: PodJson[] };
      const ok = list.items.filter((p) => p.status?.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return { ok: ok.length === 3, value: ok, state: list.items.map((p) => `${p.metadata.name} ${p.status?.podIP ?? '-'}`).join('\n') };
    }, 90_000);
    for (const p of ready) ips.set(p.metadata.name, p.status!.podIP!);
    // Every node has its two peers programmed.
    await waitFor('every node to have 2 VXLAN peers', async () => {
      const states = await Promise.all(NODES.map((n) => vxlanState(lab, n)));
      const ok = states.every((s) => s && s.neigh.length === 2 && s.fdb.length === 2 && s.routes.length === 2);
      return { ok, value: undefined, state: states.map((s, i) => `${NODES[i]}: ${peersOf(s)}`).join('\n') };
    }, 30_000);
  }, 150_000);

  afterAll(() => removeTempTestLab(lab), 60_000);

  it('records the overlay in lab.json and shows it in status and overlay show', async () => {
    expect((await readLabState(lab.home, LAB))?.config.overlay).toBe('vxlan');
    const status = await lab.netkube(['status', '--name', LAB]);
    expect(status.stdout).toContain('overlay vxlan');
    const show = await lab.netkube(['overlay', 'show', '--name', LAB]);
    expect(show.code, show.stderr).toBe(0);
    for (const n of NODES) expect(show.stdout).toContain(`Chassis "${n}"`);
    expect(show.stdout).toContain('default_echo-1');
  });

  it('every pod pings every pod on every other node', async () => {
    const failures: string[] = [];
    for (const from of pods) {
      for (const to of pods) {
        if (from === to) continue;
        const r = await lab.inPod(from, ['ping', '-c', '3', '-i', '0.2', '-W', '2', ips.get(to)!]);
        if (r.code !== 0) failures.push(`${from} → ${to} (${ips.get(to)}): exit ${r.code}\n${r.stdout}${r.stderr}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('every pod opens TCP to every pod on every other node, and the server sees the client pod\'s own address', async () => {
    for (const from of pods) {
      for (const to of pods) {
        if (from === to) continue;
        const r = await lab.inPod(from, ['curl', '-sS', '--noproxy', '*', '-m', '10', `http://${ips.get(to)}:8080/`]);
        expect(r.code, `${from} → ${to}: ${r.stderr}`).toBe(0);
        expect(parseEcho(r.stdout), `${from} → ${to}`).toEqual({ pod: to, client: ips.get(from) });
      }
    }
  });

  it('reaches a backend on another node through a ClusterIP', async () => {
    const svc = JSON.parse(await lab.kubectl(['get', 'service', 'ov-backend', '-o', 'json'])) as { spec: { clusterIP: string } };
    const answer = await waitFor('echo-1 → ClusterIP → echo-3', async () => {
      const r = await lab.inPod('echo-1', ['curl', '-sS', '--noproxy', '*', '-m', '5', `http://${svc.spec.clusterIP}/`]);
      const a = parseEcho(r.stdout);
      return { ok: r.code === 0 && a.pod !== '', value: a, state: `exit ${r.code}: ${r.stderr}${r.stdout}` };
    }, 30_000);
    expect(answer).toEqual({ pod: 'echo-3', client: ips.get('echo-1') });
  });

  it('masquerades pod traffic leaving the cluster: a pod reaches the lab host\'s API server', async () => {
    // The host has no route to the pod CIDR: only a masqueraded connection gets its answer back.
    const r = await lab.inPod('echo-2', ['curl', '-sk', '--noproxy', '*', '-m', '10', '-o', '/dev/null', '-w', '%{http_code}', `https://${HOST_IP}:${API_PORT}/healthz`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('200');
  });

  it('gives pods underlay MTU − 50: a full-size packet crosses nodes unfragmented, one byte more fails locally', async () => {
    const linkMtu = async (run: (argv: string[]) => ReturnType<TestLab['inNode']>): Promise<number> => {
      const r = await run(['ip', '-j', 'link', 'show', 'dev', 'eth0']);
      return (JSON.parse(r.stdout) as { mtu: number }[])[0]!.mtu;
    };
    const underlay = await linkMtu((a) => lab.inNode('node-1', a));
    const podMtu = await linkMtu((a) => lab.inPod('echo-1', a));
    expect(podMtu).toBe(underlay - 50);
    const fits = await lab.inPod('echo-1', ['ping', '-c', '2', '-W', '2', '-M', 'do', '-s', String(podMtu - 28), ips.get('echo-3')!]);
    expect(fits.code, fits.stdout + fits.stderr).toBe(0);
    const tooBig = await lab.inPod('echo-1', ['ping', '-c', '1', '-W', '2', '-M', 'do', '-s', String(podMtu - 27), ips.get('echo-3')!]);
    expect(tooBig.code).not.toBe(0);
    expect(tooBig.stdout + tooBig.stderr).toMatch(/message too long/i);
  });

  it('a restarted node agent changes nothing in the kernel (no flaps, no ops)', async () => {
    const before = await vxlanState(lab, 'node-2');
    const logFile = join(lab.dir, 'logs', 'node-2.log');
    const offset = (await stat(logFile)).size;
    const pid = Number((await readFile(join(lab.dir, 'run', 'node-2.pid'), 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    await waitFor(`agent pid ${pid} gone`, async () => {
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch {
        alive = false;
      }
      return { ok: !alive, value: undefined, state: 'still running' };
    }, 10_000, 100);

    const state = (await readLabState(lab.home, LAB))!;
    const program = new Command('netkube');
    registerNodeCommand(program);
    const newPid = await startNodeAgent(state.config, 'node-2', { netkube: netkubeArgv(), components: availableComponents(program) });
    expect(newPid).not.toBe(pid);
    const newLog = await waitFor('the restarted agent\'s first overlay sync', async () => {
      const text = (await readFile(logFile, 'utf8')).slice(offset);
      return { ok: text.includes('overlay: first sync:'), value: text, state: text.split('\n').slice(-5).join('\n') };
    }, 30_000);
    expect(newLog).toContain('overlay: first sync: 0 changes');
    expect(newLog).not.toMatch(/overlay: (ip|bridge) /);
    expect(newLog).not.toContain('published VTEP MAC');
    expect(await vxlanState(lab, 'node-2')).toEqual(before);
  });

  it('recreates a VXLAN device deleted by hand, and traffic flows again', async () => {
    const before = await vxlanState(lab, 'node-2');
    const del = await lab.inNode('node-2', ['ip', 'link', 'del', DEVICE]);
    expect(del.code, del.stderr).toBe(0);
    const after = await waitFor('nk-vxlan back on node-2 with its peers', async () => {
      const s = await vxlanState(lab, 'node-2');
      return { ok: Boolean(s && s.routes.length === 2 && s.neigh.length === 2 && s.fdb.length === 2), value: s, state: peersOf(s) };
    }, 30_000);
    // Same VTEP MAC (peers keep pointing at it), same peers; only the device itself is new.
    expect({ ...after, ifindex: 0 }).toEqual({ ...before, ifindex: 0 });
    const r = await lab.inPod('echo-2', ['ping', '-c', '3', '-i', '0.2', '-W', '2', ips.get('echo-1')!]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('removes a deleted Node\'s neighbour, FDB entry and route from every other node', async () => {
    const node3 = JSON.parse(await lab.kubectl(['get', 'node', 'node-3', '-o', 'json'])) as {
      metadata: { annotations?: Record<string, string> };
      spec: { podCIDR: string };
      status: { addresses: { type: string; address: string }[] };
    };
    const mac = node3.metadata.annotations?.['netkube.io/vtep-mac'] ?? '';
    const encap = node3.status.addresses.find((a) => a.type === 'InternalIP')!.address;
    expect(mac).not.toBe('');
    await lab.kubectl(['delete', 'node', 'node-3', '--wait=false']);
    const left = await waitFor('node-1 and node-2 to forget node-3', async () => {
      const states = await Promise.all(['node-1', 'node-2'].map((n) => vxlanState(lab, n)));
      const ok = states.every((s) => s && s.neigh.length === 1 && s.fdb.length === 1 && s.routes.length === 1);
      return { ok, value: states, state: states.map((s) => peersOf(s)).join('\n') };
    }, 20_000, 200);
    for (const s of left) {
      const text = JSON.stringify(s);
      expect(text).not.toContain(mac);
      expect(text).not.toContain(` ${encap}`);
      expect(text).not.toContain(node3.spec.podCIDR);
    }
  });
});
