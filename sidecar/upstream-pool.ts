// The live upstream set with a keep-alive agent per upstream. Envoy keeps a
// connection pool per host; so do we, through node:http agents. An upstream
// that leaves the set has its agent retired (idle sockets closed; requests
// in flight on it finish, then their sockets close).
import http from 'node:http';
import type { Upstream } from './endpoints.js';
import type { OutlierDetector } from './outlier.js';

/**
 * Closes an agent's idle sockets and every socket that becomes idle later,
 * without cutting requests in flight (agent.destroy() would): a pod that turns
 * not-ready is drained, not reset.
 */
function retire(agent: http.Agent): void {
  for (const list of Object.values(agent.freeSockets)) for (const s of list ?? []) s.destroy();
  agent.on('free', (socket) => socket.destroy());
}

export class UpstreamPool {
  private list: readonly Upstream[] = [];
  private readonly agents = new Map<string, http.Agent>();

  constructor(private readonly outlier: OutlierDetector) {}

  get upstreams(): readonly Upstream[] {
    return this.list;
  }

  set(upstreams: readonly Upstream[]): void {
    this.list = upstreams;
    const keep = new Set(upstreams.map((u) => u.address));
    for (const [a, agent] of this.agents) {
      if (!keep.has(a)) {
        retire(agent);
        this.agents.delete(a);
      }
    }
    this.outlier.setUpstreams([...keep]);
  }

  agent(address: string): http.Agent {
    let a = this.agents.get(address);
    if (!a) {
      a = new http.Agent({ keepAlive: true, keepAliveMsecs: 10_000, scheduling: 'lifo' });
      this.agents.set(address, a);
    }
    return a;
  }

  /**
   * Who may get the next attempt: upstreams not ejected and not already tried
   * for this request. When outlier detection ejected every remaining one, all
   * are candidates again — Envoy's panic mode (it starts at < 50 % healthy; we
   * only when none is).
   */
  candidates(tried: ReadonlySet<string>): Upstream[] {
    const untried = this.list.filter((u) => !tried.has(u.address));
    const healthy = untried.filter((u) => !this.outlier.isEjected(u.address));
    return healthy.length > 0 ? healthy : untried;
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}
