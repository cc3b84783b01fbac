// Health checks for the global DNS name, as a DNS load balancer (Route 53,
// a GSLB) does them: every interval, a TCP connect to each entry point's
// port; `fall` failures in a row take its A record out of the answers, `rise`
// successes put it back. When every entry point is down all records are
// served (fail open), as Route 53 does. The DNS answer changes at once;
// clients notice only when their cached answer's TTL runs out.
import net from 'node:net';
import type { GlobalDns } from './global-dns.js';

export interface HealthCheckOptions {
  name: string;
  ips: readonly string[];
  port: number;
  intervalMs?: number;
  timeoutMs?: number;
  fall?: number;
  rise?: number;
}

export interface HealthChange {
  /** Date.now() when the record set changed. */
  at: number;
  ip: string;
  healthy: boolean;
}

export interface HealthChecks {
  /** Every change of an entry point's health so far. */
  readonly changes: readonly HealthChange[];
  /** Resolves at the first change of `ip` to `healthy` after this call; undefined when stopped or aborted first. */
  until(ip: string, healthy: boolean, signal?: AbortSignal): Promise<HealthChange | undefined>;
  stop(): void;
}

export function tcpConnects(ip: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ip, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.once('connect', () => done(true));
    s.once('timeout', () => done(false));
    s.once('error', () => done(false));
  });
}

export function startHealthChecks(dns: GlobalDns, o: HealthCheckOptions, probe = tcpConnects): HealthChecks {
  const fall = o.fall ?? 2;
  const rise = o.rise ?? 1;
  const healthy = new Map(o.ips.map((ip) => [ip, true]));
  const streak = new Map(o.ips.map((ip) => [ip, 0]));
  const changes: HealthChange[] = [];
  const waiters = new Set<() => void>();
  let stopped = false;

  const publish = () => {
    const up = o.ips.filter((ip) => healthy.get(ip));
    dns.setRecords(o.name, up.length > 0 ? up : o.ips);
  };
  const round = async () => {
    const results = await Promise.all(o.ips.map(async (ip) => [ip, await probe(ip, o.port, o.timeoutMs ?? 500)] as const));
    let changed = false;
    for (const [ip, ok] of results) {
      // streak counts consecutive results that disagree with the current state.
      const n = ok === healthy.get(ip) ? 0 : streak.get(ip)! + 1;
      streak.set(ip, n);
      if (n >= (ok ? rise : fall)) {
        healthy.set(ip, ok);
        streak.set(ip, 0);
        changes.push({ at: Date.now(), ip, healthy: ok });
        changed = true;
      }
    }
    if (changed) {
      publish();
      for (const w of [...waiters]) w();
    }
  };
  const loop = async () => {
    while (!stopped) {
      const t0 = Date.now();
      await round();
      await new Promise((r) => setTimeout(r, Math.max(0, (o.intervalMs ?? 1000) - (Date.now() - t0))));
    }
  };
  void loop();

  return {
    changes,
    until(ip, want, signal) {
      const since = changes.length;
      return new Promise((resolve) => {
        const check = () => {
          const hit = changes.slice(since).find((c) => c.ip === ip && c.healthy === want);
          if (hit || signal?.aborted || stopped) {
            waiters.delete(check);
            resolve(hit);
          }
        };
        waiters.add(check);
        signal?.addEventListener('abort', check, { once: true });
        check();
      });
    },
    stop() {
      stopped = true;
      for (const w of [...waiters]) w();
    },
  };
}
