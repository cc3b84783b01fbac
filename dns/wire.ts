// DNS wire format for the cluster DNS, built for the hot path: a query's
// header and question are decoded by hand (bounded, never throwing), and the
// records of each (name, type) answer are encoded once per zone generation
// into a template whose owner names point at the question (offset 12). A reply
// is then the query's ID and question bytes (so the asker's case is kept),
// the template's bytes (rotated for round-robin), and an OPT record when the
// query had one, cut to the client's UDP buffer at a record boundary.
import { answer, Rcode, rotationIndex, RRType, type Answer, type DnsConfig, type ResourceRecord } from './answer.js';
import { parseIPv4, parseIPv6, formatIPv6 } from './parse-qname.js';
import type { ZoneView } from './zone.js';

const HEADER = 12;
const MAX_NAME = 255;
/** Largest UDP reply without EDNS (RFC 1035 §4.2.1). */
export const CLASSIC_UDP_SIZE = 512;
/** What we advertise and the most we send over UDP: the DNS Flag Day 2020 size, no IP fragments. */
export const DEFAULT_UDP_PAYLOAD = 1232;
const OPT_LEN = 11;

export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
}

export interface DecodedQuery {
  id: number;
  /** Header flags word of the query (RD and CD are copied into the reply). */
  flags: number;
  /** Presentation-format name, as asked (case kept, no trailing dot; '' for the root). */
  name: string;
  type: number;
  class: number;
  /** Lowercased wire name plus type and class: the answer cache key. */
  key: string;
  /** End of the question section (12 + name length + 4). */
  questionEnd: number;
  /** The question bytes [12, questionEnd) of the original message. */
  raw: Uint8Array;
  edns: Edns | undefined;
}

export type DecodeResult =
  | { ok: true; query: DecodedQuery }
  /** `reply` is the error response to send (FORMERR, NOTIMP, BADVERS); undefined = drop silently. */
  | { ok: false; reply: Buffer | undefined; reason: string };

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** A bare error reply: header only, echoing ID, opcode and RD. */
export function errorReply(msg: Uint8Array, rcode: number): Buffer {
  const out = Buffer.alloc(HEADER);
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  const flags = msg.length >= 4 ? u16(msg, 2) : 0;
  out.writeUInt16BE(0x8000 | (flags & 0x7900) | (rcode & 0xf), 2);
  return out;
}

/** Skips a possibly compressed name without following pointers; -1 when malformed. */
function skipName(b: Uint8Array, o: number): number {
  let seen = 0;
  for (;;) {
    if (o >= b.length) return -1;
    const len = b[o]!;
    if (len === 0) return o + 1;
    if ((len & 0xc0) === 0xc0) return o + 2 <= b.length ? o + 2 : -1;
    if (len & 0xc0) return -1;
    seen += len + 1;
    if (seen > MAX_NAME) return -1;
    o += len + 1;
  }
}

function presentLabel(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c === 0x2e || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c < 0x21 || c > 0x7e) s += '\\' + String(c).padStart(3, '0');
    else s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Decodes the header, the single question and any EDNS OPT record of a query.
 * Never throws: malformed input yields FORMERR (or a silent drop when even the
 * header is unusable or the message is a response).
 */
export function decodeQuery(msg: Uint8Array): DecodeResult {
  if (msg.length < HEADER) return { ok: false, reply: undefined, reason: 'short header' };
  const flags = u16(msg, 2);
  if (flags & 0x8000) return { ok: false, reply: undefined, reason: 'not a query (QR set)' };
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return { ok: false, reply: errorReply(msg, Rcode.NOTIMP), reason: `opcode ${opcode}` };
  const qd = u16(msg, 4);
  const an = u16(msg, 6);
  const ns = u16(msg, 8);
  const ar = u16(msg, 10);
  const formerr = (reason: string): DecodeResult => ({ ok: false, reply: errorReply(msg, Rcode.FORMERR), reason });
  if (qd !== 1) return formerr(`qdcount ${qd}`);

  // Question name: plain labels only (nothing earlier in a query to point at).
  let o = HEADER;
  let plain = true;
  let name = '';
  for (;;) {
    if (o >= msg.length) return formerr('question runs past the end');
    const len = msg[o]!;
    if (len === 0) {
      o++;
      break;
    }
    if (len > 63) return formerr('bad label length or pointer in question');
    if (o + 1 + len > msg.length) return formerr('label runs past the end');
    if (o + 1 + len - HEADER >= MAX_NAME) return formerr('name longer than 255 octets');
    for (let i = o + 1; i <= o + len; i++) {
      const c = msg[i]!;
      // Letters, digits, '-' and '_' need no escaping; anything else takes the slow path.
      if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f)) {
        plain = false;
        break;
      }
    }
    o += len + 1;
  }
  const nameEnd = o;
  if (o + 4 > msg.length) return formerr('question type/class missing');
  const type = u16(msg, o);
  const cls = u16(msg, o + 2);
  o += 4;
  const questionEnd = o;

  if (plain) {
    // Wire labels → dotted: copy the label bytes and turn each inner length byte into '.'.
    const tmp = Buffer.from(msg.subarray(HEADER + 1, Math.max(HEADER + 1, nameEnd - 1)));
    if (msg[HEADER]! !== 0) for (let p = HEADER + msg[HEADER]! + 1; msg[p]! !== 0; p += msg[p]! + 1) tmp[p - HEADER - 1] = 0x2e;
    name = tmp.toString('latin1');
  } else {
    const labels: string[] = [];
    let p = HEADER;
    while (msg[p]! !== 0) {
      const len = msg[p]!;
      labels.push(presentLabel(msg, p + 1, p + 1 + len));
      p += len + 1;
    }
    name = labels.join('.');
  }

  // Skip answer and authority records, then look for one OPT among the additionals.
  for (let i = 0; i < an + ns; i++) {
    o = skipName(msg, o);
    if (o < 0 || o + 10 > msg.length) return formerr('record runs past the end');
    o += 10 + u16(msg, o + 8);
    if (o > msg.length) return formerr('rdata runs past the end');
  }
  let edns: Edns | undefined;
  for (let i = 0; i < ar; i++) {
    const start = o;
    o = skipName(msg, o);
    if (o < 0 || o + 10 > msg.length) return formerr('record runs past the end');
    const rtype = u16(msg, o);
    if (rtype === RRType.OPT) {
      if (edns) return formerr('more than one OPT record');
      if (msg[start] !== 0) return formerr('OPT owner is not the root');
      edns = {
        udpSize: u16(msg, o + 2),
        version: msg[o + 5]!,
        dnssecOk: (msg[o + 6]! & 0x80) !== 0,
      };
    }
    o += 10 + u16(msg, o + 8);
    if (o > msg.length) return formerr('rdata runs past the end');
  }

  const wireName = Buffer.from(msg.buffer, msg.byteOffset + HEADER, nameEnd - HEADER).toString('latin1');
  const key = `${asciiLower(wireName)}|${type}|${cls}`;
  const raw = msg.subarray(HEADER, questionEnd);
  const query: DecodedQuery = { id: u16(msg, 0), flags, name, type, class: cls, key, questionEnd, raw, edns };

  if (edns && edns.version > 0) {
    // RFC 6891 §6.1.3: unsupported EDNS version → BADVERS (extended rcode 16), with an OPT.
    return { ok: false, reply: renderBadVers(query), reason: `EDNS version ${edns.version}` };
  }
  return { ok: true, query };
}

/** DNS compares names in ASCII only; String#toLowerCase would also fold Latin-1 letters. */
function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
  }
  return s.toLowerCase();
}

// ---- encoding ----

class ByteWriter {
  buf = Buffer.allocUnsafe(512);
  len = 0;
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.len++] = v & 0xff;
  }
  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, this.len);
    this.len += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.len);
    this.len += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
}

/** Wire labels of a presentation name, honouring `\.` and `\DDD` escapes. */
function encodeLabels(name: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  if (name === '' || name === '.') return out;
  let cur: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x5c && i + 1 < name.length) {
      const d = name.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(d)) {
        cur.push(Number(d) & 0xff);
        i += 3;
      } else {
        cur.push(name.charCodeAt(i + 1) & 0xff);
        i += 1;
      }
    } else if (c === 0x2e) {
      out.push(Uint8Array.from(cur));
      cur = [];
    } else cur.push(c & 0xff);
  }
  if (cur.length) out.push(Uint8Array.from(cur));
  return out;
}

function labelKey(labels: readonly Uint8Array[], from: number): string {
  let s = '';
  for (let i = from; i < labels.length; i++) s += Buffer.from(labels[i]!).toString('latin1') + '.';
  return asciiLower(s);
}

/** Compression targets: lowercased name suffix → absolute message offset. */
type NameTable = Map<string, number>;

function writeName(w: ByteWriter, base: number, name: string, table: NameTable, compress: boolean, register: boolean): void {
  const labels = encodeLabels(name);
  for (let i = 0; i < labels.length; i++) {
    const k = labelKey(labels, i);
    const at = compress ? table.get(k) : undefined;
    if (at !== undefined) {
      w.u16(0xc000 | at);
      return;
    }
    const here = base + w.len;
    if (register && here < 0x3fff && !table.has(k)) table.set(k, here);
    const l = labels[i]!;
    w.u8(Math.min(l.length, 63));
    w.bytes(l.subarray(0, 63));
  }
  w.u8(0);
}

function writeRecord(w: ByteWriter, base: number, rr: ResourceRecord, table: NameTable, register: boolean): void {
  writeName(w, base, rr.name, table, true, register);
  w.u16(rr.type);
  w.u16(1);
  w.u32(rr.ttl);
  const lenAt = w.len;
  w.u16(0);
  switch (rr.type) {
    case 1:
      w.bytes(parseIPv4(rr.address) ?? new Uint8Array(4));
      break;
    case 28:
      w.bytes(parseIPv6(rr.address) ?? new Uint8Array(16));
      break;
    case 2:
    case 5:
    case 12:
      writeName(w, base, rr.target, table, true, register);
      break;
    case 33:
      w.u16(rr.priority);
      w.u16(rr.weight);
      w.u16(rr.port);
      // RFC 2782: the SRV target is never compressed, but later names may point at it.
      writeName(w, base, rr.target, table, false, register);
      break;
    case 16:
      for (const t of rr.text) {
        const b = Buffer.from(t, 'utf8').subarray(0, 255);
        w.u8(b.length);
        w.bytes(b);
      }
      break;
    case 6:
      writeName(w, base, rr.mname, table, true, register);
      writeName(w, base, rr.rname, table, true, register);
      w.u32(rr.serial);
      w.u32(rr.refresh);
      w.u32(rr.retry);
      w.u32(rr.expire);
      w.u32(rr.minimum);
      break;
  }
  w.buf.writeUInt16BE(w.len - lenAt - 2, lenAt);
}

/** Prebuilt records of one answer, valid for any query with the same lowercased question. */
export interface AnswerTemplate {
  rcode: number;
  authoritative: boolean;
  /** Answer, authority and additional records back to back; names compressed against the question. */
  body: Buffer;
  /** End offset in `body` of each record. */
  ends: number[];
  counts: [an: number, ns: number, ar: number];
  /** Records [start, start+count) are equally long and rotate between replies. */
  rotate: { start: number; count: number; from: number; size: number } | undefined;
  chase: Answer['chase'];
}

/** Encodes `a` for a question whose wire name is `raw` (question bytes without type/class). */
export function buildTemplate(a: Answer, raw: Uint8Array): AnswerTemplate {
  const table: NameTable = new Map();
  // Register every suffix of the question name at its offset in the reply.
  const qlabels: Uint8Array[] = [];
  const qoffsets: number[] = [];
  for (let p = 0; p < raw.length && raw[p]! !== 0; p += raw[p]! + 1) {
    qoffsets.push(HEADER + p);
    qlabels.push(raw.subarray(p + 1, p + 1 + raw[p]!));
  }
  for (let i = 0; i < qlabels.length; i++) table.set(labelKey(qlabels, i), qoffsets[i]!);
  let qlen = 1;
  for (const l of qlabels) qlen += l.length + 1;
  const base = HEADER + qlen + 4;

  const w = new ByteWriter();
  const ends: number[] = [];
  const all = [...a.answer, ...a.authority, ...a.additional];
  const rs = a.rotatable;
  for (let i = 0; i < all.length; i++) {
    const inWindow = rs !== undefined && i >= rs.start && i < rs.start + rs.count;
    // Names inside the rotating window move, so nothing may point into it.
    writeRecord(w, base, all[i]!, table, !inWindow);
    ends.push(w.len);
  }
  let rotate: AnswerTemplate['rotate'];
  if (rs && rs.count > 1) {
    const from = rs.start === 0 ? 0 : ends[rs.start - 1]!;
    const size = (ends[rs.start + rs.count - 1]! - from) / rs.count;
    let uniform = Number.isInteger(size);
    for (let i = 0; uniform && i < rs.count; i++) uniform = ends[rs.start + i]! - from === size * (i + 1);
    if (uniform) rotate = { start: rs.start, count: rs.count, from, size };
  }
  return {
    rcode: a.rcode,
    authoritative: a.authoritative,
    body: Buffer.from(w.buf.subarray(0, w.len)),
    ends,
    counts: [a.answer.length, a.authority.length, a.additional.length],
    rotate,
    chase: a.chase,
  };
}

/** Largest reply for this query: the client's EDNS buffer (capped by ours), 512 without EDNS, 64 KiB on TCP. */
export function replyLimit(q: DecodedQuery, transport: 'udp' | 'tcp', ourUdpPayload = DEFAULT_UDP_PAYLOAD): number {
  if (transport === 'tcp') return 0xffff;
  if (!q.edns) return CLASSIC_UDP_SIZE;
  return Math.max(CLASSIC_UDP_SIZE, Math.min(q.edns.udpSize, ourUdpPayload));
}

function writeOpt(out: Buffer, at: number, q: DecodedQuery, ourUdpPayload: number, extRcode = 0): void {
  out[at] = 0;
  out.writeUInt16BE(RRType.OPT, at + 1);
  out.writeUInt16BE(ourUdpPayload, at + 3);
  out[at + 5] = extRcode;
  out[at + 6] = 0; // version 0
  out[at + 7] = q.edns?.dnssecOk ? 0x80 : 0;
  out[at + 8] = 0;
  out.writeUInt16BE(0, at + 9);
}

/** Header and question echoed with `rcode` (plus OPT when asked): SERVFAIL, REFUSED and friends. */
export function questionReply(q: DecodedQuery, rcode: number, ourUdpPayload = DEFAULT_UDP_PAYLOAD): Buffer {
  const opt = q.edns ? OPT_LEN : 0;
  const out = Buffer.alloc(HEADER + q.raw.length + opt);
  out.writeUInt16BE(q.id, 0);
  out.writeUInt16BE(0x8000 | (q.flags & 0x0110) | (rcode & 0xf), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  out.set(q.raw, HEADER);
  if (opt) writeOpt(out, HEADER + q.raw.length, q, ourUdpPayload);
  return out;
}

function renderBadVers(q: DecodedQuery): Buffer {
  const out = Buffer.alloc(HEADER + q.raw.length + OPT_LEN);
  out.writeUInt16BE(q.id, 0);
  out.writeUInt16BE(0x8000 | (q.flags & 0x0110), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(1, 10);
  out.set(q.raw, HEADER);
  writeOpt(out, HEADER + q.raw.length, q, DEFAULT_UDP_PAYLOAD, 1); // 16 >> 4
  return out;
}

/**
 * One reply from a template: the query's ID, flags and question, the records
 * (window rotated by `rotation`), an OPT when asked, cut at the last whole
 * record that fits `limit` with TC set when anything was left out.
 */
export function renderReply(q: DecodedQuery, t: AnswerTemplate, limit: number, rotation: number, ourUdpPayload = DEFAULT_UDP_PAYLOAD): Buffer {
  const qlen = q.raw.length;
  const opt = q.edns ? OPT_LEN : 0;
  const fixed = HEADER + qlen + opt;
  let kept = t.ends.length;
  let bodyLen = t.body.length;
  let tc = false;
  if (fixed + bodyLen > limit) {
    tc = true;
    const room = limit - fixed;
    kept = 0;
    while (kept < t.ends.length && t.ends[kept]! <= room) kept++;
    bodyLen = kept === 0 ? 0 : t.ends[kept - 1]!;
  }
  const out = Buffer.allocUnsafe(fixed + bodyLen);
  out.writeUInt16BE(q.id, 0);
  // QR, AA, TC; RD and CD copied from the query; opcode 0; RA clear (authoritative data).
  out.writeUInt16BE(0x8000 | (t.authoritative ? 0x0400 : 0) | (tc ? 0x0200 : 0) | (q.flags & 0x0110) | (t.rcode & 0xf), 2);
  const an = Math.min(t.counts[0], kept);
  const ns = Math.min(t.counts[1], kept - an);
  const ar = kept - an - ns;
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(an, 6);
  out.writeUInt16BE(ns, 8);
  out.writeUInt16BE(ar + (opt ? 1 : 0), 10);
  out.set(q.raw, HEADER);
  const b = HEADER + qlen;
  const r = t.rotate;
  const k = r ? rotationIndex(rotation, r.count) : 0;
  if (!r || k === 0) {
    t.body.copy(out, b, 0, bodyLen);
  } else {
    // Window bytes [from, to): emit records k..n-1 then 0..k-1; all the same size.
    const to = r.from + r.count * r.size;
    const pivot = r.from + k * r.size;
    t.body.copy(out, b, 0, Math.min(r.from, bodyLen));
    if (bodyLen > r.from) {
      const tmp = Buffer.concat([t.body.subarray(pivot, to), t.body.subarray(r.from, pivot), t.body.subarray(to)]);
      tmp.copy(out, b + r.from, 0, bodyLen - r.from);
    }
  }
  if (opt) writeOpt(out, b + bodyLen, q, ourUdpPayload);
  return out;
}

// ---- the pure decode → answer → encode path ----

export type WireOutcome =
  /** `qtype` is the question's type; `decoded` is false for the FORMERR/NOTIMP replies to undecodable queries (qtype 0). */
  | { kind: 'reply'; bytes: Buffer; rcode: number; qtype: number; decoded: boolean }
  | { kind: 'drop'; reason: string }
  /** Not a cluster name: hand the query to the forwarder. */
  | { kind: 'next'; query: DecodedQuery }
  /** An ExternalName alias outside the zone: resolve `answer.chase` upstream, then call `completeChase`. */
  | { kind: 'chase'; query: DecodedQuery; answer: Answer };

type CacheEntry = AnswerTemplate | 'next';

export interface ResponderOptions {
  /** Bound on cached (name, type) answers; random names must not grow memory without limit. */
  maxCacheEntries?: number;
  udpPayloadSize?: number;
}

/**
 * Answers raw query bytes from the zone with prebuilt templates. Holds only
 * the template cache (dropped whenever the zone's generation moves) and the
 * round-robin counter; the answers themselves come from the pure `answer`.
 */
export class DnsResponder {
  private cache = new Map<string, CacheEntry>();
  private generation = -1;
  private rotation = 0;
  private readonly maxEntries: number;
  readonly udpPayloadSize: number;

  constructor(
    private readonly zone: ZoneView,
    private readonly cfg: DnsConfig,
    opts: ResponderOptions = {},
  ) {
    this.maxEntries = opts.maxCacheEntries ?? 50_000;
    this.udpPayloadSize = opts.udpPayloadSize ?? DEFAULT_UDP_PAYLOAD;
  }

  respond(msg: Uint8Array, transport: 'udp' | 'tcp'): WireOutcome {
    const d = decodeQuery(msg);
    if (!d.ok) {
      return d.reply ? { kind: 'reply', bytes: d.reply, rcode: d.reply[3]! & 0xf, qtype: 0, decoded: false } : { kind: 'drop', reason: d.reason };
    }
    const q = d.query;
    if (this.generation !== this.zone.generation) {
      this.cache.clear();
      this.generation = this.zone.generation;
    }
    let entry = this.cache.get(q.key);
    if (entry === undefined) {
      const lowered = { name: q.name.toLowerCase(), type: q.type, class: q.class };
      const res = answer(lowered, this.zone, this.cfg, 0);
      entry = 'next' in res ? 'next' : buildTemplate(res, q.raw.subarray(0, q.raw.length - 4));
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(q.key, entry);
    }
    if (entry === 'next') return { kind: 'next', query: q };
    if (entry.chase) {
      const a = answer({ name: q.name, type: q.type, class: q.class }, this.zone, this.cfg, 0);
      if (!('next' in a)) return { kind: 'chase', query: q, answer: a };
    }
    const bytes = renderReply(q, entry, replyLimit(q, transport, this.udpPayloadSize), this.rotation++, this.udpPayloadSize);
    return { kind: 'reply', bytes, rcode: entry.rcode, qtype: q.type, decoded: true };
  }

  /** Finishes a chased alias: the CNAME answer plus what upstream said about its target. */
  completeChase(q: DecodedQuery, a: Answer, upstream: ResourceRecord[], transport: 'udp' | 'tcp'): Buffer {
    const full: Answer = { ...a, answer: [...a.answer, ...upstream], chase: undefined };
    const t = buildTemplate(full, q.raw.subarray(0, q.raw.length - 4));
    return renderReply(q, t, replyLimit(q, transport, this.udpPayloadSize), this.rotation++, this.udpPayloadSize);
  }
}

// ---- reading replies (the forwarder's cache and alias chasing) ----

/** Reads a possibly compressed name; undefined on loops, forward pointers or overruns. */
export function readName(b: Uint8Array, o: number): { name: string; end: number } | undefined {
  const labels: string[] = [];
  let end = -1;
  let hops = 0;
  let total = 0;
  for (;;) {
    if (o >= b.length) return undefined;
    const len = b[o]!;
    if (len === 0) {
      if (end < 0) end = o + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (o + 1 >= b.length) return undefined;
      const ptr = ((len & 0x3f) << 8) | b[o + 1]!;
      if (end < 0) end = o + 2;
      // Pointers must go backwards; that alone rules out loops.
      if (ptr >= o || ++hops > 127) return undefined;
      o = ptr;
      continue;
    }
    if (len & 0xc0) return undefined;
    if (o + 1 + len > b.length) return undefined;
    total += len + 1;
    if (total > MAX_NAME) return undefined;
    labels.push(presentLabel(b, o + 1, o + 1 + len));
    o += len + 1;
  }
  return { name: labels.join('.'), end };
}

export interface RecordHeader {
  section: 0 | 1 | 2;
  name: string;
  type: number;
  class: number;
  /** Offset of the 32-bit TTL field. */
  ttlAt: number;
  ttl: number;
  rdataAt: number;
  rdlength: number;
}

export interface ScannedMessage {
  id: number;
  flags: number;
  rcode: number;
  truncated: boolean;
  questionName: string;
  questionType: number;
  questionClass: number;
  questionEnd: number;
  records: RecordHeader[];
}

/** Walks a reply's sections; undefined when any part is malformed. */
export function scanMessage(b: Uint8Array): ScannedMessage | undefined {
  if (b.length < HEADER) return undefined;
  const flags = u16(b, 2);
  const qd = u16(b, 4);
  const counts = [u16(b, 6), u16(b, 8), u16(b, 10)] as const;
  let o = HEADER;
  let questionName = '';
  let questionType = 0;
  let questionClass = 0;
  for (let i = 0; i < qd; i++) {
    const n = readName(b, o);
    if (!n || n.end + 4 > b.length) return undefined;
    if (i === 0) {
      questionName = n.name;
      questionType = u16(b, n.end);
      questionClass = u16(b, n.end + 2);
    }
    o = n.end + 4;
  }
  const questionEnd = o;
  const records: RecordHeader[] = [];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s]!; i++) {
      const n = readName(b, o);
      if (!n || n.end + 10 > b.length) return undefined;
      const at = n.end;
      const rdlength = u16(b, at + 8);
      if (at + 10 + rdlength > b.length) return undefined;
      records.push({
        section: s as 0 | 1 | 2,
        name: n.name,
        type: u16(b, at),
        class: u16(b, at + 2),
        ttlAt: at + 4,
        ttl: ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0,
        rdataAt: at + 10,
        rdlength,
      });
      o = at + 10 + rdlength;
    }
  }
  return {
    id: u16(b, 0),
    flags,
    rcode: flags & 0xf,
    truncated: (flags & 0x0200) !== 0,
    questionName,
    questionType,
    questionClass,
    questionEnd,
    records,
  };
}

/** The answer-section records of a reply that an alias chase can pass on (A, AAAA, CNAME). */
export function addressRecordsOf(b: Uint8Array, m: ScannedMessage): ResourceRecord[] {
  const out: ResourceRecord[] = [];
  for (const r of m.records) {
    if (r.section !== 0 || r.class !== 1) continue;
    if (r.type === 1 && r.rdlength === 4) {
      out.push({ name: r.name, ttl: r.ttl, type: 1, address: Array.from(b.subarray(r.rdataAt, r.rdataAt + 4)).join('.') });
    } else if (r.type === 28 && r.rdlength === 16) {
      out.push({ name: r.name, ttl: r.ttl, type: 28, address: formatIPv6(b.subarray(r.rdataAt, r.rdataAt + 16)) });
    } else if (r.type === 5) {
      const n = readName(b, r.rdataAt);
      if (n) out.push({ name: r.name, ttl: r.ttl, type: 5, target: n.name });
    }
  }
  return out;
}

/** A reply too big for the client's UDP buffer: header and question only, TC set, so it retries over TCP. */
export function truncatedReply(b: Uint8Array, m: ScannedMessage): Buffer {
  const out = Buffer.from(b.subarray(0, m.questionEnd));
  out.writeUInt16BE((m.flags | 0x0200) & 0xffff, 2);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}
