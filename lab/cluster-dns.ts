// The lab's cluster DNS, deployed as Kubernetes deploys CoreDNS: the
// ServiceAccount `coredns`, the Deployment `coredns` (pods labelled
// k8s-app=kube-dns running the built-in image netkube/dns with in-cluster
// config and dnsPolicy Default) and the Service `kube-dns` at the lab's
// cluster DNS address, all in kube-system. `up` creates them and then waits
// until a query from a node namespace, through the service proxy, is answered.
//
// Upstream: with dnsPolicy Default the DNS pod gets the node's resolv.conf,
// and a lab node's resolv.conf is the host's, whose nameserver lies outside
// the lab (a lab sends no traffic out). So unless `up` is given upstreams the
// DNS reads an empty resolv.conf: no upstream, and names outside the cluster
// get SERVFAIL at once instead of a forwarding timeout.
import type { Pod, Service, ServiceAccount, Deployment } from '../kube/api/core.js';
import { Deployments, isApiError, KubeClient, Pods, ServiceAccounts, Services, type ResourceDescriptor } from '../kube/client.js';
import type { KubeObject } from '../kube/api/meta.js';
import { loadKubeconfig } from '../kube/kubeconfig.js';
import type { LabConfig } from './lab-config.js';
import { netnsPath } from './lab-network.js';
import { formatSeconds } from './progress.js';
import { CommandError, run } from './run-command.js';

export const DNS_NAMESPACE = 'kube-system';
export const DNS_SERVICE = 'kube-dns';
export const DNS_DEPLOYMENT = 'coredns';
export const DNS_SERVICE_ACCOUNT = 'coredns';
export const DNS_IMAGE = 'netkube/dns';
const APP_LABELS = { 'k8s-app': 'kube-dns' } as const;

export interface ClusterDnsOptions {
  /**
   * Replicas of the Deployment. Default 1: every node of a lab shares one
   * machine, so a second replica buys no fault tolerance, only another
   * Node.js process; `kubectl scale` adds more.
   */
  replicas?: number;
  /** `IP[:port]` servers for names outside the cluster; none: SERVFAIL for those at once. */
  upstreams?: readonly string[];
}

export interface ClusterDnsObjects {
  serviceAccount: ServiceAccount;
  service: Service;
  deployment: Deployment;
}

/** The flags of `netkube dns` in the pod. */
export function dnsArgs(cfg: Pick<LabConfig, 'clusterDomain' | 'dnsTtl'>, upstreams: readonly string[]): string[] {
  const upstream = upstreams.length > 0 ? ['--upstream', ...upstreams] : ['--resolv-conf', '/dev/null'];
  return ['--cluster-domain', cfg.clusterDomain, ...(cfg.dnsTtl !== undefined ? ['--ttl', String(cfg.dnsTtl)] : []), ...upstream];
}

/** The three objects, as Kubernetes' own CoreDNS add-on shapes them. Pure. */
export function clusterDnsObjects(cfg: Pick<LabConfig, 'clusterDNS' | 'clusterDomain' | 'dnsTtl'>, o: ClusterDnsOptions = {}): ClusterDnsObjects {
  const meta = (name: string) => ({ name, namespace: DNS_NAMESPACE, labels: { ...APP_LABELS } });
  return {
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DNS_SERVICE_ACCOUNT, namespace: DNS_NAMESPACE } },
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        ...meta(DNS_SERVICE),
        labels: { ...APP_LABELS, 'kubernetes.io/name': 'CoreDNS' },
        annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
      },
      spec: {
        type: 'ClusterIP',
        clusterIP: cfg.clusterDNS,
        selector: { ...APP_LABELS },
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
        ],
      },
    },
    deployment: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(DNS_DEPLOYMENT),
      spec: {
        replicas: o.replicas ?? 1,
        selector: { matchLabels: { ...APP_LABELS } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels: { ...APP_LABELS } },
          spec: {
            serviceAccountName: DNS_SERVICE_ACCOUNT,
            // The DNS itself must not resolve through the DNS.
            dnsPolicy: 'Default',
            tolerations: [{ key: 'CriticalAddonsOnly', operator: 'Exists' }],
            containers: [
              {
                name: 'coredns',
                image: DNS_IMAGE,
                args: dnsArgs(cfg, o.upstreams ?? []),
                ports: [
                  { name: 'dns', containerPort: 53, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                  { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
                ],
                // 503 until the first sync with the API: no traffic before the zone is complete.
                // Probed every 2 s (CoreDNS's manifest leaves the 10 s default) so `up` is not kept waiting.
                readinessProbe: { httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' }, periodSeconds: 2, timeoutSeconds: 2, failureThreshold: 3 },
                livenessProbe: {
                  httpGet: { path: '/health', port: 8080, scheme: 'HTTP' },
                  initialDelaySeconds: 60,
                  timeoutSeconds: 5,
                  successThreshold: 1,
                  failureThreshold: 5,
                },
              },
            ],
          },
        },
      },
    },
  };
}

/** Creates what is missing; an object that already exists is left as it is (a re-run changes nothing). */
export async function createClusterDns(client: KubeClient, objs: ClusterDnsObjects): Promise<string[]> {
  const created: string[] = [];
  const items: [ResourceDescriptor, KubeObject][] = [
    [ServiceAccounts, objs.serviceAccount],
    [Services, objs.service],
    [Deployments, objs.deployment],
  ];
  for (const [res, obj] of items) {
    try {
      await client.create(res, obj);
      created.push(`${res.kind.toLowerCase()}/${obj.metadata.name}`);
    } catch (e) {
      if (!isApiError(e, 409)) throw e;
    }
  }
  return created;
}

export interface DigResult {
  /** The header's status: NOERROR, NXDOMAIN, SERVFAIL … (undefined when no answer came). */
  status?: string;
  /** The answer section's records as `name ttl class type data`, whitespace collapsed. */
  answers: string[];
}

/** Reads dig's default output. Pure. */
export function parseDig(text: string): DigResult {
  const out: DigResult = { answers: [] };
  const status = /status: ([A-Z]+)/.exec(text);
  if (status) out.status = status[1]!;
  let inAnswer = false;
  for (const line of text.split('\n')) {
    if (line.startsWith(';; ANSWER SECTION:')) inAnswer = true;
    else if (inAnswer && line.trim() === '') inAnswer = false;
    else if (inAnswer && !line.startsWith(';')) out.answers.push(line.trim().split(/\s+/).join(' '));
  }
  return out;
}

/** The last field of each answer of a type: addresses of A records, targets of SRV/PTR. */
export function answerData(r: DigResult, type: string): string[] {
  return r.answers.map((a) => a.split(' ')).filter((f) => f[3] === type).map((f) => f.slice(4).join(' '));
}

/** One query with dig from inside a namespace. A timeout is an answer without status, not an error. */
export async function digIn(netns: string, server: string, args: readonly string[]): Promise<{ result: DigResult; output: string }> {
  let output: string;
  try {
    output = await run(['nsenter', `--net=${netnsPath(netns)}`, 'dig', '+time=2', '+tries=1', `@${server}`, ...args], { timeoutMs: 10_000 });
  } catch (e) {
    if (e instanceof CommandError && e.code === 'ENOENT') throw new Error('dig is not installed (Debian package dnsutils): `up` uses it to check the cluster DNS');
    // dig exits 9 when no server answered; it printed why.
    output = e instanceof CommandError ? e.stderr : String(e);
  }
  return { result: parseDig(output), output };
}

function podLine(p: Pod): string {
  const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'ready' : 'not ready';
  const waiting = p.status?.containerStatuses?.find((c) => c.state?.waiting?.reason)?.state?.waiting?.reason;
  return `${p.metadata.name} ${p.status?.phase ?? 'Pending'} ${ready}${waiting ? ` (${waiting})` : ''} on ${p.spec?.nodeName ?? '-'}`;
}

/**
 * Waits until the DNS answers `kubernetes.default.svc.<domain>` with an
 * address, asked at the DNS Service's ClusterIP from the first node's
 * namespace (so through the proxy, as a pod's resolver asks). Returns the
 * answer; a timeout names the last dig output and the DNS pods' states.
 */
export async function waitForClusterDns(
  cfg: LabConfig,
  opts: { timeoutMs: number; detail: (d: string) => void; check?: () => Promise<void> },
): Promise<string> {
  const name = `kubernetes.default.svc.${cfg.clusterDomain}`;
  const node = cfg.nodes[0]!;
  const client = new KubeClient(await loadKubeconfig(cfg.paths.kubeconfig), { userAgent: 'netkube-up', requestTimeoutMs: 5000 });
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  try {
    for (;;) {
      const { result, output } = await digIn(node.netns, cfg.clusterDNS, [name, 'A']);
      const addrs = answerData(result, 'A');
      if (result.status === 'NOERROR' && addrs.length > 0) {
        const answer = `${name} → ${addrs.join(', ')}`;
        opts.detail(answer);
        return answer;
      }
      last = output.trim();
      const pods = await client
        .list<Pod>(Pods, { namespace: DNS_NAMESPACE, labelSelector: 'k8s-app=kube-dns' })
        .then((l) => l.items.map(podLine), (e: unknown) => [`(cannot list pods: ${e instanceof Error ? e.message : String(e)})`]);
      opts.detail(`${pods.length ? pods.join('; ') : 'no pod yet'}; dig: ${result.status ?? 'no answer'}`);
      await opts.check?.();
      if (Date.now() > deadline) {
        throw new Error(
          `the cluster DNS ${cfg.clusterDNS} did not answer ${name} within ${formatSeconds(opts.timeoutMs)}\n` +
            `pods: ${pods.join('; ') || 'none'}\nlast dig from ${node.netns}:\n${last}`,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    client.close();
  }
}
