// The pod's hostname and its /etc/hosts, as the kubelet manages them.
// Pure: the node's own hosts file comes in as text (hostNetwork pods get it).
import type { Pod } from '../kube/api/core.js';

export interface HostAlias {
  ip: string;
  hostnames?: string[];
}

export interface PodHostname {
  hostname: string;
  /** hostname.subdomain.namespace.svc.<domain> when spec.subdomain is set. */
  fqdn?: string;
}

const MAX_HOSTNAME = 63;

/** spec.hostname or the pod name, cut to 63 characters (without a trailing '-' or '.'), as the kubelet does. */
export function podHostname(pod: Pick<Pod, 'metadata' | 'spec'>, clusterDomain: string): PodHostname {
  let hostname = pod.spec?.hostname || pod.metadata.name || '';
  if (hostname.length > MAX_HOSTNAME) hostname = hostname.slice(0, MAX_HOSTNAME).replace(/[-.]+$/, '');
  const sub = pod.spec?.subdomain;
  if (!sub) return { hostname };
  return { hostname, fqdn: `${hostname}.${sub}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}` };
}

export function hostAliasesOf(pod: Pick<Pod, 'spec'>): HostAlias[] {
  const raw = (pod.spec as { hostAliases?: unknown } | undefined)?.hostAliases;
  return Array.isArray(raw) ? (raw as HostAlias[]).filter((a) => typeof a?.ip === 'string') : [];
}

/**
 * The hosts file of a pod with its own network namespace: the loopback and
 * IPv6 names, the pod's own address(es) under its hostname (and FQDN), then
 * spec.hostAliases.
 */
export function renderPodHostsFile(name: PodHostname, podIPs: readonly string[], aliases: readonly HostAlias[]): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const names = name.fqdn ? `${name.fqdn}\t${name.hostname}` : name.hostname;
  for (const ip of podIPs) lines.push(`${ip}\t${names}`);
  return lines.join('\n') + '\n' + renderAliases(aliases);
}

/** hostNetwork pods see the node's hosts file, plus their host aliases. */
export function renderHostNetworkHostsFile(nodeHostsFile: string, aliases: readonly HostAlias[]): string {
  const base = nodeHostsFile.endsWith('\n') || nodeHostsFile === '' ? nodeHostsFile : `${nodeHostsFile}\n`;
  return `# Kubernetes-managed hosts file (host network).\n${base}${renderAliases(aliases)}`;
}

function renderAliases(aliases: readonly HostAlias[]): string {
  const rows = aliases.filter((a) => (a.hostnames ?? []).length > 0).map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  return rows.length ? `\n# Entries added by HostAliases.\n${rows.join('\n')}\n` : '';
}
