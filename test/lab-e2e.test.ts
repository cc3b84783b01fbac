// A 2-node lab brought up once with `netkube up`, checked with real packets
// and real processes: pod to pod on one node and across nodes, a pod to
// itself, a pod to the API server through the `kubernetes` Service with its
// own token, exec, logs, readiness flipping the Service's endpoints, a crash
// loop, graceful deletion, an agent restart that adopts its pods, and a
// `down` that leaves the host as it found it. The lab has its own name,
// object prefix, underlay and port, so other labs on this machine are never
// touched; traffic stays inside the lab's namespaces and its underlay.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableComponents, netkubeArgv } from '../lab/commands.js';
import { readLabState } from '../lab/lab-state.js';
import { startNodeAgent } from '../lab/lab-up.js';
import { registerNodeCommand } from '../node/command.js';
import { REPO_ROOT } from './support/apiserver-process.js';
import { sh, testLab, waitForValue, type ShResult } from './support/lab.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;

const LAB = {
  name: 'e2e4',
  prefix: 'nkq',
  underlay: '172.18.44.0/24',
  hostIP: '172.18.44.1',
  port: 16444,
};
const ID = `${LAB.prefix}-${LAB.name}`;
const UNDERLAY_NETNS = `${ID}-underlay`;
const UP_FLAGS = ['--name', LAB.name, '--prefix', LAB.prefix, '--nodes', '2', '--underlay', LAB.underlay, '--apiserver-port', String(LAB.port)];
// A fixed home, so a crashed earlier run's lab.json (and the pod namespaces its agents recorded) is found by the first `down`.
const HOME = join(tmpdir(), `netkube-${LAB.name}`);
const LAB_DIR = join(HOME, LAB.name);

const lab = testLab(LAB.name, LAB.prefix, HOME, { netkubeTimeoutMs: 150_000 });

async function ok(args: string[]): Promise<string> {
  const r = await lab.netkube(args);
  if (r.code !== 0) throw new Error(`netkube ${args.join(' ')} exited ${r.code}:\n${r.out}`);
  return r.out;
}

/** `netkube exec POD -- sh -c SCRIPT`: the pod's network, hostname, resolv.conf and service account. */
const podSh = (pod: string, script: string, timeoutMs = 30_000): Promise<ShResult> => lab.inPod(pod, ['sh', '-c', script], { timeoutMs });

async function podOk(pod: string, script: string): Promise<string> {
  const r = await podSh(pod, script);
  if (r.code !== 0) throw new Error(`exec ${pod} -- sh -c '${script}' exited ${r.code}:\n${r.out}`);
  return r.out;
}

interface PodView {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: {
      name: string;
      restartCount: number;
      state?: { waiting?: { reason?: string; message?: string }; running?: unknown };
      lastState?: { terminated?: { exitCode: number; reason?: string } };
    }[];
  };
}

async function getPod(name: string): Promise<PodView | undefined> {
  const r = await lab.kubectlRun(['get', 'pod', name, '-o', 'json']);
  if (r.code !== 0) {
    if (/NotFound/.test(r.out)) return undefined;
    throw new Error(r.out);
  }
  return JSON.parse(r.out) as PodView;
}

const ready = (p: PodView | undefined): boolean => p?.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const notReady = (p: PodView | undefined): boolean => p?.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'False') ?? false;

/** The endpoints of Service `echo` as "<ip> ready=<bool>" lines, from its EndpointSlices. */
async function echoEndpoints(): Promise<string[]> {
  const out = await lab.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=echo', '-o', 'json']);
  const list = JSON.parse(out) as { items: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] };
  return list.items.flatMap((s) => (s.endpoints ?? []).map((e) => `${e.addresses[0]} ready=${e.conditions?.ready === true}`)).sort();
}

interface AgentState {
  netns?: string;
  containers: Record<string, { pid?: number }>;
}

async function agentState(node: string, uid: string): Promise<AgentState> {
  return JSON.parse(await readFile(join(LAB_DIR, 'nodes', node, 'pods', uid, 'state.json'), 'utf8')) as AgentState;
}

/** Every pod namespace the lab's agents recorded (named <prefix>-<lab>-pod-…). */
async function recordedPodNetns(): Promise<string[]> {
  const out: string[] = [];
  for (const node of ['node-1', 'node-2']) {
    for (const uid of await readdir(join(LAB_DIR, 'nodes', node, 'pods')).catch(() => [] as string[])) {
      const s = await agentState(node, uid).catch(() => undefined);
      if (s?.netns) out.push(s.netns);
    }
  }
  return out;
}

/** Whether a process exists and is not a zombie (its state letter in /proc/PID/stat). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Read-only picture of what `down` must restore: namespaces, links, routes, netfilter, /etc/netns, mounts. */
async function snapshot(): Promise<Record<string, string[]>> {
  const lines = async (argv: string[]): Promise<string[]> => (await sh(argv)).out.split('\n').filter((l) => l.trim() !== '');
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter(Boolean).map((l) => `${l.split(' ')[4]} ${l.split(' - ')[1] ?? ''}`);
  return {
    netns: (await lines(['ip', 'netns', 'list'])).map((l) => l.replace(/ \(id: \d+\)/, '')),
    links: (await lines(['ip', '-o', 'link'])).map((l) => l.replace(/^\d+: /, '').replace(/ link-netnsid \d+/, '')),
    routes: await lines(['ip', 'route', 'show', 'table', 'all']),
    iptables: (await lines(['iptables-save'])).filter((l) => !l.startsWith('#')).map((l) => l.replace(/\[\d+:\d+\]/, '')),
    nft: (await lines(['nft', 'list', 'ruleset'])).map((l) => l.replace(/packets \d+ bytes \d+/, '')),
    etcNetns: existsSync('/etc/netns') ? await readdir('/etc/netns') : [],
    mounts,
  };
}

const MANIFEST = `
apiVersion: v1
kind: Pod
metadata: {name: echo-1, labels: {app: echo}}
spec:
  nodeName: node-1
  containers:
  - name: echo
    image: netkube/echo
    ports: [{containerPort: 8080}]
    # Not ready while /run/notready exists (/run is the container's private tmpfs; netkube exec sees it too).
    readinessProbe: {exec: {command: [sh, -c, 'test ! -e /run/notready']}, periodSeconds: 1, failureThreshold: 1, successThreshold: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: echo-2, labels: {app: echo}}
spec:
  nodeName: node-2
  containers: [{name: echo, image: netkube/echo, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  nodeName: node-1
  containers: [{name: tools, image: netkube/toolbox}]
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports: [{name: http, port: 80, targetPort: 8080}]
`;

const TERM_POD = `
apiVersion: v1
kind: Pod
metadata: {name: term}
spec:
  nodeName: node-2
  terminationGracePeriodSeconds: 5
  containers:
  - name: main
    image: busybox
    # SIG_IGN survives exec, so the sleeps ignore SIGTERM too: only the SIGKILL after the grace period ends it.
    command: [sh, -c, 'trap "" TERM; echo started; while true; do sleep 1; done']
`;

describe.skipIf(!isRoot)('a 2-node lab with real packets (root)', () => {
  let before: Record<string, string[]>;
  const ips: Record<string, string> = {};
  const podNetns = new Set<string>();

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'lab', 'commands.js'))) throw new Error('run npm run build first (the test runs the compiled CLI)');
    await lab.netkube(['down', '--name', LAB.name, '--prefix', LAB.prefix]);
    await rm(HOME, { recursive: true, force: true });
    await mkdir(HOME, { recursive: true });
    before = await snapshot();
    const up = await ok(['up', ...UP_FLAGS]);
    expect(up).toContain(`lab "${LAB.name}" is up`);
    await writeFile(join(HOME, 'e2e.yaml'), MANIFEST);
    await lab.kubectl(['apply', '-f', join(HOME, 'e2e.yaml')]);
    const pods = await waitForValue(
      'echo-1, echo-2 and client Ready with an IP',
      () => Promise.all(['echo-1', 'echo-2', 'client'].map(getPod)),
      (ps) => ps.every((p) => ready(p) && p?.status.podIP),
      90_000,
    );
    for (const p of pods) ips[p!.metadata.name] = p!.status.podIP!;
    for (const n of await recordedPodNetns()) podNetns.add(n);
  }, 300_000);

  afterAll(async () => {
    await lab.netkube(['down', '--name', LAB.name, '--prefix', LAB.prefix]);
    await rm(HOME, { recursive: true, force: true });
  }, 60_000);

  it('places the pods as asked, each node handing out addresses from its own pod CIDR', async () => {
    const nodes = JSON.parse(await lab.kubectl(['get', 'nodes', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { podCIDR?: string } }[] };
    const cidr = Object.fromEntries(nodes.items.map((n) => [n.metadata.name, n.spec.podCIDR ?? '']));
    const prefix24 = (c: string): string => c.split('.').slice(0, 3).join('.');
    expect(prefix24(ips['echo-1']!)).toBe(prefix24(cidr['node-1']!));
    expect(prefix24(ips['client']!)).toBe(prefix24(cidr['node-1']!));
    expect(prefix24(ips['echo-2']!)).toBe(prefix24(cidr['node-2']!));
    expect(cidr['node-1']).not.toBe(cidr['node-2']);
  });

  it.each([
    ['on the same node', 'echo-1'],
    ['across nodes', 'echo-2'],
  ])('pod to pod %s: ping, HTTP and TCP reach %s', async (_where, target) => {
    const ip = ips[target]!;
    await podOk('client', `ping -c1 -W3 ${ip}`);
    const http = await podOk('client', `curl -sS -m5 http://${ip}:8080/`);
    expect(http).toContain(`pod: ${target}`);
    expect(http).toContain(`pod_ip: ${ip}`);
    // The echo server sees the client's own address: no NAT between pods.
    expect(http).toMatch(new RegExp(`^client: (::ffff:)?${ips['client']!.replace(/\./g, '\\.')}:\\d+$`, 'm'));
    // No nc on the host: bash's /dev/tcp opens the connection. Its stdin is /dev/null, or bash, finding a
    // socket there (node's stdio), would take itself for an rsh session and read ~/.bashrc.
    const tcp = await podOk('client', `bash -c 'exec 3<>/dev/tcp/${ip}/9000; echo hello-${target} >&3; timeout 5 head -1 <&3' </dev/null`);
    expect(tcp.trim()).toBe(`${target} ${ip}: hello-${target}`);
  });

  it('a pod reaches itself on its own IP', async () => {
    await podOk('client', `ping -c1 -W3 ${ips['client']}`);
    const http = await podOk('echo-1', `curl -sS -m5 http://${ips['echo-1']}:8080/`);
    expect(http).toContain('pod: echo-1');
    // The server sees the pod's own address as the source (an IPv4-mapped one on its dual-stack socket).
    expect(http).toMatch(new RegExp(`^client: (::ffff:)?${ips['echo-1']!.replace(/\./g, '\\.')}:\\d+$`, 'm'));
  });

  it('a pod reaches the API server through the kubernetes Service with its mounted token', async () => {
    const sa = '/var/run/secrets/kubernetes.io/serviceaccount';
    const out = await podOk(
      'client',
      `echo "$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"; cat ${sa}/namespace; echo; ` +
        `curl -sS -m10 -o /dev/null -w '%{http_code}\\n' --cacert ${sa}/ca.crt -H "Authorization: Bearer $(cat ${sa}/token)" ` +
        `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/default/pods`,
    );
    expect(out.trim().split('\n')).toEqual(['10.96.0.1:443', 'default', '200']);
    // Without the token the API server refuses: the 200 above is the token's doing.
    const anon = await podOk('client', `curl -sS -m10 -o /dev/null -w '%{http_code}' --cacert ${sa}/ca.crt https://10.96.0.1/api/v1/namespaces/default/pods`);
    expect(['401', '403']).toContain(anon.trim());
  });

  it('netkube exec runs with the pod\'s hostname, resolv.conf and hosts file', async () => {
    const out = await podOk('client', 'hostname; echo ---; cat /etc/hostname; echo ---; cat /etc/resolv.conf; echo ---; cat /etc/hosts');
    const [hostname, etcHostname, resolv, hosts] = out.split('---\n');
    expect(hostname!.trim()).toBe('client');
    expect(etcHostname!.trim()).toBe('client');
    expect(resolv).toContain('nameserver 10.96.0.10');
    expect(resolv).toContain('search default.svc.cluster.local svc.cluster.local cluster.local');
    expect(resolv).toContain('options ndots:5');
    expect(hosts).toMatch(new RegExp(`^${ips['client']!.replace(/\./g, '\\.')}\\s+client`, 'm'));
    // The exit code is the command's.
    expect((await podSh('client', 'exit 7')).code).toBe(7);
  });

  it('kubectl logs shows the container\'s output', async () => {
    const logs = await lab.kubectl(['logs', 'echo-1']);
    expect(logs).toContain(`echo: http on :8080 as echo-1 ${ips['echo-1']}`);
    const tail = await lab.kubectl(['logs', 'echo-2', '-c', 'echo', '--tail', '1']);
    expect(tail.trim().split('\n')).toHaveLength(1);
  });

  it('a readiness probe flips the pod\'s Ready condition, its EndpointSlice entry and where the Service sends traffic', async () => {
    const [e1, e2] = [ips['echo-1']!, ips['echo-2']!];
    await waitForValue('both echo endpoints ready', echoEndpoints, (eps) => eps.join() === [`${e1} ready=true`, `${e2} ready=true`].sort().join());
    const clusterIP = (await lab.kubectl(['get', 'svc', 'echo', '-o', 'jsonpath={.spec.clusterIP}'])).trim();

    await podOk('echo-1', 'touch /run/notready');
    await waitForValue('echo-1 not Ready', () => getPod('echo-1'), notReady, 30_000);
    await waitForValue('echo-1 endpoint not ready', echoEndpoints, (eps) => eps.includes(`${e1} ready=false`) && eps.includes(`${e2} ready=true`));
    // Through the ClusterIP only echo-2 answers now.
    await waitForValue(
      'the Service answering only from echo-2',
      () => podOk('client', `for i in 1 2 3 4 5 6; do curl -sS -m3 http://${clusterIP}/ | head -1; done`),
      (out) => out.trim().split('\n').every((l) => l === 'pod: echo-2'),
      30_000,
    );

    // echo-2 through its own Service reaches itself (hairpin on the bridge port), once node-2's proxy has synced too.
    await waitForValue(
      'echo-2 reaching itself through the Service',
      () => podOk('echo-2', `for i in 1 2 3; do curl -sS -m3 http://${clusterIP}/ | head -1; done`),
      (out) => out.trim().split('\n').every((l) => l === 'pod: echo-2'),
      30_000,
    );

    await podOk('echo-1', 'rm /run/notready');
    await waitForValue('echo-1 Ready again', () => getPod('echo-1'), ready, 30_000);
    await waitForValue('echo-1 endpoint ready again', echoEndpoints, (eps) => eps.includes(`${e1} ready=true`));
  });

  it('restarts a crashing container with back-off: restartCount grows, CrashLoopBackOff, the previous run\'s log kept', async () => {
    await lab.kubectl(['run', 'crash', '--image=busybox', '--restart=Always', '--overrides={"spec":{"nodeName":"node-2"}}', '--command', '--', 'sh', '-c', 'echo crash-run; exit 3']);
    const p = await waitForValue(
      'crash in CrashLoopBackOff after 2 restarts',
      () => getPod('crash'),
      (x) => {
        const c = x?.status.containerStatuses?.[0];
        return (c?.restartCount ?? 0) >= 2 && c?.state?.waiting?.reason === 'CrashLoopBackOff';
      },
      90_000,
    ).then((x) => x!);
    const c = p.status.containerStatuses![0]!;
    expect(c.lastState?.terminated?.exitCode).toBe(3);
    expect(c.lastState?.terminated?.reason).toBe('Error');
    expect(c.state?.waiting?.message).toMatch(/back-off \d+[ms]/);
    expect(ready(p)).toBe(false);
    expect(await lab.kubectl(['logs', 'crash', '--previous'])).toContain('crash-run');
    const events = await lab.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=crash', '-o', 'jsonpath={.items[*].reason}']);
    expect(events.split(' ')).toContain('BackOff');
    await lab.kubectl(['delete', 'pod', 'crash', '--grace-period=0', '--wait=false']);
  });

  it('deletes a pod gracefully: Terminating while its process ignores SIGTERM, then gone with its network namespace', async () => {
    const file = join(HOME, 'term.yaml');
    await writeFile(file, TERM_POD);
    await lab.kubectl(['apply', '-f', file]);
    const p = (await waitForValue('term Running and Ready', () => getPod('term'), ready, 60_000))!;
    const state = await agentState('node-2', p.metadata.uid);
    const pid = state.containers['main']?.pid;
    expect(pid).toBeGreaterThan(1);
    expect(state.netns).toBeTruthy();
    podNetns.add(state.netns!);
    expect(existsSync(`/run/netns/${state.netns}`)).toBe(true);

    await lab.kubectl(['delete', 'pod', 'term', '--wait=false']);
    const terminating = await getPod('term');
    expect(terminating?.metadata.deletionTimestamp, 'the pod stays, marked for deletion, during its grace period').toBeTruthy();
    expect((await lab.kubectl(['get', 'pod', 'term'])).split('\n')[1]).toMatch(/Terminating/);
    expect(alive(pid!), 'SIGTERM is ignored: the process lives on until the grace period ends').toBe(true);

    await waitForValue('pod term gone from the API', () => getPod('term'), (x) => x === undefined, 60_000);
    expect(alive(pid!)).toBe(false);
    expect(existsSync(`/run/netns/${state.netns}`)).toBe(false);
    expect(existsSync(join(LAB_DIR, 'nodes', 'node-2', 'pods', p.metadata.uid))).toBe(false);
    const events = await lab.kubectlRun(['get', 'events', '--field-selector', 'involvedObject.name=term', '-o', 'jsonpath={.items[*].reason}']);
    expect(events.out.split(' ')).toContain('Killing');
  });

  it('a restarted node agent adopts its running pods: same process, same IP, still Ready and serving', async () => {
    const before1 = (await getPod('echo-1'))!;
    const st = await agentState('node-1', before1.metadata.uid);
    const podPid = st.containers['echo']!.pid!;
    expect(alive(podPid)).toBe(true);

    const agentPid = Number((await readFile(join(LAB_DIR, 'run', 'node-1.pid'), 'utf8')).trim());
    expect(alive(agentPid)).toBe(true);
    process.kill(agentPid, 'SIGKILL');
    await waitForValue(`agent pid ${agentPid} gone`, async () => alive(agentPid), (a) => !a, 10_000, 100);
    expect(alive(podPid), 'killing the agent leaves its pods running').toBe(true);

    // Restart it the way `up` starts it.
    const labState = (await readLabState(HOME, LAB.name))!;
    const program = new Command('netkube');
    registerNodeCommand(program);
    const newPid = await startNodeAgent(labState.config, 'node-1', { netkube: netkubeArgv(), components: availableComponents(program) });
    expect(newPid).not.toBe(agentPid);

    // The new agent runs the probes: flip readiness once more, then back.
    await podOk('echo-1', 'touch /run/notready');
    await waitForValue('echo-1 not Ready under the new agent', () => getPod('echo-1'), notReady, 60_000);
    await podOk('echo-1', 'rm /run/notready');
    const after = (await waitForValue('echo-1 Ready under the new agent', () => getPod('echo-1'), ready, 60_000))!;

    expect(after.metadata.uid).toBe(before1.metadata.uid);
    expect(after.status.podIP).toBe(ips['echo-1']);
    expect(after.status.containerStatuses?.[0]?.restartCount).toBe(0);
    expect((await agentState('node-1', after.metadata.uid)).containers['echo']?.pid).toBe(podPid);
    expect(alive(podPid)).toBe(true);
    expect(alive(newPid)).toBe(true);
    const nodes = await lab.kubectl(['get', 'node', 'node-1']);
    expect(nodes).toMatch(/node-1\s+Ready/);
    expect(await podOk('client', `curl -sS -m5 http://${ips['echo-1']}:8080/`)).toContain('pod: echo-1');
  });

  it('keeps lab traffic away from netfilter on the underlay: cross-node packets pass even with FORWARD policy DROP there', async () => {
    const bridge = JSON.parse((await sh(['ip', '-n', UNDERLAY_NETNS, '-j', '-d', 'link', 'show', 'br0'])).out) as {
      linkinfo: { info_kind: string; info_data: Record<string, unknown> };
    }[];
    expect(bridge[0]!.linkinfo.info_kind).toBe('bridge');
    expect(bridge[0]!.linkinfo.info_data['nf_call_iptables']).toBe(0);
    expect((await lab.inNode('underlay', ['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables'])).out.trim()).toBe('0');
    // The host's leg is a plain veth, enslaved to nothing in the root namespace: frames never cross a root bridge.
    const host = JSON.parse((await sh(['ip', '-j', '-d', 'link', 'show', `${LAB.prefix}0`])).out) as { linkinfo: { info_kind: string }; master?: string; ifalias?: string }[];
    expect(host[0]!.linkinfo.info_kind).toBe('veth');
    expect(host[0]!.master).toBeUndefined();
    expect(host[0]!.ifalias).toBe(`netkube-lab:${ID}`);

    // A Docker-like FORWARD DROP, set only inside the lab's underlay namespace: bridged node-to-node frames
    // would meet it if the bridge called netfilter. The host's own iptables are never touched.
    const policy = await lab.inNode('underlay', ['iptables', '-P', 'FORWARD', 'DROP']);
    expect(policy.code, policy.out).toBe(0);
    try {
      await podOk('client', `ping -c2 -W3 ${ips['echo-2']}`);
      expect(await podOk('client', `curl -sS -m5 http://${ips['echo-2']}:8080/`)).toContain('pod: echo-2');
      const fwd = await lab.inNode('underlay', ['iptables', '-S', 'FORWARD']);
      expect(fwd.out).toContain('-P FORWARD DROP');
    } finally {
      await lab.inNode('underlay', ['iptables', '-P', 'FORWARD', 'ACCEPT']);
    }
  });

  it('down leaves nothing behind: namespaces, links, routes, netfilter, /etc/netns, mounts, processes, files', async () => {
    for (const n of await recordedPodNetns()) podNetns.add(n);
    expect(podNetns.size).toBeGreaterThanOrEqual(3);
    const down = await ok(['down', '--name', LAB.name]);
    expect(down).toMatch(new RegExp(`lab "${LAB.name}" is down: removed \\d+ processes, \\d+ namespaces, 1 link`));
    const after = await snapshot();

    // Other suites on this machine create and remove their own objects meanwhile: compare through this lab's names.
    const ours = (l: string): boolean =>
      l.includes(`${ID}-`) || l.includes(`${LAB.prefix}0`) || l.includes(LAB_DIR) || l.includes('172.18.44.') || [...podNetns].some((n) => l.includes(n));
    for (const k of ['netns', 'links', 'routes', 'mounts', 'etcNetns']) {
      expect(after[k]!.filter(ours), k).toEqual([]);
      expect(before[k]!.filter(ours), k).toEqual([]);
    }
    // The lab never writes the root namespace's netfilter state: nothing there may be new.
    for (const k of ['iptables', 'nft']) {
      const was = new Set(before[k]);
      expect(after[k]!.filter((l) => !was.has(l)), k).toEqual([]);
    }
    for (const n of podNetns) expect(existsSync(`/run/netns/${n}`), n).toBe(false);

    const marked: number[] = [];
    for (const d of await readdir('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const env = await readFile(`/proc/${d}/environ`, 'utf8').catch(() => '');
      if (env.split('\0').includes(`NETKUBE_LAB=${ID}`)) marked.push(Number(d));
    }
    expect(marked).toEqual([]);
    expect(existsSync(LAB_DIR)).toBe(false);
  });
});

// Used when the root suite is skipped, so the file never reports zero tests.
describe.skipIf(isRoot)('a 2-node lab without root', () => {
  it('is skipped: netkube up needs root', () => {
    expect(isRoot).toBe(false);
  });
});
