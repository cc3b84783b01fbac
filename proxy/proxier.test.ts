import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../kube/api/core.js';
import type { ConntrackDeletion } from './conntrack-plan.js';
import { FakeClock } from './fake-clock.js';
import type { RuleApplier } from './iptables-restore.js';
import { Proxier, healthCheckServices, type SyncReport } from './proxier.js';
import { ProxyMetrics } from './proxy-metrics.js';

function svc(name: string, protocol: 'TCP' | 'UDP' = 'TCP'): Service {
  return { metadata: { namespace: 'ns', name }, spec: { clusterIP: '10.96.0.10', ports: [{ name: 'p', port: 53, protocol }] } };
}
function slice(name: string, ips: string[], trigger?: string): EndpointSlice {
  return {
    metadata: {
      namespace: 'ns',
      name: `${name}-1`,
      labels: { 'kubernetes.io/service-name': name },
      ...(trigger ? { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': trigger } } : {}),
    },
    addressType: 'IPv4',
    ports: [{ name: 'p', port: 5353 }],
    endpoints: ips.map((ip) => ({ addresses: [ip], nodeName: 'node-1' })),
  };
}

/** A Proxier on a fake clock and a fake kernel that records every restore and can be told to fail. */
function setup(minSyncMs = 1000) {
  const clock = new FakeClock();
  const restores: string[] = [];
  const conntrack: ConntrackDeletion[][] = [];
  const reports: SyncReport[] = [];
  let failRestores = 0;
  let canary = true;
  const applier: RuleApplier = {
    async restore(text) {
      if (failRestores > 0) {
        failRestores--;
        throw new Error('iptables-restore: line 3 failed');
      }
      restores.push(text);
      if (text.includes(':KUBE-PROXY-CANARY')) canary = true;
    },
    listChains: async () => new Set<string>(),
    chainExists: async () => canary,
    ensureHookRules: async () => 0,
  };
  const metrics = new ProxyMetrics();
  const proxier = new Proxier({
    config: { nodeName: 'node-1', nodeIPs: ['192.168.0.2'] },
    minSyncPeriodMs: minSyncMs,
    syncPeriodMs: 30_000,
    applier,
    conntrack: { delete: async (d) => (conntrack.push([...d]), []) },
    metrics,
    clock,
    log: () => undefined,
    onSync: (r) => reports.push(r),
  });
  const start = async () => {
    proxier.setInitialSyncDone('services');
    proxier.setInitialSyncDone('endpointSlices');
    await clock.advance(0);
  };
  return {
    clock,
    proxier,
    restores,
    reports,
    conntrack,
    metrics,
    start,
    failNext(n: number) {
      failRestores = n;
    },
    loseCanary() {
      canary = false;
    },
  };
}

const isFull = (text: string) => text.includes(':KUBE-PROXY-CANARY');

describe('Proxier', () => {
  it('does not sync before both informers have listed, then syncs in full', async () => {
    const s = setup();
    s.proxier.onServiceChange(undefined, svc('dns'));
    s.proxier.setInitialSyncDone('services');
    await s.clock.advance(5000);
    expect(s.restores).toHaveLength(0);
    s.proxier.setInitialSyncDone('endpointSlices');
    await s.clock.advance(0);
    expect(s.restores).toHaveLength(1);
    expect(isFull(s.restores[0]!)).toBe(true);
    expect(s.restores[0]).toContain('"ns/dns:p has no endpoints"');
  });

  it('follows a full sync with partial syncs that rewrite only the changed Service', async () => {
    const s = setup();
    s.proxier.onServiceChange(undefined, svc('dns'));
    s.proxier.onServiceChange(undefined, svc('other'));
    s.proxier.onEndpointSliceChange(undefined, slice('dns', ['10.244.1.2']));
    await s.start();
    s.proxier.onEndpointSliceChange(slice('dns', ['10.244.1.2']), slice('dns', ['10.244.1.2', '10.244.1.3']));
    await s.clock.advance(1000);
    expect(s.restores).toHaveLength(2);
    const partial = s.restores[1]!;
    expect(isFull(partial)).toBe(false);
    expect(partial).toContain('DNAT --to-destination 10.244.1.3:5353');
    // The Service keeps endpoints: KUBE-SERVICES and the other Service are left alone.
    expect(partial).not.toContain(':KUBE-SERVICES');
    expect(partial).not.toContain('ns/other:p');
  });

  it('after a failed restore retries, and the retry is a full sync carrying the change', async () => {
    const s = setup();
    s.proxier.onServiceChange(undefined, svc('dns'));
    await s.start();
    s.failNext(1);
    s.proxier.onEndpointSliceChange(undefined, slice('dns', ['10.244.1.2']));
    await s.clock.advance(1000);
    expect(s.reports.map((r) => [r.ok, r.full])).toEqual([[true, true], [false, false]]);
    // No new request: the backoff alone brings the retry.
    await s.clock.advance(1000);
    expect(s.reports.map((r) => [r.ok, r.full])).toEqual([[true, true], [false, false], [true, true]]);
    expect(s.restores[1]).toContain('DNAT --to-destination 10.244.1.2:5353');
    const failures = await s.metrics.registry.getSingleMetricAsString('kubeproxy_sync_proxy_rules_iptables_restore_failures_total');
    expect(failures).toMatch(/_total 1$/m);
  });

  it('a lost canary turns the next sync into a full one', async () => {
    const s = setup();
    s.proxier.onServiceChange(undefined, svc('dns'));
    await s.start();
    s.loseCanary();
    s.proxier.onEndpointSliceChange(undefined, slice('dns', ['10.244.1.2']));
    await s.clock.advance(1000);
    expect(s.reports.map((r) => r.full)).toEqual([true, true]);
  });

  it('syncs in full every sync period even without changes', async () => {
    const s = setup();
    await s.start();
    await s.clock.advance(61_000);
    expect(s.reports.map((r) => r.full)).toEqual([true, true, true]);
  });

  it('deletes conntrack entries of a removed UDP endpoint only after the restore succeeded', async () => {
    const s = setup();
    s.proxier.onServiceChange(undefined, svc('dns', 'UDP'));
    s.proxier.onEndpointSliceChange(undefined, slice('dns', ['10.244.1.2', '10.244.1.3']));
    await s.start();
    s.conntrack.length = 0;
    s.failNext(1);
    s.proxier.onEndpointSliceChange(slice('dns', ['10.244.1.2', '10.244.1.3']), slice('dns', ['10.244.1.3']));
    await s.clock.advance(1000);
    expect(s.conntrack).toEqual([]);
    await s.clock.advance(1000);
    expect(s.conntrack.flat().map((d) => d.args.join(' '))).toEqual(['-D -p udp --orig-dst 10.96.0.10 --dst-nat 10.244.1.2']);
  });

  it('observes network programming latency from the slice trigger time', async () => {
    const s = setup(0);
    s.proxier.onServiceChange(undefined, svc('dns'));
    await s.start();
    await s.clock.advance(10_000);
    s.proxier.onEndpointSliceChange(undefined, slice('dns', ['10.244.1.2'], new Date(9_500).toISOString()));
    await s.clock.advance(0);
    expect(s.reports.at(-1)!.triggerTimes).toEqual([9_500]);
    const text = await s.metrics.registry.getSingleMetricAsString('kubeproxy_network_programming_duration_seconds');
    expect(text).toMatch(/_count 1$/m);
    expect(text).toMatch(/le="0.5"} 1$/m);
  });

  it('is unhealthy when a queued change waits longer than twice the sync period', async () => {
    const s = setup();
    await s.start();
    expect(s.proxier.health.status(s.clock.now()).healthy).toBe(true);
    s.failNext(1000);
    s.proxier.onServiceChange(undefined, svc('dns'));
    await s.clock.advance(60_000);
    expect(s.proxier.health.status(s.clock.now()).healthy).toBe(false);
  });
});

describe('healthCheckServices', () => {
  it('counts ready endpoints on this node per Service with a healthCheckNodePort', () => {
    const lb: Service = {
      metadata: { namespace: 'ns', name: 'web' },
      spec: {
        type: 'LoadBalancer',
        clusterIP: '10.96.0.20',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32000,
        ports: [{ name: 'http', port: 80, nodePort: 30080 }, { name: 'https', port: 443, nodePort: 30443 }],
      },
    };
    const s = setup();
    s.proxier.onServiceChange(undefined, lb);
    const sl: EndpointSlice = {
      metadata: { namespace: 'ns', name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080 }, { name: 'https', port: 8443 }],
      endpoints: [
        { addresses: ['10.244.1.2'], nodeName: 'node-1' },
        { addresses: ['10.244.2.2'], nodeName: 'node-2' },
        { addresses: ['10.244.1.3'], nodeName: 'node-1', conditions: { ready: false } },
      ],
    };
    s.proxier.onEndpointSliceChange(undefined, sl);
    return s.start().then(() => {
      expect(healthCheckServices(s.proxier.appliedSnapshot, 'node-1')).toEqual([{ service: 'ns/web', port: 32000, localEndpoints: 1 }]);
      expect(healthCheckServices(s.proxier.appliedSnapshot, 'node-3')).toEqual([{ service: 'ns/web', port: 32000, localEndpoints: 0 }]);
    });
  });
});
