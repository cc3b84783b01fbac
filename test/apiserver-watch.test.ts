// Watch and request semantics over raw HTTPS against the real `netkube
// apiserver` process: exactly what client libraries rely on, byte for byte.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanup,
  closeWatches,
  openWatch,
  request,
  startApiServer,
  type ApiServerProcess,
  type RawWatch,
  type WatchEventLine,
} from './support/apiserver-process.js';

/** Small, so that a 410 is reachable with a few dozen writes. */
const WATCH_CACHE_SIZE = 20;

let server: ApiServerProcess;
let idle: RawWatch;

interface Obj {
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion: string; labels?: Record<string, string> };
}
interface StatusBody {
  kind: string;
  status: string;
  code: number;
  reason: string;
  message: string;
}

async function call(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Obj> {
  const r = await request(server, {
    method,
    path,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': contentType } } : {}),
  });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
  return r.json as Obj;
}

async function makeNamespace(name: string): Promise<string> {
  await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

const cmPath = (ns: string, name?: string) => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

function createCM(ns: string, name: string, labels: Record<string, string> = {}): Promise<Obj> {
  return call('POST', cmPath(ns), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { v: '0' } });
}

function setLabels(ns: string, name: string, labels: Record<string, string | null>): Promise<Obj> {
  return call('PATCH', cmPath(ns, name), { metadata: { labels } }, 'application/merge-patch+json');
}

const summary = (events: WatchEventLine[]) => events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`);

beforeAll(async () => {
  server = await startApiServer({ store: 'memory', env: { NETKUBE_WATCH_CACHE_SIZE: String(WATCH_CACHE_SIZE) } });
  // Opened first and left idle for the whole file: its keep-alives are checked at the end.
  await makeNamespace('idle');
  const rv = (await call('GET', cmPath('idle'))).metadata.resourceVersion;
  idle = await openWatch(server, `${cmPath('idle')}?watch=true&resourceVersion=${rv}`);
});
afterAll(async () => {
  closeWatches();
  await cleanup();
});

describe('watch starting points', () => {
  let ns: string;
  const rvs: Record<string, string> = {};
  beforeAll(async () => {
    ns = await makeNamespace('start');
    for (const n of ['a', 'b', 'c']) rvs[n] = (await createCM(ns, n)).metadata.resourceVersion;
  });

  it('events start exactly after the given resourceVersion', async () => {
    const w = await openWatch(server, `${cmPath(ns)}?watch=true&resourceVersion=${rvs.a}`);
    expect(w.status).toBe(200);
    await w.waitFor((e) => e.length >= 2, 'two events');
    expect(summary(w.events)).toEqual(['ADDED b', 'ADDED c']);
    expect(w.events.map((e) => e.object.metadata?.resourceVersion)).toEqual([rvs.b, rvs.c]);
    await createCM(ns, 'd');
    await w.waitFor((e) => e.length >= 3, 'the live event');
    expect(summary(w.events)).toEqual(['ADDED b', 'ADDED c', 'ADDED d']);
    w.close();
    await call('DELETE', cmPath(ns, 'd'));
  });

  it.each(['', '0'])('resourceVersion=%j first sends the current objects as ADDED, then live events', async (rv) => {
    const w = await openWatch(server, `${cmPath(ns)}?watch=true${rv === '' ? '' : `&resourceVersion=${rv}`}`);
    await w.waitFor((e) => e.length >= 3, 'the initial objects');
    expect(summary(w.events)).toEqual(['ADDED a', 'ADDED b', 'ADDED c']);
    const changed = await setLabels(ns, 'a', { touched: rv || 'unset' });
    await w.waitFor((e) => e.length >= 4, 'the change');
    expect(summary(w.events)[3]).toBe('MODIFIED a');
    expect(w.events[3]!.object.metadata?.resourceVersion).toBe(changed.metadata.resourceVersion);
    // No BOOKMARK unless asked for.
    expect(w.events.filter((e) => e.type === 'BOOKMARK')).toEqual([]);
    w.close();
  });

  it('sendInitialEvents=true sends the objects, then a BOOKMARK annotated initial-events-end', async () => {
    const w = await openWatch(server, `${cmPath(ns)}?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan`);
    const events = await w.waitFor((e) => e.some((x) => x.type === 'BOOKMARK'), 'the initial-events-end bookmark');
    expect(summary(events)).toEqual(['ADDED a', 'ADDED b', 'ADDED c', 'BOOKMARK ']);
    const bookmark = events[3]!.object;
    expect(bookmark.kind).toBe('ConfigMap');
    expect(bookmark.metadata?.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    const maxRv = Math.max(...events.slice(0, 3).map((e) => Number(e.object.metadata?.resourceVersion)));
    expect(Number(bookmark.metadata?.resourceVersion)).toBeGreaterThanOrEqual(maxRv);
    w.close();
  });

  it('sendInitialEvents without allowWatchBookmarks is refused with 422 (so Go clients fall back)', async () => {
    const r = await request(server, { path: `${cmPath(ns)}?watch=true&sendInitialEvents=true` });
    expect(r.status).toBe(422);
    expect((r.json as StatusBody).kind).toBe('Status');
  });

  it('a watch of one object by fieldSelector sees only that object', async () => {
    const w = await openWatch(server, `${cmPath(ns)}?watch=true&fieldSelector=metadata.name%3Db`);
    await w.waitFor((e) => e.length >= 1, 'b');
    await setLabels(ns, 'c', { x: '1' });
    await setLabels(ns, 'b', { x: '1' });
    await w.waitFor((e) => e.length >= 2, 'the change to b');
    expect(summary(w.events)).toEqual(['ADDED b', 'MODIFIED b']);
    w.close();
  });
});

describe('stream lifetime', () => {
  it('timeoutSeconds ends the stream', async () => {
    const w = await openWatch(server, `${cmPath('idle')}?watch=true&timeoutSeconds=1`);
    expect(w.status).toBe(200);
    await w.waitForEnd(10_000);
    expect(w.events).toEqual([]);
  });

  it('a resourceVersion older than the watch cache gets an ERROR 410 Expired event, then the stream closes', async () => {
    const ns = await makeNamespace('busy');
    const first = await createCM(ns, 'churn');
    for (let i = 1; i <= WATCH_CACHE_SIZE + 5; i++) await call('PATCH', cmPath(ns, 'churn'), { data: { v: String(i) } }, 'application/merge-patch+json');
    const w = await openWatch(server, `${cmPath(ns)}?watch=true&resourceVersion=${first.metadata.resourceVersion}`);
    await w.waitForEnd();
    expect(w.events).toHaveLength(1);
    const ev = w.events[0]!;
    expect(ev.type).toBe('ERROR');
    expect(ev.object).toMatchObject({ kind: 'Status', status: 'Failure', code: 410, reason: 'Expired' });
    expect(ev.object.message).toMatch(/^too old resource version: /);
  });

  it('history is kept per resource: the busy ConfigMaps did not expire a Services watch from before them', async () => {
    const ns = await makeNamespace('quiet');
    const svc = await call('POST', `/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } });
    for (let i = 0; i < WATCH_CACHE_SIZE + 5; i++) await createCM(ns, `cm-${i}`);
    await call('DELETE', `/api/v1/namespaces/${ns}/services/s`);
    const w = await openWatch(server, `/api/v1/namespaces/${ns}/services?watch=true&resourceVersion=${svc.metadata.resourceVersion}`);
    await w.waitFor((e) => e.length >= 1, 'the delete');
    expect(summary(w.events)).toEqual(['DELETED s']);
    w.close();
  });
});

describe('label selector transitions', () => {
  it('an object modified into the selector is ADDED, out of it DELETED', async () => {
    const ns = await makeNamespace('selector');
    const start = await createCM(ns, 'other', { app: 'y' });
    const w = await openWatch(server, `${cmPath(ns)}?watch=true&labelSelector=app%3Dx&resourceVersion=${start.metadata.resourceVersion}`);
    await createCM(ns, 'm', { app: 'x' });
    await setLabels(ns, 'm', { app: 'y' });
    await setLabels(ns, 'other', { tier: 'z' }); // never matches: never seen
    await setLabels(ns, 'm', { app: 'x' });
    await setLabels(ns, 'm', { extra: '1' });
    await call('DELETE', cmPath(ns, 'm'));
    await w.waitFor((e) => e.length >= 5, 'five events');
    expect(summary(w.events)).toEqual(['ADDED m', 'DELETED m', 'ADDED m', 'MODIFIED m', 'DELETED m']);
    // The DELETED for leaving the selector carries the object as it now is.
    expect(w.events[1]!.object.metadata?.labels).toEqual({ app: 'y' });
    w.close();
  });
});

describe('lists', () => {
  it('pages with limit/continue at one resourceVersion, with remainingItemCount', async () => {
    const ns = await makeNamespace('paging');
    for (const n of ['p1', 'p2', 'p3', 'p4', 'p5']) await createCM(ns, n);
    type Page = { metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number }; items: Obj[] };
    const page = async (q: string): Promise<Page> => (await request(server, { path: `${cmPath(ns)}?${q}` })).json as Page;
    const p1 = await page('limit=2');
    expect(p1.items.map((i) => i.metadata.name)).toEqual(['p1', 'p2']);
    expect(p1.metadata.remainingItemCount).toBe(3);
    expect(p1.metadata.continue).toBeTruthy();
    // A write between pages is not in the snapshot.
    await createCM(ns, 'p6');
    const p2 = await page(`limit=2&continue=${encodeURIComponent(p1.metadata.continue!)}`);
    expect(p2.items.map((i) => i.metadata.name)).toEqual(['p3', 'p4']);
    expect(p2.metadata.remainingItemCount).toBe(1);
    expect(p2.metadata.resourceVersion).toBe(p1.metadata.resourceVersion);
    const p3 = await page(`limit=2&continue=${encodeURIComponent(p2.metadata.continue!)}`);
    expect(p3.items.map((i) => i.metadata.name)).toEqual(['p5']);
    expect(p3.metadata.continue).toBeUndefined();
    const all = await page('');
    expect(all.items.map((i) => i.metadata.name)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(Number(all.metadata.resourceVersion)).toBeGreaterThan(Number(p1.metadata.resourceVersion));
  });

  it('a garbage continue token is a 400 Status', async () => {
    const r = await request(server, { path: `${cmPath('default')}?limit=1&continue=garbage` });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
  });

  it('serves Tables for Accept: application/json;as=Table;v=v1;g=meta.k8s.io', async () => {
    const r = await request(server, { path: '/api/v1/namespaces/default/services', headers: { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' } });
    expect(r.status).toBe(200);
    const t = r.json as { kind: string; apiVersion: string; columnDefinitions: { name: string }[]; rows: { cells: unknown[]; object: { kind: string } }[] };
    expect(t.kind).toBe('Table');
    expect(t.apiVersion).toBe('meta.k8s.io/v1');
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(expect.arrayContaining(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age']));
    const names = t.columnDefinitions.map((c) => c.name);
    const row = t.rows.find((x) => x.cells[0] === 'kubernetes');
    expect(row?.cells[names.indexOf('Cluster-IP')]).toBe('10.96.0.1');
    expect(row?.cells[names.indexOf('Port(s)')]).toBe('443/TCP');
    expect(row?.object.kind).toBe('PartialObjectMetadata');
  });
});

describe('bad requests get Status objects', () => {
  it('malformed JSON is 400', async () => {
    const r = await request(server, { method: 'POST', path: cmPath('default'), body: '{"apiVersion": "v1", "kind": ', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, reason: 'BadRequest' });
  });

  it('malformed YAML is 400', async () => {
    const r = await request(server, { method: 'POST', path: cmPath('default'), body: 'metadata: {name: [unclosed\n', headers: { 'content-type': 'application/yaml' } });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
  });

  it('a body over 3 MiB is 413', async () => {
    const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { x: 'a'.repeat(3 * 1024 * 1024 + 10) } });
    const r = await request(server, { method: 'POST', path: cmPath('default'), body: big, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ kind: 'Status', code: 413, reason: 'RequestEntityTooLarge' });
    expect((await request(server, { path: cmPath('default', 'big') })).status).toBe(404);
  });

  it('an unknown content type is 415', async () => {
    const r = await request(server, { method: 'POST', path: cmPath('default'), body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(415);
    expect(r.json).toMatchObject({ kind: 'Status', code: 415, reason: 'UnsupportedMediaType' });
  });

  it('a PATCH with an unknown patch type is 415', async () => {
    const r = await request(server, { method: 'PATCH', path: '/api/v1/namespaces/default/services/kubernetes', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(415);
    expect(r.json).toMatchObject({ kind: 'Status', code: 415, reason: 'UnsupportedMediaType' });
  });
});

describe('authentication', () => {
  it.each([
    ['no token', null],
    ['a wrong token', 'wrong'],
  ])('%s is 401 on the API', async (_what, token) => {
    const r = await request(server, { path: '/api/v1/namespaces', token });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
  });

  it('watches need a token too', async () => {
    const r = await request(server, { path: '/api/v1/services?watch=true', token: null });
    expect(r.status).toBe(401);
  });

  it.each(['/healthz', '/livez', '/readyz', '/version'])('%s answers without a token', async (path) => {
    const r = await request(server, { path, token: null });
    expect(r.status).toBe(200);
    if (path === '/version') expect(r.json).toMatchObject({ major: '1' });
    else expect(r.body).toBe('ok');
  });
});

describe('keep-alive', () => {
  it('an idle watch receives bare newlines and no events', async () => {
    // Opened in beforeAll; the server writes a newline at least every 20 s.
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no keep-alive newline on an idle watch within 25 s; got ${JSON.stringify(idle.raw())}`)), 25_000);
      const poll = setInterval(() => {
        if (idle.raw().includes('\n')) {
          clearInterval(poll);
          clearTimeout(deadline);
          resolve();
        }
      }, 100);
    });
    expect(idle.raw().trim()).toBe('');
    expect(idle.events).toEqual([]);
    expect(idle.ended()).toBe(false);
  }, 40_000);
});
