// The proxy's view of the cluster between syncs: every ServicePort and its
// endpoints (kube-proxy's svcPortMap + endpointsMap). applyChanges folds the
// trackers' checkouts into a new snapshot without touching the old one, and
// says which ServicePorts changed, so a partial sync rewrites only their
// chains, plus what conntrack must forget for UDP.
import type { EndpointsChange } from './endpoints-change-tracker.js';
import type { EndpointInfo } from './endpoint-info.js';
import { endpointListsEqual } from './endpoint-info.js';
import type { ServiceChange } from './service-change-tracker.js';
import { servicePortInfoEqual, type ServicePortInfo, type ServicePortName } from './service-port.js';

export interface ProxySnapshot {
  readonly services: ReadonlyMap<ServicePortName, ServicePortInfo>;
  readonly endpoints: ReadonlyMap<ServicePortName, readonly EndpointInfo[]>;
}

export interface PendingChanges {
  readonly services?: ReadonlyMap<string, ServiceChange>;
  readonly endpoints?: ReadonlyMap<string, EndpointsChange>;
}

/** A UDP endpoint that stopped being ready: conntrack entries still pointing at it must go. */
export interface StaleUdpEndpoint {
  readonly servicePortName: ServicePortName;
  readonly ip: string;
  readonly port: number;
}

export interface ApplyResult {
  readonly snapshot: ProxySnapshot;
  /** ServicePorts whose ServicePortInfo or endpoints differ from the input snapshot. */
  readonly changedServices: Set<ServicePortName>;
  readonly staleUdpEndpoints: readonly StaleUdpEndpoint[];
  /**
   * UDP ServicePorts that had no ready endpoint and now have one: conntrack
   * entries made while they were rejected must go, or clients stay rejected.
   */
  readonly udpServicesWithNewEndpoints: readonly ServicePortName[];
  /** Trigger times of the applied endpoint changes (ms since the epoch). */
  readonly triggerTimes: readonly number[];
}

export function emptySnapshot(): ProxySnapshot {
  return { services: new Map(), endpoints: new Map() };
}

const NO_ENDPOINTS: readonly EndpointInfo[] = [];

export function applyChanges(s: ProxySnapshot, changes: PendingChanges): ApplyResult {
  const services = new Map(s.services);
  const endpoints = new Map(s.endpoints);
  const touched = new Set<ServicePortName>();

  for (const change of changes.services?.values() ?? []) {
    for (const p of change.prev) {
      services.delete(p.name);
      touched.add(p.name);
    }
    for (const p of change.cur) {
      services.set(p.name, p);
      touched.add(p.name);
    }
  }
  const triggerTimes: number[] = [];
  for (const change of changes.endpoints?.values() ?? []) {
    for (const spn of change.prev.keys()) {
      endpoints.delete(spn);
      touched.add(spn);
    }
    for (const [spn, list] of change.cur) {
      endpoints.set(spn, list);
      touched.add(spn);
    }
    triggerTimes.push(...change.triggerTimes);
  }

  const changedServices = new Set<ServicePortName>();
  const staleUdpEndpoints: StaleUdpEndpoint[] = [];
  const udpServicesWithNewEndpoints: ServicePortName[] = [];
  for (const spn of touched) {
    const oldSvc = s.services.get(spn);
    const newSvc = services.get(spn);
    const oldEps = s.endpoints.get(spn) ?? NO_ENDPOINTS;
    const newEps = endpoints.get(spn) ?? NO_ENDPOINTS;
    const svcSame = oldSvc === newSvc || (oldSvc !== undefined && newSvc !== undefined && servicePortInfoEqual(oldSvc, newSvc));
    const epsSame = endpointListsEqual(oldEps, newEps);
    if (svcSame && epsSame) continue;
    changedServices.add(spn);

    // The protocol of an endpoint is its Service's; without a Service there is nothing to clean.
    if (!epsSame && oldSvc?.protocol === 'UDP') {
      const stillReady = new Set<string>();
      for (const ep of newEps) if (ep.ready) stillReady.add(ep.endpoint);
      for (const ep of oldEps) {
        if (ep.ready && !stillReady.has(ep.endpoint)) staleUdpEndpoints.push({ servicePortName: spn, ip: ep.ip, port: ep.port });
      }
    }
    if (newSvc?.protocol === 'UDP' && !hasReady(oldEps) && hasReady(newEps)) udpServicesWithNewEndpoints.push(spn);
  }

  return {
    snapshot: { services, endpoints },
    changedServices,
    staleUdpEndpoints,
    udpServicesWithNewEndpoints,
    triggerTimes,
  };
}

function hasReady(list: readonly EndpointInfo[]): boolean {
  for (const ep of list) if (ep.ready) return true;
  return false;
}
