// bench/overlay: pod-to-pod TCP throughput (iperf3, 1 and 4 streams) and
// request/response round trips, all measured in ONE run, interleaved
// (a,b,c,d,a,b,c,d,…) with medians, because this shared 2-core VM is noisy:
//  (a) two pods on different nodes of a real lab, through its overlay;
//  (b) the reference: the same topology with VXLAN programmed by hand
//      (bench/netns-reference.ts), same MTUs as the lab's;
//  (c) two pods on the same lab node, through the node's bridge;
//  (d) a bare veth pair between two namespaces, at the pod MTU;
//  (e) = (c) with the node's net.bridge.bridge-nf-call-iptables set to 0 for
//      that one run (restored at once): the lab needs it at 1 (a pod →
//      ClusterIP → pod on the same bridge gets its reply un-DNATed only if
//      bridged frames pass iptables), so every bridged packet pays netfilter
//      and conntrack; c/e is that cost as its own figure, e/d the bridge's;
//  RTT pod → pod (across nodes) and pod → ClusterIP → pod (the Service's sole
//  backend is the remote pod): a TCP line echo, one persistent connection.
// Aims (issue 7): a/b ≥ 0.90, c/d ≥ 0.95, RTT(ClusterIP)/RTT(pod) ≤ 1.05.
//
// Usage (root): npm run build && node dist/bench/overlay.js [--seconds 5] [--reps 3] [--count 2000]
//               [--overlay vxlan|host-gw] [--no-ref-iptables] [--json] [--keep]
// The reference nodes get a copy of the lab nodes' iptables (the proxy's and
// the lab's rules: netfilter hooks and conntrack on every forwarded packet);
// --no-ref-iptables measures a bare reference instead.
// --keep leaves the lab up (and prints how to remove it); it is otherwise
// always brought down, also after an error or Ctrl-C.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, tryRun } from '../lab/run-command.js';
import { summarize, type Summary } from './bench-stats.js';
import { inNetns, iperf3Available, iperf3Throughput, startIperf3Server, type Iperf3Server } from './iperf3.js';
import { commandArgv, vethReferencePlan, vxlanReferencePlan, type ReferencePlan } from './netns-reference.js';
import { deployTargets, ECHO_TCP_PORT, labDown, labUp, upHasOverlayFlag, type BenchLab, type LabTargets } from './overlay-lab.js';

const argv = process.argv.slice(2);
const has = (name: string): boolean => argv.includes(`--${name}`);
function arg(name: string, def: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
}
const SECONDS = Number(arg('seconds', '5'));
const REPS = Number(arg('reps', '3'));
const COUNT = Number(arg('count', '2000'));
const OVERLAY = arg('overlay', 'vxlan');
const JSON_OUT = has('json');
const KEEP = has('keep');
/** Copy the lab nodes' iptables into the reference nodes (default), so (b) differs from (a) only in who programs the overlay. */
const REF_IPTABLES = !has('no-ref-iptables');

const LAB_FLAGS = ['--nodes', '2', '--underlay', '172.31.13.0/24', '--apiserver-port', '6601', '--pod-cidr', '10.250.0.0/16', '--service-cidr', '10.116.0.0/16'];
const say = (line: string): void => void process.stderr.write(`${line}\n`);

type Variant = 'a' | 'b' | 'c' | 'd' | 'e';
const VARIANTS: readonly Variant[] = ['a', 'b', 'c', 'd', 'e'];
/** Bridged frames of the lab node through iptables (1, the lab's setting) or not (0, variant e only). */
const BRIDGE_NF_KEY = 'net.bridge.bridge-nf-call-iptables';
const LABEL: Record<Variant, string> = {
  a: '(a) pod→pod across nodes, lab overlay',
  b: '(b) reference: hand-built VXLAN',
  c: '(c) pod→pod same node, bridge',
  d: '(d) bare veth pair',
  e: '(e) = (c), bridge-nf-call-iptables 0',
};
interface Path {
  srcNetns: string;
  dstIP: string;
  /** The node namespace whose bridge-nf-call-iptables is 0 during this path's runs (variant e). */
  bridgeNfOffIn?: string;
}

// ---------------------------------------------------------------- cleanup, also on Ctrl-C

const cleanups: Array<() => Promise<void>> = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => say(`cleanup: ${e instanceof Error ? e.message : String(e)}`));
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    say(`\n${sig}: cleaning up…`);
    void cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- kernel facts

async function linkMtu(netns: string, dev: string): Promise<number> {
  const links = JSON.parse(await run([...inNetns(netns), 'ip', '-j', 'link', 'show', 'dev', dev])) as { mtu?: number }[];
  const mtu = links[0]?.mtu;
  if (!mtu) throw new Error(`no MTU for ${dev} in ${netns}`);
  return mtu;
}

interface VxlanFacts {
  name: string;
  mtu: number;
  vni?: number;
  port?: number;
  learning?: boolean;
}

async function vxlanDevice(netns: string): Promise<VxlanFacts | undefined> {
  const links = JSON.parse((await tryRun([...inNetns(netns), 'ip', '-d', '-j', 'link', 'show', 'type', 'vxlan'])) ?? '[]') as {
    ifname: string;
    mtu: number;
    linkinfo?: { info_data?: { id?: number; port?: number; learning?: boolean } };
  }[];
  const l = links[0];
  if (!l) return undefined;
  const d = l.linkinfo?.info_data ?? {};
  return { name: l.ifname, mtu: l.mtu, ...(d.id !== undefined ? { vni: d.id } : {}), ...(d.port !== undefined ? { port: d.port } : {}), ...(d.learning !== undefined ? { learning: d.learning } : {}) };
}

async function setBridgeNf(netns: string, value: '0' | '1'): Promise<void> {
  await run([...inNetns(netns), 'sysctl', '-qw', `${BRIDGE_NF_KEY}=${value}`]);
}

async function applyPlan(plan: ReferencePlan): Promise<void> {
  cleanups.push(async () => {
    for (const ns of [...plan.namespaces].reverse()) await tryRun(['ip', 'netns', 'del', ns]);
  });
  for (const cmd of plan.commands) {
    const { argv: a, optional } = commandArgv(cmd);
    if (optional) await tryRun(a);
    else await run(a);
  }
}

/**
 * The lab's nodes carry the service proxy's and the lab's own rules, which
 * turn on conntrack and netfilter hooks for every forwarded packet; a bare
 * reference would not pay that. Node i's tables (iptables-save) are restored
 * into reference node i. Returns the number of rules copied.
 */
async function copyNodeNetfilter(t: LabTargets, vx: ReferencePlan): Promise<number> {
  const labNodes = Object.keys(t.nodeNetns).sort();
  let rules = 0;
  for (const [i, refNode] of vx.nodes.entries()) {
    const labNode = t.nodeNetns[labNodes[i]!];
    if (!labNode) continue;
    const dump = await run([...inNetns(labNode), 'iptables-save']);
    rules += dump.split('\n').filter((l) => l.startsWith('-A ')).length;
    await run([...inNetns(refNode), 'iptables-restore'], { input: dump });
  }
  return rules;
}

// ---------------------------------------------------------------- measuring

async function rttSamples(srcNetns: string, host: string): Promise<number[]> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'tcp-ping-pong.js');
  const out = await run([...inNetns(srcNetns), process.execPath, script, '--host', host, '--port', String(ECHO_TCP_PORT), '--count', String(COUNT), '--warmup', '200'], {
    timeoutMs: 120_000,
  });
  return (JSON.parse(out) as { samplesMs: number[] }).samplesMs;
}

const gbit = (bps: number): string => `${(bps / 1e9).toFixed(2)} Gbit/s`;
const median = (xs: readonly number[]): number => summarize(xs).p50;

interface Result {
  at: string;
  command: string;
  loadAverage: number[];
  overlay: string;
  labHasVxlan: boolean;
  /** Rules copied from the lab's nodes into the reference's (0 with --no-ref-iptables). */
  refIptablesRules: number;
  mtu: { labUnderlay: number; labVxlan?: number; labPod: number; refUnderlay: number; refVxlan: number; refPod: number; veth: number };
  seconds: number;
  reps: number;
  throughputBps: Record<Variant, { streams1: number[]; streams4: number[]; median1: number; median4: number }>;
  rttMs: { podToPod: Summary; podToClusterIP: Summary };
  /**
   * paired: the median of per-rep ratios (a and b ran back to back, as did c
   * and d, so each pair shares the machine's load of that moment: the figure
   * the aims are checked on); ofMedians: median(a)/median(b).
   */
  ratios: {
    paired: { aOverB1: number; aOverB4: number; cOverD1: number; cOverD4: number };
    ofMedians: { aOverB1: number; aOverB4: number; cOverD1: number; cOverD4: number };
    /** e/d: the same-node bridge without netfilter; c/e: what bridge-nf-call-iptables=1 costs (paired). */
    bridgeNetfilter: { eOverD1: number; eOverD4: number; cOverE1: number; cOverE4: number };
    rttClusterIPOverPod: number;
  };
}

/** The median of xs[i]/ys[i]. */
function pairedRatio(xs: readonly number[], ys: readonly number[]): number {
  return median(xs.map((x, i) => x / ys[i]!));
}

async function measure(lab: BenchLab): Promise<Result> {
  const overlayFlag = (await upHasOverlayFlag()) ? ['--overlay', OVERLAY] : [];
  if (!overlayFlag.length) say(`note: this checkout's \`netkube up\` has no --overlay flag yet; measuring the lab's default datapath`);
  say(`lab up: netkube up --name ${lab.name} --prefix ${lab.prefix} ${[...LAB_FLAGS, ...overlayFlag].join(' ')}`);
  cleanups.push(async () => {
    if (KEEP) {
      say(`--keep: the lab stays up. Remove it with: NETKUBE_HOME=${lab.home} node bin/netkube.js down --name ${lab.name}`);
      return;
    }
    say('lab down…');
    try {
      say(await labDown(lab));
    } catch (e) {
      say(`lab down failed (${e instanceof Error ? e.message : String(e)}); retry with: NETKUBE_HOME=${lab.home} node bin/netkube.js down --name ${lab.name} --prefix ${lab.prefix}`);
      return;
    }
    rmSync(lab.home, { recursive: true, force: true });
  });
  await labUp(lab, [...LAB_FLAGS, ...overlayFlag]);
  say('pods ovb-src, ovb-local (node-1), ovb-remote (node-2) and Service ovb-remote…');
  const t: LabTargets = await deployTargets(lab);

  const srcNode = t.nodeNetns[t.src.node]!;
  const labVxlan = await vxlanDevice(srcNode);
  const labPod = await linkMtu(t.src.netns, 'eth0');
  const labUnderlay = await linkMtu(srcNode, 'eth0');
  if (!labVxlan) say('note: the lab node has no VXLAN device: (a) is not going through VXLAN');
  const refVxlan = labVxlan?.mtu ?? labPod;
  const mtu = { labUnderlay, ...(labVxlan ? { labVxlan: labVxlan.mtu } : {}), labPod, refUnderlay: Math.max(labUnderlay, refVxlan + 50), refVxlan, refPod: labPod, veth: labPod };

  const id = `nkobr-${randomBytes(2).toString('hex')}`;
  say(`reference namespaces ${id}-…: hand-built VXLAN (MTU underlay ${mtu.refUnderlay}, vxlan ${mtu.refVxlan}, pod ${mtu.refPod}) and a veth pair (MTU ${mtu.veth})`);
  const vx = vxlanReferencePlan(id, { underlay: mtu.refUnderlay, vxlan: mtu.refVxlan, pod: mtu.refPod });
  const ve = vethReferencePlan(id, mtu.veth);
  await applyPlan(vx);
  await applyPlan(ve);
  const refIptablesRules = REF_IPTABLES ? await copyNodeNetfilter(t, vx) : 0;
  if (REF_IPTABLES) say(`reference nodes carry a copy of the lab nodes' iptables (${refIptablesRules} rules), so both pay the same netfilter/conntrack cost`);

  const servers: Iperf3Server[] = [
    startIperf3Server(t.remote.netns, { NETKUBE_LAB: lab.id }),
    startIperf3Server(t.local.netns, { NETKUBE_LAB: lab.id }),
    startIperf3Server(vx.dst),
    startIperf3Server(ve.dst),
  ];
  cleanups.push(async () => servers.forEach((s) => s.stop()));
  const paths: Record<Variant, Path> = {
    a: { srcNetns: t.src.netns, dstIP: t.remote.ip },
    b: { srcNetns: vx.src, dstIP: vx.dstIP },
    c: { srcNetns: t.src.netns, dstIP: t.local.ip },
    d: { srcNetns: ve.src, dstIP: ve.dstIP },
    e: { srcNetns: t.src.netns, dstIP: t.local.ip, bridgeNfOffIn: srcNode },
  };
  if (((await tryRun([...inNetns(srcNode), 'sysctl', '-n', BRIDGE_NF_KEY])) ?? '').trim() !== '1') {
    throw new Error(`${BRIDGE_NF_KEY} is not 1 in ${srcNode} (br_netfilter not loaded?): (c) and (e) would be the same path`);
  }
  // Variant e turns it off for one run at a time; put it back whatever happens (the lab may be --keep'd).
  cleanups.push(() => setBridgeNf(srcNode, '1'));

  const tp = Object.fromEntries(VARIANTS.map((v) => [v, { streams1: [] as number[], streams4: [] as number[] }])) as Record<Variant, { streams1: number[]; streams4: number[] }>;
  for (let rep = 1; rep <= REPS; rep++) {
    for (const streams of [1, 4] as const) {
      for (const v of VARIANTS) {
        const p = paths[v];
        if (p.bridgeNfOffIn) await setBridgeNf(p.bridgeNfOffIn, '0');
        let bps: number;
        try {
          bps = await iperf3Throughput(p.srcNetns, p.dstIP, { seconds: SECONDS, omit: 1, streams });
        } finally {
          if (p.bridgeNfOffIn) await setBridgeNf(p.bridgeNfOffIn, '1');
        }
        (streams === 1 ? tp[v].streams1 : tp[v].streams4).push(bps);
        say(`  rep ${rep}/${REPS}  ${streams} stream${streams > 1 ? 's' : ' '}  ${v}  ${gbit(bps)}`);
      }
    }
  }
  servers.forEach((s) => s.stop());

  const rttPod: number[] = [];
  const rttSvc: number[] = [];
  for (let rep = 1; rep <= REPS; rep++) {
    rttPod.push(...(await rttSamples(t.src.netns, t.remote.ip)));
    rttSvc.push(...(await rttSamples(t.src.netns, t.clusterIP)));
    say(`  rep ${rep}/${REPS}  RTT pod→pod and pod→ClusterIP ${t.clusterIP}→pod: ${COUNT} round trips each`);
  }

  const throughputBps = Object.fromEntries(
    VARIANTS.map((v) => [v, { ...tp[v], median1: median(tp[v].streams1), median4: median(tp[v].streams4) }]),
  ) as Result['throughputBps'];
  const podToPod = summarize(rttPod);
  const podToClusterIP = summarize(rttSvc);
  return {
    at: new Date().toISOString(),
    command: `node dist/bench/overlay.js ${argv.join(' ')}`.trim(),
    loadAverage: loadavg(),
    overlay: overlayFlag.length ? OVERLAY : 'lab default (no --overlay flag)',
    labHasVxlan: labVxlan !== undefined,
    refIptablesRules,
    mtu,
    seconds: SECONDS,
    reps: REPS,
    throughputBps,
    rttMs: { podToPod, podToClusterIP },
    ratios: {
      paired: {
        aOverB1: pairedRatio(tp.a.streams1, tp.b.streams1),
        aOverB4: pairedRatio(tp.a.streams4, tp.b.streams4),
        cOverD1: pairedRatio(tp.c.streams1, tp.d.streams1),
        cOverD4: pairedRatio(tp.c.streams4, tp.d.streams4),
      },
      ofMedians: {
        aOverB1: throughputBps.a.median1 / throughputBps.b.median1,
        aOverB4: throughputBps.a.median4 / throughputBps.b.median4,
        cOverD1: throughputBps.c.median1 / throughputBps.d.median1,
        cOverD4: throughputBps.c.median4 / throughputBps.d.median4,
      },
      bridgeNetfilter: {
        eOverD1: pairedRatio(tp.e.streams1, tp.d.streams1),
        eOverD4: pairedRatio(tp.e.streams4, tp.d.streams4),
        cOverE1: pairedRatio(tp.c.streams1, tp.e.streams1),
        cOverE4: pairedRatio(tp.c.streams4, tp.e.streams4),
      },
      rttClusterIPOverPod: podToClusterIP.p50 / podToPod.p50,
    },
  };
}

// ---------------------------------------------------------------- output

function render(r: Result): string {
  const mark = (ok: boolean): string => (ok ? '✓' : '✗');
  const pad = (s: string, n: number): string => s.padEnd(n);
  const lines = [
    `bench/overlay  ${r.at}  load average ${r.loadAverage.map((x) => x.toFixed(2)).join(' ')}  (${r.reps} interleaved reps × ${r.seconds} s, medians)`,
    `lab overlay: ${r.overlay}${r.labHasVxlan ? '' : '  (no VXLAN device on the lab nodes!)'}`,
    `reference nodes: ${r.refIptablesRules ? `a copy of the lab nodes' iptables (${r.refIptablesRules} rules)` : 'no iptables rules (--no-ref-iptables)'}`,
    `MTU  lab: underlay ${r.mtu.labUnderlay}, vxlan ${r.mtu.labVxlan ?? '-'}, pod ${r.mtu.labPod}   reference: underlay ${r.mtu.refUnderlay}, vxlan ${r.mtu.refVxlan}, pod ${r.mtu.refPod}   veth ${r.mtu.veth}`,
    '',
    `${pad('TCP throughput', 42)}${pad('1 stream', 16)}${pad('4 streams', 16)}samples (1 | 4)`,
    ...VARIANTS.map((v) => {
      const x = r.throughputBps[v];
      const g = (xs: number[]) => xs.map((b) => (b / 1e9).toFixed(2)).join(' ');
      return `${pad(LABEL[v], 42)}${pad(gbit(x.median1), 16)}${pad(gbit(x.median4), 16)}${g(x.streams1)} | ${g(x.streams4)}`;
    }),
    '',
    `${pad('TCP round trip (echo, 1 connection)', 42)}${pad('p50', 16)}${pad('p99', 16)}n`,
    `${pad('pod → pod (across nodes)', 42)}${pad(`${(r.rttMs.podToPod.p50 * 1000).toFixed(0)} µs`, 16)}${pad(`${(r.rttMs.podToPod.p99 * 1000).toFixed(0)} µs`, 16)}${r.rttMs.podToPod.n}`,
    `${pad('pod → ClusterIP → pod', 42)}${pad(`${(r.rttMs.podToClusterIP.p50 * 1000).toFixed(0)} µs`, 16)}${pad(`${(r.rttMs.podToClusterIP.p99 * 1000).toFixed(0)} µs`, 16)}${r.rttMs.podToClusterIP.n}`,
    '',
    `${pad('ratios: median of per-rep pairs (aim)', 42)}${pad('paired', 22)}ratio of medians`,
    ...(
      [
        ['a/b  1 stream', 'aOverB1', 0.9],
        ['a/b  4 streams', 'aOverB4', 0.9],
        ['c/d  1 stream', 'cOverD1', 0.95],
        ['c/d  4 streams', 'cOverD4', 0.95],
      ] as const
    ).map(([label, k, aim]) => {
      const x = r.ratios.paired[k];
      return `${pad(`  ${label}`, 42)}${pad(`${x.toFixed(2)}x ${mark(x >= aim)} (≥ ${aim.toFixed(2)})`, 22)}${r.ratios.ofMedians[k].toFixed(2)}x`;
    }),
    ...(
      [
        ['e/d  1 stream (bridge, no netfilter)', 'eOverD1'],
        ['e/d  4 streams', 'eOverD4'],
        ['c/e  1 stream (netfilter\'s share)', 'cOverE1'],
        ['c/e  4 streams', 'cOverE4'],
      ] as const
    ).map(([label, k]) => `${pad(`  ${label}`, 42)}${r.ratios.bridgeNetfilter[k].toFixed(2)}x`),
    ...bridgeNetfilterNotes(r),
    `${pad('  RTT ClusterIP/pod (p50)', 42)}${r.ratios.rttClusterIPOverPod.toFixed(2)}x ${mark(r.ratios.rttClusterIPOverPod <= 1.05)} (≤ 1.05)`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * Why c/d misses its aim, when the cause is the lab's bridge-nf-call-iptables=1
 * (c/d below 0.95 while e/d, the same bridge without netfilter, meets it):
 * a cost the design takes on purpose, not a fault of the bridge or the CNI.
 */
function bridgeNetfilterNotes(r: Result): string[] {
  const p = r.ratios.paired;
  const nf = r.ratios.bridgeNetfilter;
  return (
    [
      ['1 stream', p.cOverD1, nf.eOverD1, nf.cOverE1],
      ['4 streams', p.cOverD4, nf.eOverD4, nf.cOverE4],
    ] as const
  )
    .filter(([, cd, ed]) => cd < 0.95 && ed >= 0.95)
    .map(
      ([label, cd, ed, ce]) =>
        `  note (${label}): c/d ${cd.toFixed(2)}x misses its aim because the lab node sets ${BRIDGE_NF_KEY}=1 (bridged pod frames pass ` +
        `iptables and conntrack, which same-node pod → ClusterIP → pod needs); the same bridge with it 0 is ${ed.toFixed(2)}x of (d), ` +
        `so netfilter costs ${((1 - ce) * 100).toFixed(0)} % (c/e ${ce.toFixed(2)}x). See docs/architecture.md, "The overlay".`,
    );
}

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    say('bench/overlay needs root (network namespaces, a lab).');
    return 2;
  }
  if (!(await iperf3Available())) {
    say('bench/overlay needs iperf3, which is not installed: apt-get install -y iperf3');
    return 2;
  }
  const home = mkdtempSync(join(tmpdir(), 'netkube-ovbench-'));
  process.env['NETKUBE_HOME'] = home;
  const lab: BenchLab = { name: 'ovbench', prefix: 'nkob', home, kubeconfig: join(home, 'ovbench', 'kubeconfig'), id: 'nkob-ovbench' };
  try {
    const r = await measure(lab);
    process.stdout.write(JSON_OUT ? `${JSON.stringify(r, null, 2)}\n` : render(r));
    return 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    say(`bench/overlay: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  },
);
