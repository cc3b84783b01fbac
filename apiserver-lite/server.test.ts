// The API's object semantics through app.inject() on the memory store: no
// sockets, no certificates, every request the way a client sends it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { parsePortRange } from './allocators.js';
import { bootstrapCluster } from './bootstrap.js';
import { Registry } from './registry.js';
import { buildApiServer } from './server.js';
import { MemoryStore } from './storage/memory-store.js';

let app: FastifyInstance;
let registry: Registry;

beforeEach(async () => {
  registry = new Registry({ store: new MemoryStore(), serviceClusterIPRange: '10.96.0.0/12', serviceNodePortRange: parsePortRange('30000-32767') });
  await registry.start();
  await bootstrapCluster(registry, { advertiseAddress: '172.18.0.1', securePort: 6443, log: () => undefined });
  app = buildApiServer({ registry, serverAddress: '172.18.0.1:6443', issueServiceAccountToken: (ns, n) => `token-for-${ns}-${n}` });
});

afterEach(async () => {
  await app.close();
  await registry.close();
});

async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, body?: unknown, contentType = 'application/json') {
  const res = await app.inject({
    method,
    url,
    ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': contentType } } : {}),
  });
  return { code: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : {} };
}

const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'echo' }], ...extra },
});

describe('bootstrap', () => {
  it('has the system namespaces and the kubernetes Service with its endpoints', async () => {
    const ns = await call('GET', '/api/v1/namespaces');
    expect(ns.body.items.map((n: any) => n.metadata.name).sort()).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    const svc = await call('GET', '/api/v1/namespaces/default/services/kubernetes');
    expect(svc.body.spec.clusterIP).toBe('10.96.0.1');
    const slice = await call('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    expect(slice.body.endpoints[0].addresses).toEqual(['172.18.0.1']);
    expect(slice.body.ports[0].port).toBe(6443);
  });
});

describe('objects', () => {
  it('fills uid, creationTimestamp, generation and a generated name', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/services', { metadata: { generateName: 'web-' }, spec: { ports: [{ port: 80 }] } });
    expect(r.code).toBe(201);
    expect(r.body.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(r.body.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.body.metadata.generation).toBe(1);
    expect(r.body.spec.ports[0]).toEqual({ port: 80, protocol: 'TCP', targetPort: 80 });
  });

  it('bumps generation on spec changes only, and keeps status out of the main resource', async () => {
    await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'd' },
      spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    const lab = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/d', { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json');
    expect(lab.body.metadata.generation).toBe(1);
    const spec = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/d', { spec: { replicas: 3 }, status: { replicas: 99 } }, 'application/merge-patch+json');
    expect(spec.body.metadata.generation).toBe(2);
    expect(spec.body.status).toBeUndefined();
    const st = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/d/status', { status: { replicas: 3 }, spec: { replicas: 7 } }, 'application/merge-patch+json');
    expect(st.body.status.replicas).toBe(3);
    expect(st.body.spec.replicas).toBe(3);
    expect(st.body.metadata.generation).toBe(2);
  });

  it('rejects a stale resourceVersion with 409 Conflict', async () => {
    const c = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'cm' }, data: { a: '1' } });
    await call('PUT', '/api/v1/namespaces/default/configmaps/cm', { ...c.body, data: { a: '2' } });
    const stale = await call('PUT', '/api/v1/namespaces/default/configmaps/cm', { ...c.body, data: { a: '3' } });
    expect(stale.code).toBe(409);
    expect(stale.body).toMatchObject({ kind: 'Status', reason: 'Conflict' });
    expect(stale.body.message).toContain('the object has been modified');
  });

  it('dry run validates and allocates nothing', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/services?dryRun=All', { metadata: { name: 'dry' }, spec: { clusterIP: '10.96.0.50', ports: [{ port: 80 }] } });
    expect(r.code).toBe(201);
    expect((await call('GET', '/api/v1/namespaces/default/services/dry')).code).toBe(404);
    const real = await call('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'real' }, spec: { clusterIP: '10.96.0.50', ports: [{ port: 80 }] } });
    expect(real.code).toBe(201);
  });

  it('a requested cluster IP cannot be taken twice, and is free again after delete', async () => {
    const a = await call('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'a' }, spec: { clusterIP: '10.96.0.60', ports: [{ port: 80 }] } });
    expect(a.code).toBe(201);
    const b = await call('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'b' }, spec: { clusterIP: '10.96.0.60', ports: [{ port: 80 }] } });
    expect(b.code).toBe(422);
    expect(b.body.message).toContain('provided IP is already allocated');
    await call('DELETE', '/api/v1/namespaces/default/services/a');
    expect((await call('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'b' }, spec: { clusterIP: '10.96.0.60', ports: [{ port: 80 }] } })).code).toBe(201);
  });

  it('keeps clusterIP and nodePorts when a manifest without them is re-applied (PUT)', async () => {
    const c = await call('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'np' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    const put = await call('PUT', '/api/v1/namespaces/default/services/np', { metadata: { name: 'np', resourceVersion: c.body.metadata.resourceVersion }, spec: { type: 'NodePort', ports: [{ port: 80 }] } });
    expect(put.code).toBe(200);
    expect(put.body.spec.clusterIP).toBe(c.body.spec.clusterIP);
    expect(put.body.spec.ports[0].nodePort).toBe(c.body.spec.ports[0].nodePort);
  });
});

describe('deletion', () => {
  it('a pod bound to a node terminates gracefully; one never scheduled goes at once', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', pod('bound', { nodeName: 'node-1' }));
    const d = await call('DELETE', '/api/v1/namespaces/default/pods/bound');
    expect(d.code).toBe(202);
    expect(d.body.metadata.deletionTimestamp).toBeDefined();
    expect(d.body.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await call('GET', '/api/v1/namespaces/default/pods/bound')).code).toBe(200);
    const forced = await call('DELETE', '/api/v1/namespaces/default/pods/bound?gracePeriodSeconds=0');
    expect(forced.code).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/pods/bound')).code).toBe(404);

    await call('POST', '/api/v1/namespaces/default/pods', pod('pending'));
    expect((await call('DELETE', '/api/v1/namespaces/default/pods/pending')).code).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/default/pods/pending')).code).toBe(404);
  });

  it('finalizers hold an object until the last one is removed', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'f', finalizers: ['example.com/hold'] } });
    const d = await call('DELETE', '/api/v1/namespaces/default/configmaps/f');
    expect(d.body.metadata.deletionTimestamp).toBeDefined();
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/f')).code).toBe(200);
    await call('PATCH', '/api/v1/namespaces/default/configmaps/f', { metadata: { finalizers: null } }, 'application/merge-patch+json');
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/f')).code).toBe(404);
  });

  it('a terminating namespace refuses new content and disappears once empty', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'gone' } });
    await call('POST', '/api/v1/namespaces/gone/configmaps', { metadata: { name: 'x' } });
    const d = await call('DELETE', '/api/v1/namespaces/gone');
    expect(d.body.status.phase).toBe('Terminating');
    const refused = await call('POST', '/api/v1/namespaces/gone/configmaps', { metadata: { name: 'y' } });
    if (refused.code !== 404) {
      expect(refused.code).toBe(403);
      expect(refused.body.message).toContain('because it is being terminated');
    }
    for (let i = 0; i < 50 && (await call('GET', '/api/v1/namespaces/gone')).code !== 404; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await call('GET', '/api/v1/namespaces/gone')).code).toBe(404);
    expect((await call('GET', '/api/v1/namespaces/gone/configmaps')).body.items).toEqual([]);
  });

  it('system namespaces cannot be deleted', async () => {
    const r = await call('DELETE', '/api/v1/namespaces/kube-system');
    expect(r.code).toBe(403);
  });
});

describe('subresources', () => {
  it('binds a pending pod once, and refuses a second binding', async () => {
    await call('POST', '/api/v1/namespaces/default/pods', pod('p'));
    const b = await call('POST', '/api/v1/namespaces/default/pods/p/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p' }, target: { kind: 'Node', name: 'node-1' } });
    expect(b.code).toBe(201);
    const p = await call('GET', '/api/v1/namespaces/default/pods/p');
    expect(p.body.spec.nodeName).toBe('node-1');
    expect(p.body.status.conditions).toEqual([expect.objectContaining({ type: 'PodScheduled', status: 'True' })]);
    const again = await call('POST', '/api/v1/namespaces/default/pods/p/binding', { metadata: { name: 'p' }, target: { name: 'node-2' } });
    expect(again.code).toBe(409);
  });

  it('serves /scale for Deployments as kubectl scale uses it', async () => {
    await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'd' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    const scale = await call('GET', '/apis/apps/v1/namespaces/default/deployments/d/scale');
    expect(scale.body).toMatchObject({ kind: 'Scale', spec: { replicas: 2 }, status: { selector: 'app=d' } });
    const patched = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/d/scale', { spec: { replicas: 5 } }, 'application/merge-patch+json');
    expect(patched.body.spec.replicas).toBe(5);
    expect((await call('GET', '/apis/apps/v1/namespaces/default/deployments/d')).body.spec.replicas).toBe(5);
    const bad = await call('PATCH', '/apis/apps/v1/namespaces/default/deployments/d/scale', { spec: { replicas: -1 } }, 'application/merge-patch+json');
    expect(bad.code).toBe(400);
  });

  it('issues a ServiceAccount token through TokenRequest', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/serviceaccounts/default/token', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} });
    expect(r.code).toBe(201);
    expect(r.body).toMatchObject({ kind: 'TokenRequest', status: { token: 'token-for-default-default' } });
  });
});

describe('errors', () => {
  it.each([
    { name: 'unknown resource', method: 'GET' as const, url: '/api/v1/namespaces/default/widgets', code: 404 },
    { name: 'missing namespace', method: 'POST' as const, url: '/api/v1/namespaces/nope/configmaps', body: { metadata: { name: 'x' } }, code: 404, msg: 'namespaces "nope" not found' },
    { name: 'malformed JSON', method: 'POST' as const, url: '/api/v1/namespaces/default/configmaps', body: '{"metadata":', code: 400, msg: 'not valid JSON' },
    { name: 'kind mismatch', method: 'POST' as const, url: '/api/v1/namespaces/default/configmaps', body: { kind: 'Service', metadata: { name: 'x' } }, code: 400, msg: 'does not match the expected kind' },
    { name: 'invalid name', method: 'POST' as const, url: '/api/v1/namespaces/default/configmaps', body: { metadata: { name: 'Bad_Name' } }, code: 422, msg: 'metadata.name: Invalid value: "Bad_Name"' },
  ])('$name → $code Status', async ({ method, url, body, code, msg }) => {
    const r = await call(method, url, body);
    expect(r.code).toBe(code);
    expect(r.body.kind).toBe('Status');
    expect(r.body.code).toBe(code);
    if (msg) expect(r.body.message).toContain(msg);
  });
});
