// The field error model of the API server, shaped like Kubernetes'
// field.ErrorList: every validation problem names the field path and renders
// exactly the text kubectl users know ("spec.ports[0].port: Invalid value: 0:
// must be between 1 and 65535, inclusive"), because people grep for it.
//
// This file also holds the defensive readers the validators use: objects
// arrive as decoded JSON, so any field may have any type, and a wrong type
// must become a field error, never a TypeError.

import type { Status, StatusCause } from '../../kube/api/meta.js';

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany';

const typeText: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
};

/**
 * A bad value already rendered the way Go's %#v would print it, for the few
 * messages where Kubernetes prints a struct (e.g. a LabelSelector).
 */
export class GoValue {
  constructor(readonly text: string) {}
}

export class FieldError {
  constructor(
    readonly type: FieldErrorType,
    /** Path in Kubernetes notation, e.g. "spec.ports[0].port", "metadata.labels". */
    readonly field: string,
    readonly detail: string,
    /** Shown in the message for Invalid, NotSupported, Duplicate and TooMany. */
    readonly badValue?: unknown,
  ) {}

  /** The message without the field path: what Kubernetes puts in a Status cause. */
  body(): string {
    let s = typeText[this.type];
    const showsValue =
      this.type === 'FieldValueInvalid' ||
      this.type === 'FieldValueNotSupported' ||
      this.type === 'FieldValueDuplicate' ||
      this.type === 'FieldValueTooMany';
    if (showsValue) s += `: ${formatGoValue(this.badValue)}`;
    if (this.detail.length > 0) s += `: ${this.detail}`;
    return s;
  }

  /** "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive" */
  toString(): string {
    return `${this.field}: ${this.body()}`;
  }

  /** A meta/v1 StatusCause: reason is the error type, message the body (no path), field the path. */
  toCause(): StatusCause {
    return { reason: this.type, message: this.body(), field: this.field };
  }
}

// ---- constructors, named after Kubernetes' field.Required/Invalid/... ----

export function required(field: string, detail = ''): FieldError {
  return new FieldError('FieldValueRequired', field, detail);
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return new FieldError('FieldValueInvalid', field, detail, value);
}

export function notSupported(field: string, value: unknown, validValues: readonly string[]): FieldError {
  const detail = validValues.length > 0 ? `supported values: ${validValues.map(goQuote).join(', ')}` : '';
  return new FieldError('FieldValueNotSupported', field, detail, value);
}

export function duplicate(field: string, value: unknown): FieldError {
  return new FieldError('FieldValueDuplicate', field, '', value);
}

export function forbidden(field: string, detail: string): FieldError {
  return new FieldError('FieldValueForbidden', field, detail);
}

export function tooLong(field: string, maxBytes: number): FieldError {
  return new FieldError('FieldValueTooLong', field, `must have at most ${maxBytes} bytes`);
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  return new FieldError('FieldValueTooMany', field, `must have at most ${max} items`, actual);
}

export const fieldImmutableErrorMsg = 'field is immutable';

/** Kubernetes' ValidateImmutableField: Invalid with the new value when the two differ. */
export function validateImmutableField(newVal: unknown, oldVal: unknown, field: string): FieldError[] {
  return semanticEqual(newVal, oldVal) ? [] : [invalid(field, newVal, fieldImmutableErrorMsg)];
}

// ---- messages for a list of errors ----

/**
 * Joins error strings the way Kubernetes' aggregate error does: one error is
 * printed alone, several are de-duplicated and wrapped as "[e1, e2]".
 */
export function aggregateMessage(errors: readonly FieldError[]): string {
  const seen: string[] = [];
  for (const e of errors) {
    const msg = e.toString();
    if (!seen.includes(msg)) seen.push(msg);
  }
  if (seen.length === 1) return seen[0] ?? '';
  return `[${seen.join(', ')}]`;
}

/**
 * `Service "web" is invalid: spec.ports[0].port: Invalid value: 0: ...`.
 * Kinds outside the core group are qualified as Kubernetes does ("Deployment.apps").
 */
export function formatInvalidMessage(kind: string, name: string, errors: readonly FieldError[], group = ''): string {
  const qualified = group === '' ? kind : `${kind}.${group}`;
  const head = `${qualified} ${goQuote(name)} is invalid`;
  return errors.length === 0 ? head : `${head}: ${aggregateMessage(errors)}`;
}

/** The 422 Invalid Status the API returns for a failed validation. */
export function invalidStatus(kind: string, name: string, errors: readonly FieldError[], group = ''): Status {
  return {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: formatInvalidMessage(kind, name, errors, group),
    reason: 'Invalid',
    details: { name, group, kind, causes: errors.map((e) => e.toCause()) },
    code: 422,
  };
}

// ---- rendering values like Go's fmt ----

/** Go's %q for a string (close enough for the ASCII and UTF-8 text found in manifests). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/**
 * Renders a bad value as Kubernetes' ErrorBody would: numbers and booleans
 * plain, strings quoted, string lists as []string{...}, string maps as
 * map[string]string{...}, absent values as null.
 */
export function formatGoValue(v: unknown): string {
  if (v instanceof GoValue) return v.text;
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return goQuote(v);
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return `[]string{${v.map((x) => goQuote(x as string)).join(', ')}}`;
    return safeJson(v);
  }
  if (isObject(v) && Object.values(v).every((x) => typeof x === 'string')) {
    const keys = Object.keys(v).sort();
    return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(v[k] as string)}`).join(', ')}}`;
  }
  return safeJson(v);
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

// ---- field paths ----

/** "spec" + "ports" → "spec.ports"; "" + "spec" → "spec". */
export function child(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** "spec.ports" + 0 → "spec.ports[0]". */
export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** Map keys print unquoted in brackets, as Kubernetes' Path.Key does: "data[my.key]". */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}

// ---- defensive readers ----

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads typed fields of one JSON object and records a field error for every
 * value of the wrong type, so callers can go on validating what is readable.
 */
export class FieldReader {
  constructor(
    readonly obj: JsonObject,
    readonly path: string,
    private readonly errs: FieldError[],
  ) {}

  /** A reader for a nested object; an absent or mistyped field reads as empty. */
  static of(v: unknown, path: string, errs: FieldError[]): FieldReader {
    if (v !== undefined && v !== null && !isObject(v)) errs.push(invalid(path, v, 'must be an object'));
    return new FieldReader(isObject(v) ? v : {}, path, errs);
  }

  has(name: string): boolean {
    const v = this.obj[name];
    return v !== undefined && v !== null;
  }

  raw(name: string): unknown {
    return this.obj[name];
  }

  at(name: string): string {
    return child(this.path, name);
  }

  string(name: string): string | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    this.errs.push(invalid(this.at(name), v, 'must be a string'));
    return undefined;
  }

  int(name: string): number | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    this.errs.push(invalid(this.at(name), v, 'must be an integer'));
    return undefined;
  }

  bool(name: string): boolean | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    this.errs.push(invalid(this.at(name), v, 'must be a boolean'));
    return undefined;
  }

  object(name: string): FieldReader | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (isObject(v)) return new FieldReader(v, this.at(name), this.errs);
    this.errs.push(invalid(this.at(name), v, 'must be an object'));
    return undefined;
  }

  array(name: string): unknown[] | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v;
    this.errs.push(invalid(this.at(name), v, 'must be an array'));
    return undefined;
  }

  /** Array items that are objects, each with its own reader; other items are reported. */
  objects(name: string): FieldReader[] {
    const items = this.array(name) ?? [];
    return items.map((item, i) => FieldReader.of(item, index(this.at(name), i), this.errs));
  }

  /** A list of strings; non-string items are reported and dropped. */
  strings(name: string): string[] | undefined {
    const items = this.array(name);
    if (items === undefined) return undefined;
    const out: string[] = [];
    items.forEach((item, i) => {
      if (typeof item === 'string') out.push(item);
      else this.errs.push(invalid(index(this.at(name), i), item, 'must be a string'));
    });
    return out;
  }

  /** A map of string to string; non-string values are reported and dropped. */
  stringMap(name: string): Record<string, string> | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) {
      this.errs.push(invalid(this.at(name), v, 'must be an object'));
      return undefined;
    }
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(v)) {
      if (typeof val === 'string') out[k] = val;
      else this.errs.push(invalid(key(this.at(name), k), val, 'must be a string'));
    }
    return out;
  }

  /** An int-or-string field (targetPort, probe ports). */
  intOrString(name: string): number | string | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' || (typeof v === 'number' && Number.isInteger(v))) return v;
    this.errs.push(invalid(this.at(name), v, 'must be an integer or a string'));
    return undefined;
  }
}

// ---- semantic equality ----

/**
 * Equality as Kubernetes' Semantic.DeepEqual sees decoded objects: a missing
 * field equals its zero value (absent, null, "", 0, false, [] and {} are all
 * "unset"), so a round trip through a client that drops empty fields is not a
 * change.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (isZero(a) && isZero(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => semanticEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!semanticEqual(a[k], b[k])) return false;
    return true;
  }
  return a === b;
}

function isZero(v: unknown): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObject(v)) return Object.values(v).every(isZero);
  return false;
}

/** Paths (relative to `path`) whose values differ semantically, for human-readable diffs. */
export function diffPaths(a: unknown, b: unknown, path: string, out: string[] = []): string[] {
  if (semanticEqual(a, b)) return out;
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffPaths(a[k], b[k], child(path, k), out);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => diffPaths(x, b[i], index(path, i), out));
    return out;
  }
  out.push(path);
  return out;
}
