// Renders a ProxySnapshot into `iptables-restore --noflush` input for the
// filter and nat tables, with kube-proxy's chains, rule shapes and comments
// (pkg/proxy/iptables/proxier.go syncProxyRules), as a pure function.
//
// Two deliberate differences from kube-proxy's iptables mode:
// - NodePorts are not served on 127.0.0.0/8 (as in kube-proxy's nftables mode):
//   localhost NodePorts need route_localnet, a known security hole.
// - A partial sync rewrites a top-level chain (KUBE-SERVICES, KUBE-NODEPORTS,
//   the filter chains) only when a changed Service's rules in it changed. An
//   endpoint change within a Service that keeps its endpoints rewrites only
//   that Service's KUBE-SVC/SVL/EXT/FW/SEP chains, not the whole KUBE-SERVICES
//   (which kube-proxy rewrites on every sync).
import type { EndpointInfo } from './endpoint-info.js';
import {
  isServiceChainName,
  serviceExternalChainName,
  serviceFirewallChainName,
  serviceLocalChainName,
  servicePortChainName,
  endpointChainName,
} from './iptables-chain-names.js';
import {
  DEFAULT_LARGE_CLUSTER_ENDPOINTS_THRESHOLD,
  ipv4CidrContains,
  masqueradeMark,
  type ProxyConfig,
} from './proxy-config.js';
import {
  externallyAccessible,
  usesClusterEndpoints,
  usesLocalEndpoints,
  type ServicePortInfo,
  type ServicePortName,
} from './service-port.js';
import type { ProxySnapshot } from './snapshot.js';

export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
/** Empty chain whose disappearance tells the applier the tables were flushed behind our back (full resync). */
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';

export type IptablesTable = 'filter' | 'nat';

/** The top-level chains of each table that the renderer owns, in kube-proxy's declaration order. */
export const FILTER_CHAINS = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL] as const;
export const NAT_CHAINS = [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ] as const;

export interface RenderOptions {
  /** Full: declare (flush) and rewrite every chain. Partial: only what changed since `previous`. */
  readonly full: boolean;
  /** Partial sync: the ServicePorts whose Service or endpoints changed since `previous`. */
  readonly changedServices?: ReadonlySet<ServicePortName>;
  /**
   * The snapshot the kernel's rules were last rendered from. A partial sync
   * needs it to leave unchanged top-level chains alone and to delete stale
   * chains; without it, it rewrites every top-level chain (as kube-proxy does)
   * and deletes nothing. A full sync uses it to find stale chains when
   * `existingNatChains` is not given.
   */
  readonly previous?: ProxySnapshot;
  /** Full sync: the nat chains now in the kernel (iptables-save); stale per-service chains among them are deleted. */
  readonly existingNatChains?: Iterable<string>;
}

export interface RenderResult {
  /** iptables-restore --noflush input; empty when a partial sync has nothing to write. */
  readonly text: string;
  readonly full: boolean;
  /** Top-level chains this text flushes and refills, as "table CHAIN". */
  readonly rewrittenTopLevelChains: readonly string[];
  /** ServicePorts whose per-service chains this text rewrites. */
  readonly rewrittenServices: readonly ServicePortName[];
  /** Stale per-service nat chains this text deletes. */
  readonly deletedChains: readonly string[];
  /** Rule lines (-A) written per table. */
  readonly natRules: number;
  readonly filterRules: number;
  /** ServicePorts with endpoints but none usable on this node for internal / external traffic under policy Local. */
  readonly noLocalEndpoints: { readonly internal: number; readonly external: number };
}

// ---------------------------------------------------------------------------
// Per ServicePort: which endpoints serve which traffic, and which chains exist.

interface ServicePlan {
  readonly svc: ServicePortInfo;
  readonly proto: string;
  readonly clusterChain: string;
  readonly localChain: string;
  readonly externalChain: string;
  readonly firewallChain: string;
  readonly clusterEndpoints: readonly EndpointInfo[];
  readonly localEndpoints: readonly EndpointInfo[];
  /** Every endpoint some rule of this node jumps to: one KUBE-SEP chain each. */
  readonly reachableEndpoints: readonly EndpointInfo[];
  readonly hasEndpoints: boolean;
  readonly hasInternalEndpoints: boolean;
  readonly hasExternalEndpoints: boolean;
  readonly usesClusterPolicyChain: boolean;
  readonly usesLocalPolicyChain: boolean;
  readonly usesExternalChain: boolean;
  readonly usesFirewallChain: boolean;
  readonly internalChain: string;
  readonly externalPolicyChain: string;
  readonly loadBalancerChain: string;
  readonly internalFilter?: { readonly target: 'REJECT' | 'DROP'; readonly comment: string };
  readonly externalFilter?: { readonly target: 'REJECT' | 'DROP'; readonly comment: string };
}

const NONE: readonly EndpointInfo[] = [];

/**
 * kube-proxy's CategorizeEndpoints (without topology hints): ready endpoints,
 * falling back to serving+terminating ones when none is ready, separately for
 * the cluster-wide and the node-local set.
 */
function planServicePort(svc: ServicePortInfo, endpoints: readonly EndpointInfo[], nodeName: string): ServicePlan {
  const proto = svc.protocol.toLowerCase();
  const usesCluster = usesClusterEndpoints(svc);
  const usesLocal = usesLocalEndpoints(svc);

  let clusterEndpoints: readonly EndpointInfo[] = NONE;
  let hasEndpoints = false;
  if (usesCluster) {
    let ready = 0;
    for (const ep of endpoints) if (ep.ready) ready++;
    if (ready === endpoints.length) clusterEndpoints = endpoints;
    else if (ready > 0) clusterEndpoints = endpoints.filter((ep) => ep.ready);
    else clusterEndpoints = endpoints.filter((ep) => ep.serving && ep.terminating);
    hasEndpoints = clusterEndpoints.length > 0;
  }

  let localEndpoints: readonly EndpointInfo[] = NONE;
  let localUsesTerminating = false;
  if (usesLocal) {
    let localReady = false;
    let localServingTerminating = false;
    for (const ep of endpoints) {
      const usable = ep.ready || (ep.serving && ep.terminating);
      if (!usable) continue;
      hasEndpoints = true;
      if (ep.nodeName === nodeName) {
        if (ep.ready) localReady = true;
        else localServingTerminating = true;
      }
    }
    if (localReady) localEndpoints = endpoints.filter((ep) => ep.nodeName === nodeName && ep.ready);
    else if (localServingTerminating) {
      localUsesTerminating = true;
      localEndpoints = endpoints.filter((ep) => ep.nodeName === nodeName && ep.serving && ep.terminating);
    }
  }

  let reachableEndpoints: readonly EndpointInfo[];
  if (!usesLocal) reachableEndpoints = clusterEndpoints;
  else if (!usesCluster) reachableEndpoints = localEndpoints;
  else if (!localUsesTerminating) reachableEndpoints = clusterEndpoints; // a superset of the local ready ones
  else {
    const seen = new Set(clusterEndpoints.map((ep) => ep.endpoint));
    const merged = [...clusterEndpoints];
    for (const ep of localEndpoints) if (!seen.has(ep.endpoint)) merged.push(ep);
    merged.sort((a, b) => (a.endpoint < b.endpoint ? -1 : a.endpoint > b.endpoint ? 1 : 0));
    reachableEndpoints = merged;
  }

  const clusterChain = servicePortChainName(svc.name, proto);
  const localChain = serviceLocalChainName(svc.name, proto);
  const externalChain = serviceExternalChainName(svc.name, proto);
  const firewallChain = serviceFirewallChainName(svc.name, proto);

  const hasInternalEndpoints = hasEndpoints && !(svc.internalPolicyLocal && localEndpoints.length === 0);
  const hasExternalEndpoints = hasEndpoints && !(svc.externalPolicyLocal && localEndpoints.length === 0);
  const usesExternalChain = hasEndpoints && externallyAccessible(svc);
  const usesFirewallChain =
    hasEndpoints && svc.loadBalancerIPs.length > 0 && svc.loadBalancerSourceRanges.length > 0;

  let internalFilter: ServicePlan['internalFilter'];
  let externalFilter: ServicePlan['externalFilter'];
  if (!hasEndpoints) {
    internalFilter = { target: 'REJECT', comment: `"${svc.name} has no endpoints"` };
    externalFilter = internalFilter;
  } else {
    if (!hasInternalEndpoints) internalFilter = { target: 'DROP', comment: `"${svc.name} has no local endpoints"` };
    if (!hasExternalEndpoints) externalFilter = { target: 'DROP', comment: `"${svc.name} has no local endpoints"` };
  }

  return {
    svc,
    proto,
    clusterChain,
    localChain,
    externalChain,
    firewallChain,
    clusterEndpoints,
    localEndpoints,
    reachableEndpoints,
    hasEndpoints,
    hasInternalEndpoints,
    hasExternalEndpoints,
    usesClusterPolicyChain: clusterEndpoints.length > 0 && usesCluster,
    usesLocalPolicyChain: localEndpoints.length > 0 && usesLocal,
    usesExternalChain,
    usesFirewallChain,
    internalChain: svc.internalPolicyLocal ? localChain : clusterChain,
    externalPolicyChain: svc.externalPolicyLocal ? localChain : clusterChain,
    loadBalancerChain: usesFirewallChain ? firewallChain : externalChain,
    ...(internalFilter ? { internalFilter } : {}),
    ...(externalFilter ? { externalFilter } : {}),
  };
}

// ---------------------------------------------------------------------------
// Rule writers. Each pushes whole lines; the text is joined once at the end.

/** One ServicePort's rules in the shared top-level chains, per table and chain. */
interface TopLevelRules {
  natServices: string[];
  natNodePorts: string[];
  filterServices: string[];
  filterExternalServices: string[];
  filterNodePorts: string[];
  filterFirewall: string[];
}

const TOP_LEVEL_KEYS = [
  ['nat', KUBE_SERVICES, 'natServices'],
  ['nat', KUBE_NODEPORTS, 'natNodePorts'],
  ['filter', KUBE_SERVICES, 'filterServices'],
  ['filter', KUBE_EXTERNAL_SERVICES, 'filterExternalServices'],
  ['filter', KUBE_NODEPORTS, 'filterNodePorts'],
  ['filter', KUBE_PROXY_FIREWALL, 'filterFirewall'],
] as const satisfies readonly (readonly [IptablesTable, string, keyof TopLevelRules])[];

function newTopLevelRules(): TopLevelRules {
  return {
    natServices: [],
    natNodePorts: [],
    filterServices: [],
    filterExternalServices: [],
    filterNodePorts: [],
    filterFirewall: [],
  };
}

const NODEPORTS_JUMP =
  `-A ${KUBE_SERVICES} -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"` +
  ` -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j ${KUBE_NODEPORTS}`;

function writeTopLevelRules(p: ServicePlan, out: TopLevelRules): void {
  const { svc, proto } = p;
  const name = svc.name;
  const match = ` -m ${proto} -p ${proto}`;
  const dport = ` --dport ${svc.port}`;

  if (p.hasInternalEndpoints) {
    out.natServices.push(
      `-A ${KUBE_SERVICES} -m comment --comment "${name} cluster IP"${match} -d ${svc.clusterIP}${dport} -j ${p.internalChain}`,
    );
  } else if (p.internalFilter) {
    out.filterServices.push(
      `-A ${KUBE_SERVICES} -m comment --comment ${p.internalFilter.comment}${match} -d ${svc.clusterIP}${dport} -j ${p.internalFilter.target}`,
    );
  }

  const ext = p.externalFilter;
  for (const ip of svc.externalIPs) {
    if (p.hasEndpoints) {
      out.natServices.push(
        `-A ${KUBE_SERVICES} -m comment --comment "${name} external IP"${match} -d ${ip}${dport} -j ${p.externalChain}`,
      );
    }
    if (ext) {
      out.filterExternalServices.push(
        `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${ext.comment}${match} -d ${ip}${dport} -j ${ext.target}`,
      );
    }
  }

  for (const ip of svc.loadBalancerIPs) {
    if (p.hasEndpoints) {
      out.natServices.push(
        `-A ${KUBE_SERVICES} -m comment --comment "${name} loadbalancer IP"${match} -d ${ip}${dport} -j ${p.loadBalancerChain}`,
      );
    }
    if (p.usesFirewallChain) {
      out.filterFirewall.push(
        `-A ${KUBE_PROXY_FIREWALL} -m comment --comment "${name} traffic not accepted by ${p.firewallChain}"${match} -d ${ip}${dport} -j DROP`,
      );
    }
  }
  if (ext) {
    for (const ip of svc.loadBalancerIPs) {
      out.filterExternalServices.push(
        `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${ext.comment}${match} -d ${ip}${dport} -j ${ext.target}`,
      );
    }
  }

  if (svc.nodePort !== 0) {
    if (p.hasEndpoints) {
      // NodePorts are not subject to loadBalancerSourceRanges, as in kube-proxy.
      out.natNodePorts.push(
        `-A ${KUBE_NODEPORTS} -m comment --comment ${name}${match} --dport ${svc.nodePort} -j ${p.externalChain}`,
      );
    }
    if (ext) {
      out.filterExternalServices.push(
        `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${ext.comment} -m addrtype --dst-type LOCAL${match} --dport ${svc.nodePort} -j ${ext.target}`,
      );
    }
  }

  if (svc.healthCheckNodePort !== 0) {
    // Accepted whether or not this node has local endpoints: the health check answers either way.
    out.filterNodePorts.push(
      `-A ${KUBE_NODEPORTS} -m comment --comment "${name} health check node port" -m tcp -p tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`,
    );
  }
}

interface RenderContext {
  readonly cfg: ProxyConfig;
  readonly clusterCIDR: string | undefined;
  readonly largeClusterMode: boolean;
}

// kube-proxy formats 1/n with %0.10f; most Services have few endpoints, so cache.
const probabilities: string[] = [];
function probability(n: number): string {
  let s = probabilities[n];
  if (s === undefined) {
    s = (1 / n).toFixed(10);
    probabilities[n] = s;
  }
  return s;
}

/** Writes the per-service nat chains (declarations into `chains`, rules into `rules`). */
function writeServiceChains(p: ServicePlan, ctx: RenderContext, chains: string[], rules: string[]): void {
  const { svc, proto } = p;
  const name = svc.name;
  const cidr = ctx.clusterCIDR;

  if (p.hasInternalEndpoints && cidr) {
    // Off-cluster traffic to a ClusterIP (e.g. routed in via a static route) may bounce off-node: masquerade it.
    rules.push(
      `-A ${p.internalChain} -m comment --comment "${name} cluster IP" -m ${proto} -p ${proto} -d ${svc.clusterIP} --dport ${svc.port} ! -s ${cidr} -j ${KUBE_MARK_MASQ}`,
    );
  }

  if (p.usesExternalChain) {
    const ext = p.externalChain;
    chains.push(ext);
    if (!svc.externalPolicyLocal) {
      // Cluster policy may send the packet to another node: masquerade so the reply comes back through us.
      rules.push(`-A ${ext} -m comment --comment "masquerade traffic for ${name} external destinations" -j ${KUBE_MARK_MASQ}`);
    } else {
      if (cidr) {
        // Pods reaching an external address of a Service behave as if they went out and came back: policy Cluster.
        rules.push(`-A ${ext} -m comment --comment "pod traffic for ${name} external destinations" -s ${cidr} -j ${p.clusterChain}`);
      }
      // The node itself has a local source address: masquerade it and use the cluster chain.
      rules.push(
        `-A ${ext} -m comment --comment "masquerade LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j ${KUBE_MARK_MASQ}`,
      );
      rules.push(
        `-A ${ext} -m comment --comment "route LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j ${p.clusterChain}`,
      );
    }
    if (p.hasExternalEndpoints) rules.push(`-A ${ext} -j ${p.externalPolicyChain}`);
  }

  if (p.usesFirewallChain) {
    const fw = p.firewallChain;
    chains.push(fw);
    const head = `-A ${fw} -m comment --comment "${name} loadbalancer IP"`;
    let allowFromNode = false;
    for (const range of svc.loadBalancerSourceRanges) {
      rules.push(`${head} -s ${range} -j ${p.externalChain}`);
      if (!allowFromNode) for (const ip of ctx.cfg.nodeIPs) if (ipv4CidrContains(range, ip)) allowFromNode = true;
    }
    // A node reaching a VIP bound locally loops back with the VIP as source: let it in when the node is allowed.
    if (allowFromNode) for (const ip of svc.loadBalancerIPs) rules.push(`${head} -s ${ip} -j ${p.externalChain}`);
    rules.push(`-A ${fw} -m comment --comment "other traffic to ${name} will be dropped by ${KUBE_PROXY_FIREWALL}"`);
  }

  if (p.usesClusterPolicyChain) {
    chains.push(p.clusterChain);
    writeEndpointJumps(p, ctx, p.clusterChain, p.clusterEndpoints, rules);
  }
  if (p.usesLocalPolicyChain) {
    chains.push(p.localChain);
    writeEndpointJumps(p, ctx, p.localChain, p.localEndpoints, rules);
  }

  const comment = ctx.largeClusterMode ? '' : ` -m comment --comment ${name}`;
  const affinity = svc.sessionAffinity === 'ClientIP';
  for (const ep of p.reachableEndpoints) {
    const sep = endpointChainName(name, proto, ep);
    chains.push(sep);
    // Hairpin: a pod reaching itself through its Service must be masqueraded or it would answer itself directly.
    rules.push(`-A ${sep}${comment} -s ${ep.ip} -j ${KUBE_MARK_MASQ}`);
    rules.push(
      affinity
        ? `-A ${sep}${comment} -m recent --name ${sep} --set -m ${proto} -p ${proto} -j DNAT --to-destination ${ep.endpoint}`
        : `-A ${sep}${comment} -m ${proto} -p ${proto} -j DNAT --to-destination ${ep.endpoint}`,
    );
  }
}

function writeEndpointJumps(
  p: ServicePlan,
  ctx: RenderContext,
  chain: string,
  endpoints: readonly EndpointInfo[],
  rules: string[],
): void {
  const { svc, proto } = p;
  const name = svc.name;
  const n = endpoints.length;
  if (svc.sessionAffinity === 'ClientIP') {
    for (const ep of endpoints) {
      const sep = endpointChainName(name, proto, ep);
      const comment = ctx.largeClusterMode ? '' : ` -m comment --comment "${name} -> ${ep.endpoint}"`;
      rules.push(
        `-A ${chain}${comment} -m recent --name ${sep} --rcheck --seconds ${svc.stickyMaxAgeSeconds} --reap -j ${sep}`,
      );
    }
  }
  // Equal spread: 1/n, then 1/(n-1) of the rest, ..., the last one unconditionally.
  for (let i = 0; i < n; i++) {
    const ep = endpoints[i]!;
    const sep = endpointChainName(name, proto, ep);
    const comment = ctx.largeClusterMode ? '' : ` -m comment --comment "${name} -> ${ep.endpoint}"`;
    rules.push(
      i < n - 1
        ? `-A ${chain}${comment} -m statistic --mode random --probability ${probability(n - i)} -j ${sep}`
        : `-A ${chain}${comment} -j ${sep}`,
    );
  }
}

// ---------------------------------------------------------------------------

function chainLine(chain: string): string {
  return `:${chain} - [0:0]`;
}

function sortedNames(m: ReadonlyMap<ServicePortName, unknown>): ServicePortName[] {
  return [...m.keys()].sort();
}

function endpointsOf(s: ProxySnapshot, spn: ServicePortName): readonly EndpointInfo[] {
  return s.endpoints.get(spn) ?? NONE;
}

function countEndpoints(s: ProxySnapshot): number {
  let n = 0;
  for (const spn of s.services.keys()) n += endpointsOf(s, spn).length;
  return n;
}

/** The per-service chains a ServicePort has in a snapshot (for stale-chain detection). */
function serviceChainsIn(s: ProxySnapshot, spn: ServicePortName, ctx: RenderContext): string[] {
  const svc = s.services.get(spn);
  if (!svc) return [];
  const chains: string[] = [];
  writeServiceChains(planServicePort(svc, endpointsOf(s, spn), ctx.cfg.nodeName), ctx, chains, []);
  return chains;
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Renders the snapshot as iptables-restore --noflush input (tables filter and
 * nat). Deterministic: ServicePorts in name order, endpoints in `ip:port` order.
 */
export function renderIptables(s: ProxySnapshot, cfg: ProxyConfig, opts: RenderOptions): RenderResult {
  const mark = masqueradeMark(cfg);
  const threshold = cfg.largeClusterEndpointsThreshold ?? DEFAULT_LARGE_CLUSTER_ENDPOINTS_THRESHOLD;
  const ctx: RenderContext = {
    cfg,
    clusterCIDR: cfg.clusterCIDR,
    largeClusterMode: countEndpoints(s) > threshold,
  };

  const natChains: string[] = [];
  const natRules: string[] = [];
  const serviceChains: string[] = [];
  const serviceRules: string[] = [];
  const deleted: string[] = [];
  const rewrittenServices: ServicePortName[] = [];
  const noLocal = { internal: 0, external: 0 };

  // Which top-level chains to write, and for which ServicePorts the per-service chains.
  let dirtyTopLevel: Set<keyof TopLevelRules>;
  let serviceNames: ServicePortName[];

  if (opts.full) {
    dirtyTopLevel = new Set(TOP_LEVEL_KEYS.map(([, , key]) => key));
    serviceNames = sortedNames(s.services);
  } else {
    serviceNames = [...(opts.changedServices ?? [])].sort();
    const prev = opts.previous;
    if (!prev) {
      dirtyTopLevel = new Set(TOP_LEVEL_KEYS.map(([, , key]) => key));
    } else {
      dirtyTopLevel = new Set();
      for (const spn of serviceNames) {
        const before = newTopLevelRules();
        const after = newTopLevelRules();
        const oldSvc = prev.services.get(spn);
        const newSvc = s.services.get(spn);
        if (oldSvc) writeTopLevelRules(planServicePort(oldSvc, endpointsOf(prev, spn), cfg.nodeName), before);
        if (newSvc) writeTopLevelRules(planServicePort(newSvc, endpointsOf(s, spn), cfg.nodeName), after);
        for (const [, , key] of TOP_LEVEL_KEYS) if (!sameLines(before[key], after[key])) dirtyTopLevel.add(key);
      }
    }
  }

  // Per-service chains, and in a full sync the top-level rules in the same pass.
  const top = newTopLevelRules();
  const activeByService = new Map<ServicePortName, string[]>();
  for (const spn of serviceNames) {
    const svc = s.services.get(spn);
    if (!svc) continue;
    const plan = planServicePort(svc, endpointsOf(s, spn), cfg.nodeName);
    const start = serviceChains.length;
    writeServiceChains(plan, ctx, serviceChains, serviceRules);
    rewrittenServices.push(spn);
    if (opts.full) {
      writeTopLevelRules(plan, top);
      if (plan.hasEndpoints && !plan.hasInternalEndpoints) noLocal.internal++;
      if (plan.hasEndpoints && !plan.hasExternalEndpoints) noLocal.external++;
    } else {
      activeByService.set(spn, serviceChains.slice(start));
    }
  }

  // A partial sync that must rewrite a top-level chain needs every ServicePort's rules in it.
  if (!opts.full && dirtyTopLevel.size > 0) {
    for (const spn of sortedNames(s.services)) {
      const svc = s.services.get(spn)!;
      writeTopLevelRules(planServicePort(svc, endpointsOf(s, spn), cfg.nodeName), top);
    }
  }

  // Stale per-service chains: declared (which flushes them) and deleted once nothing jumps to them.
  if (opts.full) {
    if (opts.existingNatChains || opts.previous) {
      const active = new Set(serviceChains);
      const candidates = new Set<string>();
      if (opts.existingNatChains) {
        for (const c of opts.existingNatChains) if (isServiceChainName(c)) candidates.add(c);
      } else if (opts.previous) {
        const prev = opts.previous;
        for (const spn of prev.services.keys()) {
          // Unchanged objects (applyChanges shares them) have unchanged chains.
          if (prev.services.get(spn) === s.services.get(spn) && prev.endpoints.get(spn) === s.endpoints.get(spn)) continue;
          for (const c of serviceChainsIn(prev, spn, ctx)) candidates.add(c);
        }
      }
      for (const c of [...candidates].sort()) if (!active.has(c)) deleted.push(c);
    }
  } else if (opts.previous) {
    const stale = new Set<string>();
    for (const spn of serviceNames) {
      const now = new Set(activeByService.get(spn) ?? []);
      for (const c of serviceChainsIn(opts.previous, spn, ctx)) if (!now.has(c)) stale.add(c);
    }
    deleted.push(...[...stale].sort());
  }

  // ---- filter table
  const filterLines: string[] = [];
  const filterRuleLines: string[] = [];
  const rewritten: string[] = [];
  const filterDirty = (key: keyof TopLevelRules) => dirtyTopLevel.has(key);
  for (const chain of FILTER_CHAINS) {
    const key = topLevelKey('filter', chain);
    if (opts.full || (key && filterDirty(key))) {
      filterLines.push(chainLine(chain));
      rewritten.push(`filter ${chain}`);
    }
  }
  if (opts.full) filterLines.push(chainLine(KUBE_PROXY_CANARY));
  if (filterDirty('filterNodePorts')) filterRuleLines.push(...top.filterNodePorts);
  if (filterDirty('filterServices')) filterRuleLines.push(...top.filterServices);
  if (filterDirty('filterExternalServices')) filterRuleLines.push(...top.filterExternalServices);
  if (filterDirty('filterFirewall')) filterRuleLines.push(...top.filterFirewall);
  if (opts.full) {
    filterRuleLines.push(
      // Without nf_conntrack_tcp_be_liberal, INVALID packets can reset connections: drop them (kube-proxy #74839).
      `-A ${KUBE_FORWARD} -m conntrack --ctstate INVALID -j DROP`,
      `-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`,
      `-A ${KUBE_FORWARD} -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
    );
  }

  // ---- nat table
  for (const chain of NAT_CHAINS) {
    const key = topLevelKey('nat', chain);
    if (opts.full || (key && dirtyTopLevel.has(key))) {
      natChains.push(chainLine(chain));
      rewritten.push(`nat ${chain}`);
    }
  }
  if (opts.full) {
    natChains.push(chainLine(KUBE_PROXY_CANARY));
    natRules.push(
      `-A ${KUBE_POSTROUTING} -m mark ! --mark ${mark}/${mark} -j RETURN`,
      // Clear the mark so a packet that traverses the stack again is not masqueraded twice.
      `-A ${KUBE_POSTROUTING} -j MARK --xor-mark ${mark}`,
      `-A ${KUBE_POSTROUTING} -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`,
      `-A ${KUBE_MARK_MASQ} -j MARK --or-mark ${mark}`,
    );
  }
  if (dirtyTopLevel.has('natServices')) {
    natRules.push(...top.natServices);
    // Last: NodePorts match on any local address except loopback (no route_localnet, unlike kube-proxy's default).
    natRules.push(NODEPORTS_JUMP);
  }
  if (dirtyTopLevel.has('natNodePorts')) natRules.push(...top.natNodePorts);

  const natRuleCount = natRules.length + serviceRules.length;
  // Joined block by block: no intermediate array of every line.
  const blocks: string[] = [];
  const add = (lines: readonly string[]) => {
    if (lines.length > 0) blocks.push(lines.join('\n'));
  };
  if (filterLines.length > 0 || filterRuleLines.length > 0) {
    add(['*filter', ...filterLines, ...filterRuleLines, 'COMMIT']);
  }
  if (natChains.length > 0 || serviceChains.length > 0 || natRules.length > 0 || deleted.length > 0) {
    add(['*nat', ...natChains]);
    if (serviceChains.length > 0) blocks.push(':' + serviceChains.join(' - [0:0]\n:') + ' - [0:0]');
    add(deleted.map(chainLine));
    add(natRules);
    add(serviceRules);
    add(deleted.map((c) => `-X ${c}`));
    blocks.push('COMMIT');
  }

  return {
    text: blocks.length > 0 ? blocks.join('\n') + '\n' : '',
    full: opts.full,
    rewrittenTopLevelChains: rewritten,
    rewrittenServices,
    deletedChains: deleted,
    natRules: natRuleCount,
    filterRules: filterRuleLines.length,
    noLocalEndpoints: noLocal,
  };
}

function topLevelKey(table: IptablesTable, chain: string): keyof TopLevelRules | undefined {
  for (const [t, c, key] of TOP_LEVEL_KEYS) if (t === table && c === chain) return key;
  return undefined;
}

// ---------------------------------------------------------------------------

export interface HookRule {
  readonly table: IptablesTable;
  /** The built-in chain the jump sits in. */
  readonly chain: 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';
  /** The rule without `-A/-I chain`, e.g. ["-m", "comment", "--comment", "kubernetes service portals", "-j", "KUBE-SERVICES"]. */
  readonly args: readonly string[];
}

const COMMENT = (text: string) => ['-m', 'comment', '--comment', text] as const;
const NEW_ONLY = ['-m', 'conntrack', '--ctstate', 'NEW'] as const;

/**
 * The jumps from the built-in chains into ours (kube-proxy's iptablesJumpChains).
 * They are not part of the restore text, which must not touch chains we do not
 * own: the applier ensures each with `iptables -C` / `-I CHAIN 1`. Listed per
 * chain in the order they end up at the top of it: install them in reverse
 * order, each at position 1 (as kube-proxy prepends them one by one).
 */
export function renderHookRules(): HookRule[] {
  const rules: HookRule[] = [];
  const add = (table: IptablesTable, chain: HookRule['chain'], args: readonly string[]) => rules.push({ table, chain, args });
  const firewall = [...NEW_ONLY, ...COMMENT('kubernetes load balancer firewall'), '-j', KUBE_PROXY_FIREWALL];
  const external = [...NEW_ONLY, ...COMMENT('kubernetes externally-visible service portals'), '-j', KUBE_EXTERNAL_SERVICES];
  const services = [...NEW_ONLY, ...COMMENT('kubernetes service portals'), '-j', KUBE_SERVICES];
  add('filter', 'INPUT', firewall);
  add('filter', 'INPUT', [...COMMENT('kubernetes health check service ports'), '-j', KUBE_NODEPORTS]);
  add('filter', 'INPUT', external);
  add('filter', 'FORWARD', firewall);
  add('filter', 'FORWARD', [...COMMENT('kubernetes forwarding rules'), '-j', KUBE_FORWARD]);
  add('filter', 'FORWARD', services);
  add('filter', 'FORWARD', external);
  add('filter', 'OUTPUT', firewall);
  add('filter', 'OUTPUT', services);
  add('nat', 'PREROUTING', [...COMMENT('kubernetes service portals'), '-j', KUBE_SERVICES]);
  add('nat', 'OUTPUT', [...COMMENT('kubernetes service portals'), '-j', KUBE_SERVICES]);
  add('nat', 'POSTROUTING', [...COMMENT('kubernetes postrouting rules'), '-j', KUBE_POSTROUTING]);
  return rules;
}
