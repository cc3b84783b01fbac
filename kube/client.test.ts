import { describe, expect, it } from 'vitest';
import { apiErrorFromResponse, ApiError, isApiError, KubeClient, Nodes, Pods, EndpointSlices, Deployments } from './client.js';
import { decodeWatchLine, decodeWatchStream, WatchDecodeError, WatchStreamDecoder } from './watch-decoder.js';

const ev = (type: string, name: string, rv: string): string =>
  JSON.stringify({ type, object: { kind: 'Pod', metadata: { name, namespace: 'ns', resourceVersion: rv } } });

async function collect(chunks: Array<string | Uint8Array>): Promise<Array<{ type: string; name: unknown }>> {
  const out: Array<{ type: string; name: unknown }> = [];
  for await (const e of decodeWatchStream(chunks)) {
    out.push({ type: e.type, name: (e.object as { metadata?: { name?: string } }).metadata?.name });
  }
  return out;
}

describe('watch stream decoder', () => {
  const body = `${ev('ADDED', 'a', '1')}\n${ev('MODIFIED', 'a', '2')}\n${ev('DELETED', 'a', '3')}\n`;
  const want = [
    { type: 'ADDED', name: 'a' },
    { type: 'MODIFIED', name: 'a' },
    { type: 'DELETED', name: 'a' },
  ];

  it('decodes one event per line', async () => {
    expect(await collect([body])).toEqual(want);
  });

  it.each([1, 2, 3, 7, 50, 97])('gives the same events when the body is cut every %i bytes', async (size) => {
    const bytes = new TextEncoder().encode(body);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    expect(await collect(chunks)).toEqual(want);
  });

  it('keeps a multi-byte character split between chunks intact', async () => {
    const line = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'ü-€-😀' } } }) + '\n';
    const bytes = new TextEncoder().encode(line);
    const cut = bytes.indexOf(0xe2) + 1; // inside the euro sign's three bytes
    expect(await collect([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([{ type: 'ADDED', name: 'ü-€-😀' }]);
  });

  it('ignores blank keep-alive lines and CRLF endings', async () => {
    const text = `\n\r\n   \n${ev('ADDED', 'a', '1')}\r\n\n\n${ev('BOOKMARK', 'a', '9')}\r\n`;
    expect(await collect([text])).toEqual([
      { type: 'ADDED', name: 'a' },
      { type: 'BOOKMARK', name: 'a' },
    ]);
  });

  it('emits an event only once its line is complete, and flushes a last line without newline at end', () => {
    const d = new WatchStreamDecoder();
    const line = ev('ADDED', 'a', '1');
    expect(d.push(line.slice(0, 10))).toEqual([]);
    expect(d.push(line.slice(10))).toEqual([]);
    const flushed = d.end();
    expect(flushed.map((e) => e.type)).toEqual(['ADDED']);
  });

  it('passes ERROR events through with their Status', () => {
    const e = decodeWatchLine(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Gone' } }));
    expect(e).toEqual({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Gone' } });
  });

  it.each([
    { name: 'invalid JSON', line: '{"type":"ADDED",', error: /invalid JSON/ },
    { name: 'an unknown type', line: '{"type":"CHANGED","object":{}}', error: /unknown event type "CHANGED"/ },
    { name: 'no object', line: '{"type":"ADDED"}', error: /has no object/ },
    { name: 'not an object', line: '[1,2]', error: /expected an event object/ },
  ])('rejects $name, quoting the line', ({ line, error }) => {
    expect(() => decodeWatchLine(line)).toThrow(WatchDecodeError);
    expect(() => decodeWatchLine(line)).toThrow(error);
  });

  it('refuses a line that never ends', () => {
    const d = new WatchStreamDecoder(16);
    expect(() => d.push('{"type":"ADDED","object":')).toThrow(/longer than 16/);
  });
});

describe('apiErrorFromResponse', () => {
  it('takes code, reason and message from a Status body', () => {
    const status = {
      apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure',
      message: 'pods "web" not found', reason: 'NotFound', details: { name: 'web', kind: 'pods' }, code: 404,
    };
    const err = apiErrorFromResponse(404, JSON.stringify(status), 'GET /api/v1/namespaces/ns/pods/web');
    expect(err).toBeInstanceOf(ApiError);
    expect(err.message).toBe('pods "web" not found');
    expect(err.code).toBe(404);
    expect(err.reason).toBe('NotFound');
    expect(err.status?.details?.name).toBe('web');
    expect(isApiError(err, 404)).toBe(true);
    expect(isApiError(err, 410)).toBe(false);
  });

  it('names the request when the body is not a Status', () => {
    const err = apiErrorFromResponse(502, '<html>Bad Gateway</html>', 'GET /api/v1/pods');
    expect(err.code).toBe(502);
    expect(err.reason).toBeUndefined();
    expect(err.message).toBe('GET /api/v1/pods: HTTP 502: <html>Bad Gateway</html>');
  });

  it('falls back to the reason when the Status has no message', () => {
    const err = apiErrorFromResponse(410, JSON.stringify({ kind: 'Status', code: 410, reason: 'Gone' }), 'GET /api/v1/pods?watch=1');
    expect(err.message).toBe('GET /api/v1/pods?watch=1: HTTP 410 Gone');
    expect(isApiError(err, 410)).toBe(true);
  });
});

describe('KubeClient without a server', () => {
  const client = new KubeClient({ server: 'https://127.0.0.1:1' });

  it.each([
    { name: 'get of a namespaced kind without namespace', call: () => client.get(Pods, 'web'), error: /get Pod "web": namespace is required/ },
    { name: 'get of a cluster-scoped kind with a namespace', call: () => client.get(Nodes, 'n1', { namespace: 'ns' }), error: /cluster-scoped/ },
    { name: 'update without metadata.name', call: () => client.update(Deployments, { metadata: { namespace: 'ns' } }), error: /metadata.name is required/ },
    { name: 'create without a namespace', call: () => client.create(EndpointSlices, { metadata: { name: 'x' } }), error: /namespace is required/ },
    { name: 'a json patch that is not a list', call: () => client.patch(Pods, 'web', 'json', { a: 1 }, { namespace: 'ns' }), error: /array of operations/ },
    { name: 'pageSize together with limit', call: () => client.list(Pods, { pageSize: 10, limit: 5 }), error: /either pageSize or limit/ },
  ])('rejects $name before any I/O', async ({ call, error }) => {
    await expect(call()).rejects.toThrow(error);
  });

  it('refuses a non-http server URL at construction', () => {
    expect(() => new KubeClient({ server: 'ftp://x' })).toThrow(/not an http\(s\) URL/);
  });
});
