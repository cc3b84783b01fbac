// The cluster DNS's HTTP side, as CoreDNS's health, ready and prometheus
// plugins serve it: GET /health (200 "OK" while the process serves), GET
// /ready (503 naming what is not ready, 200 "OK" once the zone has synced with
// the API) and GET /metrics (Prometheus text). Each endpoint has its own
// address, as in CoreDNS (:8080, :8181, :9153); endpoints given the same
// address share one listener. `respondTo` is the pure routing, `startHttpEndpoints` the sockets.
import http from 'node:http';

export type EndpointPath = '/health' | '/ready' | '/metrics';

export interface HttpEndpoint {
  path: EndpointPath;
  /** '' = every address. */
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface StatusSource {
  healthy(): boolean;
  /** Names of what is not ready yet (CoreDNS lists plugins); empty = ready. */
  notReady(): string[];
  metrics(): Promise<{ body: string; contentType: string }>;
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: string;
}

const text = (status: number, body: string): HttpReply => ({ status, contentType: 'text/plain; charset=utf-8', body });

/** What a request for `path` on a listener serving `served` gets. */
export async function respondTo(method: string, path: string, served: ReadonlySet<EndpointPath>, status: StatusSource): Promise<HttpReply> {
  const p = path.split('?')[0] as EndpointPath;
  if (!served.has(p)) return text(404, '404 page not found\n');
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'method not allowed\n');
  switch (p) {
    case '/health':
      return status.healthy() ? text(200, 'OK') : text(503, 'shutting down');
    case '/ready': {
      const missing = status.notReady();
      return missing.length === 0 ? text(200, 'OK') : text(503, missing.join(', '));
    }
    case '/metrics': {
      const m = await status.metrics();
      return { status: 200, contentType: m.contentType, body: m.body };
    }
  }
}

/** `:9153`, `127.0.0.1:9153`, `[::1]:9153` → host and port; undefined when malformed. */
export function parseListenAddress(spec: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(spec.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? '', port };
}

export interface RunningHttpEndpoints {
  /** Where each endpoint ended up listening, e.g. http://127.0.0.1:8080/health. */
  readonly urls: Record<EndpointPath, string | undefined>;
  close(): Promise<void>;
}

export async function startHttpEndpoints(endpoints: readonly HttpEndpoint[], status: StatusSource): Promise<RunningHttpEndpoints> {
  // Same fixed address → one listener; port 0 always gets its own.
  const groups = new Map<string, { host: string; port: number; paths: Set<EndpointPath> }>();
  endpoints.forEach((e, i) => {
    const k = e.port === 0 ? `#${i}` : `${e.host}|${e.port}`;
    const g = groups.get(k) ?? { host: e.host, port: e.port, paths: new Set<EndpointPath>() };
    g.paths.add(e.path);
    groups.set(k, g);
  });
  const servers: http.Server[] = [];
  const urls: Record<EndpointPath, string | undefined> = { '/health': undefined, '/ready': undefined, '/metrics': undefined };
  const closeAll = () => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined);
  try {
    for (const g of groups.values()) {
      const srv = http.createServer((req, res) => {
        respondTo(req.method ?? 'GET', req.url ?? '/', g.paths, status).then(
          (r) => {
            res.writeHead(r.status, { 'content-type': r.contentType, 'content-length': Buffer.byteLength(r.body) });
            res.end(req.method === 'HEAD' ? undefined : r.body);
          },
          (err: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
            res.end(`${err instanceof Error ? err.message : String(err)}\n`);
          },
        );
      });
      // Probes and scrapes are short; do not let idle keep-alive sockets hold shutdown up.
      srv.keepAliveTimeout = 5000;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ port: g.port, ...(g.host ? { host: g.host } : {}) }, () => {
          srv.removeListener('error', reject);
          resolve();
        });
      });
      servers.push(srv);
      const a = srv.address();
      const port = typeof a === 'object' && a ? a.port : g.port;
      const host = g.host === '' ? '0.0.0.0' : g.host.includes(':') ? `[${g.host}]` : g.host;
      for (const p of g.paths) urls[p] = `http://${host}:${port}${p}`;
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  return {
    urls,
    async close() {
      for (const s of servers) s.closeAllConnections();
      await closeAll();
    },
  };
}
