// The resolv.conf a pod sees, from its dnsPolicy and dnsConfig, as the
// kubelet computes it (container runtimes ignore the CNI result's `dns`).
// Pure: the node's own resolv.conf comes in as text.
import type { PodSpec } from '../kube/api/core.js';

export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  /** "ndots:5", "edns0", "timeout:2" … in order, one entry per option name. */
  options: string[];
}

export interface ClusterDnsSettings {
  /** --cluster-dns: the kube-dns Service's ClusterIP(s). */
  clusterDNS: string[];
  /** --cluster-domain, e.g. "cluster.local". */
  clusterDomain: string;
  /** The node's own /etc/resolv.conf text (what `Default` hands on). */
  hostResolvConf: string;
}

/** glibc's limits; the kubelet enforces the same ones. */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;

export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) out.nameservers.push(rest[0]);
    // Like glibc, the last search/domain line wins.
    else if (key === 'search' || key === 'domain') out.searches = rest;
    else if (key === 'options') out.options = mergeOptions(out.options, rest);
  }
  return out;
}

/** Later options replace earlier ones of the same name ("ndots:1" then "ndots:5" → "ndots:5"). */
function mergeOptions(base: readonly string[], more: readonly string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...more]) byName.set(o.split(':')[0]!, o);
  return [...byName.values()];
}

/** What the pod's dnsPolicy means on this node; `hostNetwork` turns ClusterFirst into Default, as in Kubernetes. */
export function effectiveDnsPolicy(spec: Pick<PodSpec, 'dnsPolicy' | 'hostNetwork'>): 'ClusterFirst' | 'Default' | 'None' {
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'None' || policy === 'Default') return policy;
  if (policy === 'ClusterFirstWithHostNet') return 'ClusterFirst';
  return spec.hostNetwork ? 'Default' : 'ClusterFirst';
}

/** The pod's resolver configuration. Throws for dnsPolicy None without any nameserver (the API rejects that too). */
export function computePodResolvConf(namespace: string, spec: Pick<PodSpec, 'dnsPolicy' | 'hostNetwork' | 'dnsConfig'>, s: ClusterDnsSettings): ResolvConf {
  const policy = effectiveDnsPolicy(spec);
  let base: ResolvConf;
  if (policy === 'ClusterFirst' && s.clusterDNS.length > 0) {
    const d = s.clusterDomain;
    const host = parseResolvConf(s.hostResolvConf);
    // The node's own search domains follow the cluster's, as the kubelet does.
    base = { nameservers: [...s.clusterDNS], searches: [`${namespace}.svc.${d}`, `svc.${d}`, d, ...host.searches], options: ['ndots:5'] };
  } else if (policy === 'None') {
    base = { nameservers: [], searches: [], options: [] };
  } else {
    // Default, or ClusterFirst on a node without --cluster-dns (the kubelet falls back the same way).
    base = parseResolvConf(s.hostResolvConf);
  }
  const extra = spec.dnsConfig;
  const merged: ResolvConf = {
    nameservers: dedupe([...base.nameservers, ...(extra?.nameservers ?? [])]).slice(0, MAX_NAMESERVERS),
    searches: dedupe([...base.searches, ...(extra?.searches ?? [])]).slice(0, MAX_SEARCHES),
    options: mergeOptions(base.options, (extra?.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name))),
  };
  if (policy === 'None' && merged.nameservers.length === 0) {
    throw new Error('dnsPolicy None needs dnsConfig.nameservers: the pod would have no resolver');
  }
  return merged;
}

export function renderResolvConf(r: ResolvConf): string {
  const lines: string[] = [];
  if (r.searches.length) lines.push(`search ${r.searches.join(' ')}`);
  for (const ns of r.nameservers) lines.push(`nameserver ${ns}`);
  if (r.options.length) lines.push(`options ${r.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

function dedupe(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
