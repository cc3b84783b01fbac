// Forwarding for names outside the cluster zone (CoreDNS `forward` + `cache`):
// upstreams from a flag or resolv.conf, UDP with a per-try timeout and
// failover in order, a TCP retry when the reply is truncated, a bounded cache
// with TTL caps, and two loop guards: our own listen address is never an
// upstream, and a query carrying an ID we are waiting on (our own query come
// back to us) is answered SERVFAIL at once instead of forwarded again.
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import { randomFillSync } from 'node:crypto';
import { Rcode, RRType, type ResourceRecord } from './answer.js';
import { canonicalIp } from './parse-qname.js';
import {
  addressRecordsOf,
  questionReply,
  replyLimit,
  scanMessage,
  truncatedReply,
  type DecodedQuery,
  type ScannedMessage,
} from './wire.js';

export interface Upstream {
  host: string;
  port: number;
}

/** `1.2.3.4`, `1.2.3.4:5353`, `fd00::1`, `[fd00::1]:53`; undefined when not an address. */
export function parseUpstream(spec: string): Upstream | undefined {
  const s = spec.trim().replace(/^dns:\/\//, '');
  let host = s;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracket) {
    host = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if (s.split(':').length === 2) {
    const [h, p] = s.split(':');
    host = h!;
    port = Number(p);
  }
  const ip = canonicalIp(host.replace(/%.*$/, ''));
  if (!ip || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: ip, port };
}

/** The `nameserver` lines of a resolv.conf, in order. */
export function parseResolvConf(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const u = parseUpstream(m[1]!);
    if (u) out.push(u);
  }
  return out;
}

/** Addresses that reach this process when it listens on `listen`: never forward to these. */
export function selfAddresses(listen: Upstream): Upstream[] {
  if (listen.host !== '0.0.0.0' && listen.host !== '::') return [listen];
  const out: Upstream[] = [{ host: '127.0.0.1', port: listen.port }, { host: '::1', port: listen.port }];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      const ip = canonicalIp(a.address.replace(/%.*$/, ''));
      if (ip) out.push({ host: ip, port: listen.port });
    }
  }
  return out;
}

export interface CacheLimits {
  /** Entries per kind (positive, negative), CoreDNS's default 9984. */
  capacity: number;
  /** TTL caps in seconds: CoreDNS caps success at 3600 and denial at 1800. */
  maxTtl: number;
  maxNegativeTtl: number;
  /** Nothing is kept for less than this many seconds (CoreDNS: 5). */
  minTtl: number;
}

export const defaultCacheLimits: CacheLimits = { capacity: 9984, maxTtl: 3600, maxNegativeTtl: 1800, minTtl: 5 };

export interface ForwarderHooks {
  request?(upstream: Upstream): void;
  response?(upstream: Upstream, rcode: number, seconds: number): void;
  /** `negative`: the cached reply was NXDOMAIN or NODATA (CoreDNS's "denial" cache). */
  cacheHit?(negative: boolean): void;
  cacheMiss?(): void;
  loopDetected?(q: DecodedQuery): void;
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** Addresses of this server itself; upstreams equal to one are dropped. */
  self?: Upstream[];
  /** Per-try timeout (ms); each upstream is tried once per query. */
  timeoutMs?: number;
  cache?: Partial<CacheLimits>;
  udpPayloadSize?: number;
  hooks?: ForwarderHooks;
  now?: () => number;
}

interface Pending {
  key: string;
  /** Index of the upstream asked. */
  up: number;
  name: string;
  type: number;
  resolve(b: Buffer | undefined): void;
  timer: NodeJS.Timeout;
}

interface CacheEntry {
  bytes: Buffer;
  storedAt: number;
  expiresAt: number;
  ttlAts: number[];
  negative: boolean;
}

const sameUpstream = (a: Upstream, b: Upstream) => a.host === b.host && a.port === b.port;

export class Forwarder {
  readonly upstreams: Upstream[];
  readonly dropped: Upstream[];
  private readonly timeoutMs: number;
  private readonly limits: CacheLimits;
  private readonly hooks: ForwarderHooks;
  private readonly now: () => number;
  private readonly udpPayloadSize: number;
  private readonly sockets = new Map<number, { sock: dgram.Socket; ready: Promise<void> }>();
  private readonly pending = new Map<number, Pending>();
  private readonly cache = new Map<string, CacheEntry>();
  private negativeCount = 0;
  private preferred = 0;
  private idPool = new Uint16Array(256);
  private idNext = 256;

  constructor(opts: ForwarderOptions) {
    const self = opts.self ?? [];
    this.upstreams = opts.upstreams.filter((u) => !self.some((s) => sameUpstream(s, u)));
    this.dropped = opts.upstreams.filter((u) => self.some((s) => sameUpstream(s, u)));
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.limits = { ...defaultCacheLimits, ...opts.cache };
    this.hooks = opts.hooks ?? {};
    this.now = opts.now ?? (() => Date.now() / 1000);
    this.udpPayloadSize = opts.udpPayloadSize ?? 1232;
  }

  /** True when `q` is one of our own forwarded queries that came back: a forwarding loop. */
  isLoop(q: DecodedQuery): boolean {
    const p = this.pending.get(q.id);
    const loop = p !== undefined && p.key === q.key;
    if (loop) this.hooks.loopDetected?.(q);
    return loop;
  }

  /** A reply for the client: from the cache, from an upstream, or SERVFAIL when none answers. */
  async forward(q: DecodedQuery, msg: Uint8Array, transport: 'udp' | 'tcp'): Promise<Buffer> {
    return (await this.forwardReply(q, msg, transport)).bytes;
  }

  /** As forward(), also saying whether the reply came from the cache (the metrics' `plugin` label). */
  async forwardReply(q: DecodedQuery, msg: Uint8Array, transport: 'udp' | 'tcp'): Promise<{ bytes: Buffer; cached: boolean }> {
    const ck = `${q.key}|${q.edns ? (q.edns.dnssecOk ? 'do' : 'e') : ''}|${q.flags & 0x10}`;
    const hit = this.fromCache(ck, q);
    if (hit) {
      this.hooks.cacheHit?.(hit.negative);
      return { bytes: this.fitFor(hit.bytes, q, transport), cached: true };
    }
    this.hooks.cacheMiss?.();
    const reply = await this.exchange(q, msg);
    if (!reply) return { bytes: questionReply(q, Rcode.SERVFAIL, this.udpPayloadSize), cached: false };
    this.store(ck, reply.bytes, reply.scan);
    const out = Buffer.from(reply.bytes);
    out.writeUInt16BE(q.id, 0);
    return { bytes: this.fitFor(out, q, transport), cached: false };
  }

  /** The A/AAAA/CNAME records upstream has for `name` (ExternalName targets); [] on failure. */
  async lookup(name: string, type: number): Promise<ResourceRecord[]> {
    const q = buildQuery(name, type, this.udpPayloadSize);
    const raw = q.subarray(12, q.length - 11);
    const dq: DecodedQuery = {
      id: 0,
      flags: 0x0100,
      name,
      type,
      class: 1,
      key: `${raw.subarray(0, raw.length - 4).toString('latin1').toLowerCase()}|${type}|1`,
      questionEnd: 12 + raw.length,
      raw,
      edns: { udpSize: this.udpPayloadSize, version: 0, dnssecOk: false },
    };
    const reply = await this.exchange(dq, q);
    return reply ? addressRecordsOf(reply.bytes, reply.scan) : [];
  }

  close(): void {
    for (const s of this.sockets.values()) s.sock.close();
    this.sockets.clear();
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
  }

  private fitFor(reply: Buffer, q: DecodedQuery, transport: 'udp' | 'tcp'): Buffer {
    if (reply.length <= replyLimit(q, transport, this.udpPayloadSize)) return reply;
    const m = scanMessage(reply);
    return m ? truncatedReply(reply, m) : questionReply(q, Rcode.SERVFAIL, this.udpPayloadSize);
  }

  private async exchange(q: DecodedQuery, msg: Uint8Array): Promise<{ bytes: Buffer; scan: ScannedMessage } | undefined> {
    const n = this.upstreams.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.preferred + i) % n;
      const up = this.upstreams[idx]!;
      const started = this.now();
      this.hooks.request?.(up);
      let bytes = await this.udpExchange(idx, q, msg);
      let scan = bytes ? scanMessage(bytes) : undefined;
      if (bytes && scan?.truncated) {
        bytes = await this.tcpExchange(up, q, msg);
        scan = bytes ? scanMessage(bytes) : undefined;
      }
      if (bytes && scan) {
        this.hooks.response?.(up, scan.rcode, this.now() - started);
        this.preferred = idx;
        return { bytes, scan };
      }
    }
    return undefined;
  }

  private nextId(): number {
    for (let tries = 0; tries < 8; tries++) {
      if (this.idNext >= this.idPool.length) {
        randomFillSync(this.idPool);
        this.idNext = 0;
      }
      const id = this.idPool[this.idNext++]!;
      if (!this.pending.has(id)) return id;
    }
    return -1;
  }

  private socketFor(idx: number): { sock: dgram.Socket; ready: Promise<void> } {
    const have = this.sockets.get(idx);
    if (have) return have;
    const up = this.upstreams[idx]!;
    const sock = dgram.createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
    // A connected socket hears ICMP "port unreachable", so a dead upstream fails fast.
    const ready = new Promise<void>((resolve) => sock.connect(up.port, up.host, () => resolve()));
    sock.on('message', (b) => this.onUdpMessage(b));
    sock.on('error', () => {
      sock.close();
      this.sockets.delete(idx);
      for (const [id, p] of this.pending) {
        if (p.up === idx) {
          clearTimeout(p.timer);
          this.pending.delete(id);
          p.resolve(undefined);
        }
      }
    });
    const entry = { sock, ready };
    this.sockets.set(idx, entry);
    return entry;
  }

  private onUdpMessage(b: Buffer): void {
    if (b.length < 12) return;
    const p = this.pending.get(b.readUInt16BE(0));
    if (!p) return;
    const m = scanMessage(b);
    // Only a reply to the question we asked counts (RFC 5452).
    if (!m || !(b[2]! & 0x80) || m.questionName.toLowerCase() !== p.name || m.questionType !== p.type) return;
    clearTimeout(p.timer);
    this.pending.delete(b.readUInt16BE(0));
    p.resolve(b);
  }

  private udpExchange(idx: number, q: DecodedQuery, msg: Uint8Array): Promise<Buffer | undefined> {
    const id = this.nextId();
    if (id < 0) return Promise.resolve(undefined);
    const out = Buffer.from(msg);
    out.writeUInt16BE(id, 0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, this.timeoutMs);
      timer.unref();
      // The key doubles as the loop fingerprint: an incoming query with this ID and question is ours.
      this.pending.set(id, { key: q.key, up: idx, name: q.name.toLowerCase(), type: q.type, resolve, timer });
      const { sock, ready } = this.socketFor(idx);
      const fail = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(undefined);
      };
      void ready.then(() => {
        try {
          sock.send(out, (err) => err && fail());
        } catch {
          fail(); // the socket closed after an error in the meantime
        }
      });
    });
  }

  private tcpExchange(up: Upstream, q: DecodedQuery, msg: Uint8Array): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const id = q.id;
      let got = Buffer.alloc(0);
      const sock = net.connect({ host: up.host, port: up.port });
      const done = (b: Buffer | undefined) => {
        sock.destroy();
        resolve(b);
      };
      sock.setTimeout(this.timeoutMs, () => done(undefined));
      sock.on('error', () => done(undefined));
      sock.on('connect', () => {
        const frame = Buffer.alloc(2 + msg.length);
        frame.writeUInt16BE(msg.length, 0);
        frame.set(msg, 2);
        frame.writeUInt16BE(id, 2);
        sock.write(frame);
      });
      sock.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) done(got.subarray(2, 2 + got.readUInt16BE(0)));
      });
      sock.on('end', () => done(undefined));
    });
  }

  // ---- cache ----

  private store(key: string, bytes: Buffer, m: ScannedMessage): void {
    if (m.truncated || (m.rcode !== Rcode.NOERROR && m.rcode !== Rcode.NXDOMAIN)) return;
    const answers = m.records.filter((r) => r.section === 0);
    const negative = m.rcode === Rcode.NXDOMAIN || answers.length === 0;
    let ttl: number;
    if (negative) {
      const soa = m.records.find((r) => r.section === 1 && r.type === RRType.SOA);
      if (!soa) return;
      // RFC 2308: the negative TTL is the smaller of the SOA's TTL and its MINIMUM field.
      const minimum = bytes.readUInt32BE(soa.rdataAt + soa.rdlength - 4);
      ttl = Math.min(soa.ttl, minimum, this.limits.maxNegativeTtl);
    } else {
      ttl = Math.min(...m.records.filter((r) => r.type !== RRType.OPT).map((r) => r.ttl), this.limits.maxTtl);
    }
    ttl = Math.max(ttl, this.limits.minTtl);
    const count = negative ? this.negativeCount : this.cache.size - this.negativeCount;
    if (count >= this.limits.capacity) this.evictOne(negative);
    const now = this.now();
    const ttlAts = m.records.filter((r) => r.type !== RRType.OPT).map((r) => r.ttlAt);
    const old = this.cache.get(key);
    if (old?.negative) this.negativeCount--;
    this.cache.set(key, { bytes: Buffer.from(bytes), storedAt: now, expiresAt: now + ttl, ttlAts, negative });
    if (negative) this.negativeCount++;
  }

  private evictOne(negative: boolean): void {
    for (const [k, e] of this.cache) {
      if (e.negative !== negative) continue;
      this.cache.delete(k);
      if (negative) this.negativeCount--;
      return;
    }
  }

  private fromCache(key: string, q: DecodedQuery): { bytes: Buffer; negative: boolean } | undefined {
    const e = this.cache.get(key);
    if (!e) return undefined;
    const now = this.now();
    if (now >= e.expiresAt) {
      this.cache.delete(key);
      if (e.negative) this.negativeCount--;
      return undefined;
    }
    const out = Buffer.from(e.bytes);
    out.writeUInt16BE(q.id, 0);
    // Same lowercased question, so the same length: put the asker's spelling back.
    out.set(q.raw, 12);
    const elapsed = Math.floor(now - e.storedAt);
    for (const at of e.ttlAts) out.writeUInt32BE(Math.max(0, out.readUInt32BE(at) - elapsed), at);
    return { bytes: out, negative: e.negative };
  }
}

/** A recursive query with EDNS for `name`/`type` (the alias chase asks upstream itself). */
export function buildQuery(name: string, type: number, udpPayload: number): Buffer {
  const labels = name.replace(/\.$/, '').split('.').filter((l) => l.length > 0);
  const qlen = labels.reduce((n, l) => n + Buffer.byteLength(l) + 1, 1);
  const out = Buffer.alloc(12 + qlen + 4 + 11);
  out.writeUInt16BE(0x0100, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(1, 10);
  let o = 12;
  for (const l of labels) {
    const b = Buffer.from(l).subarray(0, 63);
    out[o++] = b.length;
    b.copy(out, o);
    o += b.length;
  }
  out[o++] = 0;
  out.writeUInt16BE(type, o);
  out.writeUInt16BE(1, o + 2);
  o += 4;
  out[o] = 0;
  out.writeUInt16BE(RRType.OPT, o + 1);
  out.writeUInt16BE(udpPayload, o + 3);
  return out;
}
