// The `netkube proxy` subcommand, with kube-proxy's flag names. Registered
// by lab/cli.ts through registerProxyCommand, so the proxy owns its flags.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { parseGoDuration } from '../kube/go-duration.js';
import { cleanupProxyRules, DEFAULT_PROXY_FLAGS, runProxy } from './run.js';

function durationArg(flag: string) {
  return (v: string): number => {
    try {
      return parseGoDuration(v, flag);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
    }
  };
}

/** Resolves when the process is asked to stop. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

interface ProxyCliOptions {
  kubeconfig?: string;
  hostnameOverride?: string;
  proxyMode: string;
  clusterCidr?: string;
  minSyncPeriod: number;
  syncPeriod: number;
  healthzBindAddress: string;
  metricsBindAddress: string;
  cleanup?: boolean;
}

export function registerProxyCommand(program: Command): Command {
  return program
    .command('proxy')
    .description('run the service proxy: Services and EndpointSlices become iptables rules on this node (kube-proxy, iptables mode)')
    .option('--kubeconfig <file>', 'kubeconfig of the API server (default: in-cluster, $KUBECONFIG, ~/.kube/config)')
    .option('--hostname-override <name>', 'the Node this proxy runs on (default: the host name)')
    .option('--proxy-mode <mode>', 'only iptables', DEFAULT_PROXY_FLAGS.proxyMode)
    .option('--cluster-cidr <cidr>', 'pod network range: traffic from outside it to a ClusterIP is masqueraded')
    .addOption(
      new Option('--min-sync-period <duration>', 'at most one sync per this period (0: sync at once)')
        .argParser(durationArg('--min-sync-period'))
        .default(DEFAULT_PROXY_FLAGS.minSyncPeriodMs, '1s'),
    )
    .addOption(
      new Option('--sync-period <duration>', 'full resync period')
        .argParser(durationArg('--sync-period'))
        .default(DEFAULT_PROXY_FLAGS.syncPeriodMs, '30s'),
    )
    .option('--healthz-bind-address <host:port>', '/healthz and /livez ("" disables)', DEFAULT_PROXY_FLAGS.healthzBindAddress)
    .option('--metrics-bind-address <host:port>', '/metrics and /proxyMode ("" disables)', DEFAULT_PROXY_FLAGS.metricsBindAddress)
    .option('--cleanup', 'remove every rule and chain the proxy made, then exit')
    .action(async (o: ProxyCliOptions) => {
      if (o.cleanup) {
        const r = await cleanupProxyRules();
        process.stderr.write(`netkube proxy: removed ${r.hooks} jump rules and ${r.chains} chains\n`);
        return;
      }
      if (o.proxyMode !== 'iptables') throw new Error(`--proxy-mode: "${o.proxyMode}" is not supported (only iptables)`);
      const proxy = await runProxy({
        ...(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}),
        ...(o.hostnameOverride ? { hostnameOverride: o.hostnameOverride } : {}),
        ...(o.clusterCidr ? { clusterCIDR: o.clusterCidr } : {}),
        proxyMode: 'iptables',
        minSyncPeriodMs: o.minSyncPeriod,
        syncPeriodMs: o.syncPeriod,
        healthzBindAddress: o.healthzBindAddress,
        metricsBindAddress: o.metricsBindAddress,
      });
      await untilSignal();
      await proxy.close();
    });
}
