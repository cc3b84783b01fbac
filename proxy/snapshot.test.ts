import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Service } from '../kube/api/core.js';
import { EndpointsChangeTracker } from './endpoints-change-tracker.js';
import { ServiceChangeTracker } from './service-change-tracker.js';
import { applyChanges, emptySnapshot } from './snapshot.js';

function svc(name: string, protocol: 'TCP' | 'UDP' = 'TCP', port = 53): Service {
  return { metadata: { namespace: 'ns', name }, spec: { clusterIP: '10.96.0.10', ports: [{ name: 'p', port, protocol }] } };
}
function slice(name: string, ips: string[], ready = true): EndpointSlice {
  return {
    metadata: { namespace: 'ns', name: `${name}-1`, labels: { 'kubernetes.io/service-name': name } },
    addressType: 'IPv4',
    ports: [{ name: 'p', port: 5353 }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready } })),
  };
}

function world() {
  const st = new ServiceChangeTracker();
  const et = new EndpointsChangeTracker();
  let snap = emptySnapshot();
  const sync = () => {
    const r = applyChanges(snap, { services: st.checkout(), endpoints: et.checkout() });
    snap = r.snapshot;
    return r;
  };
  return { st, et, sync, get snap() { return snap; } };
}

describe('applyChanges', () => {
  it('adds Services and endpoints and names the changed ServicePorts', () => {
    const w = world();
    w.st.update(undefined, svc('dns', 'UDP'));
    w.et.update(undefined, slice('dns', ['10.0.0.1']));
    const r = w.sync();
    expect([...r.changedServices]).toEqual(['ns/dns:p']);
    expect(r.snapshot.services.get('ns/dns:p')!.protocol).toBe('UDP');
    expect(r.snapshot.endpoints.get('ns/dns:p')!.map((e) => e.endpoint)).toEqual(['10.0.0.1:5353']);
  });

  it('leaves the input snapshot untouched', () => {
    const w = world();
    w.st.update(undefined, svc('a'));
    w.sync();
    const before = w.snap;
    const services = [...before.services.keys()];
    w.st.update(svc('a'), undefined);
    w.st.update(undefined, svc('b'));
    const r = w.sync();
    expect([...before.services.keys()]).toEqual(services);
    expect([...r.snapshot.services.keys()]).toEqual(['ns/b:p']);
  });

  it('reports no change when nothing differs', () => {
    const w = world();
    w.st.update(undefined, svc('a'));
    w.sync();
    expect(w.sync().changedServices.size).toBe(0);
  });

  it('lists UDP endpoints that stopped being ready for conntrack cleanup', () => {
    const w = world();
    w.st.update(undefined, svc('dns', 'UDP'));
    w.et.update(undefined, slice('dns', ['10.0.0.1', '10.0.0.2']));
    w.sync();
    w.et.update(slice('dns', ['10.0.0.1', '10.0.0.2']), slice('dns', ['10.0.0.1']));
    expect(w.sync().staleUdpEndpoints).toEqual([{ servicePortName: 'ns/dns:p', ip: '10.0.0.2', port: 5353 }]);
  });

  it('does not list TCP endpoints', () => {
    const w = world();
    w.st.update(undefined, svc('web', 'TCP'));
    w.et.update(undefined, slice('web', ['10.0.0.1', '10.0.0.2']));
    w.sync();
    w.et.update(slice('web', ['10.0.0.1', '10.0.0.2']), slice('web', ['10.0.0.1']));
    expect(w.sync().staleUdpEndpoints).toEqual([]);
  });

  it('names a UDP Service that gets its first ready endpoint', () => {
    const w = world();
    w.st.update(undefined, svc('dns', 'UDP'));
    w.et.update(undefined, slice('dns', ['10.0.0.1'], false));
    expect(w.sync().udpServicesWithNewEndpoints).toEqual([]);
    w.et.update(slice('dns', ['10.0.0.1'], false), slice('dns', ['10.0.0.1'], true));
    expect(w.sync().udpServicesWithNewEndpoints).toEqual(['ns/dns:p']);
  });
});
