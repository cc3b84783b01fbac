// One HTTP server per healthCheckNodePort (externalTrafficPolicy: Local):
// load balancers probe it to learn whether this node has local endpoints for
// the Service. 200 with the count when it has, 503 when not, in kube-proxy's
// JSON shape. sync() opens, updates and closes servers to match the snapshot.
import http from 'node:http';

export interface HealthCheckService {
  /** `namespace/name` */
  readonly service: string;
  readonly port: number;
  readonly localEndpoints: number;
}

interface Entry {
  state: HealthCheckService;
  server: http.Server;
}

export class HealthCheckServers {
  private readonly servers = new Map<number, Entry>();

  constructor(
    private readonly opts: {
      bindAddress?: string;
      /** Whether the proxy itself is healthy (kube-proxy reports it as serviceProxyHealthy). */
      proxyHealthy?: () => boolean;
      log?: (msg: string) => void;
    } = {},
  ) {}

  /** Makes the open servers match `want` (one per port). Errors opening a port are logged, retried next sync. */
  async sync(want: readonly HealthCheckService[]): Promise<void> {
    const byPort = new Map(want.map((w) => [w.port, w]));
    for (const [port, e] of this.servers) {
      if (!byPort.has(port)) {
        this.servers.delete(port);
        await new Promise<void>((r) => e.server.close(() => r()));
      }
    }
    for (const w of byPort.values()) {
      const existing = this.servers.get(w.port);
      if (existing) {
        existing.state = w;
        continue;
      }
      const entry: Entry = { state: w, server: http.createServer((req, res) => this.answer(entry, res)) };
      try {
        await new Promise<void>((resolve, reject) => {
          entry.server.once('error', reject);
          entry.server.listen(w.port, this.opts.bindAddress ?? '0.0.0.0', () => {
            entry.server.off('error', reject);
            resolve();
          });
        });
        this.servers.set(w.port, entry);
      } catch (e) {
        this.opts.log?.(`proxy: healthCheckNodePort ${w.port} of Service ${w.service}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private answer(entry: Entry, res: http.ServerResponse): void {
    const { service, localEndpoints } = entry.state;
    const slash = service.indexOf('/');
    const proxyHealthy = this.opts.proxyHealthy?.() ?? true;
    const body = JSON.stringify({
      service: { namespace: service.slice(0, slash), name: service.slice(slash + 1) },
      localEndpoints,
      serviceProxyHealthy: proxyHealthy,
    });
    res.writeHead(localEndpoints > 0 && proxyHealthy ? 200 : 503, {
      'Content-Type': 'application/json',
      'X-Content-Type-Options': 'nosniff',
    });
    res.end(body);
  }

  ports(): number[] {
    return [...this.servers.keys()].sort((a, b) => a - b);
  }

  async close(): Promise<void> {
    await this.sync([]);
  }
}
