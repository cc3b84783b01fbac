// `netkube dns`: the wiring of the cluster DNS. API connection (kubeconfig or
// in-cluster) → informers → ZoneView → DnsResponder → DnsServer (UDP+TCP), a
// Forwarder for names outside the zone, and the health/ready/metrics HTTP
// endpoints. It listens at once and answers SERVFAIL for cluster names until
// the informers have synced (then /ready turns 200).
import { readFile } from 'node:fs/promises';
import { KubeClient } from '../kube/client.js';
import { connectionFrom } from '../kube/kubeconfig.js';
import { type DnsConfig, type PodMode } from './answer.js';
import { sourcesFromClient, startApiSource, type ZoneSources } from './api-source.js';
import { Forwarder, parseResolvConf, parseUpstream, selfAddresses, type Upstream } from './forward.js';
import { parseListenAddress, startHttpEndpoints, type EndpointPath } from './http-endpoints.js';
import { DnsMetrics, serverLabel } from './metrics.js';
import { DnsServer } from './server.js';
import { DnsResponder } from './wire.js';
import { ZoneView } from './zone.js';

export interface DnsRunOptions {
  /** Path of a kubeconfig; without it, in-cluster config, then $KUBECONFIG, then ~/.kube/config. */
  kubeconfig?: string;
  bindAddress: string;
  port: number;
  clusterDomain: string;
  ttl: number;
  podMode: PodMode;
  /** Upstream servers (`IP[:port]`); when empty, the nameservers of `resolvConf`. */
  upstreams: readonly string[];
  resolvConf: string;
  /** Per-try upstream timeout. */
  upstreamTimeoutMs: number;
  healthPort: number;
  readyPort: number;
  /** `[host]:port`; an empty host means every address. */
  metricsAddress: string;
  /** One line per message (stderr in the CLI). */
  log: (line: string) => void;
  /** For tests: informers read these instead of the API. */
  sources?: ZoneSources;
}

export const DNS_DEFAULTS = {
  bindAddress: '0.0.0.0',
  port: 53,
  clusterDomain: 'cluster.local',
  ttl: 30,
  podMode: 'insecure' as PodMode,
  resolvConf: '/etc/resolv.conf',
  upstreamTimeoutMs: 2000,
  healthPort: 8080,
  readyPort: 8181,
  metricsAddress: ':9153',
} as const;

export interface RunningDns {
  /** The UDP/TCP address actually bound (port 0 resolved). */
  readonly address: { address: string; port: number };
  readonly urls: Record<EndpointPath, string | undefined>;
  readonly zone: ZoneView;
  readonly upstreams: readonly Upstream[];
  /** Resolves once the zone has synced with the API. */
  readonly synced: Promise<void>;
  close(): Promise<void>;
}

/** A flag value that cannot work; the message names the flag and the value. */
export class DnsConfigError extends Error {
  override name = 'DnsConfigError';
}

/** Lowercase, no trailing dot, labels of letters/digits/hyphens. */
export function normalizeClusterDomain(d: string): string {
  const z = d.trim().toLowerCase().replace(/\.$/, '');
  if (z === '' || !z.split('.').every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) {
    throw new DnsConfigError(`--cluster-domain "${d}": not a valid domain name`);
  }
  return z;
}

async function resolveUpstreams(o: Pick<DnsRunOptions, 'upstreams' | 'resolvConf' | 'log'>): Promise<Upstream[]> {
  if (o.upstreams.length > 0) {
    return o.upstreams.map((spec) => {
      const u = parseUpstream(spec);
      if (!u) throw new DnsConfigError(`--upstream "${spec}": expected IP or IP:port, e.g. 10.0.0.2 or [fd00::2]:5353`);
      return u;
    });
  }
  let text: string;
  try {
    text = await readFile(o.resolvConf, 'utf8');
  } catch (e) {
    o.log(`dns: warning: cannot read --resolv-conf ${o.resolvConf} (${(e as Error).message}); names outside the cluster will get SERVFAIL`);
    return [];
  }
  const ups = parseResolvConf(text);
  if (ups.length === 0) o.log(`dns: warning: ${o.resolvConf} lists no nameserver; names outside the cluster will get SERVFAIL`);
  return ups;
}

export async function runDns(o: DnsRunOptions): Promise<RunningDns> {
  const zoneName = normalizeClusterDomain(o.clusterDomain);
  if (!Number.isInteger(o.ttl) || o.ttl < 0 || o.ttl > 3600) throw new DnsConfigError(`--ttl ${o.ttl}: must be 0..3600 seconds`);
  for (const [flag, p] of [['--port', o.port], ['--health-port', o.healthPort], ['--ready-port', o.readyPort]] as const) {
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new DnsConfigError(`${flag} ${p}: must be 0..65535`);
  }
  const metricsAt = parseListenAddress(o.metricsAddress);
  if (!metricsAt) throw new DnsConfigError(`--metrics-address "${o.metricsAddress}": expected [host]:port, e.g. :9153 or 127.0.0.1:9153`);
  const upstreams = await resolveUpstreams(o);

  let client: KubeClient | undefined;
  let sources = o.sources;
  if (!sources) {
    client = new KubeClient(await connectionFrom(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), { userAgent: 'netkube-dns' });
    sources = sourcesFromClient(client);
  }

  const cfg: DnsConfig = { zone: zoneName, ttl: o.ttl, podMode: o.podMode };
  const zone = new ZoneView();
  const responder = new DnsResponder(zone, cfg);
  const metrics = new DnsMetrics({ processMetrics: true });
  const forwarder = new Forwarder({
    upstreams,
    // Our own address is never an upstream (a resolv.conf pointing at this server would loop).
    self: o.port === 0 ? [] : selfAddresses({ host: o.bindAddress, port: o.port }),
    timeoutMs: o.upstreamTimeoutMs,
    hooks: metrics.forwarderHooks,
  });
  for (const d of forwarder.dropped) o.log(`dns: warning: upstream ${d.host}:${d.port} is this server itself; not forwarding to it`);

  const server = new DnsServer({
    address: o.bindAddress,
    port: o.port,
    responder,
    forwarder,
    hooks: {
      query: (tcp, ipv6, qtype, rcode, source, seconds) => metrics.query(tcp, ipv6, qtype, rcode, source, seconds),
      error: (e) => o.log(`dns: error: ${e.message}`),
    },
  });
  const abort = new AbortController();
  let closing = false;
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async (): Promise<void> => {
    closing = true;
    abort.abort(new Error('dns: shutting down'));
    for (const c of cleanups.reverse()) await c();
    cleanups.length = 0;
  };
  cleanups.push(() => client?.close());
  cleanups.push(() => forwarder.close());
  try {
    let address: { address: string; port: number };
    try {
      address = await server.start();
    } catch (e) {
      throw new DnsConfigError(`cannot listen for DNS on ${o.bindAddress}:${o.port}: ${(e as Error).message}`);
    }
    cleanups.push(() => server.close());
    metrics.server = serverLabel(o.bindAddress, address.port);
    o.log(`dns listening on udp/tcp ${address.address}:${address.port} (zone ${zoneName}, pods ${o.podMode}, upstreams ${upstreams.map((u) => `${u.host}:${u.port}`).join(',') || 'none'})`);

    const http = await startHttpEndpoints(
      [
        { path: '/health', host: o.bindAddress, port: o.healthPort },
        { path: '/ready', host: o.bindAddress, port: o.readyPort },
        { path: '/metrics', host: metricsAt.host, port: metricsAt.port },
      ],
      {
        healthy: () => !closing,
        notReady: () => (zone.synced ? [] : ['kubernetes']),
        metrics: async () => ({ body: await metrics.render(), contentType: metrics.contentType }),
      },
    ).catch((e: unknown) => {
      throw new DnsConfigError(`cannot listen for health/ready/metrics: ${(e as Error).message}`);
    });
    cleanups.push(() => http.close());
    o.log(`dns health on ${http.urls['/health']}, ready on ${http.urls['/ready']}, metrics on ${http.urls['/metrics']}`);

    const api = startApiSource(sources, zone, abort.signal, { podMode: o.podMode, onError: (e) => o.log(`dns: ${e instanceof Error ? e.message : String(e)}`) });
    const synced = api.synced.then(() => o.log(`dns synced with the API: ${zone.serviceCount} services`));
    synced.catch(() => undefined);
    return { address, urls: http.urls, zone, upstreams: forwarder.upstreams, synced, close };
  } catch (e) {
    await close();
    throw e;
  }
}
