// The proxy's two HTTP endpoints, as kube-proxy has them: /healthz and
// /livez on the healthz address (:10256), and /metrics plus /proxyMode on
// the metrics address (127.0.0.1:10249).
import http from 'node:http';
import type { Registry } from 'prom-client';
import type { HealthStatus } from './proxy-health.js';

export interface ProxyServersOptions {
  /** "host:port"; empty string disables the server. */
  readonly healthzBindAddress: string;
  readonly metricsBindAddress: string;
  readonly health: () => HealthStatus;
  readonly registry: Registry;
  readonly proxyMode: string;
}

export interface ProxyServers {
  /** Bound addresses ("host:port"), e.g. to learn the port after binding :0. */
  readonly healthz?: string;
  readonly metrics?: string;
  close(): Promise<void>;
}

export function splitHostPort(flag: string, value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  const host = i < 0 ? '' : value.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(i < 0 ? value : value.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag}: "${value}" is not host:port`);
  return { host: host === '' ? '0.0.0.0' : host, port };
}

function listen(server: http.Server, flag: string, addr: string): Promise<string> {
  const { host, port } = splitHostPort(flag, addr);
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`${flag} ${addr}: ${e.message}`)));
    server.listen(port, host, () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? `${a.address}:${a.port}` : addr);
    });
  });
}

export async function startProxyServers(o: ProxyServersOptions): Promise<ProxyServers> {
  const servers: http.Server[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
  try {
    let healthz: string | undefined;
    let metrics: string | undefined;
    if (o.healthzBindAddress !== '') {
      const s = http.createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path !== '/healthz' && path !== '/livez') {
          res.writeHead(404).end('404 page not found\n');
          return;
        }
        const st = o.health();
        res.writeHead(st.healthy ? 200 : 503, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' });
        res.end(JSON.stringify(st.body));
      });
      servers.push(s);
      healthz = await listen(s, '--healthz-bind-address', o.healthzBindAddress);
    }
    if (o.metricsBindAddress !== '') {
      const s = http.createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (path === '/metrics') {
          o.registry.metrics().then(
            (text) => res.writeHead(200, { 'Content-Type': o.registry.contentType }).end(text),
            (e: unknown) => res.writeHead(500).end(String(e)),
          );
        } else if (path === '/proxyMode') {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(o.proxyMode);
        } else if (path === '/healthz') {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
        } else {
          res.writeHead(404).end('404 page not found\n');
        }
      });
      servers.push(s);
      metrics = await listen(s, '--metrics-bind-address', o.metricsBindAddress);
    }
    return { ...(healthz ? { healthz } : {}), ...(metrics ? { metrics } : {}), close };
  } catch (e) {
    await close();
    throw e;
  }
}
