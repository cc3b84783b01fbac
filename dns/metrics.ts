// Prometheus metrics of the cluster DNS under CoreDNS's names and label sets
// (plugin/metrics, plugin/cache, plugin/forward), so dashboards and alerts
// written for CoreDNS work unchanged. The per-query path only bumps numbers in
// preallocated typed arrays (no label objects, no strings, no promises); the
// prom-client metrics read those arrays when /metrics is scraped. Forwarding
// is already a network round trip, so its metrics use prom-client directly.
//
// Labels as a default kubeadm Corefile produces them: one server block for
// ".", so `zone`/`zones` is "." (or "dropped" for queries that never got an
// answer), `view` is empty, and `server` is "dns://[bind]:port".
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** CoreDNS's `type` label values; every other query type counts as "other". */
const TYPE_NAMES = ['A', 'AAAA', 'MX', 'SOA', 'CNAME', 'PTR', 'TXT', 'NS', 'SRV', 'DS', 'DNSKEY', 'RRSIG', 'NSEC', 'NSEC3', 'HTTPS', 'IXFR', 'AXFR', 'ANY', 'other'] as const;
const TYPE_NUMBERS = [1, 28, 15, 6, 5, 12, 16, 2, 33, 43, 48, 46, 47, 50, 65, 251, 252, 255];
const OTHER = TYPE_NAMES.length - 1;
const TYPE_INDEX = new Uint8Array(256).fill(OTHER);
TYPE_NUMBERS.forEach((t, i) => (TYPE_INDEX[t] = i));

/** miekg/dns's rcode names (what CoreDNS prints); unassigned codes print as RCODE<n>. */
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE', 'RCODE11', 'RCODE12', 'RCODE13', 'RCODE14', 'RCODE15'];

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

export function typeName(qtype: number): string {
  return TYPE_NAMES[qtype < 256 ? TYPE_INDEX[qtype]! : OTHER]!;
}

/**
 * Who wrote the reply, CoreDNS's `plugin` label: the zone answer ("kubernetes"),
 * an upstream ("forward"), the forwarding cache ("cache"), or the server itself
 * on malformed input ("").
 */
export type ReplySource = 'kubernetes' | 'forward' | 'cache' | 'server';
const SOURCES: readonly ReplySource[] = ['kubernetes', 'forward', 'cache', 'server'];
const SOURCE_INDEX: Record<ReplySource, number> = { kubernetes: 0, forward: 1, cache: 2, server: 3 };
const SOURCE_LABEL: Record<ReplySource, string> = { kubernetes: 'kubernetes', forward: 'forward', cache: 'cache', server: '' };

/** plugin.TimeBuckets of CoreDNS: 0.25 ms doubling 16 times, up to about 8 s. */
export const TIME_BUCKETS: readonly number[] = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);
const NB = TIME_BUCKETS.length + 1; // + the +Inf bucket

/** Index of the first bucket whose upper bound is ≥ seconds (NB-1 = +Inf). */
export function bucketIndex(seconds: number): number {
  if (!(seconds > TIME_BUCKETS[0]!)) return 0;
  const i = Math.ceil(Math.log2(seconds / TIME_BUCKETS[0]!) - 1e-9);
  return i < NB - 1 ? i : NB - 1;
}

const PROTOS = ['udp', 'tcp'] as const;
const FAMILIES = ['1', '2'] as const;
const NT = TYPE_NAMES.length;

/** CoreDNS's `server` label: `dns://:53` when bound to every address, `dns://127.0.0.1:53` otherwise. */
export function serverLabel(bindAddress: string, port: number): string {
  const any = bindAddress === '0.0.0.0' || bindAddress === '::' || bindAddress === '';
  const host = any ? '' : bindAddress.includes(':') ? `[${bindAddress}]` : bindAddress;
  return `dns://${host}:${port}`;
}

export interface Upstreamish {
  host: string;
  port: number;
}

/** Upstream address as CoreDNS's `to` label prints it (host:port). */
function toLabel(u: Upstreamish): string {
  return u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`;
}

export interface DnsMetricsOptions {
  /** The `server` label (see serverLabel); may be set later, once the port is known. */
  server?: string;
  /** Also export prom-client's process_* and nodejs_* metrics (CoreDNS exports go_* and process_*). */
  processMetrics?: boolean;
}

export class DnsMetrics {
  readonly registry = new Registry();
  server: string;

  // [zone(answered, dropped)][proto][family][type]
  private readonly requests = new Float64Array(2 * 2 * 2 * NT);
  // [rcode 0..15][source]
  private readonly responses = new Float64Array(16 * SOURCES.length);
  // [type][bucket], plus sum and count per type
  private readonly durationBuckets = new Float64Array(NT * NB);
  private readonly durationSum = new Float64Array(NT);
  private readonly durationCount = new Float64Array(NT);
  private cacheHitsSuccess = 0;
  private cacheHitsDenial = 0;
  private cacheMisses = 0;

  private readonly forwardRequests: Counter<'to'>;
  private readonly forwardResponses: Counter<'rcode' | 'to'>;
  private readonly forwardDuration: Histogram<'to' | 'rcode'>;

  constructor(opts: DnsMetricsOptions = {}) {
    this.server = opts.server ?? 'dns://:53';
    const registers = [this.registry];
    const self = this;

    new Counter({
      name: 'coredns_dns_requests_total',
      help: 'Counter of DNS requests made per zone, protocol and family.',
      labelNames: ['server', 'zone', 'view', 'proto', 'family', 'type'],
      registers,
      collect() {
        this.reset();
        self.requests.forEach((v, i) => {
          if (v === 0) return;
          const type = i % NT;
          const family = Math.floor(i / NT) % 2;
          const proto = Math.floor(i / (NT * 2)) % 2;
          const zone = Math.floor(i / (NT * 4));
          this.inc({ server: self.server, zone: zone ? 'dropped' : '.', view: '', proto: PROTOS[proto], family: FAMILIES[family], type: TYPE_NAMES[type] }, v);
        });
      },
    });

    new Counter({
      name: 'coredns_dns_responses_total',
      help: 'Counter of response status codes.',
      labelNames: ['server', 'zone', 'view', 'rcode', 'plugin'],
      registers,
      collect() {
        this.reset();
        self.responses.forEach((v, i) => {
          if (v === 0) return;
          const source = SOURCES[i % SOURCES.length]!;
          this.inc({ server: self.server, zone: '.', view: '', rcode: rcodeName(Math.floor(i / SOURCES.length)), plugin: SOURCE_LABEL[source] }, v);
        });
      },
    });

    const durationName = 'coredns_dns_request_duration_seconds';
    registers[0]!.registerMetric(
      new PrebinnedHistogram(
        { name: durationName, help: 'Histogram of the time (in seconds) each request took per zone.', labelNames: ['server', 'zone', 'view', 'type'], buckets: [...TIME_BUCKETS], registers: [] },
        () => {
          const out: BinnedSeries[] = [];
          for (let t = 0; t < NT; t++) {
            if (this.durationCount[t] === 0) continue;
            out.push({
              labels: { server: this.server, zone: '.', view: '', type: TYPE_NAMES[t]! },
              buckets: Array.from(this.durationBuckets.subarray(t * NB, (t + 1) * NB)),
              sum: this.durationSum[t]!,
              count: this.durationCount[t]!,
            });
          }
          return out;
        },
      ),
    );

    new Counter({
      name: 'coredns_cache_hits_total',
      help: 'The count of cache hits.',
      labelNames: ['server', 'type', 'zones', 'view'],
      registers,
      collect() {
        this.reset();
        if (self.cacheHitsSuccess) this.inc({ server: self.server, type: 'success', zones: '.', view: '' }, self.cacheHitsSuccess);
        if (self.cacheHitsDenial) this.inc({ server: self.server, type: 'denial', zones: '.', view: '' }, self.cacheHitsDenial);
      },
    });
    new Counter({
      name: 'coredns_cache_misses_total',
      help: 'The count of cache misses.',
      labelNames: ['server', 'zones', 'view'],
      registers,
      collect() {
        this.reset();
        if (self.cacheMisses) this.inc({ server: self.server, zones: '.', view: '' }, self.cacheMisses);
      },
    });
    new Counter({
      name: 'coredns_cache_requests_total',
      help: 'The count of cache requests.',
      labelNames: ['server', 'zones', 'view'],
      registers,
      collect() {
        this.reset();
        const n = self.cacheMisses + self.cacheHitsSuccess + self.cacheHitsDenial;
        if (n) this.inc({ server: self.server, zones: '.', view: '' }, n);
      },
    });

    this.forwardRequests = new Counter({ name: 'coredns_forward_requests_total', help: 'Counter of requests made per upstream.', labelNames: ['to'], registers });
    this.forwardResponses = new Counter({ name: 'coredns_forward_responses_total', help: 'Counter of responses received per upstream.', labelNames: ['rcode', 'to'], registers });
    this.forwardDuration = new Histogram({
      name: 'coredns_forward_request_duration_seconds',
      help: 'Histogram of the time each request took.',
      labelNames: ['to', 'rcode'],
      buckets: [...TIME_BUCKETS],
      registers,
    });

    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * One query answered (rcode ≥ 0) or dropped without an answer (rcode < 0).
   * Runs on the UDP hot path: arithmetic on preallocated arrays only.
   */
  query(tcp: boolean, ipv6: boolean, qtype: number, rcode: number, source: ReplySource, seconds: number): void {
    const t = qtype >= 0 && qtype < 256 ? TYPE_INDEX[qtype]! : OTHER;
    const dropped = rcode < 0 ? 1 : 0;
    this.requests[((dropped * 2 + (tcp ? 1 : 0)) * 2 + (ipv6 ? 1 : 0)) * NT + t]!++;
    if (dropped) return;
    this.responses[(rcode & 0xf) * SOURCES.length + SOURCE_INDEX[source]]!++;
    this.durationBuckets[t * NB + bucketIndex(seconds)]!++;
    this.durationSum[t]! += seconds;
    this.durationCount[t]!++;
  }

  /** Hooks for the Forwarder (forward.ts ForwarderHooks). */
  readonly forwarderHooks = {
    request: (u: Upstreamish): void => this.forwardRequests.inc({ to: toLabel(u) }),
    response: (u: Upstreamish, rcode: number, seconds: number): void => {
      const to = toLabel(u);
      const rc = rcodeName(rcode);
      this.forwardResponses.inc({ rcode: rc, to });
      this.forwardDuration.observe({ to, rcode: rc }, seconds);
    },
    cacheHit: (negative?: boolean): void => {
      if (negative) this.cacheHitsDenial++;
      else this.cacheHitsSuccess++;
    },
    cacheMiss: (): void => {
      this.cacheMisses++;
    },
  };

  /** The text exposition format for /metrics. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

interface BinnedSeries {
  labels: Record<'server' | 'zone' | 'view' | 'type', string>;
  /** Non-cumulative counts per bucket, the last one being +Inf. */
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * A histogram whose buckets are counted elsewhere (typed arrays on the hot
 * path) and only read at scrape time. prom-client's registry asks a metric for
 * `getForPromString()` (and `get()` builds on it), so this is the one method
 * replaced; observe() is never used.
 */
class PrebinnedHistogram extends Histogram<'server' | 'zone' | 'view' | 'type'> {
  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly bounds: readonly number[];

  constructor(
    cfg: { name: string; help: string; labelNames: ('server' | 'zone' | 'view' | 'type')[]; buckets: number[]; registers: Registry[] },
    private readonly read: () => BinnedSeries[],
  ) {
    super(cfg);
    this.metricName = cfg.name;
    this.metricHelp = cfg.help;
    this.bounds = cfg.buckets;
  }

  async getForPromString(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: { labels: Record<string, string | number>; sharedLabels: Record<string, string>; value: number; metricName: string }[];
  }> {
    const values = [];
    for (const s of this.read()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.buckets[i]!;
        values.push({ labels: { le: this.bounds[i]! }, sharedLabels: s.labels, value: acc, metricName: `${this.metricName}_bucket` });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: `${this.metricName}_bucket` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.metricName}_sum` });
      values.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.metricName}_count` });
    }
    return { name: this.metricName, help: this.metricHelp, type: 'histogram', aggregator: 'sum', values };
  }
}
