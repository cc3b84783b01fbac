// Whether every node's service proxy has programmed its rules at least once.
// A pod that connects to a ClusterIP before that gets a conntrack entry
// without DNAT, and its retransmits keep following that entry after the rules
// appear: the connection hangs until the client gives up (the lab's cluster
// DNS, started too early, lost a minute this way on its first list of the
// API). So `up` starts its own pods only after this.
import type { LabConfig } from './lab-config.js';
import { formatSeconds } from './progress.js';

/** kube-proxy's healthz port; the lab's proxies keep the default. */
export const PROXY_HEALTHZ_PORT = 10256;

/** From the /healthz JSON body: `lastUpdated` stays at the epoch until the first successful sync. Pure. */
export function proxyHasSynced(body: string): boolean {
  try {
    const v = (JSON.parse(body) as { lastUpdated?: unknown }).lastUpdated;
    return typeof v === 'string' && Date.parse(v) > 0;
  } catch {
    return false;
  }
}

async function synced(ip: string): Promise<boolean> {
  try {
    const r = await fetch(`http://${ip}:${PROXY_HEALTHZ_PORT}/healthz`, { signal: AbortSignal.timeout(2000) });
    return proxyHasSynced(await r.text());
  } catch {
    return false;
  }
}

/** Polls each node's proxy healthz over the underlay until all have synced once. */
export async function waitForProxiesSynced(cfg: LabConfig, opts: { timeoutMs: number; detail: (d: string) => void }): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const states = await Promise.all(cfg.nodes.map(async (n) => ({ name: n.name, ok: await synced(n.ip) })));
    const waiting = states.filter((s) => !s.ok).map((s) => s.name);
    opts.detail(`${states.length - waiting.length}/${states.length}`);
    if (waiting.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`the service proxy of ${waiting.join(', ')} did not sync within ${formatSeconds(opts.timeoutMs)} (http://<node>:${PROXY_HEALTHZ_PORT}/healthz lastUpdated stays at the epoch)`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
