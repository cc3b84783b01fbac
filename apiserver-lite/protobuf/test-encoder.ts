// Test-only protobuf writer. Tests spell out field numbers by hand with it,
// independently of schema.ts, so a wrong number in the schema shows up as a
// failing test rather than being mirrored by a schema-driven encoder.

export type Part = Uint8Array;

export function varintBytes(v: number | bigint): Uint8Array {
  let n = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n !== 0n) b |= 0x80;
    out.push(b);
  } while (n !== 0n);
  return Uint8Array.from(out);
}

const tag = (no: number, wireType: number): Uint8Array => varintBytes((BigInt(no) << 3n) | BigInt(wireType));

export const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/** A varint field (int32, int64, bool, enum); negative numbers are sign-extended to 64 bits as Go writes them. */
export const varint = (no: number, v: number | bigint | boolean): Part =>
  cat(tag(no, 0), varintBytes(typeof v === 'boolean' ? (v ? 1 : 0) : v));

export const bytes = (no: number, b: Uint8Array): Part => cat(tag(no, 2), varintBytes(b.length), b);

export const str = (no: number, s: string): Part => bytes(no, new TextEncoder().encode(s));

/** A nested message field made of the given parts. */
export const msg = (no: number, ...parts: Part[]): Part => bytes(no, cat(...parts));

export const fixed32 = (no: number, b: [number, number, number, number]): Part => cat(tag(no, 5), Uint8Array.from(b));

export const fixed64 = (no: number, b: number[]): Part => cat(tag(no, 1), Uint8Array.from(b));

/** A map<string, V> entry: {1: key, 2: value}. */
export const entry = (no: number, key: string, value: Part): Part => msg(no, str(1, key), value);

/** A complete request body: "k8s\0" + runtime.Unknown{typeMeta, raw, contentEncoding "", contentType ""}. */
export function kubeBody(apiVersion: string, kind: string, ...objectParts: Part[]): Buffer {
  const unknown = cat(msg(1, str(1, apiVersion), str(2, kind)), bytes(2, cat(...objectParts)), str(3, ''), str(4, ''));
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), unknown]);
}
