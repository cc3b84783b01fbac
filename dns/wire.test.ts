import { describe, it, expect } from 'vitest';
import dns2 from 'dns2';
import type { EndpointSlice, Service } from '../kube/api/core.js';
import { defaultDnsConfig, Rcode, RRType } from './answer.js';
import { decodeQuery, DnsResponder, readName, scanMessage, type WireOutcome } from './wire.js';
import { ZoneView } from './zone.js';

const { Packet } = dns2;
const Z = 'cluster.local';

function headlessZone(n: number): ZoneView {
  const z = new ZoneView({ now: () => 1_700_000_000 });
  const services: Service[] = [
    { metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: '10.96.0.5', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] } },
    { metadata: { namespace: 'default', name: 'big' }, spec: { clusterIP: 'None', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] } },
    { metadata: { namespace: 'default', name: 'two' }, spec: { clusterIP: 'None' } },
  ];
  const endpointSlices: EndpointSlice[] = [
    {
      metadata: { namespace: 'default', name: 'big-1', labels: { 'kubernetes.io/service-name': 'big' } },
      addressType: 'IPv4',
      endpoints: Array.from({ length: n }, (_, i) => ({ addresses: [`10.244.${i >> 8}.${i & 0xff}`] })),
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
    },
    {
      metadata: { namespace: 'default', name: 'two-1', labels: { 'kubernetes.io/service-name': 'two' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.1.0.1'] }, { addresses: ['10.1.0.2'] }, { addresses: ['10.1.0.3'] }],
    },
  ];
  z.replaceAll({ namespaces: [{ metadata: { name: 'default' } }], services, endpointSlices });
  return z;
}

function query(name: string, type: number, opts: { id?: number; edns?: number; rd?: boolean } = {}): Buffer {
  const p = new Packet();
  p.header.id = opts.id ?? 4242;
  p.header.rd = opts.rd === false ? 0 : 1;
  p.questions.push(new Packet.Question(name, type, Packet.CLASS.IN));
  if (opts.edns !== undefined) p.additionals.push(Packet.Resource.EDNS([], { udpPayloadSize: opts.edns }));
  return p.toBuffer();
}

function replyOf(o: WireOutcome): Buffer {
  if (o.kind !== 'reply') throw new Error(`expected a reply, got ${o.kind}`);
  return o.bytes;
}

describe('DnsResponder round trip (decoded by dns2)', () => {
  const zone = headlessZone(3);
  const r = new DnsResponder(zone, defaultDnsConfig);

  it('answers a ClusterIP A with ID, RD, AA and the asker case', () => {
    const p = Packet.parse(replyOf(r.respond(query(`WeB.Default.svc.${Z}`, RRType.A, { id: 777 }), 'udp')));
    expect(p.errors).toEqual([]);
    expect(p.header).toMatchObject({ id: 777, qr: 1, aa: 1, rd: 1, tc: 0, rcode: 0 });
    expect(p.questions[0]!.name).toBe(`WeB.Default.svc.${Z}`);
    expect(p.answers).toMatchObject([{ name: `WeB.Default.svc.${Z}`, type: 1, ttl: 30, address: '10.96.0.5' }]);
  });

  it('reuses the template for another case and ID', () => {
    const p = Packet.parse(replyOf(r.respond(query(`WEB.DEFAULT.SVC.CLUSTER.LOCAL`, RRType.A, { id: 9, rd: false }), 'udp')));
    expect(p.header).toMatchObject({ id: 9, rd: 0 });
    expect(p.answers).toMatchObject([{ name: 'WEB.DEFAULT.SVC.CLUSTER.LOCAL', address: '10.96.0.5' }]);
  });

  it('encodes SRV with targets and additional addresses', () => {
    const p = Packet.parse(replyOf(r.respond(query(`_http._tcp.big.default.svc.${Z}`, RRType.SRV), 'udp')));
    expect(p.errors).toEqual([]);
    expect(p.answers.map((a) => `${a.weight} ${a.port} ${a.target}`)).toEqual([
      `33 80 10-244-0-0.big.default.svc.${Z}`,
      `33 80 10-244-0-1.big.default.svc.${Z}`,
      `33 80 10-244-0-2.big.default.svc.${Z}`,
    ]);
    expect(p.additionals.map((a) => `${a.name} ${a.address}`)).toEqual([
      `10-244-0-0.big.default.svc.${Z} 10.244.0.0`,
      `10-244-0-1.big.default.svc.${Z} 10.244.0.1`,
      `10-244-0-2.big.default.svc.${Z} 10.244.0.2`,
    ]);
  });

  it('puts the SOA in authority of an NXDOMAIN, in the asker case', () => {
    const p = Packet.parse(replyOf(r.respond(query(`nope.default.svc.CLUSTER.local`, RRType.A), 'udp')));
    expect(p.header).toMatchObject({ rcode: Rcode.NXDOMAIN, aa: 1 });
    expect(p.answers).toEqual([]);
    expect(p.authorities).toMatchObject([{ name: 'CLUSTER.local', type: 6, primary: `ns.dns.CLUSTER.local`, minimum: 30 }]);
  });

  it('encodes TXT and PTR', () => {
    const t = Packet.parse(replyOf(r.respond(query(`dns-version.${Z}`, RRType.TXT), 'udp')));
    expect(t.answers).toMatchObject([{ type: 16, ttl: 28800 }]);
    expect(JSON.stringify(t.answers[0])).toContain('1.1.0');
    const p = Packet.parse(replyOf(r.respond(query('5.0.96.10.in-addr.arpa', RRType.PTR), 'udp')));
    expect(p.answers).toMatchObject([{ type: 12, domain: `web.default.svc.${Z}` }]);
  });

  it('answers with an OPT record only when the query had one', () => {
    const withOpt = Packet.parse(replyOf(r.respond(query(`web.default.svc.${Z}`, RRType.A, { edns: 4096 }), 'udp')));
    expect(withOpt.additionals).toMatchObject([{ type: 41, class: 1232 }]);
    const without = Packet.parse(replyOf(r.respond(query(`web.default.svc.${Z}`, RRType.A), 'udp')));
    expect(without.additionals).toEqual([]);
  });

  it('rotates the A records between replies', () => {
    const firsts = [0, 1, 2].map(() => Packet.parse(replyOf(r.respond(query(`two.default.svc.${Z}`, RRType.A), 'udp'))).answers.map((a) => a.address));
    expect(new Set(firsts.map((f) => f[0])).size).toBe(3);
    for (const f of firsts) expect([...f].sort()).toEqual(['10.1.0.1', '10.1.0.2', '10.1.0.3']);
  });

  it('passes names outside the zone on, and drops the cached template when the zone changes', () => {
    expect(r.respond(query('example.com', RRType.A), 'udp').kind).toBe('next');
    zone.upsertService({ metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: '10.96.0.6', ports: [{ port: 80 }] } });
    const p = Packet.parse(replyOf(r.respond(query(`web.default.svc.${Z}`, RRType.A), 'udp')));
    expect(p.answers).toMatchObject([{ address: '10.96.0.6' }]);
  });

  it('signals a chase for an ExternalName outside the zone', () => {
    zone.upsertService({ metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.net' } });
    const o = r.respond(query(`ext.default.svc.${Z}`, RRType.A), 'udp');
    expect(o.kind).toBe('chase');
    if (o.kind !== 'chase') return;
    const bytes = r.completeChase(o.query, o.answer, [{ name: 'example.net', ttl: 60, type: 1, address: '93.184.216.34' }], 'udp');
    const p = Packet.parse(bytes);
    expect(p.answers.map((a) => a.type)).toEqual([5, 1]);
  });
});

describe('truncation', () => {
  const zone = headlessZone(200);
  const r = new DnsResponder(zone, defaultDnsConfig);
  const bigA = query(`big.default.svc.${Z}`, RRType.A);

  it('fits whole records into 512 bytes without EDNS and sets TC', () => {
    const b = replyOf(r.respond(bigA, 'udp'));
    expect(b.length).toBeLessThanOrEqual(512);
    const p = Packet.parse(b);
    expect(p.errors).toEqual([]);
    expect(p.header.tc).toBe(1);
    // Whole records only, and as many as fit: one more A record (16 bytes) would not.
    expect(b.length + 16).toBeGreaterThan(512);
    expect(p.answers.length).toBeGreaterThan(20);
    expect(p.answers.length).toBeLessThan(200);
  });

  it('uses the client EDNS buffer (capped at 1232) and keeps the OPT', () => {
    const b = replyOf(r.respond(query(`big.default.svc.${Z}`, RRType.A, { edns: 4096 }), 'udp'));
    expect(b.length).toBeLessThanOrEqual(1232);
    expect(b.length).toBeGreaterThan(1232 - 16);
    const p = Packet.parse(b);
    expect(p.header.tc).toBe(1);
    expect(p.additionals).toMatchObject([{ type: 41 }]);
  });

  it('sends everything over TCP without TC', () => {
    const p = Packet.parse(replyOf(r.respond(bigA, 'tcp')));
    expect(p.header.tc).toBe(0);
    expect(p.answers.length).toBe(200);
  });

  it('does not set TC when everything fits', () => {
    const p = Packet.parse(replyOf(r.respond(query(`two.default.svc.${Z}`, RRType.A), 'udp')));
    expect(p.header.tc).toBe(0);
    expect(p.answers.length).toBe(3);
  });

  it('truncates SRV answers with additionals at a record boundary, pointers still valid', () => {
    const b = replyOf(r.respond(query(`_http._tcp.big.default.svc.${Z}`, RRType.SRV), 'udp'));
    const p = Packet.parse(b);
    expect(p.errors).toEqual([]);
    expect(p.header.tc).toBe(1);
    expect(scanMessage(b)).toBeDefined();
  });
});

describe('malformed queries', () => {
  const r = new DnsResponder(headlessZone(1), defaultDnsConfig);
  const good = query(`web.default.svc.${Z}`, RRType.A);
  const withHeader = (counts: [number, number, number, number], rest: number[]) =>
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0, counts[0], 0, counts[1], 0, counts[2], 0, counts[3], ...rest]);

  it.each<[string, Buffer, 'drop' | number]>([
    ['empty', Buffer.alloc(0), 'drop'],
    ['short header', good.subarray(0, 11), 'drop'],
    ['a response (QR set)', Buffer.from([0, 1, 0x81, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]), 'drop'],
    ['no question', withHeader([0, 0, 0, 0], []), Rcode.FORMERR],
    ['two questions', withHeader([2, 0, 0, 0], [0, 0, 1, 0, 1, 0, 0, 1, 0, 1]), Rcode.FORMERR],
    ['question cut short', good.subarray(0, good.length - 2), Rcode.FORMERR],
    ['label longer than the message', withHeader([1, 0, 0, 0], [40, 0x61, 0x62]), Rcode.FORMERR],
    ['compression pointer loop in the question', withHeader([1, 0, 0, 0], [0xc0, 12, 0, 1, 0, 1]), Rcode.FORMERR],
    ['bad label type 0x40', withHeader([1, 0, 0, 0], [0x41, 0x61, 0, 0, 1, 0, 1]), Rcode.FORMERR],
    ['name longer than 255', withHeader([1, 0, 0, 0], [...Array.from({ length: 5 }, () => [63, ...new Array(63).fill(0x61)]).flat(), 0, 0, 1, 0, 1]), Rcode.FORMERR],
    ['additional count larger than the records', withHeader([1, 0, 0, 3], [0, 0, 1, 0, 1]), Rcode.FORMERR],
    ['answer record with rdata past the end', withHeader([1, 1, 0, 0], [0, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 9, 1]), Rcode.FORMERR],
    ['two OPT records', withHeader([1, 0, 0, 2], [0, 0, 1, 0, 1, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0]), Rcode.FORMERR],
    ['opcode UPDATE', Buffer.from([0, 1, 0x28, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1]), Rcode.NOTIMP],
  ])('%s', (_name, msg, want) => {
    const o = r.respond(msg, 'udp');
    if (want === 'drop') expect(o.kind).toBe('drop');
    else {
      expect(o.kind).toBe('reply');
      const b = replyOf(o);
      expect(b[3]! & 0xf).toBe(want);
      expect(b.readUInt16BE(0)).toBe(msg.readUInt16BE(0));
      expect(b[2]! & 0x80).toBe(0x80);
    }
  });

  it('answers BADVERS to EDNS version 1', () => {
    const msg = Buffer.from([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 41, 16, 0, 0, 1, 0, 0, 0, 0]);
    const p = Packet.parse(replyOf(r.respond(msg, 'udp')));
    expect(p.additionals).toMatchObject([{ type: 41, extendedRcode: 1 }]);
  });

  it('decodes escapes in odd names without throwing', () => {
    const d = decodeQuery(withHeader([1, 0, 0, 0], [3, 0x61, 0x2e, 0xff, 0, 0, 1, 0, 1]));
    expect(d).toMatchObject({ ok: true, query: { name: 'a\\.\\255' } });
  });
});

describe('readName', () => {
  it('refuses forward pointers and loops, follows backward ones', () => {
    const b = Buffer.from([3, 0x66, 0x6f, 0x6f, 0, 3, 0x62, 0x61, 0x72, 0xc0, 0, 0xc0, 11]);
    expect(readName(b, 5)).toEqual({ name: 'bar.foo', end: 11 });
    expect(readName(b, 11)).toBeUndefined();
    expect(readName(Buffer.from([0xc0, 2, 0xc0, 0]), 2)).toBeUndefined();
  });
});
