// Pure decoder for a Kubernetes watch response body: one JSON object
// `{"type": ..., "object": ...}` per line. Network chunks split lines (and
// multi-byte UTF-8 characters) anywhere, servers may send blank lines as
// keep-alives, and lines may end in "\r\n". No I/O here.

import type { WatchEvent, WatchEventType } from './api/meta.js';

const EVENT_TYPES: ReadonlySet<string> = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** A line that is not a watch event: the stream is corrupt and must be dropped. */
export class WatchDecodeError extends Error {
  override name = 'WatchDecodeError';
}

/** Parses one non-blank line into an event, or throws WatchDecodeError quoting the line. */
export function decodeWatchLine(line: string): WatchEvent<unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new WatchDecodeError(`watch stream: invalid JSON (${(err as Error).message}) in line ${quote(line)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WatchDecodeError(`watch stream: expected an event object, got ${quote(line)}`);
  }
  const rec = parsed as Record<string, unknown>;
  const type = rec['type'];
  if (typeof type !== 'string' || !EVENT_TYPES.has(type)) {
    throw new WatchDecodeError(`watch stream: unknown event type ${JSON.stringify(type)} in line ${quote(line)}`);
  }
  const object = rec['object'];
  if (typeof object !== 'object' || object === null) {
    throw new WatchDecodeError(`watch stream: ${type} event has no object in line ${quote(line)}`);
  }
  return { type: type as WatchEventType, object };
}

function quote(line: string): string {
  return JSON.stringify(line.length > 200 ? line.slice(0, 200) + '…' : line);
}

/**
 * Incremental decoder: feed it chunks as they arrive, get back the complete
 * events they finish. Call `end()` once the body ends to flush a last line
 * that had no trailing newline.
 */
export class WatchStreamDecoder {
  private readonly text = new TextDecoder('utf-8', { fatal: false });
  private pending = '';

  /** @param maxLineLength guards memory against a server that never sends a newline. */
  constructor(private readonly maxLineLength = 64 * 1024 * 1024) {}

  push(chunk: Uint8Array | string): WatchEvent<unknown>[] {
    this.pending += typeof chunk === 'string' ? chunk : this.text.decode(chunk, { stream: true });
    const events: WatchEvent<unknown>[] = [];
    let start = 0;
    for (let nl = this.pending.indexOf('\n'); nl !== -1; nl = this.pending.indexOf('\n', start)) {
      const event = this.lineToEvent(this.pending.slice(start, nl));
      start = nl + 1;
      if (event) events.push(event);
    }
    this.pending = this.pending.slice(start);
    if (this.pending.length > this.maxLineLength) {
      throw new WatchDecodeError(`watch stream: line longer than ${this.maxLineLength} characters without a newline`);
    }
    return events;
  }

  end(): WatchEvent<unknown>[] {
    const rest = this.pending + this.text.decode();
    this.pending = '';
    const event = this.lineToEvent(rest);
    return event ? [event] : [];
  }

  private lineToEvent(raw: string): WatchEvent<unknown> | undefined {
    const line = raw.trim();
    return line === '' ? undefined : decodeWatchLine(line);
  }
}

/** Decodes a whole body given as chunks (sync or async), yielding events in order. */
export async function* decodeWatchStream(
  chunks: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): AsyncGenerator<WatchEvent<unknown>, void, undefined> {
  const decoder = new WatchStreamDecoder();
  for await (const chunk of chunks) yield* decoder.push(chunk);
  yield* decoder.end();
}
