// Serves one HTTP watch: newline-delimited JSON events, each serialized once
// per event (the cache keeps its JSON text), a bare newline every keep-alive
// interval so idle streams stay open (Kubernetes has no heartbeat event type;
// clients ignore blank lines), BOOKMARKs only when asked for, and a 410
// Expired ERROR event when the requested resourceVersion is too old.
import type { ServerResponse } from 'node:http';
import type { KubeObject, WatchEventType } from '../kube/api/meta.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { renderTable } from './table.js';
import type { Representation } from './negotiation.js';
import { TooOldResourceVersionError, type CachedEvent, type WatchCache, type WatchFilter } from './watch-cache.js';

export interface WatchStreamOptions {
  def: ResourceDef;
  cache: WatchCache;
  res: ServerResponse;
  /** Events after this revision are sent. */
  fromRevision: number;
  /** Objects to send first as ADDED (initial state for resourceVersion "" / "0" or sendInitialEvents). */
  initial?: readonly KubeObject[];
  /** After the initial objects, send a BOOKMARK annotated k8s.io/initial-events-end (sendInitialEvents=true). */
  initialEventsEndBookmark?: boolean;
  filter: WatchFilter;
  representation: Representation;
  allowBookmarks: boolean;
  timeoutSeconds: number;
  keepAliveMs: number;
  bookmarkMs: number;
  onClose?: () => void;
}

function eventLine(type: WatchEventType, objectJson: string): string {
  return `{"type":"${type}","object":${objectJson}}\n`;
}

function bookmarkObject(def: ResourceDef, rv: number, annotations?: Record<string, string>): string {
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (annotations) metadata.annotations = annotations;
  return JSON.stringify({ kind: def.kind, apiVersion: apiVersionOf(def), metadata });
}

export function expiredStatusJson(message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Expired', code: 410 });
}

export function serveWatch(o: WatchStreamOptions): void {
  const { res, def } = o;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders?.();
  let closed = false;
  let headersSent = false;
  let lastRevision = o.fromRevision;
  const timers: NodeJS.Timeout[] = [];
  let stop: (() => void) | undefined;

  const finish = () => {
    if (closed) return;
    closed = true;
    stop?.();
    for (const t of timers) clearInterval(t);
    o.onClose?.();
    if (!res.writableEnded) res.end();
  };
  res.on('close', finish);
  res.on('error', finish);

  // Table watchers get one-row Tables; the column definitions travel only in the first event.
  const tableJson = (obj: KubeObject): string => {
    const t = renderTable(def.kind, [obj], {
      includeObject: 'Metadata',
      noHeaders: headersSent,
    });
    headersSent = true;
    if (o.representation.kind === 'table' && o.representation.version === 'v1beta1') (t as { apiVersion: string }).apiVersion = 'meta.k8s.io/v1beta1';
    return JSON.stringify(t);
  };
  const partialJson = (obj: KubeObject): string =>
    JSON.stringify({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${o.representation.kind === 'partial' ? o.representation.version : 'v1'}`, metadata: obj.metadata });

  const send = (type: WatchEventType, obj: KubeObject, json?: string): void => {
    if (closed) return;
    let body: string;
    if (o.representation.kind === 'table') body = tableJson(obj);
    else if (o.representation.kind === 'partial') body = partialJson(obj);
    else body = json ?? JSON.stringify(obj);
    res.write(eventLine(type, body));
  };

  for (const obj of o.initial ?? []) send('ADDED', obj);
  if (o.initialEventsEndBookmark) {
    res.write(eventLine('BOOKMARK', bookmarkObject(def, o.fromRevision, { 'k8s.io/initial-events-end': 'true' })));
  }

  try {
    stop = o.cache.watch(o.fromRevision, o.filter, (type: WatchEventType, ev: CachedEvent) => {
      lastRevision = ev.revision;
      send(type, ev.object, ev.objectJson);
    });
  } catch (e) {
    if (e instanceof TooOldResourceVersionError) {
      res.write(eventLine('ERROR', expiredStatusJson(`too old resource version: ${e.requested} (${e.oldest})`)));
      finish();
      return;
    }
    throw e;
  }

  timers.push(
    setInterval(() => {
      if (!closed) res.write('\n');
    }, o.keepAliveMs),
  );
  if (o.allowBookmarks) {
    timers.push(
      setInterval(() => {
        const rv = Math.max(lastRevision, o.cache.latestRevision);
        if (!closed) res.write(eventLine('BOOKMARK', bookmarkObject(def, rv)));
      }, o.bookmarkMs),
    );
  }
  const timeout = setTimeout(finish, o.timeoutSeconds * 1000);
  timers.push(timeout);
}
