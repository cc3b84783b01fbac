import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DnsQueryError } from './dns-client.js';
import { startGlobalDns } from './global-dns.js';
import { parseLoadgenArgs } from './loadgen-args.js';
import {
  isRequestSample,
  isResolution,
  isStartLine,
  parseLoadgenLine,
  ResolvedAddresses,
  runLoad,
  type LoadgenLine,
  type ResolutionEvent,
} from './loadgen.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** An echo pod stand-in: answers with x-pod-name/x-pod-ip, counts connections. */
async function echo(name: string, host: string, port = 0): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const srv = http.createServer((_req, res) => {
    res.setHeader('x-pod-name', name);
    res.setHeader('x-pod-ip', host);
    res.end(name);
  });
  srv.on('connection', () => connections++);
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, host, () => resolve());
  });
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  return { port: (srv.address() as net.AddressInfo).port, connections: () => connections };
}

/** A per-connection round-robin TCP balancer, like the proxy's DNAT: only new connections move. */
async function balancer(upstreams: { host: string; port: number }[]): Promise<number> {
  let next = 0;
  const srv = net.createServer((c) => {
    const u = upstreams[next++ % upstreams.length]!;
    const up = net.connect(u.port, u.host);
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  return (srv.address() as net.AddressInfo).port;
}

async function collect(opts: Omit<Parameters<typeof runLoad>[0], 'emit'>): Promise<LoadgenLine[]> {
  const lines: LoadgenLine[] = [];
  // Round-trip through JSON as the orchestrator does.
  await runLoad({ ...opts, emit: (l) => lines.push(parseLoadgenLine(JSON.stringify(l))!) });
  return lines;
}

describe('runLoad, url mode', () => {
  it('opens a new connection per request, so a per-connection balancer spreads them', async () => {
    const pods = await Promise.all(['pod-a', 'pod-b', 'pod-c'].map((n) => echo(n, '127.0.0.1')));
    const port = await balancer(pods.map((p) => ({ host: '127.0.0.1', port: p.port })));
    const lines = await collect({ mode: 'url', url: `http://127.0.0.1:${port}/`, rate: 60, durationS: 0.5, timeoutMs: 2000 });
    expect(isStartLine(lines[0]!)).toBe(true);
    const samples = lines.filter(isRequestSample);
    expect(samples.length).toBe(30);
    expect(samples.every((s) => s.ok && s.target === `127.0.0.1:${port}` && s.ms > 0)).toBe(true);
    const per = new Map<string, number>();
    for (const s of samples) per.set(s.backend!, (per.get(s.backend!) ?? 0) + 1);
    expect([...per.values()]).toEqual([10, 10, 10]);
    expect(pods.reduce((n, p) => n + p.connections(), 0)).toBe(30);
    expect(samples.every((s) => s.podIp === '127.0.0.1')).toBe(true);
  });

  it('reports refused connections and timeouts as failures with a code', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = (await collect({ mode: 'url', url: `http://127.0.0.1:${deadPort}/`, rate: 20, durationS: 0.1, timeoutMs: 500 })).filter(isRequestSample);
    expect(refused.length).toBe(2);
    expect(refused.every((s) => !s.ok && s.err === 'ECONNREFUSED' && s.backend === null)).toBe(true);

    const silent = net.createServer(() => {}); // accepts, never answers
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), silent.close(() => r()))));
    const port = (silent.address() as net.AddressInfo).port;
    const timedOut = (await collect({ mode: 'url', url: `http://127.0.0.1:${port}/`, rate: 10, durationS: 0.1, timeoutMs: 100 })).filter(isRequestSample);
    expect(timedOut.map((s) => s.err)).toEqual(['timeout']);
  });
});

describe('runLoad, dns mode against the global DNS', () => {
  it('picks among the A records at random and follows a change only after the TTL', async () => {
    // Echo pods on 127.0.0.2/3/4 with one port (any 127/8 address is local on Linux).
    const first = await echo('pod-2', '127.0.0.2');
    const port = first.port;
    await echo('pod-3', '127.0.0.3', port);
    await echo('pod-4', '127.0.0.4', port);
    const dns = await startGlobalDns({ zone: 'demo.netkube', records: { 'web.demo.netkube': ['127.0.0.2', '127.0.0.3'] }, ttl: 1 });
    cleanups.push(() => dns.close());
    // Move the name once the client has had a second of the old records.
    const timer = setTimeout(() => dns.setRecords('web.demo.netkube', ['127.0.0.4']), 1000);
    cleanups.push(() => clearTimeout(timer));
    const lines = await collect({
      mode: 'dns',
      name: 'web.demo.netkube',
      port,
      dnsServer: { host: '127.0.0.1', port: dns.port },
      rate: 40,
      durationS: 3,
      timeoutMs: 1000,
    });
    const samples = lines.filter(isRequestSample);
    const lookups = lines.filter(isResolution);
    expect(samples.length).toBe(120);
    expect(samples.every((s) => s.ok)).toBe(true);
    expect(lookups.every((l) => l.ttl === 1 && !l.err)).toBe(true);
    // Cached: lookups are once per TTL at most, never per request.
    expect(lookups.length).toBeGreaterThanOrEqual(2);
    expect(lookups.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < lookups.length; i++) expect(lookups[i]!.t - lookups[i - 1]!.t).toBeGreaterThanOrEqual(999);
    // Every request went to an address of the latest lookup started before it, or of the one it
    // waited for (started while it was pending): never to an older, expired answer.
    const usable = (t: number, end: number): ResolutionEvent[] => [
      ...lookups.filter((l) => l.t <= t).slice(-1),
      ...lookups.filter((l) => l.t > t && l.t <= end),
    ];
    for (const s of samples) expect(usable(s.t, s.t + s.ms).flatMap((l) => l.resolved)).toContain(s.target.split(':')[0]);
    // Both old records got traffic, and the client followed the change.
    const hosts = new Set(samples.map((s) => s.backend));
    expect(hosts).toEqual(new Set(['pod-2', 'pod-3', 'pod-4']));
    expect(lookups.at(-1)!.resolved).toEqual(['127.0.0.4']);
    expect(samples.at(-1)!.backend).toBe('pod-4');
  });

  it('fails requests while the name does not resolve, and says why', async () => {
    const dns = await startGlobalDns({ zone: 'demo.netkube', records: {}, ttl: 1 });
    cleanups.push(() => dns.close());
    const lines = await collect({ mode: 'dns', name: 'gone.demo.netkube', port: 1, dnsServer: { host: '127.0.0.1', port: dns.port }, rate: 20, durationS: 0.2, timeoutMs: 500 });
    const samples = lines.filter(isRequestSample);
    expect(samples.length).toBe(4);
    expect(samples.every((s) => !s.ok && s.err === 'dns: NXDOMAIN')).toBe(true);
    expect(lines.filter(isResolution)).toHaveLength(1); // the failure is cached for min-ttl
  });
});

describe('ResolvedAddresses', () => {
  it('looks up once for concurrent callers, caches for max(ttl, min), and caches failures for min', async () => {
    let clock = 0;
    let calls = 0;
    let answer: () => Promise<{ ips: string[]; ttl: number }> = async () => ({ ips: ['10.0.0.1'], ttl: 0 });
    const events: ResolutionEvent[] = [];
    const c = new ResolvedAddresses(
      () => (calls++, answer()),
      () => clock,
      1,
      (e) => events.push(e),
    );
    await Promise.all([c.get(), c.get(), c.get()]);
    expect(calls).toBe(1);
    clock = 999;
    await c.get();
    expect(calls).toBe(1); // TTL 0 is floored to 1 s
    clock = 1000;
    answer = async () => {
      throw new DnsQueryError('SERVFAIL');
    };
    await expect(c.get()).rejects.toThrow('SERVFAIL');
    clock = 1500;
    await expect(c.get()).rejects.toThrow('SERVFAIL');
    expect(calls).toBe(2);
    clock = 2000;
    answer = async () => ({ ips: [], ttl: 3 });
    await expect(c.get()).rejects.toThrow('no addresses');
    expect(events.map((e) => e.err ?? e.resolved.join())).toEqual(['10.0.0.1', 'SERVFAIL', '']);
  });
});

describe('parseLoadgenArgs / parseLoadgenLine', () => {
  const conf = () => 'search default.svc.cluster.local\nnameserver 10.96.0.10\n';
  it('fills defaults and the resolv.conf nameserver', () => {
    expect(parseLoadgenArgs(['--mode', 'headless', '--name', 'web-h.default.svc.cluster.local'], conf)).toEqual({
      mode: 'headless',
      name: 'web-h.default.svc.cluster.local',
      port: 8080,
      dnsServer: { host: '10.96.0.10', port: 53 },
      rate: 50,
      durationS: 30,
      timeoutMs: 1000,
      minTtlS: 1,
    });
    expect(parseLoadgenArgs(['--mode', 'dns', '--name', 'web.demo', '--port', '30080', '--dns-server', '10.0.0.5:5353', '--rate', '100'], conf)).toMatchObject({
      port: 30080,
      dnsServer: { host: '10.0.0.5', port: 5353 },
      rate: 100,
    });
    expect(parseLoadgenArgs(['--mode', 'url', '--url', 'http://10.96.0.20/'], conf).url).toBe('http://10.96.0.20/');
  });
  it('rejects bad flags with a message', () => {
    expect(() => parseLoadgenArgs(['--mode', 'x'], conf)).toThrow('--mode');
    expect(() => parseLoadgenArgs(['--mode', 'url'], conf)).toThrow('--url');
    expect(() => parseLoadgenArgs(['--mode', 'dns', '--name', 'a'], conf)).toThrow('--port');
    expect(() => parseLoadgenArgs(['--mode', 'url', '--url', 'http://x/', '--rate', '0'], conf)).toThrow('--rate');
    expect(() => parseLoadgenArgs(['--mode', 'dns', '--name', 'a', '--port', '1', '--dns-server', 'nope'], conf)).toThrow('--dns-server');
    expect(() => parseLoadgenArgs(['--mode', 'headless', '--name', 'a'], () => '')).toThrow('nameserver');
  });
  it('parses only loadgen lines', () => {
    expect(parseLoadgenLine('{"t":1,"ms":2,"ok":true,"backend":"a","podIp":null,"target":"1.2.3.4:80"}')).toBeDefined();
    expect(parseLoadgenLine('{"t":1,"resolved":[],"ttl":0,"ms":1}')).toBeDefined();
    expect(parseLoadgenLine('warning: something')).toBeUndefined();
    expect(parseLoadgenLine('{"x":1}')).toBeUndefined();
    expect(parseLoadgenLine('{broken')).toBeUndefined();
  });
});
