// `netkube demo`: flags → runDemo. Registered on the `netkube` program by lab/cli.ts.
import { Command, InvalidArgumentError } from 'commander';
import { requireRootOnLinux, netkubeArgv } from '../lab/commands.js';
import { checkLabName, DEFAULT_LAB_FLAGS, resolveHome } from '../lab/lab-config.js';
import { DEFAULT_GLOBAL_TTL } from './global-dns.js';
import { runDemo } from './demo-run.js';
import type { SidecarPolicy } from './demo-manifests.js';

function num(flag: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${flag} must be a number ≥ ${min}, got "${v}"`);
    return n;
  };
}

function policyArg(v: string): SidecarPolicy {
  if (v !== 'round-robin' && v !== 'least-request') throw new InvalidArgumentError(`--policy must be round-robin or least-request, got "${v}"`);
  return v;
}

interface DemoFlags {
  name: string;
  nodes: number;
  peer: boolean;
  peerName?: string;
  peerPodCidr?: string;
  peerServiceCidr?: string;
  peerApiserverPort?: number;
  replicas: number;
  nodePort: number;
  policy: SidecarPolicy;
  rate: number;
  killAfter: number;
  settle: number;
  timeoutMs: number;
  globalTtl: number;
  yes?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('guided demo: Service routing, cluster DNS, and sidecar vs DNS load balancing measured side by side (brings the labs up if needed)')
    .option('--name <lab>', 'the lab to run in (brought up with defaults when it is not up)', DEFAULT_LAB_FLAGS.name)
    .option('--nodes <n>', 'nodes of a lab the demo brings up', num('--nodes', 1), DEFAULT_LAB_FLAGS.nodes)
    .option('--no-peer', 'skip the second cluster (and the DNS-across-clusters mode)')
    .option('--peer-name <lab>', 'the second cluster, on the first one\'s underlay (default <lab>peer)')
    .option('--peer-pod-cidr <cidr>', 'the second cluster\'s pod CIDR (default 10.245.0.0/16)')
    .option('--peer-service-cidr <cidr>', 'the second cluster\'s Service CIDR (default 10.112.0.0/16)')
    .option('--peer-apiserver-port <port>', 'the second cluster\'s API server port (default: the first\'s + 1)', num('--peer-apiserver-port', 1))
    .option('--replicas <n>', 'web pods per cluster', num('--replicas', 2), 3)
    .option('--node-port <port>', 'the NodePort pinned in both clusters (an A record carries no port)', num('--node-port', 1), 30080)
    .option('--policy <policy>', 'the sidecar\'s balancing: round-robin or least-request', policyArg, 'round-robin')
    .option('--rate <n>', 'requests per second in each measured run', num('--rate', 1), 50)
    .option('--kill-after <s>', 'seconds into each run when a backend is killed', num('--kill-after', 1), 5)
    .option('--settle <s>', 'seconds each run goes on after the kill (the headless run: at least the DNS TTL + 10)', num('--settle', 5), 15)
    .option('--timeout-ms <ms>', 'per-request timeout', num('--timeout-ms', 50), 1000)
    .option('--global-ttl <s>', 'TTL of the cross-cluster DNS name', num('--global-ttl', 1), DEFAULT_GLOBAL_TTL)
    .option('-y, --yes', 'do not pause between steps (the default when stdin is not a terminal)')
    .action(async (f: DemoFlags) => {
      requireRootOnLinux('demo');
      checkLabName(f.name);
      const peer = f.peer
        ? {
            ...(f.peerName ? { name: f.peerName } : {}),
            ...(f.peerPodCidr ? { podCidr: f.peerPodCidr } : {}),
            ...(f.peerServiceCidr ? { serviceCidr: f.peerServiceCidr } : {}),
            ...(f.peerApiserverPort ? { apiserverPort: f.peerApiserverPort } : {}),
          }
        : undefined;
      if (peer?.name) checkLabName(peer.name);
      await runDemo({
        home: resolveHome(process.env, process.cwd()),
        lab: f.name,
        peer,
        netkube: netkubeArgv(),
        nodes: f.nodes,
        interactive: !f.yes && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY),
        replicas: f.replicas,
        nodePort: f.nodePort,
        policy: f.policy,
        load: { rate: f.rate, timeoutMs: f.timeoutMs, killAfterS: f.killAfter, settleS: f.settle },
        globalTtl: f.globalTtl,
        out: (t) => process.stdout.write(t),
      });
    });
}
