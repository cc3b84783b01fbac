// `netkube apiserver`: open the store, rebuild state, bootstrap the cluster,
// make certificates and the admin kubeconfig, and listen on HTTPS.
import { mkdir, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { KubeClient } from '../kube/client.js';
import { renderKubeconfig } from '../kube/kubeconfig.js';
import { buildControllers, runControllerManager, selectControllers, type RunningControllers } from '../controllers/manager.js';
import { parsePortRange } from './allocators.js';
import { authenticate } from './auth/authenticator.js';
import { ensurePki } from './auth/pki.js';
import { loadAuthzPolicy } from './auth/policy.js';
import { TokenRegistry } from './auth/tokens.js';
import { bootstrapCluster } from './bootstrap.js';
import { isUnspecifiedAddress, requireIP } from './net-address.js';
import { nodeAgentLogs } from './pod-logs.js';
import { Registry } from './registry.js';
import { buildApiServer } from './server.js';
import { openStore, type StoreKind } from './storage/index.js';

export interface ApiServerFlags {
  dataDir: string;
  bindAddress: string;
  securePort: number;
  advertiseAddress?: string;
  store: StoreKind;
  serviceClusterIPRange: string;
  clusterCIDR: string;
  serviceNodePortRange: string;
  /** Keep this many revisions of history for resuming watchers (compaction runs every 5 minutes). */
  historyRevisions?: number;
  /** Controllers run in this process (kube-controller-manager's --controllers syntax; "" runs none). Default "*". */
  controllers?: string;
  nodeMonitorGracePeriodMs?: number;
  podEvictionTimeoutMs?: number;
}

export interface RunningApiServer {
  app: FastifyInstance;
  registry: Registry;
  tokens: TokenRegistry;
  kubeconfigPath: string;
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_FLAGS: Omit<ApiServerFlags, 'dataDir'> = {
  bindAddress: '127.0.0.1',
  securePort: 6443,
  store: 'sqlite',
  serviceClusterIPRange: '10.96.0.0/12',
  clusterCIDR: '10.244.0.0/16',
  serviceNodePortRange: '30000-32767',
};

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, { mode });
  await rename(tmp, path);
}

/**
 * NETKUBE_WATCH_CACHE_SIZE: events kept per resource for resuming watchers.
 * Not a flag on purpose: only tests shrink it, to make 410 Expired reachable
 * without writing the default 10,000 events.
 */
function watchCacheSizeFromEnv(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`NETKUBE_WATCH_CACHE_SIZE: "${v}" must be a positive integer`);
  return n;
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export async function runApiServer(flags: ApiServerFlags, log: (msg: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<RunningApiServer> {
  requireIP('--bind-address', flags.bindAddress);
  if (flags.advertiseAddress) requireIP('--advertise-address', flags.advertiseAddress);
  if (!Number.isInteger(flags.securePort) || flags.securePort < 0 || flags.securePort > 65535) {
    throw new Error(`--secure-port: "${flags.securePort}" must be a port number (0-65535)`);
  }
  const nodePorts = parsePortRange(flags.serviceNodePortRange);
  const advertise = flags.advertiseAddress ?? (isUnspecifiedAddress(flags.bindAddress) ? '127.0.0.1' : flags.bindAddress);
  await mkdir(flags.dataDir, { recursive: true, mode: 0o700 });

  const watchCacheSize = watchCacheSizeFromEnv(process.env.NETKUBE_WATCH_CACHE_SIZE);
  const store = openStore(flags.store, flags.dataDir);
  // A failed start must not leave a listener, a store watch or the database open: the process would never exit.
  const undo: (() => Promise<unknown>)[] = [() => store.close()];
  try {
    const registry = new Registry({
      store,
      serviceClusterIPRange: flags.serviceClusterIPRange,
      serviceNodePortRange: nodePorts,
      log,
      ...(watchCacheSize !== undefined ? { watchCacheSize } : {}),
    });
    undo.push(() => registry.close());
    await registry.start();

    const tokens = await TokenRegistry.open(flags.dataDir);
    const adminToken = await tokens.ensureAdminToken();
    const policy = await loadAuthzPolicy(flags.dataDir);
    const hosts = [
      '127.0.0.1',
      'localhost',
      flags.bindAddress,
      advertise,
      registry.allocations.ips.nth(1),
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
    ];
    const pki = await ensurePki(flags.dataDir, { hosts: [...new Set(hosts)] });

    const app = buildApiServer({
      registry,
      serverAddress: hostPort(advertise, flags.securePort),
      https: { key: pki.keyPem, cert: pki.certPem },
      auth: { authenticate: (h) => authenticate(h, tokens), policy },
      podLogs: nodeAgentLogs(registry),
      issueServiceAccountToken: (ns, name, uid) => tokens.issueServiceAccountToken(ns, name, uid),
    });
    undo.push(() => app.close());
    await app.listen({ host: flags.bindAddress, port: flags.securePort });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : flags.securePort;
    await bootstrapCluster(registry, { advertiseAddress: advertise, securePort: port, log });

    // The kubeconfig names the address clients reach: the advertise address.
    const url = `https://${hostPort(advertise, port)}`;
    const kubeconfigPath = join(flags.dataDir, 'kubeconfig');
    await writeAtomic(
      kubeconfigPath,
      renderKubeconfig({ server: url, caPem: pki.caCertPem, token: adminToken, user: 'admin', cluster: 'netkube', context: 'netkube' }),
      0o600,
    );

    // The controller manager and scheduler run here by default, as ordinary HTTPS clients of this server.
    let controllers: RunningControllers | undefined;
    const selected = selectControllers(
      flags.controllers ?? '*',
      buildControllers({
        clusterCIDR: flags.clusterCIDR,
        ...(flags.nodeMonitorGracePeriodMs ? { nodeMonitorGracePeriodMs: flags.nodeMonitorGracePeriodMs } : {}),
        ...(flags.podEvictionTimeoutMs ? { podEvictionTimeoutMs: flags.podEvictionTimeoutMs } : {}),
      }),
    );
    const controllerClient = new KubeClient({ server: url, caPem: pki.caCertPem, token: adminToken }, { userAgent: 'netkube-controller-manager' });
    if (selected.length > 0) {
      controllers = await runControllerManager(controllerClient, selected, (m) => log(`controller-manager: ${m}`));
      undo.push(() => controllers!.stop());
    }

    // Compaction keeps the store's history bounded, like kube-apiserver's periodic etcd compaction.
    const keep = flags.historyRevisions ?? 100_000;
    const compactor = setInterval(() => {
      void (async () => {
        const cur = await store.currentRevision();
        if (cur - keep > (await store.compactedRevision())) await store.compact(cur - keep);
      })().catch((e: unknown) => log(`compaction: ${(e as Error).message}`));
    }, 5 * 60_000);
    compactor.unref();

    log(`controllers: ${controllers ? controllers.names.join(', ') : 'none'}`);
    log(`apiserver-lite listening on ${url} (store ${flags.store}, data ${flags.dataDir}); kubeconfig: ${kubeconfigPath}`);
    return {
      app,
      registry,
      tokens,
      kubeconfigPath,
      url,
      async close() {
        clearInterval(compactor);
        await controllers?.stop();
        controllerClient.close();
        await app.close();
        await registry.close();
        await store.close();
      },
    };
  } catch (e) {
    for (const u of undo.reverse()) await u().catch(() => undefined);
    throw e;
  }
}
