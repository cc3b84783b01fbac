// The demo's load generator: an open-loop client that sends GETs at a fixed
// rate (request i leaves at i/rate seconds, whether or not earlier ones have
// answered, so a stalled backend cannot slow the load down and hide its own
// latency) and reports one JSON line per request. Every request opens a new
// TCP connection (`agent: false`, `Connection: close`): short-lived clients
// are what a per-connection balancer (the iptables proxy) spreads evenly.
//
// How the target is chosen per mode:
// - url:      a fixed URL (a ClusterIP, or the sidecar on 127.0.0.1:15001).
// - dns:      a name's A records from one DNS server (the "global" DNS in front
//             of two clusters' entry points), one record at random per request.
// - headless: the same against the cluster DNS (a headless Service's pod IPs).
// DNS answers are cached by us, not by the OS: until the reply's smallest TTL
// runs out (at least `minTtlS`, 1 s, so a TTL of 0 cannot turn every request
// into a lookup); then the next request triggers one lookup that all requests
// in the meantime wait for (so they never use an expired record). A failed
// lookup is remembered for `minTtlS` and fails the requests in that time.
// A request's latency includes that wait, as it would for a real client.
import http from 'node:http';
import type { Upstream } from '../dns/forward.js';
import { DnsQueryError, queryA, type AResult } from './dns-client.js';

export type LoadMode = 'url' | 'dns' | 'headless';

/** First line of a run: the wall-clock origin of every `t` below and the parameters. */
export interface StartLine {
  t: 0;
  /** Date.now() at t = 0: the orchestrator maps its kill/add times onto `t` with it. */
  startedAt: number;
  mode: LoadMode;
  rate: number;
  durationS: number;
  timeoutMs: number;
  /** The URL, or `name:port` in the DNS modes. */
  target: string;
}

/** One request. */
export interface RequestSample {
  /** Send time, ms since start. */
  t: number;
  /** Latency until the whole response was read (or until the failure), ms. */
  ms: number;
  /** True for a complete 2xx response. */
  ok: boolean;
  /** The answering pod (`x-pod-name`), null when there was no response or no header. */
  backend: string | null;
  /** The answering pod's IP (`x-pod-ip`). */
  podIp: string | null;
  /** Where we connected: `ip:port`. */
  target: string;
  /** The sidecar's chosen upstream (`x-lb-upstream`), when present. */
  upstream?: string;
  status?: number;
  /** ECONNREFUSED, ECONNRESET, EHOSTUNREACH, timeout, HTTP 503, dns: NXDOMAIN, dns: no addresses, … */
  err?: string;
}

/** A lookup in the DNS modes (its result, or `err` when it failed). */
export interface ResolutionEvent {
  t: number;
  resolved: string[];
  /** TTL of the answer in seconds as the server sent it (the cache uses max(ttl, minTtlS)). */
  ttl: number;
  /** How long the lookup took, ms. */
  ms: number;
  err?: string;
}

export type LoadgenLine = StartLine | RequestSample | ResolutionEvent;

export const isStartLine = (l: LoadgenLine): l is StartLine => 'startedAt' in l;
export const isResolution = (l: LoadgenLine): l is ResolutionEvent => 'resolved' in l;
export const isRequestSample = (l: LoadgenLine): l is RequestSample => 'ok' in l && 'target' in l;

/** Parses one output line; undefined for anything that is not a loadgen line (e.g. a stray log). */
export function parseLoadgenLine(line: string): LoadgenLine | undefined {
  const s = line.trim();
  if (!s.startsWith('{')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || typeof (v as { t?: unknown }).t !== 'number') return undefined;
  const l = v as LoadgenLine;
  return isStartLine(l) || isResolution(l) || isRequestSample(l) ? l : undefined;
}

export interface LoadgenOptions {
  mode: LoadMode;
  /** url mode. */
  url?: string;
  /** dns/headless modes: the name to resolve, the port to connect to and the DNS server to ask. */
  name?: string;
  port?: number;
  dnsServer?: Upstream;
  /** Requests per second (open loop). */
  rate: number;
  durationS: number;
  timeoutMs: number;
  /** Floor for cached TTLs, seconds (default 1). */
  minTtlS?: number;
  emit(line: LoadgenLine): void;
  /** Stops sending early (in-flight requests still finish). */
  signal?: AbortSignal;
  /** For tests: the record picker (default Math.random). */
  random?: () => number;
}

/** Caches one name's A records until their TTL runs out; one lookup at a time. */
export class ResolvedAddresses {
  private ips: string[] = [];
  private error: string | undefined;
  private expiresAt = -Infinity;
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly lookup: () => Promise<AResult>,
    private readonly now: () => number,
    private readonly minTtlS: number,
    private readonly onLookup: (e: ResolutionEvent) => void,
  ) {}

  /** The current addresses; throws DnsQueryError when the (cached) lookup failed or found none. */
  async get(): Promise<string[]> {
    while (this.now() >= this.expiresAt) {
      this.inflight ??= this.refresh().finally(() => (this.inflight = undefined));
      await this.inflight;
    }
    if (this.error) throw new DnsQueryError(this.error);
    if (this.ips.length === 0) throw new DnsQueryError('no addresses');
    return this.ips;
  }

  private async refresh(): Promise<void> {
    const started = this.now();
    try {
      const r = await this.lookup();
      this.ips = r.ips;
      this.error = undefined;
      this.expiresAt = this.now() + Math.max(r.ttl, this.minTtlS) * 1000;
      this.onLookup({ t: started, resolved: r.ips, ttl: r.ttl, ms: this.now() - started });
    } catch (e) {
      this.ips = [];
      this.error = errorCode(e);
      this.expiresAt = this.now() + this.minTtlS * 1000;
      this.onLookup({ t: started, resolved: [], ttl: 0, ms: this.now() - started, err: this.error });
    }
  }
}

/** A short, stable name for a failure: the errno code when there is one. */
export function errorCode(e: unknown): string {
  if (e instanceof DnsQueryError) return e.code;
  if (e && typeof e === 'object' && 'code' in e && typeof (e as { code: unknown }).code === 'string') return (e as { code: string }).code;
  return e instanceof Error ? e.message : String(e);
}

interface HttpOutcome {
  status: number;
  backend: string | null;
  podIp: string | null;
  upstream: string | undefined;
}

const header = (v: string | string[] | undefined): string | null => (Array.isArray(v) ? (v[0] ?? null) : (v ?? null));

/** One GET on a fresh connection; rejects with an errno-coded error or `timeout` after `timeoutMs`. */
export function getOnce(host: string, port: number, path: string, hostHeader: string, timeoutMs: number): Promise<HttpOutcome> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method: 'GET', agent: false, headers: { host: hostHeader, connection: 'close' } });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })), timeoutMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.on('response', (res) => {
      res.on('error', () => {}); // the request's error handler reports it
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          backend: header(res.headers['x-pod-name']),
          podIp: header(res.headers['x-pod-ip']),
          upstream: header(res.headers['x-lb-upstream']) ?? undefined,
        });
      });
    });
    req.end();
  });
}

function fail(opts: LoadgenOptions, msg: string): never {
  throw new Error(`loadgen: ${msg} (mode ${opts.mode})`);
}

/** Runs the load for `durationS` (or until `signal`), emitting lines; resolves when every request has finished. */
export async function runLoad(opts: LoadgenOptions): Promise<void> {
  if (!(opts.rate > 0)) fail(opts, '--rate must be > 0');
  if (!(opts.durationS > 0)) fail(opts, '--duration must be > 0');
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const round = (v: number) => Math.round(v * 1000) / 1000;
  const random = opts.random ?? Math.random;

  let pickTarget: () => Promise<{ host: string; port: number }>;
  let path = '/';
  let hostHeader: string;
  let targetLabel: string;
  if (opts.mode === 'url') {
    if (!opts.url) fail(opts, '--url is required');
    const u = new URL(opts.url);
    if (u.protocol !== 'http:') fail(opts, 'only http:// URLs');
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = u.port ? Number(u.port) : 80;
    path = u.pathname + u.search;
    hostHeader = u.host;
    targetLabel = opts.url;
    pickTarget = async () => ({ host, port });
  } else {
    const { name, port, dnsServer } = opts;
    if (!name) fail(opts, '--name is required');
    if (!port) fail(opts, '--port is required');
    if (!dnsServer) fail(opts, 'no DNS server (--dns-server, or a nameserver in /etc/resolv.conf)');
    hostHeader = name;
    targetLabel = `${name}:${port}`;
    const cache = new ResolvedAddresses(
      () => queryA(dnsServer, name, opts.timeoutMs),
      now,
      opts.minTtlS ?? 1,
      (e) => opts.emit({ ...e, t: round(e.t), ms: round(e.ms) }),
    );
    pickTarget = async () => {
      const ips = await cache.get();
      return { host: ips[Math.min(ips.length - 1, Math.floor(random() * ips.length))]!, port };
    };
  }

  opts.emit({ t: 0, startedAt: Math.round(Date.now() - now()), mode: opts.mode, rate: opts.rate, durationS: opts.durationS, timeoutMs: opts.timeoutMs, target: targetLabel });

  const one = async (): Promise<void> => {
    const t = now();
    let target = '';
    try {
      const dst = await pickTarget();
      target = dst.host.includes(':') ? `[${dst.host}]:${dst.port}` : `${dst.host}:${dst.port}`;
      const r = await getOnce(dst.host, dst.port, path, hostHeader, Math.max(1, opts.timeoutMs - (now() - t)));
      const ok = r.status >= 200 && r.status < 300;
      const s: RequestSample = { t: round(t), ms: round(now() - t), ok, backend: r.backend, podIp: r.podIp, target, status: r.status };
      if (r.upstream !== undefined) s.upstream = r.upstream;
      if (!ok) s.err = `HTTP ${r.status}`;
      opts.emit(s);
    } catch (e) {
      const code = errorCode(e);
      opts.emit({ t: round(t), ms: round(now() - t), ok: false, backend: null, podIp: null, target, err: e instanceof DnsQueryError ? `dns: ${code}` : code });
    }
  };

  const interval = 1000 / opts.rate;
  const endAt = opts.durationS * 1000;
  const inflight = new Set<Promise<void>>();
  for (let i = 0; ; i++) {
    const due = i * interval;
    if (due >= endAt || opts.signal?.aborted) break;
    const wait = due - now();
    // Behind schedule (a busy event loop) means send at once: the open loop catches up.
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (opts.signal?.aborted) break;
    const p = one();
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  }
  await Promise.all(inflight);
}
