// Which conntrack entries a sync must delete for UDP (kube-proxy's
// conntrack cleanup), as a pure function of the sync's result. UDP has no
// connection end, so an entry outlives the rules that made it:
// - an endpoint that went away still receives the flows DNATed to it;
// - a Service that had no endpoint got its packets rejected, and the
//   entries made then keep matching after the first endpoint appears.
import type { ProxySnapshot, StaleUdpEndpoint } from './snapshot.js';
import type { ServicePortInfo, ServicePortName } from './service-port.js';

export interface ConntrackDeletion {
  /** Arguments to `conntrack`, starting with -D. */
  readonly args: readonly string[];
  /** The Service and reason, for logs. */
  readonly why: string;
}

export interface ConntrackCleanupInput {
  readonly staleUdpEndpoints: readonly StaleUdpEndpoint[];
  readonly udpServicesWithNewEndpoints: readonly ServicePortName[];
}

function serviceIPs(svc: ServicePortInfo): string[] {
  return [svc.clusterIP, ...svc.externalIPs, ...svc.loadBalancerIPs];
}

/**
 * The deletions to run after the sync's rules are in the kernel. `before` is
 * the snapshot the stale endpoints were served from (their Service may be
 * gone from `after`); `after` is the snapshot just applied.
 */
export function planConntrackCleanup(
  r: ConntrackCleanupInput,
  before: ProxySnapshot,
  after: ProxySnapshot,
): ConntrackDeletion[] {
  const out: ConntrackDeletion[] = [];
  const seen = new Set<string>();
  const add = (args: string[], why: string): void => {
    const key = args.join(' ');
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ args, why });
  };

  for (const ep of r.staleUdpEndpoints) {
    const svc = before.services.get(ep.servicePortName) ?? after.services.get(ep.servicePortName);
    if (!svc || svc.protocol !== 'UDP') continue;
    const why = `${ep.servicePortName}: endpoint ${ep.ip}:${ep.port} is gone`;
    for (const ip of serviceIPs(svc)) add(['-D', '-p', 'udp', '--orig-dst', ip, '--dst-nat', ep.ip], why);
    if (svc.nodePort !== 0) add(['-D', '-p', 'udp', '--dport', String(svc.nodePort), '--dst-nat', ep.ip], why);
  }

  for (const spn of r.udpServicesWithNewEndpoints) {
    const svc = after.services.get(spn);
    if (!svc || svc.protocol !== 'UDP') continue;
    const why = `${spn}: first endpoint, entries made while it had none must go`;
    for (const ip of serviceIPs(svc)) add(['-D', '-p', 'udp', '--orig-dst', ip], why);
    if (svc.nodePort !== 0) add(['-D', '-p', 'udp', '--dport', String(svc.nodePort)], why);
  }
  return out;
}
