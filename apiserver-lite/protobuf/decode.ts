// Kubernetes' protobuf request bodies (Content-Type
// application/vnd.kubernetes.protobuf) turned into the JSON object the same
// client would have sent as JSON. kubectl's typed clients (create namespace,
// create deployment, create service …) send this encoding; the rest of
// apiserver-lite only ever sees the JSON shape.
//
// The body is the 4-byte prefix "k8s\0" and a runtime.Unknown envelope:
// {1: typeMeta {1: apiVersion, 2: kind}, 2: raw, 3: contentEncoding, 4: contentType};
// raw is the object's own message, read with the tables in schema.ts.

import { kinds, messages, type FieldSpec, type MessageSpec, type ScalarKind } from './schema.js';
import { ProtobufDecodeError, readFields, readPackedVarints, toInt32, toInt64, toUtf8, type WireField } from './wire.js';

export { ProtobufDecodeError } from './wire.js';

/** The body is well-formed but names a kind apiserver-lite has no tables for (answer 415, not 400). */
export class ProtobufUnsupportedKindError extends ProtobufDecodeError {
  override readonly name = 'ProtobufUnsupportedKindError';
}

export const KUBERNETES_PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Uint8Array.of(0x6b, 0x38, 0x73, 0x00); // "k8s\0"

export interface DecodedKubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  /** The object as JSON would carry it, apiVersion and kind included. */
  readonly object: Record<string, unknown>;
  /**
   * Paths of fields present on the wire that apiserver-lite does not read:
   * a name (`spec.ephemeralContainers`) when the field is known but not
   * supported, `#N` (`spec.template.spec.#99`) when the number is unknown.
   */
  readonly unknownFields: string[];
}

/** Decode a whole protobuf request body. Throws ProtobufDecodeError on anything it cannot read. */
export function decodeKubernetesProtobuf(body: Uint8Array): DecodedKubernetesObject {
  if (body.length < MAGIC.length || !MAGIC.every((b, i) => body[i] === b)) {
    throw new ProtobufDecodeError('the body does not start with the Kubernetes protobuf prefix "k8s\\0"');
  }
  const envelope = readEnvelope(body.subarray(MAGIC.length));
  const root = messageFor(envelope.apiVersion, envelope.kind);
  const unknownFields: string[] = [];
  const decoded = decodeMessage(root, envelope.raw, '', unknownFields);
  return {
    apiVersion: envelope.apiVersion,
    kind: envelope.kind,
    object: { apiVersion: envelope.apiVersion, kind: envelope.kind, ...decoded },
    unknownFields,
  };
}

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
}

function readEnvelope(buf: Uint8Array): Envelope {
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = new Uint8Array(0);
  let contentEncoding = '';
  for (const f of readFields(buf)) {
    if (f.number === 1) {
      for (const t of readFields(bytesOf(f, 'envelope typeMeta'))) {
        if (t.number === 1) apiVersion = toUtf8(bytesOf(t, 'envelope typeMeta.apiVersion'));
        if (t.number === 2) kind = toUtf8(bytesOf(t, 'envelope typeMeta.kind'));
      }
    } else if (f.number === 2) {
      raw = bytesOf(f, 'envelope raw');
    } else if (f.number === 3) {
      contentEncoding = toUtf8(bytesOf(f, 'envelope contentEncoding'));
    }
    // Field 4 (contentType) is left empty by clients: raw is protobuf by definition here.
  }
  if (contentEncoding !== '') throw new ProtobufDecodeError(`unsupported content encoding "${contentEncoding}" in the protobuf envelope`);
  if (kind === '' || apiVersion === '') throw new ProtobufDecodeError('the protobuf envelope does not name the apiVersion and kind of the object');
  return { apiVersion, kind, raw };
}

function messageFor(apiVersion: string, kind: string): string {
  // DeleteOptions is registered in every group version.
  if (kind === 'DeleteOptions') return 'meta/v1.DeleteOptions';
  const name = kinds[`${apiVersion}/${kind}`];
  if (name === undefined) {
    throw new ProtobufUnsupportedKindError(`decoding ${kind} (${apiVersion}) from protobuf is not supported; send it as application/json`);
  }
  return name;
}

// Field number → spec, built once per message type on first use.
const indexes = new Map<string, ReadonlyMap<number, FieldSpec>>();

function specOf(name: string): { fields: MessageSpec; byNumber: ReadonlyMap<number, FieldSpec> } {
  const fields = messages[name];
  if (fields === undefined) throw new Error(`protobuf schema: message ${name} is referenced but not defined`);
  let byNumber = indexes.get(name);
  if (byNumber === undefined) {
    byNumber = new Map(fields.map((f) => [f.no, f]));
    indexes.set(name, byNumber);
  }
  return { fields, byNumber };
}

const join = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

function decodeMessage(name: string, buf: Uint8Array, path: string, unknown: string[]): Record<string, unknown> {
  const { fields, byNumber } = specOf(name);
  const byField = new Map<number, WireField[]>();
  for (const f of readFields(buf)) {
    if (!byNumber.has(f.number)) {
      const p = join(path, `#${f.number}`);
      if (!unknown.includes(p)) unknown.push(p);
      continue;
    }
    const seen = byField.get(f.number);
    if (seen) seen.push(f);
    else byField.set(f.number, [f]);
  }

  const out: Record<string, unknown> = {};
  for (const spec of fields) {
    const recs = byField.get(spec.no);
    if (recs === undefined) continue;
    const where = join(path, spec.name);
    switch (spec.kind) {
      case 'skip':
        unknown.push(where);
        break;
      case 'map':
        out[spec.name] = decodeMap(spec.value, recs, where);
        break;
      case 'message':
        if (spec.repeated) {
          out[spec.name] = recs.map((r, i) => decodeMessage(spec.message, bytesOf(r, where), `${where}[${i}]`, unknown));
        } else {
          // A message field that occurs twice is merged, as protobuf defines it: same as one concatenated payload.
          const merged = decodeMessage(spec.message, concat(recs.map((r) => bytesOf(r, where))), spec.inline ? path : where, unknown);
          if (spec.inline) Object.assign(out, merged);
          else out[spec.name] = merged;
        }
        break;
      default:
        if (spec.repeated) {
          out[spec.name] = expandPacked(spec.kind, recs).map((r, i) => decodeScalar(spec.kind, r, `${where}[${i}]`));
        } else {
          // For a singular scalar the last occurrence wins.
          const value = decodeScalar(spec.kind, recs[recs.length - 1]!, where);
          if (spec.presence) out[spec.name] = value;
          else if (!isZero(value)) out[spec.name] = value;
        }
    }
  }
  return out;
}

/** Maps are repeated {1: key, 2: value} entries; a missing half is its type's zero value. */
function decodeMap(valueKind: ScalarKind, recs: WireField[], where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of recs) {
    let key = '';
    let value: WireField | undefined;
    for (const e of readFields(bytesOf(r, where))) {
      if (e.number === 1) key = toUtf8(bytesOf(e, `${where} key`));
      else if (e.number === 2) value = e;
    }
    const at = `${where}[${JSON.stringify(key)}]`;
    out[key] = value === undefined ? zeroOf(valueKind) : decodeScalar(valueKind, value, at);
  }
  return out;
}

function zeroOf(kind: ScalarKind): unknown {
  switch (kind) {
    case 'string':
    case 'bytes':
      return '';
    case 'quantity':
      return '0';
    case 'bool':
      return false;
    case 'time':
    case 'microTime':
      return null;
    default:
      return 0;
  }
}

function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false || v === null;
}

const VARINT_KINDS: ReadonlySet<ScalarKind> = new Set(['int32', 'int64', 'bool']);

/** Accept packed encoding of repeated numbers too, which protobuf parsers must. */
function expandPacked(kind: ScalarKind, recs: WireField[]): WireField[] {
  if (!VARINT_KINDS.has(kind)) return recs;
  return recs.flatMap((r) =>
    r.wireType === 'bytes' ? readPackedVarints(r.value).map((value): WireField => ({ number: r.number, wireType: 'varint', value })) : [r],
  );
}

function decodeScalar(kind: ScalarKind, rec: WireField, where: string): unknown {
  switch (kind) {
    case 'string':
      return toUtf8(bytesOf(rec, where));
    case 'bytes':
      return Buffer.from(bytesOf(rec, where)).toString('base64');
    case 'int32':
      return toInt32(varintOf(rec, where));
    case 'int64':
      return toInt64(varintOf(rec, where), where);
    case 'bool':
      return varintOf(rec, where) !== 0n;
    case 'time':
      return decodeTime(bytesOf(rec, where), where, false);
    case 'microTime':
      return decodeTime(bytesOf(rec, where), where, true);
    case 'intOrString':
      return decodeIntOrString(bytesOf(rec, where), where);
    case 'quantity':
      return decodeQuantity(bytesOf(rec, where), where);
  }
}

// RFC 3339 as Go can print it: years 0000–9999.
const MIN_SECONDS = -62135596800; // 0001-01-01T00:00:00Z
const MAX_SECONDS = 253402300799; // 9999-12-31T23:59:59Z

/**
 * {1: seconds, 2: nanos}. An empty message is the zero time, which JSON shows
 * as null. Time keeps whole seconds (the API server drops nanos for it, so
 * JSON and protobuf clients store the same value); MicroTime keeps microseconds.
 */
function decodeTime(buf: Uint8Array, where: string, micro: boolean): string | null {
  if (buf.length === 0) return null;
  let seconds = 0;
  let nanos = 0;
  for (const f of readFields(buf)) {
    if (f.number === 1) seconds = toInt64(varintOf(f, `${where}.seconds`), `${where}.seconds`);
    else if (f.number === 2) nanos = toInt32(varintOf(f, `${where}.nanos`));
  }
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) throw new ProtobufDecodeError(`${where}: time ${seconds}s is outside years 1–9999`);
  if (nanos < 0 || nanos > 999_999_999) throw new ProtobufDecodeError(`${where}: nanos ${nanos} out of range`);
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  if (!micro) return `${whole}Z`;
  return `${whole}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z`;
}

/** {1: type (0 int, 1 string), 2: intVal, 3: strVal} → the number or the string. */
function decodeIntOrString(buf: Uint8Array, where: string): number | string {
  let type = 0n;
  let intVal = 0;
  let strVal = '';
  for (const f of readFields(buf)) {
    if (f.number === 1) type = varintOf(f, `${where}.type`);
    else if (f.number === 2) intVal = toInt32(varintOf(f, `${where}.intVal`));
    else if (f.number === 3) strVal = toUtf8(bytesOf(f, `${where}.strVal`));
  }
  if (type === 0n) return intVal;
  if (type === 1n) return strVal;
  throw new ProtobufDecodeError(`${where}: IntOrString has invalid type ${type}`);
}

/** {1: string}; the server's own validation judges the quantity's syntax. */
function decodeQuantity(buf: Uint8Array, where: string): string {
  let s = '0';
  for (const f of readFields(buf)) {
    if (f.number === 1) s = toUtf8(bytesOf(f, where));
  }
  return s;
}

function bytesOf(f: WireField, where: string): Uint8Array {
  if (f.wireType !== 'bytes') throw wrongWireType(f, where, 'length-delimited');
  return f.value;
}

function varintOf(f: WireField, where: string): bigint {
  if (f.wireType !== 'varint') throw wrongWireType(f, where, 'varint');
  return f.value;
}

function wrongWireType(f: WireField, where: string, want: string): ProtobufDecodeError {
  const got = f.wireType === 'bytes' ? 'length-delimited' : f.wireType;
  return new ProtobufDecodeError(`${where || 'envelope'} (field ${f.number}): expected a ${want} value, got ${got}`);
}

function concat(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
