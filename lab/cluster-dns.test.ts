import { describe, expect, it } from 'vitest';
import { answerData, clusterDnsObjects, dnsArgs, parseDig } from './cluster-dns.js';

const cfg = { clusterDNS: '10.96.0.10', clusterDomain: 'cluster.local' };

describe('clusterDnsObjects', () => {
  const { serviceAccount, service, deployment } = clusterDnsObjects(cfg);
  const pod = deployment.spec!.template.spec!;
  const c = pod.containers[0]!;

  it('puts everything in kube-system under the names Kubernetes uses', () => {
    expect([serviceAccount, service, deployment].map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ServiceAccount kube-system/coredns',
      'Service kube-system/kube-dns',
      'Deployment kube-system/coredns',
    ]);
  });

  it('serves the Service kube-dns at the cluster DNS address with dns, dns-tcp and metrics ports', () => {
    expect(service.spec?.clusterIP).toBe('10.96.0.10');
    expect(service.spec?.selector).toEqual({ 'k8s-app': 'kube-dns' });
    expect(service.spec?.ports?.map((p) => `${p.name} ${p.port}/${p.protocol}→${p.targetPort}`)).toEqual(['dns 53/UDP→53', 'dns-tcp 53/TCP→53', 'metrics 9153/TCP→9153']);
  });

  it('runs netkube/dns with the service account, dnsPolicy Default and the selector matching its pods', () => {
    expect(deployment.spec?.replicas).toBe(1);
    expect(deployment.spec?.selector.matchLabels).toEqual(deployment.spec?.template.metadata?.labels);
    expect(deployment.spec?.template.metadata?.labels).toEqual({ 'k8s-app': 'kube-dns' });
    expect(pod.serviceAccountName).toBe('coredns');
    expect(pod.dnsPolicy).toBe('Default');
    expect(c.image).toBe('netkube/dns');
    expect(c.ports?.map((p) => `${p.name} ${p.containerPort}/${p.protocol}`)).toEqual(['dns 53/UDP', 'dns-tcp 53/TCP', 'metrics 9153/TCP']);
  });

  it('probes readiness on :8181/ready and liveness on :8080/health', () => {
    expect(c.readinessProbe?.httpGet).toMatchObject({ path: '/ready', port: 8181 });
    expect(c.livenessProbe?.httpGet).toMatchObject({ path: '/health', port: 8080 });
  });

  it('takes replicas and upstreams', () => {
    const d = clusterDnsObjects(cfg, { replicas: 2, upstreams: ['10.0.0.2'] }).deployment;
    expect(d.spec?.replicas).toBe(2);
    expect(d.spec?.template.spec?.containers[0]?.args).toEqual(['--cluster-domain', 'cluster.local', '--upstream', '10.0.0.2']);
  });
});

describe('dnsArgs', () => {
  it.each([
    { name: 'no upstream: an empty resolv.conf, never the host\'s nameserver outside the lab', ups: [], want: ['--cluster-domain', 'cluster.local', '--resolv-conf', '/dev/null'] },
    { name: 'upstreams are passed in order', ups: ['172.18.66.1', '10.0.0.3:5353'], want: ['--cluster-domain', 'cluster.local', '--upstream', '172.18.66.1', '10.0.0.3:5353'] },
  ])('$name', ({ ups, want }) => {
    expect(dnsArgs(cfg, ups)).toEqual(want);
  });
  it('passes the lab\'s --dns-ttl to the DNS', () => {
    expect(dnsArgs({ ...cfg, dnsTtl: 5 }, [])).toEqual(['--cluster-domain', 'cluster.local', '--ttl', '5', '--resolv-conf', '/dev/null']);
  });
});

const NOERROR = `
; <<>> DiG 9.18.33-1~deb12u2-Debian <<>> @10.96.0.10 web.default.svc.cluster.local SRV
;; global options: +cmd
;; Got answer:
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4242
;; flags: qr aa rd; QUERY: 1, ANSWER: 2, AUTHORITY: 0, ADDITIONAL: 1

;; QUESTION SECTION:
;web.default.svc.cluster.local.	IN	A

;; ANSWER SECTION:
web.default.svc.cluster.local. 30	IN	A	10.96.12.7
_http._tcp.web.default.svc.cluster.local. 30 IN SRV 0 100 80 web.default.svc.cluster.local.

;; ADDITIONAL SECTION:
web.default.svc.cluster.local. 30	IN	A	10.96.12.7

;; Query time: 1 msec
`;

const NXDOMAIN = `
;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 1
;; flags: qr aa rd; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 0

;; AUTHORITY SECTION:
cluster.local.		30	IN	SOA	ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 86400 30
`;

describe('parseDig', () => {
  it.each([
    { name: 'answers, without the additional section', text: NOERROR, want: { status: 'NOERROR', answers: ['web.default.svc.cluster.local. 30 IN A 10.96.12.7', '_http._tcp.web.default.svc.cluster.local. 30 IN SRV 0 100 80 web.default.svc.cluster.local.'] } },
    { name: 'NXDOMAIN with only an authority section', text: NXDOMAIN, want: { status: 'NXDOMAIN', answers: [] } },
    { name: 'no server answered', text: ';; communications error to 10.96.0.10#53: timed out\n;; no servers could be reached\n', want: { answers: [] } },
  ])('$name', ({ text, want }) => {
    expect(parseDig(text)).toEqual(want);
  });

  it('answerData picks one type\'s data', () => {
    const r = parseDig(NOERROR);
    expect(answerData(r, 'A')).toEqual(['10.96.12.7']);
    expect(answerData(r, 'SRV')).toEqual(['0 100 80 web.default.svc.cluster.local.']);
    expect(answerData(r, 'PTR')).toEqual([]);
  });
});
