// The IO shell of the cluster DNS: UDP and TCP listeners on one address and
// port that hand raw queries to the DnsResponder (pure decode → answer →
// encode) and send back what it returns. Names outside the zone go to the
// forwarder. TCP uses 2-byte length framing, answers pipelined queries as
// they complete, and closes idle connections.
import dgram from 'node:dgram';
import net from 'node:net';
import { Rcode, type ResourceRecord } from './answer.js';
import type { ReplySource } from './metrics.js';
import { questionReply, type DecodedQuery, type DnsResponder, type WireOutcome } from './wire.js';

/** What the server needs from a forwarder (forward.ts's Forwarder, or a stub in tests). */
export interface ForwarderLike {
  forward(q: DecodedQuery, msg: Uint8Array, transport: 'udp' | 'tcp'): Promise<Buffer>;
  /** Like forward, also telling whether the reply came from a cache; used for metrics when present. */
  forwardReply?(q: DecodedQuery, msg: Uint8Array, transport: 'udp' | 'tcp'): Promise<{ bytes: Buffer; cached: boolean }>;
  lookup(name: string, type: number): Promise<ResourceRecord[]>;
  isLoop?(q: DecodedQuery): boolean;
}

export interface ServerHooks {
  /**
   * Called once per query; on the UDP fast path synchronously before the reply
   * is sent, so it must only count (metrics.ts DnsMetrics.query). `rcode` is
   * -1 for a query dropped without a reply; `qtype` is 0 when undecodable.
   */
  query?(tcp: boolean, ipv6: boolean, qtype: number, rcode: number, source: ReplySource, seconds: number): void;
  error?(err: Error): void;
}

export interface DnsServerOptions {
  address: string;
  port: number;
  responder: DnsResponder;
  forwarder?: ForwarderLike;
  /** Close a TCP connection after this long without a query (RFC 7766 suggests seconds). */
  tcpIdleTimeoutMs?: number;
  maxTcpConnections?: number;
  hooks?: ServerHooks;
}

export class DnsServer {
  private udp: dgram.Socket | undefined;
  private tcp: net.Server | undefined;
  private readonly conns = new Set<net.Socket>();
  private readonly opts: Required<Omit<DnsServerOptions, 'forwarder' | 'hooks'>> & Pick<DnsServerOptions, 'forwarder' | 'hooks'>;

  constructor(opts: DnsServerOptions) {
    this.opts = { tcpIdleTimeoutMs: 10_000, maxTcpConnections: 1000, ...opts };
  }

  /** Binds UDP and TCP on the same port (port 0 picks one free for both). */
  async start(): Promise<{ address: string; port: number }> {
    const family = this.opts.address.includes(':') ? 'udp6' : 'udp4';
    for (let attempt = 0; ; attempt++) {
      const udp = dgram.createSocket({ type: family, reuseAddr: false });
      const port = await new Promise<number>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.opts.port, this.opts.address, () => resolve(udp.address().port));
      });
      try {
        this.tcp = await this.listenTcp(port);
        this.udp = udp;
        udp.removeAllListeners('error');
        udp.on('error', (e) => this.opts.hooks?.error?.(e));
        udp.on('message', (msg, rinfo) => this.onUdp(msg, rinfo));
        return { address: this.opts.address, port };
      } catch (e) {
        udp.close();
        if (this.opts.port !== 0 || attempt >= 5) throw e;
      }
    }
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    this.conns.clear();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
    this.udp = undefined;
    this.tcp = undefined;
  }

  private listenTcp(port: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const srv = net.createServer((sock) => this.onTcpConnection(sock));
      srv.maxConnections = this.opts.maxTcpConnections;
      srv.once('error', reject);
      srv.listen({ port, host: this.opts.address }, () => {
        srv.removeListener('error', reject);
        srv.on('error', (e) => this.opts.hooks?.error?.(e));
        resolve(srv);
      });
    });
  }

  /** One query through the responder and, when needed, the forwarder; never rejects. */
  private async handle(msg: Buffer, transport: 'udp' | 'tcp', ipv6: boolean, started: number, decided?: WireOutcome): Promise<Buffer | undefined> {
    let outcome: WireOutcome;
    let reply: Buffer | undefined;
    let source: ReplySource = 'kubernetes';
    let qtype = 0;
    try {
      outcome = decided ?? this.opts.responder.respond(msg, transport);
      switch (outcome.kind) {
        case 'reply':
          reply = outcome.bytes;
          qtype = outcome.qtype;
          if (!outcome.decoded) source = 'server';
          break;
        case 'drop':
          break;
        case 'next': {
          const f = this.opts.forwarder;
          qtype = outcome.query.type;
          source = 'forward';
          if (!f) reply = questionReply(outcome.query, Rcode.REFUSED);
          else if (f.isLoop?.(outcome.query)) reply = questionReply(outcome.query, Rcode.SERVFAIL);
          else if (f.forwardReply) {
            const r = await f.forwardReply(outcome.query, msg, transport);
            reply = r.bytes;
            if (r.cached) source = 'cache';
          } else reply = await f.forward(outcome.query, msg, transport);
          break;
        }
        case 'chase': {
          const c = outcome.answer.chase!;
          qtype = outcome.query.type;
          const extra = this.opts.forwarder ? await this.opts.forwarder.lookup(c.name, c.type) : [];
          reply = this.opts.responder.completeChase(outcome.query, outcome.answer, extra, transport);
          break;
        }
      }
    } catch (e) {
      // Never expected; keep serving and say what happened.
      this.opts.hooks?.error?.(e as Error);
      return undefined;
    }
    this.opts.hooks?.query?.(
      transport === 'tcp',
      ipv6,
      qtype,
      reply && reply.length >= 4 ? reply[3]! & 0xf : -1,
      source,
      (performance.now() - started) / 1000,
    );
    return reply;
  }

  private onUdp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    // Cluster names are answered synchronously: no promise on the hot path.
    const started = performance.now();
    let outcome: WireOutcome;
    try {
      outcome = this.opts.responder.respond(msg, 'udp');
    } catch (e) {
      this.opts.hooks?.error?.(e as Error);
      return;
    }
    if (outcome.kind === 'reply') {
      this.opts.hooks?.query?.(false, rinfo.family === 'IPv6', outcome.qtype, outcome.rcode, outcome.decoded ? 'kubernetes' : 'server', (performance.now() - started) / 1000);
      this.udp?.send(outcome.bytes, rinfo.port, rinfo.address);
      return;
    }
    if (outcome.kind === 'drop') {
      this.opts.hooks?.query?.(false, rinfo.family === 'IPv6', 0, -1, 'server', 0);
      return;
    }
    void this.handle(msg, 'udp', rinfo.family === 'IPv6', started, outcome).then((reply) => {
      if (reply) this.udp?.send(reply, rinfo.port, rinfo.address);
    });
  }

  private onTcpConnection(sock: net.Socket): void {
    this.conns.add(sock);
    sock.setNoDelay(true);
    sock.setTimeout(this.opts.tcpIdleTimeoutMs, () => sock.destroy());
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        // Pipelined queries are answered as each completes (RFC 7766 §6.2.1.1); IDs tell them apart.
        void this.handle(Buffer.from(msg), 'tcp', sock.remoteFamily === 'IPv6', performance.now()).then((reply) => {
          if (!reply || sock.destroyed) return;
          const frame = Buffer.allocUnsafe(2 + reply.length);
          frame.writeUInt16BE(reply.length, 0);
          reply.copy(frame, 2);
          sock.write(frame);
        });
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => this.conns.delete(sock));
  }
}
