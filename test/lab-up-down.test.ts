// `netkube up` / `down` for real, as root: namespaces, the underlay, the API
// server, and a teardown that leaves the host exactly as it was — also after
// kill -9 of every lab process, and with a second lab running alongside.
// Labs here use their own names, prefixes, ranges and ports, so a developer's
// running default lab is never touched. The host's netfilter state is only read.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/apiserver-process.js';
import { netkubeCli, sh, testLab, type ShResult, type TestLab } from './support/lab.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const CLI = join(REPO_ROOT, 'bin', 'netkube.js');
const suffix = `${process.pid % 100000}`;
const port = 20000 + (process.pid % 20000);

interface Lab {
  name: string;
  prefix: string;
  underlay: string;
  hostIP: string;
  nodes: number;
  flags: string[];
}

function lab(letter: string, third: number, nodes: number, portOffset: number): Lab {
  const name = `lt${letter}${suffix}`;
  const prefix = `nkt${letter}`;
  const underlay = `172.31.${third}.0/24`;
  return {
    name,
    prefix,
    underlay,
    hostIP: `172.31.${third}.1`,
    nodes,
    flags: ['--name', name, '--prefix', prefix, '--nodes', String(nodes), '--underlay', underlay,
      '--apiserver-port', String(port + portOffset), '--pod-cidr', `10.${third - 50}.0.0/16`, '--service-cidr', `10.${third - 40}.0.0/16`],
  };
}

const A = lab('a', 250, 2, 0);
const B = lab('b', 251, 1, 1);
let home = '';

const netkube = (args: string[]): Promise<ShResult> => netkubeCli(home, args, 100_000);

async function ok(args: string[]): Promise<string> {
  const r = await netkube(args);
  if (r.code !== 0) throw new Error(`netkube ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r.out;
}

const netnsList = async (): Promise<string[]> => (await readdir('/run/netns').catch(() => [] as string[])).sort();
/** Either lab, in this suite's home (created in beforeAll). */
const labOf = (l: Lab): TestLab => testLab(l.name, l.prefix, home);

/** Everything `down` must restore, read-only: namespaces, links, routes, netfilter, /etc/netns, mounts. */
async function snapshot(): Promise<Record<string, string>> {
  const text = async (argv: string[]): Promise<string> => (await sh(argv)).out;
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ').slice(4, 5).concat(l.split(' - ')[1] ?? '').join(' ')).sort().join('\n');
  return {
    netns: (await text(['ip', 'netns', 'list'])).replace(/ \(id: \d+\)/g, '').split('\n').sort().join('\n'),
    links: (await text(['ip', '-o', 'link'])).replace(/ link-netnsid \d+/g, '').split('\n').sort().join('\n'),
    routes: await text(['ip', 'route', 'show', 'table', 'all']),
    iptables: (await text(['iptables-save'])).split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')).join('\n'),
    nft: (await text(['nft', 'list', 'ruleset'])).replace(/packets \d+ bytes \d+/g, ''),
    etcNetns: existsSync('/etc/netns') ? (await readdir('/etc/netns')).sort().join('\n') : '<none>',
    mounts,
  };
}

/**
 * After `down` the host must be as before. Routes, netfilter and /etc/netns
 * must be identical. Namespaces, links and mounts are compared through the
 * lab's names only: other suites on a shared machine create and remove their
 * own namespaces meanwhile, and every object a lab makes carries its prefix.
 */
function expectNothingLeft(before: Record<string, string>, after: Record<string, string>): void {
  for (const k of ['routes', 'iptables', 'nft', 'etcNetns']) expect(after[k], k).toEqual(before[k]);
  const ours = (text: string | undefined): string[] =>
    (text ?? '').split('\n').filter((l) => [A, B].some((x) => l.includes(`${x.prefix}-`) || l.includes(`${x.prefix}0`) || l.includes(x.name)));
  for (const k of ['netns', 'links', 'mounts']) {
    expect(ours(after[k]), k).toEqual(ours(before[k]));
    expect(ours(after[k]), k).toEqual([]);
  }
}

/** Lab processes, found the way an operator would: the NETKUBE_LAB marker in their environment. */
async function labPids(l: Lab): Promise<number[]> {
  const pids: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const env = await readFile(`/proc/${d}/environ`, 'utf8').catch(() => '');
    if (env.split('\0').includes(`NETKUBE_LAB=${l.prefix}-${l.name}`)) pids.push(Number(d));
  }
  return pids;
}

describe.skipIf(!isRoot)('netkube up / down (root)', () => {
  let before: Record<string, string>;
  let agentBuilt = false;

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'lab', 'commands.js'))) throw new Error('run npm run build first (the test runs the compiled CLI)');
    home = await mkdtemp(join(tmpdir(), 'netkube-lab-'));
    before = await snapshot();
  });

  afterAll(async () => {
    for (const l of [A, B]) await netkube(['down', '--name', l.name, '--prefix', l.prefix]);
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('brings up a 2-node lab: node namespaces on the underlay, the API server answering kubectl', async () => {
    const out = await ok(['up', ...A.flags]);
    expect(out).toMatch(new RegExp(`lab "${A.name}" is up`));
    const state = JSON.parse(await readFile(join(home, A.name, 'lab.json'), 'utf8')) as { components: { started: string[] } };
    agentBuilt = state.components.started.includes('node agent');

    const ns = await netnsList();
    for (const n of [`${A.prefix}-${A.name}-underlay`, `${A.prefix}-${A.name}-node-1`, `${A.prefix}-${A.name}-node-2`]) expect(ns).toContain(n);
    // Node to node and node to host across the underlay.
    expect((await labOf(A).inNode('node-1', ['ping', '-c1', '-W2', '172.31.250.12'])).code).toBe(0);
    expect((await labOf(A).inNode('node-2', ['ping', '-c1', '-W2', A.hostIP])).code).toBe(0);
    const fwd = await labOf(A).inNode('node-1', ['sysctl', '-n', 'net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables']);
    expect(fwd.out.split('\n').slice(0, 2)).toEqual(['1', '1']);
    const route = await labOf(A).inNode('node-1', ['ip', 'route', 'show', 'default']);
    expect(route.out).toContain(`via ${A.hostIP}`);

    const nodes = await labOf(A).kubectlRun(['get', 'nodes', '-o', 'wide']);
    expect(nodes.code, nodes.out).toBe(0);
    if (agentBuilt) {
      for (const n of ['node-1', 'node-2']) expect(nodes.out).toMatch(new RegExp(`${n}\\s+Ready`));
    }
    const status = await ok(['status', '--name', A.name]);
    expect(status).toMatch(/apiserver\s+running/);
  });

  it('keeps lab traffic away from the host\'s netfilter: the underlay bridge has no netfilter hook', async () => {
    const underlay = `${A.prefix}-${A.name}-underlay`;
    const bridge = JSON.parse((await sh(['ip', '-n', underlay, '-j', '-d', 'link', 'show', 'br0'])).out) as { linkinfo: { info_kind: string; info_data: { nf_call_iptables: number } } }[];
    expect(bridge[0]!.linkinfo.info_kind).toBe('bridge');
    expect(bridge[0]!.linkinfo.info_data.nf_call_iptables).toBe(0);
    // The bridge option alone cannot switch br_netfilter off: the namespace's sysctl must be 0 too.
    expect((await labOf(A).inNode('underlay', ['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables'])).out.trim()).toBe('0');
    // The root namespace holds only the host's veth leg, never a bridge the lab's frames would cross.
    const hostLink = JSON.parse((await sh(['ip', '-j', '-d', 'link', 'show', `${A.prefix}0`])).out) as { linkinfo: { info_kind: string }; ifalias?: string }[];
    expect(hostLink[0]!.linkinfo.info_kind).toBe('veth');
    expect(hostLink[0]!.ifalias).toBe(`netkube-lab:${A.prefix}-${A.name}`);
  });

  it('refuses a second lab of the same name', async () => {
    const r = await netkube(['up', ...A.flags]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain(`lab "${A.name}" is already up`);
  });

  it('runs two labs side by side; down of one leaves the other intact', async () => {
    await ok(['up', ...B.flags]);
    const clash = await netkube(['up', '--name', `lc${suffix}`, '--prefix', B.prefix, '--underlay', '172.31.252.0/24', '--apiserver-port', String(port + 2)]);
    expect(clash.code).not.toBe(0);
    expect(clash.out).toContain(`link ${B.prefix}0 already exists and belongs to lab ${B.prefix}-${B.name}`);

    const down = await ok(['down', '--name', A.name]);
    expect(down).toMatch(/removed \d+ processes, \d+ namespaces, 1 link/);
    expect((await netnsList()).filter((n) => n.startsWith(`${A.prefix}-`))).toEqual([]);
    expect(await labPids(A)).toEqual([]);
    expect(existsSync(join(home, A.name))).toBe(false);

    expect(await netnsList()).toContain(`${B.prefix}-${B.name}-node-1`);
    expect((await labOf(B).inNode('node-1', ['ping', '-c1', '-W2', B.hostIP])).code).toBe(0);
    expect((await labOf(B).kubectlRun(['get', 'namespaces'])).code).toBe(0);
  });

  it('cleans up after kill -9 of every lab process: the next up takes over, down leaves nothing', async () => {
    const pids = await labPids(B);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const again = await ok(['up', ...B.flags]);
    expect(again).toContain(`cleaning up a crashed earlier lab "${B.name}"`);

    for (const pid of await labPids(B)) process.kill(pid, 'SIGKILL');
    await ok(['down', '--name', B.name]);
    expect(await labPids(B)).toEqual([]);
    expectNothingLeft(before, await snapshot());
  });

  it('says in one line that it needs root', async () => {
    const r = await sh(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'up', '--name', `lx${suffix}`], { env: { NETKUBE_HOME: home } });
    expect(r.code).not.toBe(0);
    expect(r.out.trim()).toBe('netkube: netkube up needs root (it creates network namespaces and links); run it with sudo');
  });
});

// Used when the root suite is skipped, so the file never reports zero tests.
describe.skipIf(isRoot)('netkube up without root', () => {
  it('refuses in one line', async () => {
    const r = await new Promise<Pick<ShResult, 'code' | 'out'>>((resolve) => {
      const c = spawn(process.execPath, [CLI, 'up'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.stderr.on('data', (d: Buffer) => (out += d.toString()));
      c.on('close', (code) => resolve({ code: code ?? 1, out }));
    });
    expect(r.code).not.toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(1);
  });
});
