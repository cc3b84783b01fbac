// The `netkube dns` subcommand: flags → runDns. Flag names follow
// Kubernetes where a Kubernetes component has the flag (--kubeconfig,
// --bind-address, --cluster-domain) and CoreDNS's Corefile otherwise
// (kubernetes `ttl` and `pods`, `forward` upstreams or resolv.conf, the
// health/ready/prometheus plugins' addresses).
import { Command, InvalidArgumentError, Option } from 'commander';
import type { PodMode } from './answer.js';
import { DNS_DEFAULTS, runDns } from './run.js';

function intArg(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${flag} must be an integer, got "${v}"`);
    return n;
  };
}

interface DnsFlags {
  kubeconfig?: string;
  port: number;
  bindAddress: string;
  clusterDomain: string;
  ttl: number;
  pods: PodMode;
  upstream?: string[];
  resolvConf: string;
  upstreamTimeout: number;
  healthPort: number;
  readyPort: number;
  metricsAddress: string;
}

/** Resolves with the signal that asked the process to stop. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

export function registerDnsCommand(program: Command): Command {
  return program
    .command('dns')
    .description(
      'run the cluster DNS: Kubernetes service discovery (Services, headless Services, ExternalName, pod records) ' +
        'from the API over UDP and TCP, other names forwarded upstream; SERVFAIL for cluster names until synced with the API',
    )
    .option('--kubeconfig <file>', 'kubeconfig of the API server (default: in-cluster config from KUBERNETES_SERVICE_HOST and the service-account token, then $KUBECONFIG, then ~/.kube/config)')
    .option('--port <port>', 'UDP and TCP port to answer on; 0 picks a free one (printed as "dns listening on udp/tcp ADDR:PORT")', intArg('--port'), DNS_DEFAULTS.port)
    .option('--bind-address <ip>', 'address to answer DNS and serve /health and /ready on (CoreDNS bind)', DNS_DEFAULTS.bindAddress)
    .option('--cluster-domain <domain>', 'the cluster zone: <svc>.<ns>.svc.<domain>', DNS_DEFAULTS.clusterDomain)
    .option('--ttl <seconds>', 'TTL of cluster records and of negative answers (CoreDNS kubernetes `ttl`; kube-dns used 30)', intArg('--ttl'), DNS_DEFAULTS.ttl)
    .addOption(
      new Option('--pods <mode>', 'pod records a-b-c-d.<ns>.pod.<domain> (CoreDNS kubernetes `pods`): insecure answers any, verified only IPs of pods in that namespace (watches Pods), disabled none')
        .choices(['insecure', 'verified', 'disabled'])
        .default(DNS_DEFAULTS.podMode),
    )
    .option('--upstream <addr...>', 'IP or IP:port of servers for names outside the cluster zone, tried in order (CoreDNS forward TO...); default: the nameservers in --resolv-conf')
    .option('--resolv-conf <file>', 'resolv.conf whose nameservers are the upstreams when --upstream is not given (CoreDNS `forward . /etc/resolv.conf`)', DNS_DEFAULTS.resolvConf)
    .option('--upstream-timeout <ms>', 'how long to wait for each upstream before trying the next; SERVFAIL when none answers', intArg('--upstream-timeout'), DNS_DEFAULTS.upstreamTimeoutMs)
    .option('--health-port <port>', 'HTTP port of GET /health: 200 "OK" while serving (CoreDNS health)', intArg('--health-port'), DNS_DEFAULTS.healthPort)
    .option('--ready-port <port>', 'HTTP port of GET /ready: 503 until synced with the API, then 200 (CoreDNS ready)', intArg('--ready-port'), DNS_DEFAULTS.readyPort)
    .option('--metrics-address <[host]:port>', 'where GET /metrics serves Prometheus metrics with CoreDNS names (coredns_dns_*, coredns_cache_*, coredns_forward_*); ":9153" = every address', DNS_DEFAULTS.metricsAddress)
    .action(async (f: DnsFlags) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const dns = await runDns({
        ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}),
        bindAddress: f.bindAddress,
        port: f.port,
        clusterDomain: f.clusterDomain,
        ttl: f.ttl,
        podMode: f.pods,
        upstreams: f.upstream ?? [],
        resolvConf: f.resolvConf,
        upstreamTimeoutMs: f.upstreamTimeout,
        healthPort: f.healthPort,
        readyPort: f.readyPort,
        metricsAddress: f.metricsAddress,
        log,
      });
      const sig = await untilSignal();
      log(`dns: ${sig}: shutting down`);
      await dns.close();
    });
}
