// `netkube dns` as a user runs it: the real CLI as a child process, fed by a
// real apiserver-lite (memory store), asked with the real `dig`, forwarding to
// a real dnsmasq as its upstream. Everything binds to 127.0.0.1 with free
// ports. Services here have no selector and their EndpointSlices are written
// by hand, as a user does for endpoints outside the cluster (and no
// controller touches them).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EndpointSlice, Service } from '../kube/api/core.js';
import { EndpointSlices, KubeClient, Services } from '../kube/client.js';
import { connectionFrom } from '../kube/kubeconfig.js';
import { cleanup, eventually, makeTempDir, REPO_ROOT, startApiServer, type ApiServerProcess } from './support/apiserver-process.js';
import { startChild, stopAllChildren, stopChild } from './support/children.js';

const run = promisify(execFile);
const DIG = '/usr/bin/dig';
const DNSMASQ = '/usr/sbin/dnsmasq';
const missing = [DIG, DNSMASQ].filter((p) => !existsSync(p));
if (missing.length) console.warn(`dns-component.test: ${missing.join(', ')} not found (Debian packages dnsutils, dnsmasq); skipping`);

/** A port free for UDP right now (dnsmasq binds UDP and TCP on it). */
async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface DigResult {
  status: string;
  flags: string;
  /** "TYPE rdata" per answer record, e.g. "A 10.96.0.5". */
  answers: string[];
}

async function dig(port: number, name: string, type = 'A', extra: string[] = []): Promise<DigResult> {
  const { stdout } = await run(DIG, ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', '+noall', '+comments', '+answer', ...extra, name, type]);
  const status = /status: (\w+)/.exec(stdout)?.[1] ?? `no reply: ${stdout}`;
  const flags = /flags: ([^;]*);/.exec(stdout)?.[1] ?? '';
  const answers = stdout
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith(';'))
    .map((l) => l.trim().split(/\s+/))
    .map((f) => `${f[3]} ${f.slice(4).join(' ')}`);
  return { status, flags, answers };
}

/** Polls dig until `pred` holds (answers follow watch events, a few ms late); fails showing the last reply. */
async function digUntil(port: number, name: string, type: string, pred: (r: DigResult) => boolean, what: string): Promise<DigResult> {
  let last: DigResult | undefined;
  try {
    return await eventually(async () => {
      last = await dig(port, name, type);
      return pred(last) ? last : undefined;
    }, what);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last reply to ${name} ${type}: ${JSON.stringify(last)}`);
  }
}

const sorted = (xs: string[]) => [...xs].sort();

async function get(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.text() };
}

/** Value of one sample line of a Prometheus scrape (0 when absent). */
function sample(metrics: string, prefix: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe.skipIf(missing.length > 0)('netkube dns against apiserver-lite, dig and dnsmasq', () => {
  let api: ApiServerProcess;
  let client: KubeClient;
  let dnsPort = 0;
  let upstreamPort = 0;
  let urls: { health: string; ready: string; metrics: string };
  let dnsOutput: () => string;
  let dnsmasqChild: ChildProcess;

  beforeAll(async () => {
    // The API server is started once for its certificates and port, then stopped, so that
    // netkube dns starts while the API is unreachable and cannot sync yet.
    api = await startApiServer({ store: 'memory' });
    await api.stop();

    const tmp = await makeTempDir('netkube-dns-');
    upstreamPort = await freePort();
    const dnsmasq = startChild(DNSMASQ, [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--no-resolv',
      '--no-hosts',
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--port=${upstreamPort}`,
      `--pid-file=${join(tmp, 'dnsmasq.pid')}`,
      '--address=/example.test/192.0.2.7',
      '--address=/alias-target.test/192.0.2.8',
    ]);
    dnsmasqChild = dnsmasq.child;
    await eventually(async () => (await dig(upstreamPort, 'example.test')).answers.length > 0, `dnsmasq answering on ${upstreamPort}: ${dnsmasq.output()}`);

    const dns = startChild(process.execPath, [
      join(REPO_ROOT, 'bin', 'netkube.js'),
      'dns',
      '--kubeconfig', api.kubeconfigPath,
      '--port', '0',
      '--bind-address', '127.0.0.1',
      '--health-port', '0',
      '--ready-port', '0',
      '--metrics-address', '127.0.0.1:0',
      '--upstream', `127.0.0.1:${upstreamPort}`,
      '--upstream-timeout', '1000',
    ]);
    dnsOutput = dns.output;
    const urlLine = await eventually(() => /dns health on (\S+), ready on (\S+), metrics on (\S+)/.exec(dns.output()), `netkube dns to start: ${dns.output()}`, 20_000);
    dnsPort = Number(/dns listening on udp\/tcp 127\.0\.0\.1:(\d+)/.exec(dns.output())![1]);
    urls = { health: urlLine[1]!, ready: urlLine[2]!, metrics: urlLine[3]! };
  });

  afterAll(async () => {
    client?.close();
    await stopAllChildren(0);
    await cleanup();
  });

  it('is live but not ready, and answers SERVFAIL for cluster names, until it has synced with the API', async () => {
    expect(await get(urls.health)).toEqual({ status: 200, body: 'OK' });
    expect(await get(urls.ready)).toMatchObject({ status: 503 });
    expect((await dig(dnsPort, 'kubernetes.default.svc.cluster.local')).status).toBe('SERVFAIL');

    api = await startApiServer({ dataDir: api.dataDir, store: 'memory', port: api.port });
    client = new KubeClient(await connectionFrom({ kubeconfig: api.kubeconfigPath }));
    await eventually(async () => (await get(urls.ready)).status === 200, `/ready to turn 200; dns output:\n${dnsOutput()}`, 30_000);
    expect((await get(urls.ready)).body).toBe('OK');
    const r = await dig(dnsPort, 'kubernetes.default.svc.cluster.local');
    expect(r).toMatchObject({ status: 'NOERROR', answers: ['A 10.96.0.1'] });
    expect(r.flags.split(' ')).toContain('aa');
  });

  it('answers A, SRV and PTR for a ClusterIP Service, over UDP and TCP, and NXDOMAIN once it is deleted', async () => {
    const svc = await client.create<Service>(Services, {
      metadata: { namespace: 'default', name: 'web' },
      spec: { ports: [{ name: 'http', protocol: 'TCP', port: 80 }, { name: 'metrics', protocol: 'TCP', port: 9090 }] },
    });
    const ip = svc.spec!.clusterIP!;
    const a = await digUntil(dnsPort, 'web.default.svc.cluster.local', 'A', (r) => r.answers.length > 0, 'the new Service to resolve');
    expect(a.answers).toEqual([`A ${ip}`]);
    expect((await dig(dnsPort, 'WEB.Default.svc.cluster.local', 'A', ['+tcp'])).answers).toEqual([`A ${ip}`]);
    expect((await dig(dnsPort, '_http._tcp.web.default.svc.cluster.local', 'SRV')).answers).toEqual(['SRV 0 100 80 web.default.svc.cluster.local.']);
    expect((await dig(dnsPort, ip.split('.').reverse().join('.') + '.in-addr.arpa', 'PTR')).answers).toEqual(['PTR web.default.svc.cluster.local.']);

    await client.delete(Services, 'web', { namespace: 'default' });
    await digUntil(dnsPort, 'web.default.svc.cluster.local', 'A', (r) => r.status === 'NXDOMAIN', 'NXDOMAIN after the delete');
  });

  it('answers a headless Service with its ready endpoints, following EndpointSlice changes', async () => {
    await client.create<Service>(Services, {
      metadata: { namespace: 'default', name: 'db' },
      spec: { clusterIP: 'None', ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }] },
    });
    const slice: EndpointSlice = {
      metadata: { namespace: 'default', name: 'db-manual', labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['10.244.1.10'], hostname: 'db-0', conditions: { ready: true } },
        { addresses: ['10.244.2.11'], conditions: { ready: true } },
      ],
      ports: [{ name: 'pg', protocol: 'TCP', port: 5432 }],
    };
    const created = await client.create<EndpointSlice>(EndpointSlices, slice);
    const a = await digUntil(dnsPort, 'db.default.svc.cluster.local', 'A', (r) => r.answers.length === 2, 'two endpoint addresses');
    expect(sorted(a.answers)).toEqual(['A 10.244.1.10', 'A 10.244.2.11']);
    expect((await dig(dnsPort, 'db-0.db.default.svc.cluster.local')).answers).toEqual(['A 10.244.1.10']);
    expect((await dig(dnsPort, '10-244-2-11.db.default.svc.cluster.local')).answers).toEqual(['A 10.244.2.11']);
    expect(sorted((await dig(dnsPort, '_pg._tcp.db.default.svc.cluster.local', 'SRV')).answers)).toEqual([
      'SRV 0 50 5432 10-244-2-11.db.default.svc.cluster.local.',
      'SRV 0 50 5432 db-0.db.default.svc.cluster.local.',
    ]);
    expect((await dig(dnsPort, '10.1.244.10.in-addr.arpa', 'PTR')).answers).toEqual(['PTR db-0.db.default.svc.cluster.local.']);

    // A rollout: one pod replaced, a new one not ready yet.
    await client.update<EndpointSlice>(EndpointSlices, {
      ...created,
      endpoints: [
        { addresses: ['10.244.1.10'], hostname: 'db-0', conditions: { ready: true } },
        { addresses: ['10.244.3.12'], conditions: { ready: true } },
        { addresses: ['10.244.3.13'], conditions: { ready: false } },
      ],
    });
    const b = await digUntil(dnsPort, 'db.default.svc.cluster.local', 'A', (r) => r.answers.includes('A 10.244.3.12'), 'the replaced endpoint');
    expect(sorted(b.answers)).toEqual(['A 10.244.1.10', 'A 10.244.3.12']);
    expect((await dig(dnsPort, '10-244-2-11.db.default.svc.cluster.local')).status).toBe('NXDOMAIN');

    await client.delete(EndpointSlices, 'db-manual', { namespace: 'default' });
    await digUntil(dnsPort, 'db.default.svc.cluster.local', 'A', (r) => r.status === 'NXDOMAIN', 'NXDOMAIN with no endpoints left');
  });

  it('answers an ExternalName Service with a CNAME and the target address from upstream', async () => {
    await client.create<Service>(Services, { metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'alias-target.test' } });
    const r = await digUntil(dnsPort, 'ext.default.svc.cluster.local', 'A', (x) => x.answers.length > 0, 'the ExternalName alias');
    expect(r.answers).toEqual(['CNAME alias-target.test.', 'A 192.0.2.8']);
  });

  it('forwards names outside the zone to the upstream, caches them, and counts it all in /metrics', async () => {
    const before = await (await fetch(urls.metrics)).text();
    const to = `to="127.0.0.1:${upstreamPort}"`;
    expect((await dig(dnsPort, 'example.test')).answers).toEqual(['A 192.0.2.7']);
    expect((await dig(dnsPort, 'example.test')).answers).toEqual(['A 192.0.2.7']);
    expect((await dig(dnsPort, 'nope.default.svc.cluster.local')).status).toBe('NXDOMAIN');
    const after = await (await fetch(urls.metrics)).text();

    const server = `server="dns://127.0.0.1:${dnsPort}"`;
    const requestsA = `coredns_dns_requests_total{${server},zone=".",view="",proto="udp",family="1",type="A"}`;
    expect(sample(after, requestsA) - sample(before, requestsA)).toBe(3);
    const nx = `coredns_dns_responses_total{${server},zone=".",view="",rcode="NXDOMAIN",plugin="kubernetes"}`;
    expect(sample(after, nx) - sample(before, nx)).toBe(1);
    const fwd = `coredns_forward_requests_total{${to}}`;
    expect(sample(after, fwd) - sample(before, fwd)).toBe(1);
    const hits = `coredns_cache_hits_total{${server},type="success",zones=".",view=""}`;
    expect(sample(after, hits) - sample(before, hits)).toBe(1);
    expect(sample(after, `coredns_forward_responses_total{rcode="NOERROR",${to}}`)).toBeGreaterThanOrEqual(1);
    const durationCount = `coredns_dns_request_duration_seconds_count{${server},zone=".",view="",type="A"}`;
    expect(sample(after, durationCount) - sample(before, durationCount)).toBe(3);
  });

  it('answers SERVFAIL, not a hang, once the upstream is gone', async () => {
    await stopChild(dnsmasqChild, 0);
    // dig waits 2 s once (+time=2 +tries=1): any reply at all means the server did not hang on the dead upstream.
    expect((await dig(dnsPort, 'gone.test')).status).toBe('SERVFAIL');
    // Cluster names do not depend on the upstream.
    expect((await dig(dnsPort, 'kubernetes.default.svc.cluster.local')).answers).toEqual(['A 10.96.0.1']);
  });
});
