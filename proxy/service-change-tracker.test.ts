import { describe, expect, it } from 'vitest';
import type { Service } from '../kube/api/core.js';
import { ServiceChangeTracker } from './service-change-tracker.js';

function svc(name: string, port = 80, clusterIP = '10.96.0.10'): Service {
  return { metadata: { namespace: 'ns', name, resourceVersion: String(port) }, spec: { clusterIP, ports: [{ name: 'http', port }] } };
}

describe('ServiceChangeTracker', () => {
  it('records an add as prev empty, cur the ports', () => {
    const t = new ServiceChangeTracker();
    expect(t.update(undefined, svc('web'))).toBe(true);
    const c = t.checkout();
    expect([...c.keys()]).toEqual(['ns/web']);
    expect(c.get('ns/web')!.prev).toEqual([]);
    expect(c.get('ns/web')!.cur.map((p) => p.port)).toEqual([80]);
  });

  it('keeps the first prev across several updates and the last cur', () => {
    const t = new ServiceChangeTracker();
    t.update(svc('web', 80), svc('web', 81));
    t.update(svc('web', 81), svc('web', 82));
    const c = t.checkout().get('ns/web')!;
    expect(c.prev.map((p) => p.port)).toEqual([80]);
    expect(c.cur.map((p) => p.port)).toEqual([82]);
  });

  it('drops the entry when an update is undone', () => {
    const t = new ServiceChangeTracker();
    expect(t.update(svc('web', 80), svc('web', 81))).toBe(true);
    expect(t.update(svc('web', 81), svc('web', 80))).toBe(false);
    expect(t.checkout().size).toBe(0);
  });

  it('ignores an update that changes nothing the proxy uses', () => {
    const t = new ServiceChangeTracker();
    const a = svc('web');
    const b: Service = { ...a, metadata: { ...a.metadata, labels: { new: 'label' } } };
    expect(t.update(a, b)).toBe(false);
    expect(t.pending).toBe(0);
  });

  it('an add then a delete before a sync leaves nothing', () => {
    const t = new ServiceChangeTracker();
    t.update(undefined, svc('web'));
    expect(t.update(svc('web'), undefined)).toBe(false);
    expect(t.checkout().size).toBe(0);
  });

  it('checkout clears the pending changes', () => {
    const t = new ServiceChangeTracker();
    t.update(undefined, svc('web'));
    t.checkout();
    expect(t.checkout().size).toBe(0);
  });

  it('a Service becoming headless is a change to no ports', () => {
    const t = new ServiceChangeTracker();
    expect(t.update(svc('web'), svc('web', 80, 'None'))).toBe(true);
    expect(t.checkout().get('ns/web')!.cur).toEqual([]);
  });
});
