// The cluster DNS as a pod sees it, in a real lab: `netkube up` deploys it
// (kube-system/coredns behind the Service kube-dns at 10.96.0.10) and a
// client pod resolves through its resolv.conf, the search path and the
// service proxy — getent, dig and curl, as a user would. Headless Services
// follow their pods as they are deleted and scaled; a StatefulSet pod has its
// own name; names outside the cluster get SERVFAIL at once (the lab has no way
// out), or the answer of a stub upstream the test runs inside the lab.
// Root only; the lab has its own name, prefix, underlay and API port.
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerData, parseDig, type DigResult } from '../lab/cluster-dns.js';
import { REPO_ROOT } from './support/apiserver-process.js';
import { removeTempTestLab, tempTestLab, waitFor, type ShResult, type TestLab } from './support/lab.js';

const isRoot = process.platform === 'linux' && process.getuid?.() === 0;
const LAB = { name: 'dns6', prefix: 'nkd', underlay: '172.18.66.0/24', port: 16466, nodes: 2 };
const DNS_IP = '10.96.0.10';
const ZONE = 'cluster.local';
/** Set in beforeAll. */
let lab: TestLab;

/** A command inside a pod, through `netkube exec` (the pod's netns, resolv.conf and hosts file). */
const inPod = (pod: string, command: string[], namespace = 'default'): Promise<ShResult> => lab.inPod(pod, command, { namespace, timeoutMs: 30_000 });

async function dig(args: string[], pod = 'client'): Promise<DigResult & { raw: string }> {
  const r = await inPod(pod, ['dig', '+time=3', '+tries=1', ...args]);
  return { ...parseDig(r.out), raw: r.out };
}

interface PodView {
  metadata: { name: string };
  status?: { podIP?: string; conditions?: { type: string; status: string }[] };
}

async function readyPodIPs(ns: string, selector: string): Promise<string[]> {
  const pods = JSON.parse(await lab.kubectl(['get', 'pods', '-n', ns, '-l', selector, '-o', 'json'])) as { items: PodView[] };
  return pods.items
    .filter((p) => p.status?.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => p.status!.podIP!)
    .sort();
}

async function waitReady(ns: string, selector: string, count: number): Promise<string[]> {
  return waitFor(`${count} ready pods ${selector} in ${ns}`, async () => {
    const ips = await readyPodIPs(ns, selector);
    return { ok: ips.length === count, value: ips, state: (await lab.kubectl(['get', 'pods', '-n', ns, '-l', selector, '-o', 'wide'])).trim() };
  }, 90_000, 500);
}

/** The headless Service's A answer until it equals the ready pods' addresses. */
async function headlessFollows(name: string, count: number, gone?: string): Promise<string[]> {
  return waitFor(`${name} to answer the ${count} ready pods${gone ? ` without ${gone}` : ''}`, async () => {
    const want = await readyPodIPs('default', 'app=echo');
    const got = answerData(await dig([`@${DNS_IP}`, `${name}.default.svc.${ZONE}`, 'A']), 'A').sort();
    const ok = want.length === count && JSON.stringify(got) === JSON.stringify(want) && (gone === undefined || !got.includes(gone));
    return { ok, value: got, state: `dns ${got.join(',') || '-'} / ready pods ${want.join(',') || '-'}` };
  }, 60_000, 500);
}

const MANIFEST = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: echo, image: netkube/echo, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: echo
        image: netkube/echo
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: echo-headless, namespace: default}
spec:
  clusterIP: None
  selector: {app: echo}
  ports: [{name: http, port: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: default, labels: {app: client}}
spec:
  containers: [{name: tools, image: netkube/toolbox}]
---
apiVersion: v1
kind: Namespace
metadata: {name: dnsst}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: dnsst}
spec:
  clusterIP: None
  selector: {app: web-sts}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: dnsst}
spec:
  serviceName: web
  replicas: 1
  selector: {matchLabels: {app: web-sts}}
  template:
    metadata: {labels: {app: web-sts}}
    spec:
      containers: [{name: echo, image: netkube/echo, ports: [{name: http, containerPort: 8080}]}]
`;

describe.skipIf(!isRoot)('cluster DNS in a lab (root)', () => {
  let upOutput = '';
  let webIP = '';

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'node', 'images', 'netkube-dns.js'))) throw new Error('run npm run build first (the lab runs the compiled CLI)');
    lab = await tempTestLab(LAB.name, LAB.prefix, 'netkube-dns6-', { netkubeTimeoutMs: 30_000 });
    const up = await lab.up(['--underlay', LAB.underlay, '--apiserver-port', String(LAB.port), '--nodes', String(LAB.nodes)], 200_000);
    upOutput = up.out;
    console.log(up.out.split('\n').filter((l) => l.startsWith('✓') || l.includes(' is up in ')).join('\n'));
    const file = join(lab.home, 'dns-lab.yaml');
    await writeFile(file, MANIFEST);
    // The Namespace is applied with the rest; a first apply can race its creation.
    await waitFor('the manifest to apply', async () => {
      const out = await lab.kubectl(['apply', '-f', file]);
      return { ok: out !== '', value: out, state: '' };
    }, 30_000, 500);
    await Promise.all([waitReady('default', 'app=web', 2), waitReady('default', 'app=echo', 3), waitReady('dnsst', 'app=web-sts', 1), waitReady('default', 'app=client', 1)]);
    webIP = (await lab.kubectl(['get', 'svc', 'web', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  }, 300_000);

  afterAll(() => removeTempTestLab(lab), 90_000);

  it('`up` deploys kube-system/coredns behind kube-dns at 10.96.0.10 and prints its answer', async () => {
    expect(upOutput).toContain(`cluster DNS answers at ${DNS_IP}: kubernetes.default.svc.${ZONE} → 10.96.0.1`);
    const svc = JSON.parse(await lab.kubectl(['get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'json'])) as { spec: { clusterIP: string; ports: { name: string; port: number; protocol: string }[] } };
    expect(svc.spec.clusterIP).toBe(DNS_IP);
    expect(svc.spec.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`)).toEqual(['dns 53/UDP', 'dns-tcp 53/TCP', 'metrics 9153/TCP']);
    const pods = JSON.parse(await lab.kubectl(['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '-o', 'json'])) as { items: { metadata: { name: string }; spec: { dnsPolicy: string; serviceAccountName: string } }[] };
    expect(pods.items.length).toBe(1);
    expect(pods.items[0]!.spec).toMatchObject({ dnsPolicy: 'Default', serviceAccountName: 'coredns' });
    // dnsPolicy Default: the DNS pod's own resolver is the node's, never itself.
    const resolv = await inPod(pods.items[0]!.metadata.name, ['cat', '/etc/resolv.conf'], 'kube-system');
    expect(resolv.out).not.toContain(DNS_IP);
  });

  it('a pod resolves through its search path: getent hosts, dig +search, curl http://web.default', async () => {
    const resolv = await inPod('client', ['cat', '/etc/resolv.conf']);
    expect(resolv.out).toContain(`nameserver ${DNS_IP}`);
    expect(resolv.out).toContain(`search default.svc.${ZONE} svc.${ZONE} ${ZONE}`);

    const getent = await inPod('client', ['getent', 'hosts', 'web']);
    expect(getent.code, getent.out).toBe(0);
    expect(getent.out).toMatch(new RegExp(`^${webIP.replace(/\./g, '\\.')}\\s+web\\.default\\.svc\\.cluster\\.local`, 'm'));

    const d = await dig(['+search', 'web']);
    expect(d.status, d.raw).toBe('NOERROR');
    expect(answerData(d, 'A')).toEqual([webIP]);

    const curl = await inPod('client', ['curl', '-s', '-m', '5', 'http://web.default/']);
    expect(curl.code, curl.out).toBe(0);
    expect(curl.out).toMatch(/^pod: web-/m);
  });

  it('answers A, SRV and PTR for a ClusterIP Service, authoritatively', async () => {
    const a = await dig([`@${DNS_IP}`, `web.default.svc.${ZONE}`, 'A']);
    expect(a.status, a.raw).toBe('NOERROR');
    expect(a.raw).toMatch(/flags: qr aa/);
    expect(answerData(a, 'A')).toEqual([webIP]);

    const srv = await dig([`@${DNS_IP}`, `_http._tcp.web.default.svc.${ZONE}`, 'SRV']);
    expect(srv.status, srv.raw).toBe('NOERROR');
    expect(answerData(srv, 'SRV')).toEqual([expect.stringMatching(new RegExp(`^0 \\d+ 80 web\\.default\\.svc\\.cluster\\.local\\.$`))]);

    const ptr = await dig([`@${DNS_IP}`, '-x', webIP]);
    expect(ptr.status, ptr.raw).toBe('NOERROR');
    expect(answerData(ptr, 'PTR')).toEqual([`web.default.svc.${ZONE}.`]);
  });

  it('a headless Service answers every ready pod, and follows a deleted pod and a scale-down', async () => {
    const first = await headlessFollows('echo-headless', 3);
    expect(first).toHaveLength(3);

    const pods = JSON.parse(await lab.kubectl(['get', 'pods', '-l', 'app=echo', '-o', 'json'])) as { items: PodView[] };
    const victim = pods.items.find((p) => p.status?.podIP === first[0])!;
    await lab.kubectl(['delete', 'pod', victim.metadata.name, '--wait=false']);
    // The deleted pod's address leaves the answer and its replacement's joins it.
    const afterDelete = await headlessFollows('echo-headless', 3, first[0]);
    expect(afterDelete).not.toContain(first[0]);

    await lab.kubectl(['scale', 'deployment', 'echo', '--replicas=1']);
    const afterScale = await headlessFollows('echo-headless', 1);
    expect(afterScale).toHaveLength(1);
  });

  it('a StatefulSet pod has its own name under its headless Service', async () => {
    const ip = (await lab.kubectl(['get', 'pod', '-n', 'dnsst', 'web-0', '-o', 'jsonpath={.status.podIP}'])).trim();
    expect(ip).not.toBe('');
    const d = await dig([`@${DNS_IP}`, `web-0.web.dnsst.svc.${ZONE}`, 'A']);
    expect(d.status, d.raw).toBe('NOERROR');
    expect(answerData(d, 'A')).toEqual([ip]);
  });

  it('NXDOMAIN for a missing name, with the zone SOA', async () => {
    const d = await dig([`@${DNS_IP}`, `nothere.default.svc.${ZONE}`, 'A']);
    expect(d.status, d.raw).toBe('NXDOMAIN');
    expect(d.raw).toMatch(/AUTHORITY SECTION:\n\S*cluster\.local\.\s+\d+\s+IN\s+SOA/);
    expect((await inPod('client', ['getent', 'hosts', 'nothere'])).code).not.toBe(0);
  });

  it('a name outside the cluster gets SERVFAIL, not a timeout: the lab has no upstream', async () => {
    // dig waits 3 s once: an answer with a status proves the DNS did not hang on an upstream.
    const d = await dig([`@${DNS_IP}`, 'outside.test', 'A']);
    expect(d.status, d.raw).toBe('SERVFAIL');
  });

  it('forwards names outside the cluster to an upstream given to it (a stub dnsmasq inside the lab)', async () => {
    const stub = `
apiVersion: v1
kind: Pod
metadata: {name: stub-upstream, namespace: kube-system, labels: {app: stub-upstream}}
spec:
  dnsPolicy: Default
  containers:
  - name: dnsmasq
    image: debian
    command: [/usr/sbin/dnsmasq, --keep-in-foreground, --conf-file=/dev/null, --no-resolv, --no-hosts, --pid-file=, --user=root, --port=53, --address=/outside.test/192.0.2.7]
`;
    const file = join(lab.home, 'stub.yaml');
    await writeFile(file, stub);
    await lab.kubectl(['apply', '-f', file]);
    const [stubIP] = await waitReady('kube-system', 'app=stub-upstream', 1);
    const args = ['--cluster-domain', ZONE, '--upstream', stubIP!];
    await lab.kubectl(['-n', 'kube-system', 'patch', 'deployment', 'coredns', '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/spec/template/spec/containers/0/args', value: args }])]);
    const answer = await waitFor('outside.test through the new upstream', async () => {
      const d = await dig([`@${DNS_IP}`, 'outside.test', 'A']);
      const a = answerData(d, 'A')[0];
      return { ok: a !== undefined, value: a, state: d.raw };
    }, 90_000, 500);
    expect(answer).toBe('192.0.2.7');
    // Cluster names are still the DNS's own.
    expect(answerData(await dig([`@${DNS_IP}`, `web.default.svc.${ZONE}`, 'A']), 'A')).toEqual([webIP]);
  });
});
