// The cluster DNS server on loopback: real UDP and TCP sockets, answered from
// a zone fed with typed objects (no API server yet). The `dig` part needs the
// dnsutils package and is skipped, saying so, when dig is missing; the
// node-client part always runs.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import dgram from 'node:dgram';
import net from 'node:net';
import dns2 from 'dns2';
import type { EndpointSlice, Service } from '../kube/api/core.js';
import { defaultDnsConfig, RRType } from '../dns/answer.js';
import { Forwarder } from '../dns/forward.js';
import { DnsServer } from '../dns/server.js';
import { DnsResponder } from '../dns/wire.js';
import { ZoneView } from '../dns/zone.js';

const { Packet } = dns2;

const hasDig = (() => {
  try {
    execFileSync('dig', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasDig) console.warn('dns-server.test: `dig` not found (Debian package dnsutils); skipping the dig tests');

function clusterZone(): ZoneView {
  const z = new ZoneView();
  const services: Service[] = [
    { metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: '10.96.0.5', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] } },
    { metadata: { namespace: 'default', name: 'big' }, spec: { clusterIP: 'None', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] } },
    { metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'www.example.test' } },
  ];
  const endpointSlices: EndpointSlice[] = [
    {
      metadata: { namespace: 'default', name: 'big-1', labels: { 'kubernetes.io/service-name': 'big' } },
      addressType: 'IPv4',
      endpoints: Array.from({ length: 200 }, (_, i) => ({ addresses: [`10.244.${i >> 8}.${i & 0xff}`] })),
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
    },
  ];
  z.replaceAll({ namespaces: [{ metadata: { name: 'default' } }], services, endpointSlices });
  return z;
}

/** A tiny upstream on loopback that answers every A question with 192.0.2.1 and counts what it saw. */
async function stubUpstream(): Promise<{ port: number; seen: string[]; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  const seen: string[] = [];
  sock.on('message', (msg, rinfo) => {
    const q = Packet.parse(msg);
    const name = q.questions[0]?.name ?? '';
    seen.push(name);
    const res = Packet.createResponseFromRequest(q);
    res.header.ra = 1;
    if (q.questions[0]?.type === RRType.A) {
      const a = new Packet.Resource(name, Packet.TYPE.A, Packet.CLASS.IN, 300);
      a.address = '192.0.2.1';
      res.answers.push(a);
    }
    sock.send(res.toBuffer(), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, seen, close: () => new Promise((r) => sock.close(() => r())) };
}

function query(name: string, type: number, id = 1, edns?: number): Buffer {
  const p = new Packet();
  p.header.id = id;
  p.header.rd = 1;
  p.questions.push(new Packet.Question(name, type, Packet.CLASS.IN));
  if (edns) p.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: edns }));
  return p.toBuffer();
}

function udpAsk(port: number, msg: Buffer, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      reject(new Error('no UDP reply'));
    }, timeoutMs);
    s.on('message', (b) => {
      clearTimeout(t);
      s.close();
      resolve(b);
    });
    s.send(msg, port, '127.0.0.1');
  });
}

function tcpAsk(port: number, msgs: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]))));
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === msgs.length) {
        s.end();
        resolve(out);
      }
    });
    s.on('error', reject);
  });
}

describe('DNS server on loopback', () => {
  let server: DnsServer;
  let port: number;
  let upstream: Awaited<ReturnType<typeof stubUpstream>>;
  let forwarder: Forwarder;

  beforeAll(async () => {
    upstream = await stubUpstream();
    forwarder = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: upstream.port }], timeoutMs: 500 });
    server = new DnsServer({ address: '127.0.0.1', port: 0, responder: new DnsResponder(clusterZone(), defaultDnsConfig), forwarder, hooks: { error: (e) => console.error(e) } });
    ({ port } = await server.start());
  });
  afterAll(async () => {
    await server?.close();
    forwarder?.close();
    await upstream?.close();
  });

  it('answers a cluster name over UDP and TCP', async () => {
    const u = Packet.parse(await udpAsk(port, query('web.default.svc.cluster.local', RRType.A, 11)));
    expect(u.header).toMatchObject({ id: 11, aa: 1, rcode: 0 });
    expect(u.answers).toMatchObject([{ address: '10.96.0.5' }]);
    const [t] = await tcpAsk(port, [query('web.default.svc.cluster.local', RRType.A, 12)]);
    expect(Packet.parse(t!).answers).toMatchObject([{ address: '10.96.0.5' }]);
  });

  it('truncates the 200-endpoint headless answer over UDP and serves it whole over TCP', async () => {
    const u = Packet.parse(await udpAsk(port, query('big.default.svc.cluster.local', RRType.A, 21)));
    expect(u.header.tc).toBe(1);
    expect(u.answers.length).toBeLessThan(200);
    const [t] = await tcpAsk(port, [query('big.default.svc.cluster.local', RRType.A, 22)]);
    const p = Packet.parse(t!);
    expect(p.header.tc).toBe(0);
    expect(p.answers.length).toBe(200);
  });

  it('answers pipelined TCP queries on one connection', async () => {
    const replies = await tcpAsk(port, [1, 2, 3, 4, 5].map((id) => query('web.default.svc.cluster.local', RRType.A, id)));
    expect(replies.map((r) => r.readUInt16BE(0)).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('forwards other names to the upstream and caches the answer', async () => {
    const before = upstream.seen.length;
    const a = Packet.parse(await udpAsk(port, query('www.example.test', RRType.A, 31)));
    expect(a.header).toMatchObject({ id: 31, rcode: 0 });
    expect(a.answers).toMatchObject([{ address: '192.0.2.1' }]);
    const b = Packet.parse(await udpAsk(port, query('WWW.example.test', RRType.A, 32)));
    expect(b.header.id).toBe(32);
    expect(b.questions[0]!.name).toBe('WWW.example.test');
    expect(upstream.seen.length).toBe(before + 1);
  });

  it('follows an ExternalName to the upstream', async () => {
    const p = Packet.parse(await udpAsk(port, query('ext.default.svc.cluster.local', RRType.A, 41)));
    expect(p.answers.map((a) => a.type)).toEqual([5, 1]);
  });

  it('keeps answering after garbage', async () => {
    const s = dgram.createSocket('udp4');
    for (let i = 0; i < 50; i++) s.send(Buffer.from(Array.from({ length: i }, () => 0xc0)), port, '127.0.0.1');
    s.close();
    expect(Packet.parse(await udpAsk(port, query('web.default.svc.cluster.local', RRType.A, 51))).answers.length).toBe(1);
  });
});

describe('forwarding failures', () => {
  it('is SERVFAIL quickly when no upstream answers, and never forwards to itself', async () => {
    // A port nobody listens on: the connected UDP socket hears "port unreachable".
    const dead = dgram.createSocket('udp4');
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', () => r()));
    const deadPort = dead.address().port;
    await new Promise<void>((r) => dead.close(() => r()));
    const server = new DnsServer({ address: '127.0.0.1', port: 0, responder: new DnsResponder(clusterZone(), defaultDnsConfig) });
    const { port } = await server.start();
    const forwarder = new Forwarder({
      upstreams: [
        { host: '127.0.0.1', port },
        { host: '127.0.0.1', port: deadPort },
      ],
      self: [{ host: '127.0.0.1', port }],
      timeoutMs: 1500,
    });
    await server.close();
    const s2 = new DnsServer({ address: '127.0.0.1', port, responder: new DnsResponder(clusterZone(), defaultDnsConfig), forwarder });
    await s2.start();
    try {
      expect(forwarder.upstreams).toEqual([{ host: '127.0.0.1', port: deadPort }]);
      expect(forwarder.dropped).toEqual([{ host: '127.0.0.1', port }]);
      const p = Packet.parse(await udpAsk(port, query('nothing.example.test', RRType.A, 61), 2500));
      expect(p.header).toMatchObject({ id: 61, rcode: 2 });
    } finally {
      await s2.close();
      forwarder.close();
    }
  });
});

describe.skipIf(!hasDig)('dig against the server', () => {
  let server: DnsServer;
  let port: number;
  beforeAll(async () => {
    server = new DnsServer({ address: '127.0.0.1', port: 0, responder: new DnsResponder(clusterZone(), defaultDnsConfig) });
    ({ port } = await server.start());
  });
  afterAll(async () => server?.close());
  // Asynchronous on purpose: the server under test runs in this process, so a blocking dig would never get an answer.
  const dig = async (...args: string[]) =>
    (await promisify(execFile)('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args], { encoding: 'utf8' })).stdout;

  it('resolves a ClusterIP Service over UDP and TCP', async () => {
    expect((await dig('+short', 'web.default.svc.cluster.local')).trim()).toBe('10.96.0.5');
    expect((await dig('+tcp', '+short', 'web.default.svc.cluster.local')).trim()).toBe('10.96.0.5');
  });

  it('retries a truncated UDP answer over TCP and gets all 200 endpoints', async () => {
    const out = await dig('+noedns', 'big.default.svc.cluster.local');
    expect(out).toMatch(/Truncated, retrying in TCP mode/);
    expect(out).toMatch(/ANSWER: 200,/);
    expect((await dig('+short', '+ignore', '+noedns', 'big.default.svc.cluster.local')).trim().split('\n').length).toBeLessThan(200);
  });

  it('reports NXDOMAIN with the SOA and the aa flag', async () => {
    const out = await dig('nope.default.svc.cluster.local');
    expect(out).toMatch(/status: NXDOMAIN/);
    expect(out).toMatch(/flags: qr aa rd/);
    expect(out).toMatch(/AUTHORITY: 1/);
  });

  it('answers SRV with additional addresses and dns-version TXT', async () => {
    expect((await dig('+short', 'SRV', '_http._tcp.web.default.svc.cluster.local')).trim()).toBe('0 100 80 web.default.svc.cluster.local.');
    expect((await dig('+short', 'TXT', 'dns-version.cluster.local')).trim()).toBe('"1.1.0"');
  });
});
