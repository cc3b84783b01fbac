// Selecting and formatting container log output for /containerLogs, pure.
// Log files hold the container's raw stdout+stderr (the process writes them
// directly, so output survives agent restarts). Line times come from a side
// index of (file size, time) pairs that the agent appends while it watches
// the file: a line's time is when the agent first saw its bytes.

export interface LogOptions {
  tailLines?: number;
  limitBytes?: number;
  timestamps?: boolean;
  /** Only lines newer than this (ms since epoch). */
  sinceMs?: number;
}

export interface SizeAt {
  size: number;
  atMs: number;
}

export function parseLogOptions(q: URLSearchParams, nowMs: number): LogOptions & { follow: boolean; previous: boolean } {
  const int = (k: string): number | undefined => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${k}: "${v}" must be a non-negative integer`);
    return n;
  };
  const bool = (k: string): boolean => q.get(k) === 'true' || q.get(k) === '1' || q.get(k) === '';
  const opts: LogOptions & { follow: boolean; previous: boolean } = { follow: q.has('follow') && bool('follow'), previous: q.has('previous') && bool('previous') };
  const tail = int('tailLines');
  if (tail !== undefined) opts.tailLines = tail;
  const limit = int('limitBytes');
  if (limit !== undefined) opts.limitBytes = limit;
  if (q.has('timestamps') && bool('timestamps')) opts.timestamps = true;
  const since = int('sinceSeconds');
  if (since !== undefined) opts.sinceMs = nowMs - since * 1000;
  const sinceTime = q.get('sinceTime');
  if (sinceTime) {
    const t = Date.parse(sinceTime);
    if (Number.isNaN(t)) throw new Error(`sinceTime: "${sinceTime}" is not an RFC 3339 time`);
    opts.sinceMs = t;
  }
  return opts;
}

export function parseSizeIndex(text: string): SizeAt[] {
  const out: SizeAt[] = [];
  for (const line of text.split('\n')) {
    const [s, t] = line.split(' ');
    const size = Number(s);
    const atMs = Number(t);
    if (line && Number.isFinite(size) && Number.isFinite(atMs)) out.push({ size, atMs });
  }
  return out;
}

/** When the byte at `offset` was first seen: the first index entry whose size covers it; `fallbackMs` when the index has none. */
export function timeOfOffset(index: readonly SizeAt[], offset: number, fallbackMs: number): number {
  let lo = 0;
  let hi = index.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index[mid]!.size > offset) hi = mid;
    else lo = mid + 1;
  }
  return lo < index.length ? index[lo]!.atMs : fallbackMs;
}

export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/**
 * The lines of `text` (which starts at byte `baseOffset` of the file) that
 * the options select, formatted. tailLines is applied before limitBytes, as
 * the kubelet does; a partial last line (no newline yet) is included.
 */
export function formatLogs(text: string, baseOffset: number, o: LogOptions, index: readonly SizeAt[], fallbackMs: number): string {
  const lines: Array<{ offset: number; text: string }> = [];
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl + 1;
    lines.push({ offset: baseOffset + Buffer.byteLength(text.slice(0, at)), text: text.slice(at, end) });
    at = end;
  }
  let chosen = lines;
  if (o.sinceMs !== undefined) chosen = chosen.filter((l) => timeOfOffset(index, l.offset, fallbackMs) >= o.sinceMs!);
  if (o.tailLines !== undefined) chosen = o.tailLines === 0 ? [] : chosen.slice(-o.tailLines);
  let out = chosen.map((l) => (o.timestamps ? `${rfc3339Nano(timeOfOffset(index, l.offset, fallbackMs))} ${l.text}` : l.text)).join('');
  if (o.limitBytes !== undefined) out = Buffer.from(out).subarray(0, o.limitBytes).toString();
  return out;
}
