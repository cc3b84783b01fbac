// The `netkube` command line. Each subcommand parses its flags (Kubernetes'
// own flag names where a Kubernetes component has the same flag) and calls
// the component's programmatic entry point.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { parseGoDuration } from '../kube/go-duration.js';
import { DEFAULT_FLAGS, runApiServer } from '../apiserver-lite/run.js';
import { STORE_KINDS, type StoreKind } from '../apiserver-lite/storage/index.js';
import { registerLabCommands } from './commands.js';
// ---- netkube dns (cluster DNS; the command lives in dns/) ----
import { registerDnsCommand } from '../dns/dns-command.js';
import { registerProxyCommand } from '../proxy/cli-command.js';
import { registerOverlayCommand } from '../overlay/overlay-command.js';
import { registerNodeCommand } from '../node/command.js';
import { registerDemoCommand } from '../demo/demo-command.js';

function intArg(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${flag} must be an integer, got "${v}"`);
    return n;
  };
}

function storeArg(v: string): StoreKind {
  if (!(STORE_KINDS as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${STORE_KINDS.join(', ')}`);
  return v as StoreKind;
}

/** Resolves when the process is asked to stop. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => resolve(sig);
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

export function buildCli(): Command {
  const program = new Command('netkube')
    .description('Kubernetes networking, built for real: API server, service proxy, cluster DNS, CNI and overlay')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('apiserver')
    .description('run apiserver-lite, a Kubernetes-compatible API server (HTTPS, bearer tokens, SQLite store)')
    .requiredOption('--data-dir <dir>', 'where the store, certificates, tokens and the admin kubeconfig live')
    .option('--bind-address <ip>', 'address to listen on', DEFAULT_FLAGS.bindAddress)
    .option('--secure-port <port>', 'HTTPS port', intArg('--secure-port'), DEFAULT_FLAGS.securePort)
    .option('--advertise-address <ip>', 'address clients and pods use to reach this server (default: --bind-address)')
    .option('--store <kind>', `storage backend (${STORE_KINDS.join('|')})`, storeArg, DEFAULT_FLAGS.store)
    .option('--service-cluster-ip-range <cidr>', 'ClusterIP range', DEFAULT_FLAGS.serviceClusterIPRange)
    .option('--cluster-cidr <cidr>', 'pod network range (node pod CIDRs come out of it)', DEFAULT_FLAGS.clusterCIDR)
    .option('--service-node-port-range <range>', 'NodePort range', DEFAULT_FLAGS.serviceNodePortRange)
    .option('--controllers <list>', 'controllers to run in this process, kube-controller-manager syntax ("*", "-scheduler", "" for none)', '*')
    .option('--node-monitor-grace-period <duration>', 'silence after which a node is marked NotReady (Unknown), e.g. 40s', '40s')
    .option('--pod-eviction-timeout <duration>', 'how long pods stay on an unreachable node before they are deleted, e.g. 5m', '5m')
    .action(async (o: { dataDir: string; bindAddress: string; securePort: number; advertiseAddress?: string; store: StoreKind; serviceClusterIpRange: string; clusterCidr: string; serviceNodePortRange: string; controllers: string; nodeMonitorGracePeriod: string; podEvictionTimeout: string }) => {
      const server = await runApiServer({
        dataDir: o.dataDir,
        bindAddress: o.bindAddress,
        securePort: o.securePort,
        ...(o.advertiseAddress ? { advertiseAddress: o.advertiseAddress } : {}),
        store: o.store,
        serviceClusterIPRange: o.serviceClusterIpRange,
        clusterCIDR: o.clusterCidr,
        serviceNodePortRange: o.serviceNodePortRange,
        controllers: o.controllers,
        nodeMonitorGracePeriodMs: parseGoDuration(o.nodeMonitorGracePeriod, '--node-monitor-grace-period'),
        podEvictionTimeoutMs: parseGoDuration(o.podEvictionTimeout, '--pod-eviction-timeout'),
      });
      await untilSignal();
      await server.close();
    });

  // ---- netkube dns ----
  registerDnsCommand(program);
  registerProxyCommand(program);
  registerOverlayCommand(program);
  registerNodeCommand(program);

  registerLabCommands(program);
  registerDemoCommand(program);
  return program;
}

/** Runs the CLI; returns the exit code. Errors are one line naming the problem, never a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    process.stderr.write(`netkube: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
