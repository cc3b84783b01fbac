// Records EndpointSlice changes between syncs (kube-proxy's
// endpointschangetracker.go + endpointslicecache.go). Slices are tracked one by
// one, as the API delivers them, but a Service's endpoints are the merge of all
// its slices, so checkout() reports per Service: the merged endpoints as last
// checked out (`prev`) and as they are now (`cur`). A slice update that leaves
// the merge unchanged (a resync, a move between slices) reports nothing.
import type { EndpointSlice } from '../kube/api/core.js';
import {
  endpointMapsEqual,
  sliceServiceKey,
  sortAndDedupe,
  toEndpoints,
  type EndpointInfo,
} from './endpoint-info.js';
import type { ServicePortName } from './service-port.js';

export type EndpointsByPort = ReadonlyMap<ServicePortName, readonly EndpointInfo[]>;

export interface EndpointsChange {
  readonly prev: EndpointsByPort;
  readonly cur: EndpointsByPort;
  /**
   * `endpoints.kubernetes.io/last-change-trigger-time` of the slice updates in
   * this change (ms since the epoch), for the network programming latency metric.
   */
  readonly triggerTimes: readonly number[];
}

export const LAST_CHANGE_TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

interface ServiceSlices {
  applied: Map<string, EndpointsByPort>;
  /** sliceName → its new endpoints, or null when the slice is gone. */
  pending: Map<string, EndpointsByPort | null>;
  triggerTimes: number[];
}

function mergeSlices(slices: ReadonlyMap<string, EndpointsByPort>): Map<ServicePortName, EndpointInfo[]> {
  const names = [...slices.keys()].sort();
  const merged = new Map<ServicePortName, EndpointInfo[]>();
  for (const name of names) {
    for (const [spn, list] of slices.get(name)!) {
      const acc = merged.get(spn);
      if (acc) acc.push(...list);
      else merged.set(spn, [...list]);
    }
  }
  // Sorting the ServicePortNames keeps iteration (and thus rendering) order stable.
  const out = new Map<ServicePortName, EndpointInfo[]>();
  for (const spn of [...merged.keys()].sort()) {
    const list = merged.get(spn)!;
    out.set(spn, names.length > 1 ? sortAndDedupe(list) : list);
  }
  return out;
}

export class EndpointsChangeTracker {
  private services = new Map<string, ServiceSlices>();

  /**
   * Records a slice add (no prev), update, or delete (no cur). Returns whether
   * a change is pending for the Service(s) the slice belongs to.
   */
  update(prev?: EndpointSlice, cur?: EndpointSlice): boolean {
    const obj = cur ?? prev;
    if (!obj?.metadata.name) return false;
    const sliceName = obj.metadata.name;
    const curSvc = cur ? sliceServiceKey(cur) : undefined;
    const prevSvc = prev ? sliceServiceKey(prev) : undefined;
    let pending = false;
    if (curSvc && cur) {
      pending = this.setPending(curSvc, sliceName, toEndpoints(cur), triggerTime(cur)) || pending;
    }
    // A deleted slice, or one relabelled to another Service, leaves its old Service.
    if (prevSvc && prevSvc !== curSvc) {
      pending = this.setPending(prevSvc, sliceName, null, undefined) || pending;
    }
    return pending;
  }

  /** Number of Services with pending slice changes. */
  get pending(): number {
    let n = 0;
    for (const s of this.services.values()) if (s.pending.size > 0) n++;
    return n;
  }

  /** Returns, per Service `namespace/name`, the merged endpoints before and after; forgets the pending state. */
  checkout(): Map<string, EndpointsChange> {
    const out = new Map<string, EndpointsChange>();
    for (const [svc, s] of this.services) {
      if (s.pending.size === 0) continue;
      const prev = mergeSlices(s.applied);
      for (const [slice, eps] of s.pending) {
        if (eps === null) s.applied.delete(slice);
        else s.applied.set(slice, eps);
      }
      s.pending.clear();
      const cur = mergeSlices(s.applied);
      if (!endpointMapsEqual(prev, cur)) out.set(svc, { prev, cur, triggerTimes: s.triggerTimes });
      s.triggerTimes = [];
      if (s.applied.size === 0) this.services.delete(svc);
    }
    return out;
  }

  private setPending(svc: string, slice: string, eps: EndpointsByPort | null, time: number | undefined): boolean {
    let s = this.services.get(svc);
    if (!s) {
      s = { applied: new Map(), pending: new Map(), triggerTimes: [] };
      this.services.set(svc, s);
    }
    const applied = s.applied.get(slice);
    const same = eps === null ? applied === undefined : applied !== undefined && endpointMapsEqual(applied, eps);
    if (same) s.pending.delete(slice);
    else {
      s.pending.set(slice, eps);
      if (time !== undefined) s.triggerTimes.push(time);
    }
    if (s.pending.size === 0 && s.applied.size === 0) this.services.delete(svc);
    return s.pending.size > 0;
  }
}

function triggerTime(slice: EndpointSlice): number | undefined {
  const v = slice.metadata.annotations?.[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
  if (!v) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}
