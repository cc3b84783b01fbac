// Two labs side by side on ONE underlay (`netkube up --join-underlay`): lab B's
// node attaches to lab A's bridge and its API server binds A's host address on
// another port. A pod in A reaches both clusters' entry points, the same pinned
// NodePort on each cluster's node address (what DNS load balancing across two
// clusters hands out: an A record carries no port). Then `down` of one lab
// leaves the other working and nothing of its own behind, in both orders: the
// underlay goes with the last lab on it. Unique names, prefixes, underlay,
// ports and ranges, so other labs on this machine are never touched.
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/apiserver-process.js';
import { netkubeCli, sh, testLab, waitForValue, type ShResult, type TestLab } from './support/lab.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;

const UNDERLAY = '172.31.9.0/24';
const NODE_PORT = 30080;
const A = { name: 'twoa', prefix: 'nka', nodeIP: '172.31.9.11', flags: ['--apiserver-port', '6581', '--pod-cidr', '10.252.0.0/16', '--service-cidr', '10.113.0.0/16'] };
const B = { name: 'twob', prefix: 'nkb', nodeIP: '172.31.9.41', flags: ['--apiserver-port', '6582', '--pod-cidr', '10.253.0.0/16', '--service-cidr', '10.114.0.0/16'] };
type Lab = typeof A;
const UP_A = ['up', '--name', A.name, '--prefix', A.prefix, '--nodes', '1', '--underlay', UNDERLAY, ...A.flags];
const UP_B = ['up', '--name', B.name, '--prefix', B.prefix, '--nodes', '1', '--join-underlay', A.name, '--first-node-address', B.nodeIP, ...B.flags];
const A_UNDERLAY_NETNS = `${A.prefix}-${A.name}-underlay`;
let home = '';

const netkube = (args: string[], timeoutMs = 200_000): Promise<ShResult> => netkubeCli(home, args, timeoutMs);

async function ok(args: string[]): Promise<string> {
  const r = await netkube(args);
  if (r.code !== 0) throw new Error(`netkube ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r.out;
}

/** Either lab, in this suite's home (created in beforeAll). */
const labOf = (l: Lab): TestLab => testLab(l.name, l.prefix, home);

/** An echo pod named after its lab behind a NodePort Service pinned to the same port in both clusters. */
const echoManifest = (l: Lab, withClient: boolean): string => `
apiVersion: v1
kind: Pod
metadata: {name: echo-${l.name}, labels: {app: echo}}
spec:
  containers: [{name: echo, image: netkube/echo, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  type: NodePort
  selector: {app: echo}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: ${NODE_PORT}}]
${withClient ? '---\napiVersion: v1\nkind: Pod\nmetadata: {name: client}\nspec:\n  containers: [{name: tools, image: netkube/toolbox}]\n' : ''}`;

async function deploy(l: Lab, withClient: boolean): Promise<void> {
  const file = join(home, `${l.name}.yaml`);
  await writeFile(file, echoManifest(l, withClient));
  await labOf(l).kubectl(['apply', '-f', file]);
  const pods = withClient ? [`echo-${l.name}`, 'client'] : [`echo-${l.name}`];
  // All pods, as a List (one named pod would come back as a Pod, without .items).
  const readiness = (): Promise<string> => labOf(l).kubectl(['get', 'pods', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}']);
  await waitForValue(`${pods.join(', ')} Ready in ${l.name}`, readiness, (out) => pods.every((p) => out.split(' ').includes(`${p}=True`)), 90_000);
}

/** `curl` from lab A's client pod: only lab namespaces carry the traffic. */
const curlFromA = (url: string): Promise<ShResult> => labOf(A).inPod('client', ['curl', '-s', '-m', '5', url], { timeoutMs: 30_000 });

async function curlUntil(url: string, want: string): Promise<string> {
  return (await waitForValue(`${url} to answer with ${want}`, () => curlFromA(url), (r) => r.code === 0 && r.out.includes(want), 60_000)).out;
}

/** What of a lab exists: namespaces and root links by its names, bridge ports by its alias, processes by NETKUBE_LAB, its files. */
async function remains(l: Lab): Promise<string[]> {
  const id = `${l.prefix}-${l.name}`;
  const out: string[] = [];
  for (const ns of await readdir('/run/netns').catch(() => [] as string[])) if (ns.startsWith(`${id}-`)) out.push(`netns ${ns}`);
  const links = JSON.parse((await sh(['ip', '-j', 'link', 'show'])).out || '[]') as { ifname: string; ifalias?: string }[];
  for (const k of links) if (k.ifname === `${l.prefix}0` || k.ifname.startsWith(`${id}-`) || k.ifalias === `netkube-lab:${id}`) out.push(`link ${k.ifname}`);
  if ((await readdir('/run/netns').catch(() => [] as string[])).includes(A_UNDERLAY_NETNS)) {
    const ports = JSON.parse((await sh(['ip', '-n', A_UNDERLAY_NETNS, '-j', 'link', 'show'])).out || '[]') as { ifname: string; ifalias?: string }[];
    for (const p of ports) if (p.ifalias === `netkube-lab:${id}`) out.push(`underlay port ${p.ifname}`);
  }
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const env = await readFile(`/proc/${d}/environ`, 'utf8').catch(() => '');
    if (env.split('\0').includes(`NETKUBE_LAB=${id}`)) out.push(`process ${d}`);
  }
  if (existsSync(join(home, l.name))) out.push(`dir ${join(home, l.name)}`);
  return out;
}

describe.skipIf(!isRoot)('two labs on one underlay (root)', () => {
  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'lab', 'commands.js'))) throw new Error('run npm run build first (the test runs the compiled CLI)');
    home = await mkdtemp(join(tmpdir(), 'netkube-two-'));
    // Leftovers of a crashed earlier run are found by prefix.
    for (const l of [B, A]) await netkube(['down', '--name', l.name, '--prefix', l.prefix]);
    await ok(UP_A);
  }, 300_000);

  afterAll(async () => {
    for (const l of [B, A]) await netkube(['down', '--name', l.name, '--prefix', l.prefix]);
    await rm(home, { recursive: true, force: true });
  }, 120_000);

  it('refuses to join with what must differ, naming the flag, before creating anything', async () => {
    const cases: [string[], string][] = [
      [['--join-underlay', 'nosuch'], '--join-underlay nosuch: lab "nosuch" is not up'],
      [['--apiserver-port', '6581'], '--apiserver-port 6581 is lab "twoa"\'s API server port'],
      [['--pod-cidr', '10.252.0.0/16'], '--pod-cidr 10.252.0.0/16 overlaps lab "twoa"\'s pod CIDR'],
      [['--first-node-address', A.nodeIP], '--first-node-address: nodes 172.31.9.11-172.31.9.11 overlap lab "twoa"\'s nodes'],
    ];
    for (const [over, message] of cases) {
      const r = await netkube([...UP_B, ...over]);
      expect(r.code, r.out).not.toBe(0);
      expect(r.out).toContain(message);
    }
    expect(await remains(B)).toEqual([]);
  }, 60_000);

  it('brings B up on A\'s underlay and records what it joined', async () => {
    const up = await ok(UP_B);
    expect(up).toContain(`lab "${B.name}" is up`);
    const state = JSON.parse(await readFile(join(home, B.name, 'lab.json'), 'utf8')) as { config: { joinedUnderlay?: unknown; underlayNetns: string; hostIP: string } };
    expect(state.config).toMatchObject({ joinedUnderlay: { lab: A.name, id: 'nka-twoa' }, underlayNetns: A_UNDERLAY_NETNS, hostIP: '172.31.9.1' });
    expect(await ok(['status', '--name', B.name])).toContain(`shares lab "${A.name}"'s underlay ${UNDERLAY}`);
    expect(await ok(['status', '--name', A.name])).toContain(`shared with lab "${B.name}"`);
    // B's node sits on A's bridge, its port named after its address and marked as B's.
    const ports = JSON.parse((await sh(['ip', '-n', A_UNDERLAY_NETNS, '-j', 'link', 'show', 'master', 'br0'])).out) as { ifname: string; ifalias?: string }[];
    expect(ports.map((p) => `${p.ifname} ${p.ifalias ?? ''}`.trim()).sort()).toEqual(['host', 'ip-41 netkube-lab:nkb-twob', 'node-1 netkube-lab:nka-twoa']);
  }, 300_000);

  it('a pod in A reaches the same pinned NodePort on both clusters\' nodes', async () => {
    await deploy(A, true);
    await deploy(B, false);
    expect(await curlUntil(`http://${B.nodeIP}:${NODE_PORT}/`, `echo-${B.name}`)).not.toContain(`echo-${A.name}`);
    expect(await curlUntil(`http://${A.nodeIP}:${NODE_PORT}/`, `echo-${A.name}`)).not.toContain(`echo-${B.name}`);
  }, 240_000);

  it('down B leaves A working and nothing of B behind', async () => {
    const down = await ok(['down', '--name', B.name]);
    expect(down).toContain(`lab "${B.name}" is down`);
    expect(down).toContain(`kept the underlay ${A_UNDERLAY_NETNS}`);
    expect(await remains(B)).toEqual([]);
    await curlUntil(`http://${A.nodeIP}:${NODE_PORT}/`, `echo-${A.name}`);
    expect((await ok(['status', '--name', A.name])).includes('shared with')).toBe(false);
  }, 120_000);

  it('down A first keeps the underlay for B, and B\'s down removes it', async () => {
    await ok(UP_B);
    const downA = await ok(['down', '--name', A.name]);
    expect(downA).toContain(`kept the underlay ${A_UNDERLAY_NETNS} and nka0: lab nkb-twob still has its nodes on it`);
    // Nothing of A but the underlay it made: its namespace and host link stay for B.
    expect((await remains(A)).filter((r) => r !== 'link nka0' && r !== `netns ${A_UNDERLAY_NETNS}`)).toEqual([]);
    // B's API server lives on the shared host address (nka0): it still answers, and its node is still Ready.
    expect(await labOf(B).kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}'])).toBe('True');
    const downB = await ok(['down', '--name', B.name]);
    expect(downB).not.toContain('kept the underlay');
    expect(await remains(B)).toEqual([]);
    expect(await remains(A)).toEqual([]);
    expect(await readdir('/run/netns').catch(() => [] as string[])).not.toContain(A_UNDERLAY_NETNS);
  }, 400_000);
});
