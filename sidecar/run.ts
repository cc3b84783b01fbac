// Wires the sidecar: API connection → informers on the Service's
// EndpointSlices (and the Service, when --port is a number) → the upstream
// set → the proxy and admin listeners. Logs one line per endpoint set change.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EndpointSlice, Service } from '../kube/api/core.js';
import { EndpointSlices, KubeClient, Services } from '../kube/client.js';
import { connectionFrom } from '../kube/kubeconfig.js';
import { createInformer, listWatchFor, type Informer, type InformerHandler } from '../kube/informer.js';
import { SERVICE_NAME_LABEL } from '../proxy/endpoint-info.js';
import { createAdminHandler } from './admin.js';
import { describeChange, formatPortSelector, readyUpstreams, sameUpstreams, slicePortName } from './endpoints.js';
import type { SidecarOptions } from './options.js';
import { OutlierDetector } from './outlier.js';
import { createPicker } from './picker.js';
import { createProxyHandler } from './proxy.js';
import { SidecarStats } from './stats.js';
import { UpstreamPool } from './upstream-pool.js';

export interface RunningSidecar {
  /** "host:port" the proxy and the admin listener are bound to (useful with port 0). */
  readonly listen: string;
  readonly admin: string;
  /** Resolves once the informers have their first lists. */
  readonly synced: Promise<void>;
  readonly stats: SidecarStats;
  readonly pool: UpstreamPool;
  close(): Promise<void>;
}

function listenOn(server: http.Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve(`${a.address}:${a.port}`);
    });
  });
}

function onAnyChange<T>(informer: Informer<T>, f: () => void): void {
  const h: InformerHandler<T> = { add: f, update: f, delete: f };
  informer.on(h);
}

export async function runSidecar(o: SidecarOptions, log: (line: string) => void = (l) => process.stdout.write(`lb-sidecar: ${l}\n`)): Promise<RunningSidecar> {
  const client = new KubeClient(await connectionFrom(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}), { userAgent: 'netkube-lb-sidecar' });
  const namespace = o.service.namespace ?? client.namespace ?? 'default';
  const name = o.service.name;
  const target = `${namespace}/${name}:${formatPortSelector(o.port)}`;

  const stats = new SidecarStats();
  const outlier = new OutlierDetector(o.outlier);
  const pool = new UpstreamPool(outlier);
  const picker = createPicker(o.policy, (a) => stats.inFlight(a));

  const slices = createInformer<EndpointSlice>(
    listWatchFor<EndpointSlice>(client, EndpointSlices, { namespace, labelSelector: `${SERVICE_NAME_LABEL}=${name}` }),
    { name: 'endpointslices' },
  );
  // Only a port number needs the Service (to learn the port's name); a name is what slices carry already.
  const services =
    o.port.kind === 'number'
      ? createInformer<Service>(listWatchFor<Service>(client, Services, { namespace, fieldSelector: `metadata.name=${name}` }), { name: 'services' })
      : undefined;
  let portName: string | undefined;
  let synced = false;

  // Runs on every event once the first lists are in (the initial list
  // delivers one add per object: that is one set change, logged once).
  let portKnown = false;
  const recompute = (): void => {
    if (!synced) return;
    const next = slicePortName(o.port, services?.get(namespace, name));
    if (o.port.kind === 'number' && (next !== portName || !portKnown)) {
      log(`${target}: EndpointSlice port ${next === undefined ? '(none: the Service or its port is missing)' : JSON.stringify(next)}`);
    }
    portKnown = true;
    portName = next;
    const upstreams = portName === undefined ? [] : readyUpstreams(slices.list(), portName);
    if (sameUpstreams(pool.upstreams, upstreams)) return;
    log(`${target} endpoints: ${describeChange(pool.upstreams, upstreams)}`);
    pool.set(upstreams);
  };
  onAnyChange(slices, recompute);
  if (services) onAnyChange(services, recompute);

  const abort = new AbortController();
  const proxyServer = http.createServer(
    createProxyHandler({ pool, picker, outlier, stats, retries: o.retries, connectTimeoutMs: o.connectTimeoutMs, responseTimeoutMs: o.responseTimeoutMs, target, log }),
  );
  const adminServer = http.createServer(
    createAdminHandler({
      service: `${namespace}/${name}`,
      port: formatPortSelector(o.port),
      slicePort: () => portName,
      policy: o.policy,
      synced: () => synced,
      pool,
      outlier,
      stats,
      retries: o.retries,
    }),
  );
  const listen = await listenOn(proxyServer, o.listen.host, o.listen.port);
  const admin = await listenOn(adminServer, o.admin.host, o.admin.port).catch((e: unknown) => {
    proxyServer.close();
    throw e;
  });
  log(`proxy on ${listen} → ${target} (${o.policy}), admin on ${admin}`);

  const started = [slices.start(abort.signal), ...(services ? [services.start(abort.signal)] : [])];
  const syncedP = Promise.all(started).then(() => {
    synced = true;
    recompute();
    log(`${target}: synced, ${pool.upstreams.length} ready endpoint(s)`);
  });
  syncedP.catch(() => undefined);

  return {
    listen,
    admin,
    synced: syncedP,
    stats,
    pool,
    async close() {
      abort.abort();
      proxyServer.closeAllConnections();
      adminServer.closeAllConnections();
      await Promise.all([new Promise((r) => proxyServer.close(r)), new Promise((r) => adminServer.close(r))]);
      pool.close();
      client.close();
    },
  };
}
