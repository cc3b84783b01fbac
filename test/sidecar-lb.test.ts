// The lb-sidecar against a real apiserver-lite (memory store, no controllers):
// a Service whose EndpointSlices are written by hand, with plain node:http
// servers playing the pods. No root, no namespaces, no lab. The sidecar runs
// in-process (runSidecar with the flags the image takes), reaching the API
// through --kubeconfig as it would outside a pod.
// Addresses: EndpointSlice validation rejects 127/8 (as Kubernetes does), so
// the "pods" listen on this host's own address (the default-route interface's
// IPv4 — local traffic, it never leaves the machine), one port each, one slice
// per port: slices of one Service may carry different target ports, and the
// sidecar keys upstreams by ip:port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { EndpointSlice, Service } from '../kube/api/core.js';
import { EndpointSlices, KubeClient, Services } from '../kube/client.js';
import { connectionFrom } from '../kube/kubeconfig.js';
import type { SidecarStatsReport } from '../sidecar/admin.js';
import { parseSidecarArgs } from '../sidecar/options.js';
import { UPSTREAM_HEADER } from '../sidecar/proxy.js';
import { runSidecar, type RunningSidecar } from '../sidecar/run.js';
import { cleanup, eventually, startApiServer, type ApiServerProcess } from './support/apiserver-process.js';

/** The IPv4 address of the interface holding the default route, or undefined. */
function hostAddress(): string | undefined {
  const iface = readFileSync('/proc/net/route', 'utf8').split('\n').slice(1).map((l) => l.split(/\s+/)).find((f) => f[1] === '00000000')?.[0];
  return iface ? os.networkInterfaces()[iface]?.find((a) => a.family === 'IPv4')?.address : undefined;
}

const HOST = hostAddress();
if (!HOST) console.warn('sidecar-lb.test: no IPv4 address on the default-route interface; skipping');

interface Backend {
  ip: string;
  port: number;
  address: string;
  server: http.Server;
  hits: number;
}

const backends: Backend[] = [];

async function startBackend(ip: string): Promise<Backend> {
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ip, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const b: Backend = { ip, port, address: `${ip}:${port}`, hits: 0, server };
  server.on('request', (req, res) => {
    b.hits++;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`backend ${b.address}\n`));
  });
  backends.push(b);
  return b;
}

function stopBackend(b: Backend): Promise<void> {
  b.server.closeAllConnections();
  return new Promise((r) => b.server.close(() => r()));
}

interface Answer {
  status: number;
  upstream: string;
  body: string;
}

const agent = new http.Agent({ keepAlive: true });

function get(base: string, path = '/', method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(`http://${base}${path}`, { method, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, upstream: String(res.headers[UPSTREAM_HEADER] ?? ''), body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function stats(s: RunningSidecar): Promise<SidecarStatsReport> {
  return JSON.parse((await get(s.admin, '/stats')).body) as SidecarStatsReport;
}

function slice(name: string, port: number, endpoints: EndpointSlice['endpoints']): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', protocol: 'TCP', port }],
    endpoints,
  };
}

describe.skipIf(!HOST)('lb-sidecar', () => {
  const ip = HOST ?? '';
  let api: ApiServerProcess;
  let client: KubeClient;
  let sidecar: RunningSidecar;
  let a: Backend;
  let b: Backend;
  const logs: string[] = [];

  beforeAll(async () => {
    api = await startApiServer();
    client = new KubeClient(await connectionFrom({ kubeconfig: api.kubeconfigPath }));
    a = await startBackend(ip);
    b = await startBackend(ip);
  });

  afterAll(async () => {
    await sidecar?.close();
    for (const x of backends) if (x.server.listening) await stopBackend(x);
    agent.destroy();
    client?.close();
    await cleanup();
  });

  it('balances, survives a dead backend, follows slice updates', async () => {
    // The sidecar is given the Service port number 80; the Service names it "http", which is what slices carry.
    await client.create<Service>(Services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] },
    });
    await client.create<EndpointSlice>(EndpointSlices, slice('web-a', a.port, [{ addresses: [ip] }]));
    let sliceB = await client.create<EndpointSlice>(EndpointSlices, slice('web-b', b.port, [{ addresses: [ip], conditions: { ready: true } }]));

    sidecar = await runSidecar(
      parseSidecarArgs([
        '--service', 'default/web', '--port', '80', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0',
        '--kubeconfig', api.kubeconfigPath, '--base-ejection-ms', '60000',
      ]),
      (l) => logs.push(l),
    );
    await sidecar.synced;
    expect((await get(sidecar.admin, '/ready')).status).toBe(200);
    let s = await stats(sidecar);
    expect(s.endpoints.sort()).toEqual([a.address, b.address].sort());
    expect(s.slicePort).toBe('http');

    // Round-robin: exact alternation, each answer from the backend the header names.
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await get(sidecar.listen, `/r${i}`);
      expect(r.status).toBe(200);
      expect(r.body).toBe(`backend ${r.upstream}\n`);
      seen.push(r.upstream);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
    expect(new Set(seen)).toEqual(new Set([a.address, b.address]));
    expect([a.hits, b.hits]).toEqual([4, 4]);
    // A body is streamed through (a request with a body is retried only after a failed connect).
    expect((await get(sidecar.listen, '/post', 'POST', 'hello')).status).toBe(200);

    // Kill b: every request still succeeds (connect refused → retry on a); after 3 errors b is ejected.
    await stopBackend(b);
    for (let i = 0; i < 10; i++) {
      const r = await get(sidecar.listen, `/k${i}`);
      expect(r.status).toBe(200);
      expect(r.upstream).toBe(a.address);
    }
    s = await stats(sidecar);
    expect(s.ejected).toEqual([b.address]);
    expect(s.upstreams[b.address]).toMatchObject({ ejected: true, timesEjected: 1, ejections: 1, failures: 3 });
    expect(s.totals.retries).toBe(3);
    expect(logs.some((l) => l.startsWith(`ejected ${b.address}`))).toBe(true);

    // The slice marks b not ready: it leaves the endpoint set.
    sliceB = await client.update<EndpointSlice>(EndpointSlices, { ...sliceB, endpoints: [{ addresses: [ip], conditions: { ready: false } }] });
    await eventually(async () => (await stats(sidecar)).endpoints.join() === a.address, 'the not-ready endpoint to leave', 10_000);
    expect((await stats(sidecar)).departed[b.address]).toBeDefined();
    expect(logs.some((l) => l.includes(`-${b.address}`))).toBe(true);

    // A new endpoint c gets traffic soon after a slice names it.
    const c = await startBackend(ip);
    const t0 = Date.now();
    await client.create<EndpointSlice>(EndpointSlices, slice('web-c', c.port, [{ addresses: [ip] }]));
    await eventually(async () => (await get(sidecar.listen, '/new')).upstream === c.address, 'a request to reach the new endpoint', 10_000);
    const newEndpointMs = Date.now() - t0;
    console.log(`lb-sidecar: a new endpoint got traffic ${newEndpointMs} ms after its EndpointSlice was created`);
    expect(newEndpointMs).toBeLessThan(10_000);

    // No endpoint at all: 503 at once, x-lb-upstream: none.
    for (const n of ['web-a', 'web-b', 'web-c']) await client.delete(EndpointSlices, n, { namespace: 'default' });
    await eventually(async () => (await stats(sidecar)).endpoints.length === 0, 'the endpoint set to empty', 10_000);
    const none = await get(sidecar.listen, '/none');
    expect(none.status).toBe(503);
    expect(none.upstream).toBe('none');
    expect((await stats(sidecar)).totals.noUpstream).toBe(1);
  });

  it('least-request spreads concurrent load over the endpoints', async () => {
    const x = await startBackend(ip);
    const y = await startBackend(ip);
    await client.create<EndpointSlice>(EndpointSlices, slice('web-x', x.port, [{ addresses: [ip] }]));
    await client.create<EndpointSlice>(EndpointSlices, slice('web-y', y.port, [{ addresses: [ip] }]));
    const lr = await runSidecar(
      parseSidecarArgs(['--service', 'default/web', '--port', 'http', '--policy', 'least-request', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--kubeconfig', api.kubeconfigPath]),
      () => undefined,
    );
    try {
      await lr.synced;
      expect((await stats(lr)).endpoints.length).toBe(2);
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => get(lr.listen, `/lr${i}`)));
      expect(answers.every((r) => r.status === 200)).toBe(true);
      expect(x.hits).toBeGreaterThan(0);
      expect(y.hits).toBeGreaterThan(0);
      expect(x.hits + y.hits).toBe(40);
      expect((await stats(lr)).policy).toBe('least-request');
    } finally {
      await lr.close();
    }
  });

  it('answers 504 when an upstream does not answer in time', async () => {
    const silent = http.createServer(() => undefined); // reads the request, never answers
    await new Promise<void>((r) => silent.listen(0, ip, () => r()));
    const port = (silent.address() as AddressInfo).port;
    try {
      await client.create<Service>(Services, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'slow', namespace: 'default' }, spec: { ports: [{ port: 80, targetPort: port }] } });
      await client.create<EndpointSlice>(EndpointSlices, { ...slice('slow-a', port, [{ addresses: [ip] }]), metadata: { name: 'slow-a', namespace: 'default', labels: { 'kubernetes.io/service-name': 'slow' } }, ports: [{ port, protocol: 'TCP' }] });
      const sc = await runSidecar(
        parseSidecarArgs(['--service', 'default/slow', '--port', '80', '--response-timeout-ms', '300', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--kubeconfig', api.kubeconfigPath]),
        () => undefined,
      );
      try {
        await sc.synced;
        expect((await stats(sc)).slicePort).toBe('');
        const r = await get(sc.listen, '/slow');
        expect(r.status).toBe(504);
        expect(r.upstream).toBe(`${ip}:${port}`);
        expect((await stats(sc)).upstreams[`${ip}:${port}`]).toMatchObject({ requests: 1, failures: 1, active: 0, consecutiveErrors: 1 });
      } finally {
        await sc.close();
      }
    } finally {
      silent.closeAllConnections();
      await new Promise((r) => silent.close(r));
    }
  });
});
