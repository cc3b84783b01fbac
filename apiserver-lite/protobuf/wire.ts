// The protobuf wire format, and nothing else: splits a message into its
// (field number, wire type, payload) records and turns scalar payloads into
// JavaScript values. It knows no schema; schema.ts and decode.ts give the
// records their meaning. Every read is bounds-checked, so truncated or
// hostile input ends in a ProtobufDecodeError, never a loop or a TypeError.

/** Malformed protobuf input, or input that does not fit the schema; the message says where. */
export class ProtobufDecodeError extends Error {
  override readonly name: string = 'ProtobufDecodeError';
}

export type WireType = 'varint' | 'fixed64' | 'bytes' | 'fixed32';

/** One field record as it appears on the wire. Fixed-width payloads stay raw (little-endian bytes). */
export type WireField =
  | { readonly number: number; readonly wireType: 'varint'; readonly value: bigint }
  | { readonly number: number; readonly wireType: 'fixed64' | 'fixed32' | 'bytes'; readonly value: Uint8Array };

// A varint is at most 10 bytes (64 bits in 7-bit groups).
const MAX_VARINT_BYTES = 10;
// Field numbers are 29 bits; anything larger is a corrupt tag.
const MAX_FIELD_NUMBER = 2 ** 29 - 1;

/** A forward-only reader over one message's bytes. */
export class WireReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get offset(): number {
    return this.pos;
  }

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    const start = this.pos;
    let result = 0n;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (this.pos >= this.buf.length) throw new ProtobufDecodeError(`truncated varint at byte ${start}`);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new ProtobufDecodeError(`varint longer than ${MAX_VARINT_BYTES} bytes at byte ${start}`);
  }

  take(n: number, what: string): Uint8Array {
    if (n > this.buf.length - this.pos) {
      throw new ProtobufDecodeError(`truncated ${what} at byte ${this.pos}: needs ${n} bytes, ${this.buf.length - this.pos} left`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The next field record. */
  field(): WireField {
    const at = this.pos;
    const tag = this.varint();
    const number = Number(tag >> 3n);
    const type = Number(tag & 7n);
    if (number < 1 || number > MAX_FIELD_NUMBER) throw new ProtobufDecodeError(`invalid field number ${number} at byte ${at}`);
    switch (type) {
      case 0:
        return { number, wireType: 'varint', value: this.varint() };
      case 1:
        return { number, wireType: 'fixed64', value: this.take(8, `64-bit field ${number}`) };
      case 2: {
        const len = this.varint();
        if (len > BigInt(this.buf.length - this.pos)) {
          throw new ProtobufDecodeError(`truncated length-delimited field ${number} at byte ${at}: declares ${len} bytes, ${this.buf.length - this.pos} left`);
        }
        return { number, wireType: 'bytes', value: this.take(Number(len), `field ${number}`) };
      }
      case 5:
        return { number, wireType: 'fixed32', value: this.take(4, `32-bit field ${number}`) };
      case 3:
      case 4:
        throw new ProtobufDecodeError(`field ${number} at byte ${at} uses the deprecated group encoding, which Kubernetes never sends`);
      default:
        throw new ProtobufDecodeError(`field ${number} at byte ${at} has invalid wire type ${type}`);
    }
  }
}

/** All field records of a message, in wire order. */
export function readFields(buf: Uint8Array): WireField[] {
  const r = new WireReader(buf);
  const out: WireField[] = [];
  while (!r.done()) out.push(r.field());
  return out;
}

/** The varints of a packed repeated field (proto3 style; Kubernetes' proto2 does not pack, but a peer may). */
export function readPackedVarints(buf: Uint8Array): bigint[] {
  const r = new WireReader(buf);
  const out: bigint[] = [];
  while (!r.done()) out.push(r.varint());
  return out;
}

export function toInt32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** An int64 as a JSON number; beyond 2^53 a number would silently change, so refuse instead. */
export function toInt64(v: bigint, where: string): number {
  const n = BigInt.asIntN(64, v);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ProtobufDecodeError(`${where}: integer ${n} is too large to represent exactly in JSON`);
  }
  return Number(n);
}

// Invalid UTF-8 becomes U+FFFD, as Go's JSON encoder would print it, rather than failing the request.
const utf8 = new TextDecoder('utf-8');

export function toUtf8(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}
