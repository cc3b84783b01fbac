// `netkube demo` end to end, non-interactively (stdin is not a terminal), as
// CI runs it: two labs on one underlay, the four load-balancing modes with a
// backend killed and one added in each, and results.json checked for sanity
// (never for particular numbers). Then the README's tour commands against the
// same lab, and `down` of the second cluster leaving the first intact.
// Its own names, prefixes, ranges and ports; both labs always go down.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResultsSane, type DemoResults } from '../demo/results.js';
import { sh, testLab, type ShResult, type TestLab } from './support/lab.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
// A DNS TTL of 5 s (CoreDNS's own default; the lab's is kubeadm's 30) keeps the headless run short.
const A_FLAGS = ['--dns-ttl', '5', '--nodes', '2', '--underlay', '172.31.17.0/24', '--apiserver-port', '6631', '--pod-cidr', '10.240.0.0/16', '--service-cidr', '10.121.0.0/16'];
const PEER = 'demob';
const DEMO_FLAGS = ['--peer-name', PEER, '--peer-pod-cidr', '10.241.0.0/16', '--peer-service-cidr', '10.122.0.0/16', '--peer-apiserver-port', '6632', '--rate', '30', '--kill-after', '4', '--settle', '8'];

let home = '';
let a: TestLab;
let demo: ShResult;

const must = (r: ShResult, what: string): string => {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
};

describe.skipIf(!isRoot)('netkube demo', () => {
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'netkube-demo-'));
    a = testLab('demoa', 'nkda', home);
    must(await a.netkube(['up', '--name', a.name, '--prefix', a.prefix, ...A_FLAGS], 180_000), 'netkube up');
    demo = await a.netkube(['demo', '--name', a.name, ...DEMO_FLAGS], 480_000);
  }, 700_000);

  afterAll(async () => {
    if (!a) return;
    await a.netkube(['down', '--name', PEER], 120_000);
    await a.netkube(['down', '--name', a.name], 120_000);
    await rm(home, { recursive: true, force: true });
  }, 300_000);

  it('runs every step and says where the report is', () => {
    expect(demo.code, `${demo.stdout}\n${demo.stderr}`).toBe(0);
    for (const heading of ['1. Service routing', '2. Cluster DNS', '3. Sidecar vs DNS load balancing']) expect(demo.stdout).toContain(heading);
    expect(demo.stdout).toContain('KUBE-SVC-');
    expect(demo.stdout).toMatch(/_http\._tcp\.web\.default\.svc\.cluster\.local\.\s+\d+\s+IN\s+SRV/);
    expect(demo.stdout).toMatch(/PTR\s+web\.default\.svc\.cluster\.local\./);
    expect(demo.stdout).toContain(join(a.dir, 'demo', 'report.html'));
  });

  it('writes sane results for all four modes, and an HTML report with charts', async () => {
    const results = JSON.parse(await readFile(join(a.dir, 'demo', 'results.json'), 'utf8')) as DemoResults;
    expect(results.modes.map((m) => m.mode)).toEqual(['clusterip', 'sidecar', 'dns', 'headless']);
    expect(checkResultsSane(results)).toEqual([]);
    // DNS across clusters: backends of both clusters answered.
    const dns = results.modes.find((m) => m.mode === 'dns')!;
    expect(new Set(dns.backends.map((b) => b)).size).toBeGreaterThan(3);
    const html = await readFile(join(a.dir, 'demo', 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Headless');
  });

  it('answers the README tour: kubectl, dig and curl in the client, NodePort, the proxy rules, the overlay', async () => {
    const pods = await a.kubectl(['get', 'pods,svc', '-o', 'wide']);
    expect(pods).toMatch(/pod\/client\s+2\/2\s+Running/);
    expect(pods).toMatch(/service\/web\s+NodePort\s+\S+\s+<none>\s+80:30080\/TCP/);
    const clusterIP = (await a.kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const dig = must(await a.inPod('client', ['dig', '+short', 'web.default.svc.cluster.local']), 'dig');
    expect(dig.trim()).toBe(clusterIP);
    expect(must(await a.inPod('client', ['curl', '-s', '-m', '5', `http://${clusterIP}/`]), 'curl ClusterIP')).toMatch(/^pod: web-/m);
    expect(must(await sh(['curl', '-s', '-m', '5', 'http://172.31.17.11:30080/']), 'curl NodePort')).toMatch(/^pod: web-/m);
    const rules = must(await a.inNode('node-1', ['iptables', '-t', 'nat', '-L', 'KUBE-SERVICES', '-n']), 'iptables');
    expect(rules).toContain('default/web:http cluster IP');
    // Pod namespaces carry the lab's name (the agent's --netns-prefix), so `down` finds them even without the lab's files.
    const podNetns = (await readdir('/run/netns')).filter((n) => n.startsWith(`${a.prefix}-${a.name}-pod-`));
    expect(podNetns.length).toBeGreaterThanOrEqual(5);
    const overlay = must(await a.netkube(['overlay', 'show', '--name', a.name]), 'overlay show');
    expect(overlay).toContain('node-1');
    expect(overlay).toContain('node-2');
  });

  it('takes the second cluster down and leaves the first one working', async () => {
    must(await a.netkube(['down', '--name', PEER], 120_000), 'down peer');
    const left = (await readdir('/run/netns').catch(() => [] as string[])).filter((n) => n.startsWith(`nkdab-${PEER}-`));
    expect(left).toEqual([]);
    expect(existsSync(join(home, PEER))).toBe(false);
    expect(must(await a.inPod('client', ['curl', '-s', '-m', '5', 'http://172.31.17.12:30080/']), 'curl after down')).toMatch(/^pod: web-/m);
  });
});
