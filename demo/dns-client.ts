// A stub resolver for one question, as the demo's clients need it: ask one
// server for a name's A records over UDP (TCP when the reply is truncated)
// and return the addresses with the smallest TTL among them. The query comes
// from the forwarder's encoder and the reply is read with the cluster DNS's
// wire scanner, so the load generator shares the project's DNS code.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { Rcode, RRType } from '../dns/answer.js';
import { buildQuery, type Upstream } from '../dns/forward.js';
import { addressRecordsOf, scanMessage } from '../dns/wire.js';

export interface AResult {
  /** IPv4 addresses in the order the server sent them. */
  ips: string[];
  /** Smallest TTL of the A records (seconds); the negative TTL (SOA minimum) or 0 when there are none. */
  ttl: number;
}

export class DnsQueryError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

const RCODE_NAMES: Record<number, string> = { 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED' };

/** Reads an A reply to query `id`; throws DnsQueryError on a bad reply or an error rcode. */
export function parseAReply(bytes: Uint8Array, id: number): AResult & { truncated: boolean } {
  const m = scanMessage(bytes);
  if (!m || m.id !== id || (m.flags & 0x8000) === 0) throw new DnsQueryError('bad reply');
  if (m.truncated) return { ips: [], ttl: 0, truncated: true };
  if (m.rcode !== Rcode.NOERROR) throw new DnsQueryError(RCODE_NAMES[m.rcode] ?? `rcode ${m.rcode}`);
  const ips: string[] = [];
  let ttl = Infinity;
  for (const r of addressRecordsOf(bytes, m)) {
    if (r.type !== RRType.A) continue;
    ips.push(r.address);
    ttl = Math.min(ttl, r.ttl);
  }
  if (ips.length === 0) {
    // NODATA: cache it as long as the SOA in the authority section says (RFC 2308), if any.
    const soa = m.records.find((r) => r.section === 1 && r.type === RRType.SOA);
    return { ips, ttl: soa ? soa.ttl : 0, truncated: false };
  }
  return { ips, ttl, truncated: false };
}

function udpExchange(server: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    const done = (err: Error | undefined, reply?: Buffer) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new DnsQueryError('timeout')), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('message', (msg, rinfo) => {
      // Ignore strays (a spoofer or a late answer): only our ID from the server we asked.
      if (msg.length < 2 || msg.readUInt16BE(0) !== id || rinfo.port !== server.port) return;
      done(undefined, msg);
    });
    sock.send(query, server.port, server.host);
  });
}

function tcpExchange(server: Upstream, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: server.host, port: server.port });
    let buf: Buffer = Buffer.alloc(0);
    const done = (err: Error | undefined, reply?: Buffer) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(reply!);
    };
    const timer = setTimeout(() => done(new DnsQueryError('timeout')), timeoutMs);
    sock.on('error', (e) => done(e));
    sock.on('connect', () => {
      const frame = Buffer.alloc(2 + query.length);
      frame.writeUInt16BE(query.length, 0);
      query.copy(frame, 2);
      sock.write(frame);
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(undefined, buf.subarray(2, 2 + buf.readUInt16BE(0)));
    });
  });
}

/** One A lookup of `name` at `server`; rejects with DnsQueryError (timeout, NXDOMAIN, SERVFAIL, …) or a socket error. */
export async function queryA(server: Upstream, name: string, timeoutMs = 1000): Promise<AResult> {
  const query = buildQuery(name, RRType.A, 1232);
  const id = randomInt(0, 0x10000);
  query.writeUInt16BE(id, 0);
  const udp = parseAReply(await udpExchange(server, query, timeoutMs), id);
  if (!udp.truncated) return { ips: udp.ips, ttl: udp.ttl };
  const tcp = parseAReply(await tcpExchange(server, query, timeoutMs), id);
  return { ips: tcp.ips, ttl: tcp.ttl };
}
