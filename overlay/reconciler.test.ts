import { describe, expect, it } from 'vitest';
import type { Node } from '../kube/api/core.js';
import type { WatchEvent } from '../kube/api/meta.js';
import type { KubeClient } from '../kube/client.js';
import { VTEP_MAC_ANNOTATION } from './logical-model.js';
import { runOverlayAgent, type SyncResult } from './reconciler.js';
import { FakeKernel } from './testdata/fake-kernel.js';
import { testNode } from './testdata/nodes.js';

/** Nodes held in memory; the watch stays open and delivers what tests (and patches) change. */
class FakeApi {
  nodes = new Map<string, Node>();
  rv = 1;
  private watchers = new Set<(e: WatchEvent<Node>) => void>();
  patches: unknown[] = [];

  constructor(nodes: Node[]) {
    for (const n of nodes) this.nodes.set(n.metadata.name!, this.stamp(n));
  }
  private stamp(n: Node): Node {
    return { ...n, metadata: { ...n.metadata, resourceVersion: String(++this.rv) } };
  }
  emit(type: 'ADDED' | 'MODIFIED' | 'DELETED', n: Node): void {
    const s = this.stamp(n);
    if (type === 'DELETED') this.nodes.delete(n.metadata.name!);
    else this.nodes.set(n.metadata.name!, s);
    for (const w of this.watchers) w({ type, object: s });
  }
  client = {
    list: async () => ({ items: [...this.nodes.values()], resourceVersion: String(this.rv) }),
    watch: (_path: string, _q: unknown, onEvent: (e: WatchEvent<Node>) => void, signal?: AbortSignal) =>
      new Promise<void>((resolve) => {
        this.watchers.add(onEvent);
        signal?.addEventListener('abort', () => {
          this.watchers.delete(onEvent);
          resolve();
        });
      }),
    patch: async (_res: unknown, name: string, _type: string, body: { metadata: { annotations: Record<string, string> } }) => {
      this.patches.push(body);
      const cur = this.nodes.get(name)!;
      const next = { ...cur, metadata: { ...cur.metadata, annotations: { ...cur.metadata.annotations, ...body.metadata.annotations } } };
      this.emit('MODIFIED', next);
      return next;
    },
  } as unknown as Pick<KubeClient, 'list' | 'watch' | 'patch'>;
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function start(api: FakeApi, kernel: FakeKernel, resyncMs = 60_000) {
  const ac = new AbortController();
  const syncs: (SyncResult | { error: string })[] = [];
  const done = runOverlayAgent({
    client: api.client,
    nodeName: 'node-1',
    signal: ac.signal,
    underlayMtu: 1500,
    resyncMs,
    network: kernel,
    log: () => undefined,
    randomBytes: () => new Uint8Array([0xff, 0xaa, 0xbb, 0xcc, 0xdd, 0xee]),
    onSync: (r) => syncs.push(r),
  });
  return { syncs, stop: async () => (ac.abort(), await done) };
}

const withoutMac = (n: Node): Node => ({ ...n, metadata: { name: n.metadata.name! } });

describe('runOverlayAgent', () => {
  it('publishes a VTEP MAC for a node that has none, then programs the device with it', async () => {
    const api = new FakeApi([withoutMac(testNode({ i: 1 })), testNode({ i: 2 })]);
    const kernel = new FakeKernel('node-1');
    const a = start(api, kernel);
    await until('device', () => kernel.state.routes.length === 1 || undefined);
    await a.stop();
    expect(api.patches).toEqual([{ metadata: { annotations: { [VTEP_MAC_ANNOTATION]: 'fe:aa:bb:cc:dd:ee' } } }]);
    expect(kernel.state.device?.mac).toBe('fe:aa:bb:cc:dd:ee');
    expect(kernel.state.routes).toEqual([{ dst: '10.244.2.0/24', via: '10.244.2.0' }]);
  });

  it('keeps the published MAC across restarts: a second agent changes nothing', async () => {
    const api = new FakeApi([withoutMac(testNode({ i: 1 })), testNode({ i: 2 })]);
    const kernel = new FakeKernel('node-1');
    const first = start(api, kernel);
    await until('first sync', () => kernel.state.routes.length === 1 || undefined);
    await first.stop();
    const appliedBefore = kernel.applied.length;
    const second = start(api, kernel);
    await until('second sync', () => second.syncs.find((s) => 'ops' in s));
    await second.stop();
    expect(api.patches).toHaveLength(1);
    expect(kernel.applied.length).toBe(appliedBefore);
  });

  it('reuses the device MAC when the annotation was lost, so peers keep working', async () => {
    const api = new FakeApi([withoutMac(testNode({ i: 1 })), testNode({ i: 2 })]);
    const kernel = new FakeKernel('node-1');
    kernel.state = { ...kernel.state, device: { name: 'nk-vxlan', vni: 1, dstPort: 4789, local: '172.18.0.11', mac: '02:12:34:56:78:9a', mtu: 1450, learning: false, up: true } };
    const a = start(api, kernel);
    await until('sync', () => kernel.state.routes.length === 1 || undefined);
    await a.stop();
    expect(api.patches).toEqual([{ metadata: { annotations: { [VTEP_MAC_ANNOTATION]: '02:12:34:56:78:9a' } } }]);
  });

  it('follows node events: a new peer is added, a deleted peer is removed', async () => {
    const api = new FakeApi([testNode({ i: 1 }), testNode({ i: 2 })]);
    const kernel = new FakeKernel('node-1');
    const a = start(api, kernel);
    await until('peer 2', () => kernel.state.routes.length === 1 || undefined);
    api.emit('ADDED', testNode({ i: 3 }));
    await until('peer 3', () => kernel.state.routes.length === 2 || undefined);
    api.emit('DELETED', testNode({ i: 2 }));
    await until('peer 2 gone', () => (kernel.state.routes.length === 1 && kernel.state.fdb.length === 1 ? true : undefined));
    await a.stop();
    expect(kernel.state.routes).toEqual([{ dst: '10.244.3.0/24', via: '10.244.3.0' }]);
    expect(kernel.state.neighbours).toEqual([{ ip: '10.244.3.0', mac: '02:00:00:00:00:03' }]);
    expect(kernel.state.fdb).toEqual([{ mac: '02:00:00:00:00:03', dst: '172.18.0.13' }]);
  });

  it('restores a device deleted by hand on the periodic resync, and retries after a failed apply', async () => {
    const api = new FakeApi([testNode({ i: 1 }), testNode({ i: 2 })]);
    const kernel = new FakeKernel('node-1');
    const a = start(api, kernel, 10);
    await until('device', () => kernel.state.routes.length === 1 || undefined);
    kernel.failNext = new Error('RTNETLINK answers: Operation not permitted');
    kernel.deleteDevice();
    await until('failed sync', () => a.syncs.find((s) => 'error' in s && /not permitted/.test(s.error)));
    await until('device back', () => kernel.state.routes.length === 1 || undefined);
    await a.stop();
    expect(kernel.state.device?.vni).toBe(1);
  });

  it('waits, without touching the kernel, until its own Node has a pod CIDR', async () => {
    const api = new FakeApi([{ ...testNode({ i: 1 }), spec: {} }, testNode({ i: 2 })]);
    const kernel = new FakeKernel('node-1');
    const a = start(api, kernel);
    await until('a sync attempt', () => a.syncs.find((s) => 'error' in s));
    expect(kernel.applied).toEqual([]);
    api.emit('MODIFIED', testNode({ i: 1 }));
    await until('device', () => kernel.state.device ?? undefined);
    await a.stop();
    expect(a.syncs.find((s) => 'error' in s)).toEqual({ error: 'not programming the overlay yet: no pod CIDR yet' });
  });
});
