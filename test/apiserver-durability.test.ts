// kill -9 the real `netkube apiserver` (SQLite store) during a burst of
// concurrent Service creates, restart it on the same data dir, and check that
// every acknowledged write survived and no ClusterIP or NodePort was handed
// out twice, before or after the restart.
import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/api/meta.js';
import type { Service } from '../kube/api/core.js';
import { KubeClient, Services } from '../kube/client.js';
import { createInformer, listWatchFor } from '../kube/informer.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanup, eventually, makeTempDir, startApiServer, type ApiServerProcess } from './support/apiserver-process.js';

afterAll(cleanup);

interface Acked {
  uid: string;
  rv: number;
  clusterIP: string;
  nodePort?: number;
}

const WORKERS = 8;
/** Kill once this many creates were acknowledged (the burst is still running then). */
const KILL_AFTER = 150;

async function clientFor(server: ApiServerProcess): Promise<KubeClient> {
  return new KubeClient(await loadKubeconfig(server.kubeconfigPath), { requestTimeoutMs: 10_000 });
}

function serviceBody(name: string, i: number): Service {
  // Every third one is a NodePort, so node ports are checked too.
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: i % 3 === 0 ? 'NodePort' : 'ClusterIP', ports: [{ port: 80 }] },
  } as Service;
}

function duplicates<T>(values: readonly T[]): T[] {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const v of values) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

describe('durability across kill -9', () => {
  it('every acknowledged create survives, allocations stay unique, resourceVersions keep increasing', async () => {
    const dataDir = await makeTempDir('netkube-durability-');
    const first = await startApiServer({ dataDir, store: 'sqlite' });
    const c1 = await clientFor(first);
    // An informer that lives through the crash: it must end up with exactly what the server has.
    const watcherClient = await clientFor(first);
    const informer = createInformer<Service>(listWatchFor<Service>(watcherClient, Services, { namespace: 'default' }), {
      backoff: { initialMs: 50, maxMs: 200 },
      onError: () => undefined,
    });
    const stopInformer = new AbortController();
    await informer.start(stopInformer.signal);
    const acked = new Map<string, Acked>();
    let killed: Promise<void> | undefined;
    let failures = 0;

    const worker = async (w: number): Promise<void> => {
      for (let i = 0; ; i++) {
        const name = `burst-${w}-${i}`;
        try {
          const s = (await c1.create(Services, serviceBody(name, i))) as Service;
          acked.set(name, {
            uid: s.metadata.uid!,
            rv: Number(s.metadata.resourceVersion),
            clusterIP: s.spec!.clusterIP!,
            ...(s.spec?.ports?.[0]?.nodePort !== undefined ? { nodePort: s.spec.ports[0].nodePort } : {}),
          });
          if (acked.size >= KILL_AFTER && !killed) killed = first.kill('SIGKILL');
        } catch {
          // The server died under this request: it may or may not have been written, and that is allowed.
          failures++;
          return;
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    await killed;
    c1.close();
    expect(acked.size).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(failures).toBe(WORKERS); // every worker was cut off by the kill, i.e. it was mid-burst
    const maxAckedRv = Math.max(...[...acked.values()].map((a) => a.rv));

    // Same port, so the informer's connection finds it again.
    const second = await startApiServer({ dataDir, store: 'sqlite', port: first.port });
    const c2 = await clientFor(second);
    try {
      const list = await c2.list<Service>(Services, { namespace: 'default' });
      expect(Number(list.resourceVersion)).toBeGreaterThanOrEqual(maxAckedRv);
      const stored = new Map(list.items.map((s) => [s.metadata.name!, s]));
      const missing = [...acked.keys()].filter((n) => !stored.has(n));
      expect(missing, 'acknowledged creates missing after restart').toEqual([]);
      for (const [name, a] of acked) {
        const s = stored.get(name)!;
        expect({ name, uid: s.metadata.uid, clusterIP: s.spec?.clusterIP, nodePort: s.spec?.ports?.[0]?.nodePort }).toEqual({
          name,
          uid: a.uid,
          clusterIP: a.clusterIP,
          nodePort: a.nodePort,
        });
      }
      const allServices = (await c2.list<Service>(Services)).items;
      expect(duplicates(allServices.map((s) => s.spec!.clusterIP!)), 'ClusterIPs in use twice').toEqual([]);
      expect(duplicates(allServices.flatMap((s) => (s.spec?.ports ?? []).map((p) => p.nodePort).filter((p) => p !== undefined))), 'NodePorts in use twice').toEqual([]);

      // New creates after the restart get addresses nobody holds, at newer resourceVersions.
      const fresh = (await Promise.all(
        Array.from({ length: 40 }, (_, i) => c2.create(Services, serviceBody(`after-${i}`, i) as KubeObject)),
      )) as Service[];
      for (const s of fresh) expect(Number(s.metadata.resourceVersion)).toBeGreaterThan(maxAckedRv);
      const everything = (await c2.list<Service>(Services)).items;
      expect(everything.length).toBe(allServices.length + fresh.length);
      expect(duplicates(everything.map((s) => s.spec!.clusterIP!)), 'ClusterIPs in use twice after new creates').toEqual([]);
      expect(duplicates(everything.flatMap((s) => (s.spec?.ports ?? []).map((p) => p.nodePort).filter((p) => p !== undefined))), 'NodePorts in use twice after new creates').toEqual([]);

      const final = await c2.list<Service>(Services, { namespace: 'default' });
      const rvByName = (items: readonly Service[]) =>
        JSON.stringify([...items].sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!)).map((o) => [o.metadata.name, o.metadata.resourceVersion]));
      await eventually(() => rvByName(informer.list()) === rvByName(final.items), 'the informer to catch up with the restarted server', 20_000);
      stopInformer.abort();
      watcherClient.close();

      // Deleting releases: the freed ClusterIP can be requested explicitly again.
      const victim = fresh[0]!;
      await c2.delete(Services, victim.metadata.name!, { namespace: 'default' });
      const reuse = (await c2.create(Services, {
        ...serviceBody('reuse', 1),
        spec: { ports: [{ port: 80 }], clusterIP: victim.spec!.clusterIP },
      } as KubeObject)) as Service;
      expect(reuse.spec?.clusterIP).toBe(victim.spec!.clusterIP);
    } finally {
      stopInformer.abort();
      watcherClient.close();
      c2.close();
      await second.stop();
    }

    // A clean stop and a third start see the same state (nothing lost on a graceful shutdown either).
    const third = await startApiServer({ dataDir, store: 'sqlite' });
    const c3 = await clientFor(third);
    try {
      const again = (await c3.list<Service>(Services, { namespace: 'default' })).items.map((s) => s.metadata.name);
      expect(again).toEqual(expect.arrayContaining(['reuse', ...acked.keys()]));
      expect(again).not.toContain('after-0');
      // The kubernetes Service is reconciled on start: it keeps 10.96.0.1 and follows the new port.
      const k = await c3.get<Service>(Services, 'kubernetes', { namespace: 'default' });
      expect(k.spec?.clusterIP).toBe('10.96.0.1');
      expect(k.spec?.ports?.[0]?.targetPort).toBe(third.port);
    } finally {
      c3.close();
    }
  });
});

describe('a start that fails', () => {
  it('exits with one line naming the problem, and the data dir starts cleanly once it is fixed', async () => {
    const dataDir = await makeTempDir('netkube-badstart-');
    // Read after the store is open and the watch caches run: they must not keep the process alive.
    await writeFile(join(dataDir, 'authz-policy.yaml'), 'bindings: {oops\n');
    const err = await startApiServer({ dataDir, store: 'sqlite', startTimeoutMs: 15_000 }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/exited \(code 1, signal null\) before listening/);
    expect((err as Error).message).toContain(`netkube: ${join(dataDir, 'authz-policy.yaml')}: (file): not valid YAML`);
    await writeFile(join(dataDir, 'authz-policy.yaml'), 'bindings: []\n');
    const s = await startApiServer({ dataDir, store: 'sqlite' });
    await s.stop();
  });
});
