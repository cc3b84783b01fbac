// netkube-cni as a container runtime drives it: the real executable, run in
// a "node" network namespace made for this file, against real pod
// namespaces. Everything is named `nkcni-<random>` and removed in afterAll
// (deleting the node namespace takes its bridges and veths with it).
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/apiserver-process.js';

const exec = promisify(execFile);
const isRoot = process.getuid?.() === 0;
const hasIp = existsSync('/usr/sbin/ip') || existsSync('/sbin/ip') || existsSync('/usr/bin/ip');
const REF = '/usr/lib/cni';
const hasRef = existsSync(join(REF, 'portmap')) && existsSync(join(REF, 'bridge'));
const ENTRY = join(REPO_ROOT, 'bin', 'netkube-cni.js');
const BUILT = existsSync(join(REPO_ROOT, 'dist', 'cni', 'main.js'));

const P = `nkcni-${Math.random().toString(36).slice(2, 7)}`;
const NODE = `${P}-node`;
let binDir = '';
let dataDir = '';
let podSeq = 0;

interface CniRun {
  code: number;
  json: Record<string, unknown>;
  stdout: string;
  stderr: string;
}

/**
 * Runs a plugin in the node namespace exactly as a runtime would: CNI_* env,
 * config on stdin, CNI_ARGS with IgnoreUnknown=1 (the reference plugins
 * refuse K8S_* keys without it, so kubelet and containerd always send it).
 */
function cni(plugin: string, conf: object, env: Record<string, string>): Promise<CniRun> {
  return new Promise((resolve, reject) => {
    const file = plugin.startsWith('/') ? plugin : join(binDir, plugin);
    const child = spawn('nsenter', [`--net=/run/netns/${NODE}`, file], {
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', CNI_PATH: `${REF}:${binDir}`, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      let json: Record<string, unknown> = {};
      try {
        if (stdout.trim()) json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = { unparsed: stdout };
      }
      resolve({ code: code ?? -1, json, stdout, stderr });
    });
    child.stdin.end(JSON.stringify(conf));
  });
}

function attach(cmd: string, cid: string, netns: string, ifname = 'eth0', extra: Record<string, string> = {}): Record<string, string> {
  return { CNI_COMMAND: cmd, CNI_CONTAINERID: cid, CNI_NETNS: netns, CNI_IFNAME: ifname, CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${cid}`, ...extra };
}

async function sh(cmd: string, args: string[]): Promise<string> {
  return (await exec(cmd, args, { maxBuffer: 64 << 20 })).stdout;
}

async function newPods(n: number): Promise<string[]> {
  const names = Array.from({ length: n }, () => `${P}-p${++podSeq}`);
  const child = spawn('ip', ['-batch', '-']);
  child.stdin.end(names.map((x) => `netns add ${x}`).join('\n') + '\n');
  await new Promise<void>((resolve, reject) => child.on('close', (c) => (c === 0 ? resolve() : reject(new Error(`netns add exited ${c}`)))));
  return names.map((x) => `/run/netns/${x}`);
}

function netConf(name: string, subnet: string, extra: Record<string, unknown> = {}, ipamExtra: Record<string, unknown> = {}) {
  return {
    cniVersion: '1.1.0',
    name,
    type: 'netkube-cni',
    bridge: `nkb${name.slice(-4)}`,
    mtu: 1400,
    ipam: { type: 'netkube-ipam', subnet, dataDir, ...ipamExtra },
    ...extra,
  };
}

async function allocations(network: string): Promise<string[]> {
  const files = await readdir(join(dataDir, network)).catch(() => [] as string[]);
  return files.filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).sort();
}

async function nodeLinks(): Promise<{ ifname: string; ifalias?: string }[]> {
  return JSON.parse(await sh('ip', ['-n', NODE, '-j', '-d', 'link', 'show'])) as { ifname: string; ifalias?: string }[];
}

async function podAddr(netns: string, ifname = 'eth0'): Promise<string[]> {
  const out = await exec('nsenter', [`--net=${netns}`, 'ip', '-j', 'addr', 'show', 'dev', ifname]).catch(() => ({ stdout: '[]' }));
  const links = JSON.parse(out.stdout) as { addr_info?: { family: string; local: string; prefixlen: number }[] }[];
  return (links[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
}

async function ping(netns: string, ip: string): Promise<boolean> {
  return exec('nsenter', [`--net=${netns}`, 'ping', '-c', '1', '-W', '2', ip]).then(
    () => true,
    () => false,
  );
}

function podIp(r: CniRun): string {
  const ips = r.json.ips as { address: string }[] | undefined;
  return ips?.[0]?.address.split('/')[0] ?? '';
}

describe.skipIf(!isRoot || !hasIp)('netkube-cni (root, real namespaces)', () => {
  beforeAll(async () => {
    if (!BUILT) throw new Error('dist/cni/main.js is missing: run `npm run build` first');
    binDir = await mkdtemp(join(tmpdir(), `${P}-bin-`));
    dataDir = await mkdtemp(join(tmpdir(), `${P}-ipam-`));
    await symlink(ENTRY, join(binDir, 'netkube-cni'));
    await symlink(ENTRY, join(binDir, 'netkube-ipam'));
    await sh('ip', ['netns', 'add', NODE]);
    await sh('ip', ['-n', NODE, 'link', 'set', 'lo', 'up']);
  });

  afterAll(async () => {
    const all = (await sh('ip', ['netns', 'list']).catch(() => ''))
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith(P));
    if (all.length > 0) {
      const child = spawn('ip', ['-batch', '-']);
      child.stdin.end(all.map((n) => `netns del ${n}`).join('\n') + '\n');
      await new Promise((resolve) => child.on('close', resolve));
    }
    if (binDir) await rm(binDir, { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('VERSION lists 1.0.0 and 1.1.0', async () => {
    const r = await cni('netkube-cni', { cniVersion: '1.0.0' }, { CNI_COMMAND: 'VERSION' });
    expect(r.code).toBe(0);
    expect(r.json.supportedVersions).toEqual(expect.arrayContaining(['1.0.0', '1.1.0']));
  });

  describe('bridge mode', () => {
    const conf = () => netConf('net-a', '10.250.1.0/24', { dns: { nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local'] } });
    let pods: string[] = [];
    const results: CniRun[] = [];

    beforeAll(async () => {
      pods = await newPods(2);
      for (const [i, netns] of pods.entries()) results.push(await cni('netkube-cni', conf(), attach('ADD', `pod-a${i}`, netns)));
    });

    it('ADD returns the spec result: interfaces with sandbox and mtu, the address on the pod interface, gateway, routes, dns', () => {
      const r = results[0]!;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.json.cniVersion).toBe('1.1.0');
      const ifaces = r.json.interfaces as { name: string; mtu?: number; sandbox?: string; mac?: string }[];
      expect(ifaces.map((i) => i.name)).toEqual([conf().bridge, expect.stringMatching(/^nkv[0-9a-f]{12}$/), 'eth0']);
      expect(ifaces[2]).toMatchObject({ name: 'eth0', mtu: 1400, sandbox: pods[0] });
      expect(ifaces[2]!.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(r.json.ips).toEqual([{ address: '10.250.1.2/24', gateway: '10.250.1.1', interface: 2 }]);
      expect(r.json.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.250.1.1' }]);
      expect(r.json.dns).toEqual({ nameservers: ['10.96.0.10'], search: ['default.svc.cluster.local'] });
      expect(podIp(results[1]!)).toBe('10.250.1.3');
    });

    it('pods reach each other and the gateway; lo is up; MTU on both veth ends', async () => {
      expect(await ping(pods[0]!, podIp(results[1]!))).toBe(true);
      expect(await ping(pods[1]!, podIp(results[0]!))).toBe(true);
      expect(await ping(pods[0]!, '10.250.1.1')).toBe(true);
      expect(await ping(pods[0]!, '127.0.0.1')).toBe(true);
      const hostVeth = (results[0]!.json.interfaces as { name: string }[])[1]!.name;
      const host = JSON.parse(await sh('ip', ['-n', NODE, '-j', 'link', 'show', 'dev', hostVeth])) as { mtu: number; master: string }[];
      expect([host[0]!.mtu, host[0]!.master]).toEqual([1400, conf().bridge]);
      const route = await sh('nsenter', [`--net=${pods[0]!}`, 'ip', 'route', 'show', 'default']);
      expect(route).toContain('default via 10.250.1.1 dev eth0');
    });

    it('every pod port on the bridge has hairpin on', async () => {
      const ports = JSON.parse(await sh('ip', ['netns', 'exec', NODE, 'bridge', '-d', '-j', 'link', 'show'])) as { ifname: string; master: string; hairpin?: boolean }[];
      const ours = ports.filter((p) => p.master === conf().bridge);
      expect(ours).toHaveLength(2);
      expect(ours.every((p) => p.hairpin === true)).toBe(true);
    });

    it('CHECK passes with prevResult, and fails naming the problem once the address is gone', async () => {
      const ok = await cni('netkube-cni', { ...conf(), prevResult: results[0]!.json }, attach('CHECK', 'pod-a0', pods[0]!));
      expect([ok.code, ok.stdout]).toEqual([0, '']);
      const [extra] = await newPods(1);
      const add = await cni('netkube-cni', conf(), attach('ADD', 'pod-chk', extra!));
      await sh('nsenter', [`--net=${extra!}`, 'ip', 'addr', 'flush', 'dev', 'eth0']);
      const bad = await cni('netkube-cni', { ...conf(), prevResult: add.json }, attach('CHECK', 'pod-chk', extra!));
      expect(bad.code).toBe(1);
      expect(bad.json).toMatchObject({ code: 104 });
      expect(String(bad.json.msg)).toContain(`lacks address ${podIp(add)}/24`);
      expect((await cni('netkube-cni', conf(), attach('DEL', 'pod-chk', extra!))).code).toBe(0);
    });

    it('ADD into a netns whose interface already exists fails with 101 and leaves the existing one alone', async () => {
      const before = await allocations('net-a');
      const r = await cni('netkube-cni', conf(), attach('ADD', 'intruder', pods[0]!));
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ code: 101 });
      expect(String(r.json.msg)).toContain('interface eth0 already exists');
      expect(await podAddr(pods[0]!)).toEqual(['10.250.1.2/24']);
      expect(await allocations('net-a')).toEqual(before);
      expect(await ping(pods[0]!, podIp(results[1]!))).toBe(true);
    });

    it('DEL removes veth and allocation, and succeeds again and again (also with the netns gone)', async () => {
      const hostVeth = (results[1]!.json.interfaces as { name: string }[])[1]!.name;
      const del = () => cni('netkube-cni', conf(), attach('DEL', 'pod-a1', pods[1]!));
      expect((await del()).code).toBe(0);
      expect((await nodeLinks()).some((l) => l.ifname === hostVeth)).toBe(false);
      expect(await allocations('net-a')).toEqual(['10.250.1.2']);
      expect(await podAddr(pods[1]!)).toEqual([]);
      const again = await del();
      expect([again.code, again.stdout]).toEqual([0, '']);
      await sh('ip', ['netns', 'del', pods[1]!.split('/').pop()!]);
      expect((await del()).code).toBe(0);
      const noNetns = await cni('netkube-cni', conf(), { CNI_COMMAND: 'DEL', CNI_CONTAINERID: 'pod-a1', CNI_IFNAME: 'eth0' });
      expect(noNetns.code).toBe(0);
    });
  });

  describe('ADD failures leave nothing behind', () => {
    it('a netns path that does not exist → code 8, no allocation', async () => {
      const r = await cni('netkube-cni', netConf('net-f', '10.250.9.0/24'), attach('ADD', 'ghost', `/run/netns/${P}-nonexistent`));
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ code: 8 });
      expect(String(r.json.msg)).toContain('no such network namespace');
      expect(await allocations('net-f')).toEqual([]);
    });

    it('a failure at the last step (a route the kernel refuses) unwinds veth and allocation', async () => {
      const [netns] = await newPods(1);
      const conf = netConf('net-f', '10.250.9.0/24', {}, { routes: [{ dst: '192.168.77.0/24', gw: '172.31.255.254' }] });
      const r = await cni('netkube-cni', conf, attach('ADD', 'doomed', netns!));
      expect(r.code).toBe(1);
      expect(r.json).toMatchObject({ code: 100 });
      expect(String(r.json.msg)).toContain('route add 192.168.77.0/24 via 172.31.255.254');
      expect(await allocations('net-f')).toEqual([]);
      expect((await nodeLinks()).filter((l) => l.ifalias?.includes('/doomed/'))).toEqual([]);
      expect(await podAddr(netns!)).toEqual([]);
      const podLinks = await sh('nsenter', [`--net=${netns!}`, 'ip', '-o', 'link']);
      expect(podLinks).not.toContain('eth0');
    });

    it('a bad config names the field: mtu 70000 → code 7', async () => {
      const [netns] = await newPods(1);
      const r = await cni('netkube-cni', netConf('net-f', '10.250.9.0/24', { mtu: 70000 }), attach('ADD', 'badmtu', netns!));
      expect(r.json).toMatchObject({ code: 7, msg: expect.stringContaining('mtu: 70000') });
    });
  });

  describe('GC and STATUS (CNI 1.1.0)', () => {
    it('GC releases addresses and removes veths of attachments not in cni.dev/valid-attachments', async () => {
      const conf = netConf('net-g', '10.250.3.0/24');
      const [keep, drop] = await newPods(2);
      expect((await cni('netkube-cni', conf, attach('ADD', 'keep', keep!))).code).toBe(0);
      expect((await cni('netkube-cni', conf, attach('ADD', 'drop', drop!))).code).toBe(0);
      expect(await allocations('net-g')).toHaveLength(2);
      const gc = await cni('netkube-cni', { ...conf, 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] }, { CNI_COMMAND: 'GC' });
      expect([gc.code, gc.stdout]).toEqual([0, '']);
      expect(await allocations('net-g')).toEqual(['10.250.3.2']);
      const aliases = (await nodeLinks()).map((l) => l.ifalias ?? '');
      expect(aliases).toContain('netkube-cni/net-g/keep/eth0');
      expect(aliases).not.toContain('netkube-cni/net-g/drop/eth0');
      expect(await ping(keep!, '10.250.3.1')).toBe(true);
      // Pods of other networks are not touched by this network's GC.
      expect(aliases.some((a) => a.startsWith('netkube-cni/net-a/'))).toBe(true);
    });

    it('STATUS is ready while addresses remain and says 50 once the pool is full', async () => {
      const conf = netConf('net-s', '10.250.4.0/30');
      expect((await cni('netkube-cni', conf, { CNI_COMMAND: 'STATUS' })).code).toBe(0);
      const [netns, more] = await newPods(2);
      expect((await cni('netkube-cni', conf, attach('ADD', 's1', netns!))).code).toBe(0);
      const st = await cni('netkube-cni', conf, { CNI_COMMAND: 'STATUS' });
      expect(st.json).toMatchObject({ code: 50 });
      const full = await cni('netkube-cni', conf, attach('ADD', 's2', more!));
      expect(full.json).toMatchObject({ code: 102, msg: expect.stringContaining('no free address in 10.250.4.0/30') });
      expect((await nodeLinks()).some((l) => l.ifalias?.includes('/s2/'))).toBe(false);
    });
  });

  describe.skipIf(!hasRef)('compatibility with the reference plugins (/usr/lib/cni)', () => {
    it('portmap chained after netkube-cni reads our prevResult and forwards a hostPort to the pod', async () => {
      const conf = { ...netConf('net-pm', '10.250.5.0/24'), cniVersion: '1.0.0' };
      const [server] = await newPods(1);
      const add = await cni('netkube-cni', conf, attach('ADD', 'web', server!));
      expect(add.code).toBe(0);
      const pm = { cniVersion: '1.0.0', name: 'net-pm', type: 'portmap', runtimeConfig: { portMappings: [{ hostPort: 18080, containerPort: 8080, protocol: 'tcp' }] }, prevResult: add.json };
      const r = await cni(join(REF, 'portmap'), pm, attach('ADD', 'web', server!));
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect((r.json.ips as unknown[])[0]).toEqual((add.json.ips as unknown[])[0]);
      const rules = await sh('ip', ['netns', 'exec', NODE, 'iptables-save', '-t', 'nat']);
      expect(rules).toContain(`--to-destination ${podIp(add)}:8080`);
      // Real traffic: a connection to the node's own address on the hostPort
      // (portmap's OUTPUT rule) lands on the pod's server.
      const srv = spawn('nsenter', [`--net=${server!}`, 'python3', '-m', 'http.server', '8080', '--bind', '0.0.0.0'], { stdio: 'ignore' });
      try {
        let body = '';
        for (let i = 0; i < 30 && !body; i++) {
          body = await sh('nsenter', [`--net=/run/netns/${NODE}`, 'curl', '-s', '--max-time', '1', 'http://10.250.5.1:18080/']).catch(() => '');
          if (!body) await new Promise((res) => setTimeout(res, 200));
        }
        expect(body).toContain('Directory listing');
      } finally {
        srv.kill();
      }
      const del = await cni(join(REF, 'portmap'), pm, attach('DEL', 'web', server!));
      expect(del.code).toBe(0);
      expect(await sh('ip', ['netns', 'exec', NODE, 'iptables-save', '-t', 'nat'])).not.toContain(`${podIp(add)}:8080`);
      expect((await cni('netkube-cni', { ...conf, prevResult: add.json }, attach('DEL', 'web', server!))).code).toBe(0);
    });

    it('bandwidth chained after netkube-cni shapes the host veth it finds in our prevResult', async () => {
      const conf = { ...netConf('net-bw', '10.250.6.0/24'), cniVersion: '1.0.0' };
      const [netns] = await newPods(1);
      const add = await cni('netkube-cni', conf, attach('ADD', 'shaped', netns!));
      expect(add.code).toBe(0);
      const bw = {
        cniVersion: '1.0.0', name: 'net-bw', type: 'bandwidth',
        runtimeConfig: { bandwidth: { ingressRate: 1_000_000, ingressBurst: 100_000, egressRate: 1_000_000, egressBurst: 100_000 } },
        prevResult: add.json,
      };
      const r = await cni(join(REF, 'bandwidth'), bw, attach('ADD', 'shaped', netns!));
      expect(r.json.code ?? 0, `bandwidth: ${r.stdout} ${r.stderr}`).toBe(0);
      const hostVeth = (add.json.interfaces as { name: string }[])[1]!.name;
      expect(await sh('ip', ['netns', 'exec', NODE, 'tc', 'qdisc', 'show', 'dev', hostVeth])).toContain('tbf');
      expect((await cni(join(REF, 'bandwidth'), bw, attach('DEL', 'shaped', netns!))).code).toBe(0);
      expect((await cni('netkube-cni', conf, attach('DEL', 'shaped', netns!))).code).toBe(0);
    });

    it('the reference bridge plugin uses netkube-ipam (found in CNI_PATH) for its addresses', async () => {
      const conf = { cniVersion: '1.0.0', name: 'net-ref', type: 'bridge', bridge: 'nkrbr0', isGateway: true, ipam: { type: 'netkube-ipam', subnet: '10.250.7.0/24', dataDir } };
      const [a, b] = await newPods(2);
      const ra = await cni(join(REF, 'bridge'), conf, attach('ADD', 'ref-a', a!));
      expect(ra.code, ra.stdout).toBe(0);
      const rb = await cni(join(REF, 'bridge'), conf, attach('ADD', 'ref-b', b!));
      expect(ra.json.ips).toEqual([{ address: '10.250.7.2/24', gateway: '10.250.7.1', interface: 2 }]);
      expect(podIp(rb)).toBe('10.250.7.3');
      expect(await allocations('net-ref')).toEqual(['10.250.7.2', '10.250.7.3']);
      expect(await ping(a!, '10.250.7.3')).toBe(true);
      const chk = await cni(join(REF, 'bridge'), { ...conf, prevResult: ra.json }, attach('CHECK', 'ref-a', a!));
      expect(chk.code, chk.stdout).toBe(0);
      expect((await cni(join(REF, 'bridge'), conf, attach('DEL', 'ref-a', a!))).code).toBe(0);
      expect((await cni(join(REF, 'bridge'), conf, attach('DEL', 'ref-a', a!))).code).toBe(0);
      expect(await allocations('net-ref')).toEqual(['10.250.7.3']);
    });

    it('netkube-cni delegates to the reference host-local when ipam.type names it', async () => {
      const conf = { ...netConf('net-hl', '10.250.8.0/24'), cniVersion: '1.0.0', ipam: { type: 'host-local', ranges: [[{ subnet: '10.250.8.0/24' }]], dataDir } };
      const [netns] = await newPods(1);
      const r = await cni('netkube-cni', conf, attach('ADD', 'hl', netns!));
      expect(r.code, r.stdout).toBe(0);
      expect(r.json.ips).toEqual([{ address: '10.250.8.2/24', gateway: '10.250.8.1', interface: 2 }]);
      expect(await ping(netns!, '10.250.8.1')).toBe(true);
      expect((await cni('netkube-cni', conf, attach('DEL', 'hl', netns!))).code).toBe(0);
      expect(await allocations('net-hl')).toEqual([]);
    });
  });

  it('200 concurrent ADDs then DELs on one node: no duplicate IP, no leaked allocation or veth', async () => {
    const conf = netConf('net-x', '10.250.16.0/22');
    const pods = await newPods(200);
    const limit = 40;
    async function all<T>(fn: (netns: string, i: number) => Promise<T>): Promise<T[]> {
      const out: T[] = new Array(pods.length);
      let next = 0;
      await Promise.all(
        Array.from({ length: limit }, async () => {
          while (next < pods.length) {
            const i = next++;
            out[i] = await fn(pods[i]!, i);
          }
        }),
      );
      return out;
    }
    const adds = await all((netns, i) => cni('netkube-cni', conf, attach('ADD', `stress-${i}`, netns)));
    const failed = adds.filter((r) => r.code !== 0);
    expect(failed.map((r) => r.stdout)).toEqual([]);
    const ips = adds.map(podIp);
    expect(new Set(ips).size).toBe(200);
    expect(await allocations('net-x')).toEqual([...ips].sort());
    // Each pod really has the address it was given.
    const seen = await all((netns) => podAddr(netns));
    expect(seen.map((a) => a[0]?.split('/')[0])).toEqual(ips);
    const ports = (await nodeLinks()).filter((l) => l.ifalias?.startsWith('netkube-cni/net-x/'));
    expect(ports).toHaveLength(200);

    const dels = await all((netns, i) => cni('netkube-cni', conf, attach('DEL', `stress-${i}`, netns)));
    expect(dels.filter((r) => r.code !== 0).map((r) => r.stdout)).toEqual([]);
    expect(await allocations('net-x')).toEqual([]);
    expect((await nodeLinks()).filter((l) => l.ifalias?.startsWith('netkube-cni/net-x/'))).toEqual([]);
  });
});
