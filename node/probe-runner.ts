// Runs one probe, the kubelet's way: httpGet and tcpSocket connect from the
// node to the pod's IP (the node routes to its pods over the CNI bridge),
// exec runs the command inside the container's namespaces. A probe that
// does not answer within timeoutSeconds fails.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Container, Probe } from '../kube/api/core.js';
import { execInContainer } from './container-process.js';

export interface ProbeTarget {
  podIP: string;
  container: Container;
  pid: number;
  env: Record<string, string>;
}

export interface ProbeOutcome {
  ok: boolean;
  /** Why it failed, for the Unhealthy event (the kubelet's wording). */
  message: string;
}

/** A named port ("http") resolves through the container's ports. */
export function resolveProbePort(port: number | string, c: Container): number | undefined {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  return c.ports?.find((p) => p.name === port)?.containerPort;
}

export async function runProbe(p: Probe, t: ProbeTarget, timeoutMs: number): Promise<ProbeOutcome> {
  if (p.exec) {
    const argv = p.exec.command ?? [];
    if (argv.length === 0) return { ok: false, message: 'exec probe has no command' };
    const r = await execInContainer(t.pid, argv, t.env, timeoutMs);
    return r.code === 0 ? { ok: true, message: '' } : { ok: false, message: r.code === -1 ? `command timed out or could not run: ${r.output.trim()}` : `command ${JSON.stringify(argv.join(' '))} exited with ${r.code}: ${r.output.trim().slice(0, 200)}` };
  }
  if (p.tcpSocket) {
    const port = resolveProbePort(p.tcpSocket.port, t.container);
    if (port === undefined) return { ok: false, message: `port ${p.tcpSocket.port} is not a container port` };
    const host = p.tcpSocket.host || t.podIP;
    return new Promise((resolve) => {
      const sock = net.connect({ host, port, timeout: timeoutMs });
      const done = (o: ProbeOutcome): void => {
        sock.destroy();
        resolve(o);
      };
      sock.once('connect', () => done({ ok: true, message: '' }));
      sock.once('timeout', () => done({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` }));
      sock.once('error', (e) => done({ ok: false, message: `dial tcp ${host}:${port}: ${e.message}` }));
    });
  }
  if (p.httpGet) {
    const g = p.httpGet;
    const port = resolveProbePort(g.port, t.container);
    if (port === undefined) return { ok: false, message: `port ${g.port} is not a container port` };
    const host = g.host || t.podIP;
    const lib = g.scheme === 'HTTPS' ? https : http;
    const path = g.path || '/';
    const url = `${g.scheme === 'HTTPS' ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
    const headers: Record<string, string> = { 'User-Agent': 'kube-probe/1.32', Accept: '*/*' };
    for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
    return new Promise((resolve) => {
      const req = lib.get(url, { headers, timeout: timeoutMs, agent: false, rejectUnauthorized: false }, (res) => {
        res.resume();
        const code = res.statusCode ?? 0;
        resolve(code >= 200 && code < 400 ? { ok: true, message: '' } : { ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      });
      req.once('timeout', () => req.destroy(new Error(`Get "${url}": context deadline exceeded`)));
      req.once('error', (e) => resolve({ ok: false, message: e.message.startsWith('Get ') ? e.message : `Get "${url}": ${e.message}` }));
    });
  }
  return { ok: false, message: 'probe has no handler (httpGet, tcpSocket or exec)' };
}
