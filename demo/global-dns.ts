// The "global" DNS of the demo's DNS load balancing: a tiny authoritative
// server for one zone whose names carry the A records of several clusters'
// entry points (node IPs behind a pinned NodePort). It answers A queries for
// configured names with a fixed, short TTL, NODATA for other types of those
// names, NXDOMAIN for other names in the zone, REFUSED outside it and FORMERR
// on malformed queries. Decoding and encoding reuse the cluster DNS's wire
// helpers (dns/wire.ts); only the zone lookup (`answerGlobal`) is new.
import dgram from 'node:dgram';
import net from 'node:net';
import { Rcode, RRClass, RRType, type Answer, type ResourceRecord } from '../dns/answer.js';
import { buildTemplate, decodeQuery, questionReply, renderReply, replyLimit, type DecodedQuery } from '../dns/wire.js';

export const DEFAULT_GLOBAL_TTL = 5;

export interface GlobalZone {
  /** Lowercase, no trailing dot, e.g. `demo.netkube`. */
  zone: string;
  /** Lowercase fully qualified name (no trailing dot) → IPv4 addresses. An empty list is NODATA. */
  records: ReadonlyMap<string, readonly string[]>;
  ttl: number;
  /** SOA serial; bumped on every change so secondaries (none here) and humans can tell. */
  serial: number;
}

const normalize = (name: string) => name.toLowerCase().replace(/\.$/, '');

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith('.' + zone);
}

function soaOf(z: GlobalZone): ResourceRecord {
  return {
    name: z.zone,
    ttl: z.ttl,
    type: RRType.SOA,
    mname: `ns.${z.zone}`,
    rname: `hostmaster.${z.zone}`,
    serial: z.serial,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    // Negative answers are cached for this long (RFC 2308): as short as the positive TTL.
    minimum: z.ttl,
  };
}

/** The pure lookup: the records of the reply to (name, type, class) in zone `z`. */
export function answerGlobal(q: { name: string; type: number; class: number }, z: GlobalZone): Answer {
  const name = normalize(q.name);
  const empty = { answer: [], authority: [], additional: [] };
  if (!inZone(name, z.zone) || (q.class !== RRClass.IN && q.class !== RRClass.ANY)) {
    return { rcode: Rcode.REFUSED, authoritative: false, ...empty };
  }
  const negative = (rcode: number): Answer => ({ rcode, authoritative: true, answer: [], authority: [soaOf(z)], additional: [] });
  if (name === z.zone) {
    if (q.type === RRType.SOA || q.type === RRType.ANY) return { rcode: Rcode.NOERROR, authoritative: true, ...empty, answer: [soaOf(z)] };
    return negative(Rcode.NOERROR);
  }
  const ips = z.records.get(name);
  if (ips === undefined) {
    // A name with configured names below it exists (an empty non-terminal): NODATA, not NXDOMAIN.
    for (const n of z.records.keys()) if (n.endsWith('.' + name)) return negative(Rcode.NOERROR);
    return negative(Rcode.NXDOMAIN);
  }
  if ((q.type !== RRType.A && q.type !== RRType.ANY) || ips.length === 0) return negative(Rcode.NOERROR);
  const answer: ResourceRecord[] = ips.map((address) => ({ name, ttl: z.ttl, type: RRType.A, address }));
  return { rcode: Rcode.NOERROR, authoritative: true, answer, authority: [], additional: [], rotatable: { start: 0, count: answer.length } };
}

/** Raw query bytes → raw reply bytes (undefined: drop, as for responses or a short header). */
export function respondGlobal(msg: Uint8Array, transport: 'udp' | 'tcp', z: GlobalZone, rotation: number): Buffer | undefined {
  const d = decodeQuery(msg);
  if (!d.ok) return d.reply;
  const q: DecodedQuery = d.query;
  const a = answerGlobal(q, z);
  if (a.rcode === Rcode.REFUSED) return questionReply(q, Rcode.REFUSED);
  const t = buildTemplate(a, q.raw.subarray(0, q.raw.length - 4));
  return renderReply(q, t, replyLimit(q, transport), rotation);
}

export interface GlobalDnsOptions {
  /** Listen address (default 127.0.0.1). */
  host?: string;
  /** 0 (default) picks a free port for both UDP and TCP. */
  port?: number;
  zone: string;
  /** Name (relative to nothing: fully qualified, no trailing dot needed) → IPv4 addresses. */
  records: ReadonlyMap<string, readonly string[]> | Record<string, readonly string[]>;
  /** Seconds (default 5). */
  ttl?: number;
}

export interface GlobalDns {
  host: string;
  port: number;
  /** Replaces the addresses of `name` (the next query sees them; clients follow after their TTL). */
  setRecords(name: string, ips: readonly string[]): void;
  /** Queries answered so far (for tests and the demo's narration). */
  queries(): number;
  close(): Promise<void>;
}

/** Starts the server on UDP and TCP (same port). */
export async function startGlobalDns(opts: GlobalDnsOptions): Promise<GlobalDns> {
  const host = opts.host ?? '127.0.0.1';
  const zoneName = normalize(opts.zone);
  const records = new Map<string, readonly string[]>();
  const entries = opts.records instanceof Map ? [...opts.records] : Object.entries(opts.records);
  for (const [n, ips] of entries) records.set(normalize(n), [...ips]);
  const zone: GlobalZone = { zone: zoneName, records, ttl: opts.ttl ?? DEFAULT_GLOBAL_TTL, serial: Math.floor(Date.now() / 1000) };
  for (const n of records.keys()) if (!inZone(n, zoneName)) throw new Error(`global-dns: ${n} is outside zone ${zoneName}`);
  let rotation = 0;
  let answered = 0;
  const respond = (msg: Uint8Array, transport: 'udp' | 'tcp') => {
    const r = respondGlobal(msg, transport, zone, rotation++);
    if (r) answered++;
    return r;
  };

  const udp = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const port = await new Promise<number>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(opts.port ?? 0, host, () => {
      udp.removeListener('error', reject);
      resolve(udp.address().port);
    });
  });
  udp.on('error', () => {}); // a bad peer must not take the server down
  udp.on('message', (msg, rinfo) => {
    const r = respond(msg, 'udp');
    if (r) udp.send(r, rinfo.port, rinfo.address);
  });

  const conns = new Set<net.Socket>();
  const tcp = net.createServer((sock) => {
    conns.add(sock);
    sock.setTimeout(10_000, () => sock.destroy());
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const r = respond(buf.subarray(2, 2 + len), 'tcp');
        buf = buf.subarray(2 + len);
        if (!r) continue;
        const frame = Buffer.alloc(2 + r.length);
        frame.writeUInt16BE(r.length, 0);
        r.copy(frame, 2);
        sock.write(frame);
      }
    });
    sock.on('error', () => sock.destroy());
    sock.on('close', () => conns.delete(sock));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen({ port, host }, () => {
        tcp.removeListener('error', reject);
        resolve();
      });
    });
  } catch (e) {
    udp.close();
    throw e;
  }

  return {
    host,
    port,
    setRecords(name, ips) {
      const n = normalize(name);
      if (!inZone(n, zoneName)) throw new Error(`global-dns: ${n} is outside zone ${zoneName}`);
      records.set(n, [...ips]);
      zone.serial++;
    },
    queries: () => answered,
    async close() {
      for (const c of conns) c.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
