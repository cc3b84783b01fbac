// The data path: a node:http reverse proxy that sends each request straight to
// one upstream pod (no Service IP, no iptables), with a keep-alive agent per
// upstream. Each answer carries `x-lb-upstream: <ip:port>` (`none` when there
// was no endpoint at all).
// Failure handling, and where it differs from Envoy's defaults:
//   - no endpoint → 503 at once (Envoy: 503 "no healthy upstream").
//   - connect failure (refused, unreachable, connect timeout) → retried on
//     another endpoint up to `retries` times (Envoy retries nothing unless a
//     retry policy says so; Linkerd retries nothing by default either — but a
//     failed connect sent no bytes, so it is always safe). A keep-alive socket
//     the upstream had already closed counts as a connect failure for a
//     request without a body (Node's advice for `reusedSocket`).
//   - any other failure before the answer → 503 from the sidecar, like
//     Envoy's "upstream connect error or disconnect/reset before headers".
//   - failure after the answer started → the downstream connection is reset.
//   - no answer (headers) within `responseTimeoutMs` → 504 and one error for
//     outlier detection, not retried (Envoy's route timeout, 15 s by default,
//     also covers the body; ours stops at the headers).
//   - no WebSocket/CONNECT/Upgrade.
import http from 'node:http';
import type { Upstream } from './endpoints.js';
import type { OutlierDetector } from './outlier.js';
import type { Picker } from './picker.js';
import type { SidecarStats } from './stats.js';
import type { UpstreamPool } from './upstream-pool.js';

export const UPSTREAM_HEADER = 'x-lb-upstream';

/** Connection-level headers a proxy must not forward (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

export interface ProxyDeps {
  pool: UpstreamPool;
  picker: Picker;
  outlier: OutlierDetector;
  stats: SidecarStats;
  retries: number;
  connectTimeoutMs: number;
  /** Time from sending a request to its answer's headers; 0 = none. */
  responseTimeoutMs: number;
  /** What the 503 for "no endpoint" names, e.g. "default/web:http". */
  target: string;
  log: (line: string) => void;
}

function forwardable(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set((String(headers['connection'] ?? '')).toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k) && !named.has(k)) out[k] = v;
  }
  return out;
}

function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

const GATEWAY_ERRORS = new Set([502, 503, 504]);

class ConnectTimeoutError extends Error {
  readonly code = 'ECONNECTTIMEOUT';
}

class ResponseTimeoutError extends Error {
  readonly code = 'ERESPONSETIMEOUT';
}

/** Answers with the proxy's own error (only while nothing was sent downstream). */
function reply(res: http.ServerResponse, status: number, upstream: string, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain', [UPSTREAM_HEADER]: upstream }).end(`${text}\n`);
}

export function createProxyHandler(d: ProxyDeps): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    d.stats.requests++;
    const tried = new Set<string>();
    let downstreamGone = false;
    res.once('close', () => (downstreamGone = !res.writableFinished));

    const attempt = (retriesLeft: number): void => {
      const u: Upstream | undefined = d.picker.pick(d.pool.candidates(tried));
      if (!u) {
        if (tried.size === 0) {
          d.stats.noUpstream++;
          reply(res, 503, 'none', `lb-sidecar: no ready endpoint for ${d.target}`);
        }
        return;
      }
      tried.add(u.address);
      const counters = d.stats.of(u.address);
      counters.requests++;
      counters.active++;
      let connected = false;
      let answered = false;
      let reused = false;

      const preq = http.request({
        host: u.ip,
        port: u.port,
        method: req.method,
        path: req.url,
        headers: forwardable(req.headers),
        agent: d.pool.agent(u.address),
      });
      const responseTimer =
        d.responseTimeoutMs > 0
          ? setTimeout(() => preq.destroy(new ResponseTimeoutError(`no answer within ${d.responseTimeoutMs} ms`)), d.responseTimeoutMs)
          : undefined;
      preq.once('close', () => {
        clearTimeout(responseTimer);
        counters.active--;
      });
      // The body is streamed only once the connection stands, so a failed
      // connect leaves it unread and the request can go to another endpoint.
      const sendBody = (): void => {
        connected = true;
        // A retry after a stale keep-alive socket finds a body-less request already read to its end.
        if (req.readableEnded) preq.end();
        else req.pipe(preq);
      };
      preq.once('socket', (sock) => {
        reused = preq.reusedSocket;
        if (!sock.connecting) return sendBody();
        const timer = setTimeout(() => preq.destroy(new ConnectTimeoutError(`connect timeout after ${d.connectTimeoutMs} ms`)), d.connectTimeoutMs);
        sock.once('connect', () => {
          clearTimeout(timer);
          sendBody();
        });
        sock.once('close', () => clearTimeout(timer));
      });

      preq.once('response', (pres) => {
        answered = true;
        clearTimeout(responseTimer);
        const status = pres.statusCode ?? 502;
        if (GATEWAY_ERRORS.has(status)) fail(u);
        else d.outlier.recordSuccess(u.address);
        if (downstreamGone) {
          pres.resume();
          return;
        }
        res.writeHead(status, pres.statusMessage, { ...forwardable(pres.headers), [UPSTREAM_HEADER]: u.address });
        pres.pipe(res);
        pres.once('aborted', () => res.destroy());
        pres.once('error', () => res.destroy());
      });

      preq.once('error', (err: NodeJS.ErrnoException) => {
        if (answered) {
          res.destroy();
          return;
        }
        fail(u);
        if (downstreamGone) return;
        const staleSocket = reused && !hasBody(req) && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
        const retriable = !connected || staleSocket;
        if (retriable && retriesLeft > 0 && d.pool.candidates(tried).length > 0) {
          d.stats.retries++;
          attempt(retriesLeft - 1);
          return;
        }
        d.stats.upstreamFailed++;
        if (err instanceof ResponseTimeoutError) reply(res, 504, u.address, `lb-sidecar: upstream ${u.address}: ${err.message}`);
        else reply(res, 503, u.address, `lb-sidecar: upstream ${u.address} failed before answering: ${err.code ?? err.message}`);
      });

      res.once('close', () => {
        if (!res.writableFinished) preq.destroy();
      });
    };

    const fail = (u: Upstream): void => {
      d.stats.of(u.address).failures++;
      if (d.outlier.recordError(u.address)) {
        d.stats.of(u.address).ejections++;
        const { ejectedUntil, timesEjected } = d.outlier.stateOf(u.address);
        d.log(`ejected ${u.address} for ${(ejectedUntil ?? Date.now()) - Date.now()} ms (ejection #${timesEjected})`);
      }
    };

    attempt(d.retries);
  };
}
