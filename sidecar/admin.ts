// The admin listener, Envoy-style but JSON only: GET /stats and GET /ready.
//   /ready  200 "ready" once the first list of EndpointSlices (and the Service,
//           when --port is a number) is in, else 503. Like Envoy's /ready it
//           does not depend on there being endpoints.
//   /stats  the SidecarStatsReport below.
import http from 'node:http';
import type { OutlierDetector, OutlierOptions } from './outlier.js';
import type { Policy } from './picker.js';
import type { SidecarStats, UpstreamCounters } from './stats.js';
import type { UpstreamPool } from './upstream-pool.js';

export interface UpstreamReport extends UpstreamCounters {
  consecutiveErrors: number;
  timesEjected: number;
  ejected: boolean;
  /** Milliseconds left in the current ejection; 0 when not ejected. */
  ejectedForMs: number;
}

export interface SidecarStatsReport {
  /** "namespace/name" */
  service: string;
  /** --port as given */
  port: string;
  /** The EndpointSlice port name it resolved to (null while the Service is unknown). */
  slicePort: string | null;
  policy: Policy;
  synced: boolean;
  /** Ready endpoints, in order ("ip:port"). */
  endpoints: string[];
  /** The subset ejected right now. */
  ejected: string[];
  upstreams: Record<string, UpstreamReport>;
  /** Counters of endpoints that have left the set. */
  departed: Record<string, UpstreamCounters>;
  totals: { requests: number; retries: number; noUpstream: number; upstreamFailed: number };
  outlier: OutlierOptions;
  retries: number;
}

export interface AdminSource {
  service: string;
  port: string;
  slicePort(): string | undefined;
  policy: Policy;
  synced(): boolean;
  pool: UpstreamPool;
  outlier: OutlierDetector;
  stats: SidecarStats;
  retries: number;
}

export function statsReport(s: AdminSource, now: number = Date.now()): SidecarStatsReport {
  const endpoints = s.pool.upstreams.map((u) => u.address);
  const current = new Set(endpoints);
  const upstreams: Record<string, UpstreamReport> = {};
  for (const a of endpoints) {
    const o = s.outlier.stateOf(a);
    upstreams[a] = {
      ...s.stats.of(a),
      consecutiveErrors: o.consecutiveErrors,
      timesEjected: o.timesEjected,
      ejected: o.ejectedUntil !== undefined,
      ejectedForMs: o.ejectedUntil !== undefined ? Math.max(0, o.ejectedUntil - now) : 0,
    };
  }
  const departed: Record<string, UpstreamCounters> = {};
  for (const [a, c] of s.stats.upstreams) if (!current.has(a)) departed[a] = { ...c };
  return {
    service: s.service,
    port: s.port,
    slicePort: s.slicePort() ?? null,
    policy: s.policy,
    synced: s.synced(),
    endpoints,
    ejected: endpoints.filter((a) => upstreams[a]!.ejected),
    upstreams,
    departed,
    totals: { requests: s.stats.requests, retries: s.stats.retries, noUpstream: s.stats.noUpstream, upstreamFailed: s.stats.upstreamFailed },
    outlier: { ...s.outlier.opts },
    retries: s.retries,
  };
}

export function createAdminHandler(s: AdminSource): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    } else if (path === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(statsReport(s), null, 2) + '\n');
    } else if (path === '/ready') {
      const ok = s.synced();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not synced\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /stats or /ready\n');
    }
  };
}
