// The agent's HTTPS endpoint on :10250, as far as the API server's pods/log
// needs it: GET /containerLogs/<namespace>/<pod>/<container> with follow,
// tailLines, timestamps, previous, sinceSeconds/sinceTime and limitBytes;
// plus /healthz.
import { open, readFile, stat } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { formatLogs, parseLogOptions, parseSizeIndex, type SizeAt } from './log-read.js';

export interface LogFileRef {
  file: string;
  /** (size, time) index; see log-read.ts. */
  indexFile: string;
  startedAtMs: number;
  /** True while the process may still write to the file (follow keeps going). */
  running(): boolean;
}

export interface LogSource {
  find(namespace: string, pod: string, container: string, previous: boolean): LogFileRef | { code: number; message: string };
}

export interface LogServer {
  port: number;
  close(): Promise<void>;
}

const FOLLOW_POLL_MS = 200;

async function readIndex(path: string): Promise<SizeAt[]> {
  try {
    return parseSizeIndex(await readFile(path, 'utf8'));
  } catch {
    return [];
  }
}

async function readFrom(file: string, offset: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buf = Buffer.alloc(size - offset);
    const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function startLogServer(opts: { host: string; port: number; certPem: string; keyPem: string; source: LogSource; log: (m: string) => void }): Promise<LogServer> {
  const open = new Set<() => void>();
  const server = https.createServer({ cert: opts.certPem, key: opts.keyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://node');
    if (url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`${req.method} ${url.pathname}: not found\n`);
      return;
    }
    const [ns, pod, container] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
    void serveLogs(ns, pod, container, url.searchParams, req, res).catch((e: unknown) => {
      opts.log(`containerLogs ${ns}/${pod}/${container}: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`);
      else res.destroy();
    });
  });

  async function serveLogs(ns: string, pod: string, container: string, q: URLSearchParams, req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    let o: ReturnType<typeof parseLogOptions>;
    try {
      o = parseLogOptions(q, Date.now());
    } catch (e) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`${(e as Error).message}\n`);
      return;
    }
    const found = opts.source.find(ns, pod, container, o.previous);
    if ('code' in found) {
      res.writeHead(found.code, { 'content-type': 'text/plain' }).end(`${found.message}\n`);
      return;
    }
    let size = 0;
    try {
      size = (await stat(found.file)).size;
    } catch {
      // no output yet
    }
    const first = size > 0 ? await readFrom(found.file, 0) : Buffer.alloc(0);
    const index = await readIndex(found.indexFile);
    const text = formatLogs(first.toString('utf8'), 0, o, index, found.startedAtMs);
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    res.write(text);
    let sent = Buffer.byteLength(text);
    let offset = first.length;
    if (!o.follow || (o.limitBytes !== undefined && sent >= o.limitBytes)) {
      res.end();
      return;
    }
    let closed = false;
    const stop = (): void => {
      closed = true;
    };
    open.add(stop);
    req.on('close', stop);
    try {
      // Follow until the container stops writing (or the client goes away).
      while (!closed) {
        const running = found.running();
        const more = await readFrom(found.file, offset).catch(() => Buffer.alloc(0));
        if (more.length > 0) {
          const idx = o.timestamps ? await readIndex(found.indexFile) : [];
          let chunk = formatLogs(more.toString('utf8'), offset, { ...(o.timestamps ? { timestamps: true } : {}) }, idx, Date.now());
          if (o.limitBytes !== undefined) chunk = Buffer.from(chunk).subarray(0, Math.max(0, o.limitBytes - sent)).toString();
          offset += more.length;
          sent += Buffer.byteLength(chunk);
          res.write(chunk);
          if (o.limitBytes !== undefined && sent >= o.limitBytes) break;
        } else if (!running) break;
        await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
      }
    } finally {
      open.delete(stop);
      res.end();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of open) s();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
