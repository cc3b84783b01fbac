// A request/response round-trip probe for bench/overlay: one persistent TCP
// connection to a line echo server (netkube/echo's TCP port answers every
// line), one line out, wait for one line back, repeated. TCP, not ICMP, so a
// ClusterIP round trip goes through the Service DNAT like real traffic.
//
// Run inside a namespace (the bench does `nsenter --net=… node tcp-ping-pong.js`):
//   node dist/bench/tcp-ping-pong.js --host 10.96.0.20 --port 9000 [--count 2000] [--warmup 200]
// prints {"samplesMs":[…]} on stdout.
import net from 'node:net';
import { pathToFileURL } from 'node:url';

export interface PingPongOptions {
  host: string;
  port: number;
  count: number;
  /** Round trips done first and not recorded (connection, conntrack and caches settle). */
  warmup: number;
  /** How long to keep retrying the first connect (the server or the Service may still be coming up). */
  connectTimeoutMs: number;
}

/** Round-trip times in milliseconds, one per recorded request/response. */
export async function pingPong(o: PingPongOptions): Promise<number[]> {
  const socket = await connectWithRetry(o.host, o.port, o.connectTimeoutMs);
  socket.setNoDelay(true);
  try {
    const lines = lineReader(socket);
    const samples: number[] = [];
    for (let i = 0; i < o.warmup + o.count; i++) {
      const t0 = performance.now();
      socket.write(`p${i}\n`);
      await lines.next();
      if (i >= o.warmup) samples.push(performance.now() - t0);
    }
    return samples;
  } finally {
    socket.destroy();
  }
}

async function connectWithRetry(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect({ host, port, timeout: 2_000 });
        s.once('connect', () => {
          s.setTimeout(0);
          resolve(s);
        });
        s.once('timeout', () => s.destroy(new Error(`connect ${host}:${port} timed out`)));
        s.once('error', reject);
      });
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** next() resolves with each complete line the socket receives, in order. */
function lineReader(socket: net.Socket): { next(): Promise<string> } {
  let buf = '';
  const ready: string[] = [];
  let waiter: { resolve: (l: string) => void; reject: (e: Error) => void } | undefined;
  let failure: Error | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      ready.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
    if (waiter && ready.length) {
      const w = waiter;
      waiter = undefined;
      w.resolve(ready.shift()!);
    }
  });
  const fail = (e: Error) => {
    failure = e;
    waiter?.reject(e);
    waiter = undefined;
  };
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the echo server closed the connection')));
  return {
    next: () => {
      if (ready.length) return Promise.resolve(ready.shift()!);
      if (failure) return Promise.reject(failure);
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
  };
}

function flag(name: string, dflt?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? process.argv[i + 1] : dflt;
  if (v === undefined) throw new Error(`--${name} is required`);
  return v;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  pingPong({
    host: flag('host'),
    port: Number(flag('port', '9000')),
    count: Number(flag('count', '2000')),
    warmup: Number(flag('warmup', '200')),
    connectTimeoutMs: Number(flag('connect-timeout-ms', '15000')),
  }).then(
    (samplesMs) => process.stdout.write(`${JSON.stringify({ samplesMs })}\n`),
    (e: unknown) => {
      process.stderr.write(`tcp-ping-pong: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
