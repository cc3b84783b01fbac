import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rcode, RRType } from '../dns/answer.js';
import { buildQuery } from '../dns/forward.js';
import { scanMessage } from '../dns/wire.js';
import { DnsQueryError, queryA } from './dns-client.js';
import { answerGlobal, respondGlobal, startGlobalDns, type GlobalDns, type GlobalZone } from './global-dns.js';

const zone: GlobalZone = {
  zone: 'demo.netkube',
  records: new Map([
    ['web.demo.netkube', ['10.0.0.1', '10.1.0.1']],
    ['a.b.demo.netkube', ['10.0.0.9']],
    ['empty.demo.netkube', []],
  ]),
  ttl: 5,
  serial: 1,
};

describe('answerGlobal', () => {
  it('answers A with every record and the TTL, rotatable', () => {
    const a = answerGlobal({ name: 'WEB.demo.netkube.', type: RRType.A, class: 1 }, zone);
    expect(a.rcode).toBe(Rcode.NOERROR);
    expect(a.authoritative).toBe(true);
    expect(a.answer.map((r) => (r.type === 1 ? r.address : ''))).toEqual(['10.0.0.1', '10.1.0.1']);
    expect(a.answer.every((r) => r.ttl === 5)).toBe(true);
    expect(a.rotatable).toEqual({ start: 0, count: 2 });
  });
  it('says NODATA (with SOA) for other types, empty names and empty non-terminals', () => {
    for (const q of [
      { name: 'web.demo.netkube', type: RRType.AAAA },
      { name: 'empty.demo.netkube', type: RRType.A },
      { name: 'b.demo.netkube', type: RRType.A },
      { name: 'demo.netkube', type: RRType.A },
    ]) {
      const a = answerGlobal({ ...q, class: 1 }, zone);
      expect(a.rcode, q.name).toBe(Rcode.NOERROR);
      expect(a.answer, q.name).toEqual([]);
      expect(a.authority[0]?.type, q.name).toBe(RRType.SOA);
    }
  });
  it('says NXDOMAIN in the zone and REFUSED outside it', () => {
    expect(answerGlobal({ name: 'nope.demo.netkube', type: 1, class: 1 }, zone).rcode).toBe(Rcode.NXDOMAIN);
    expect(answerGlobal({ name: 'example.com', type: 1, class: 1 }, zone).rcode).toBe(Rcode.REFUSED);
    expect(answerGlobal({ name: 'xdemo.netkube', type: 1, class: 1 }, zone).rcode).toBe(Rcode.REFUSED);
    expect(answerGlobal({ name: 'demo.netkube', type: RRType.SOA, class: 1 }, zone).answer[0]?.type).toBe(RRType.SOA);
  });
  it('answers FORMERR to a malformed query and drops responses', () => {
    const q = buildQuery('web.demo.netkube', 1, 1232);
    q.writeUInt16BE(2, 4); // qdcount 2
    const r = respondGlobal(q, 'udp', zone, 0)!;
    expect(r[3]! & 0xf).toBe(Rcode.FORMERR);
    const resp = buildQuery('web.demo.netkube', 1, 1232);
    resp.writeUInt16BE(0x8000, 2);
    expect(respondGlobal(resp, 'udp', zone, 0)).toBeUndefined();
  });
  it('rotates the records between replies', () => {
    const q = buildQuery('web.demo.netkube', 1, 1232);
    const first = (rot: number) => {
      const r = respondGlobal(q, 'udp', zone, rot)!;
      const m = scanMessage(r)!;
      return Array.from(r.subarray(m.records[0]!.rdataAt, m.records[0]!.rdataAt + 4)).join('.');
    };
    expect(new Set([first(0), first(1)])).toEqual(new Set(['10.0.0.1', '10.1.0.1']));
  });
});

describe('startGlobalDns on 127.0.0.1', () => {
  let dns: GlobalDns;
  beforeAll(async () => {
    dns = await startGlobalDns({ zone: 'demo.netkube', records: { 'web.demo.netkube': ['127.0.0.2', '127.0.0.3'] }, ttl: 5 });
  });
  afterAll(() => dns.close());
  const server = () => ({ host: '127.0.0.1', port: dns.port });

  it('answers a real UDP query', async () => {
    const r = await queryA(server(), 'web.demo.netkube');
    expect(r.ips.sort()).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(r.ttl).toBe(5);
  });
  it('follows setRecords', async () => {
    dns.setRecords('web.demo.netkube', ['127.0.0.4']);
    expect((await queryA(server(), 'web.demo.netkube')).ips).toEqual(['127.0.0.4']);
    dns.setRecords('web.demo.netkube', ['127.0.0.2', '127.0.0.3']);
  });
  it('reports NXDOMAIN and REFUSED as errors', async () => {
    await expect(queryA(server(), 'other.demo.netkube')).rejects.toEqual(new DnsQueryError('NXDOMAIN'));
    await expect(queryA(server(), 'example.com')).rejects.toEqual(new DnsQueryError('REFUSED'));
  });
  it('answers FORMERR over UDP to garbage with a header', async () => {
    const sock = dgram.createSocket('udp4');
    try {
      const reply = await new Promise<Buffer>((resolve) => {
        sock.on('message', (m) => resolve(m));
        const junk = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x3f, 0x61]);
        sock.send(junk, dns.port, '127.0.0.1');
      });
      expect(reply.readUInt16BE(0)).toBe(0x1234);
      expect(reply[3]! & 0xf).toBe(Rcode.FORMERR);
    } finally {
      sock.close();
    }
  });
  it('answers over TCP (a truncated UDP reply makes the client retry there)', async () => {
    const many = Array.from({ length: 120 }, (_, i) => `10.9.${i >> 8}.${i & 255}`);
    dns.setRecords('big.demo.netkube', many);
    const r = await queryA(server(), 'big.demo.netkube');
    expect(r.ips.length).toBe(120);
  });
});
