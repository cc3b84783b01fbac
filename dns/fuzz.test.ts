// Random and mutated packets through the pure decode → answer → encode path:
// nothing may throw, and every outcome is a well-formed reply, a drop, or a
// hand-off to the forwarder. A seeded generator keeps failures reproducible.
import { describe, it, expect } from 'vitest';
import type { EndpointSlice, Service } from '../kube/api/core.js';
import { defaultDnsConfig } from './answer.js';
import { DnsResponder, scanMessage } from './wire.js';
import { ZoneView } from './zone.js';

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function encodeQuery(name: string, type: number, edns: boolean): Buffer {
  const labels = name.split('.');
  const parts: number[] = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, edns ? 1 : 0];
  for (const l of labels) parts.push(l.length, ...Buffer.from(l));
  parts.push(0, type >> 8, type & 0xff, 0, 1);
  if (edns) parts.push(0, 0, 41, 0x10, 0, 0, 0, 0x80, 0, 0, 0);
  return Buffer.from(parts);
}

function zone(): ZoneView {
  const z = new ZoneView();
  const services: Service[] = [
    { metadata: { namespace: 'default', name: 'web' }, spec: { clusterIP: '10.96.0.5', ports: [{ name: 'http', port: 80 }] } },
    { metadata: { namespace: 'default', name: 'hl' }, spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] } },
    { metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.net' } },
  ];
  const endpointSlices: EndpointSlice[] = [
    {
      metadata: { namespace: 'default', name: 'hl-1', labels: { 'kubernetes.io/service-name': 'hl' } },
      addressType: 'IPv4',
      endpoints: Array.from({ length: 60 }, (_, i) => ({ addresses: [`10.244.0.${i}`] })),
      ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
    },
  ];
  z.replaceAll({ namespaces: [{ metadata: { name: 'default' } }], services, endpointSlices });
  return z;
}

const seeds = [
  encodeQuery('web.default.svc.cluster.local', 1, false),
  encodeQuery('hl.default.svc.cluster.local', 1, true),
  encodeQuery('_http._tcp.hl.default.svc.cluster.local', 33, true),
  encodeQuery('ext.default.svc.cluster.local', 28, false),
  encodeQuery('5.0.96.10.in-addr.arpa', 12, false),
  encodeQuery('example.com', 1, true),
  encodeQuery('cluster.local', 6, false),
];

describe('fuzz: decode + answer never throws', () => {
  it('survives 120,000 random and mutated packets', () => {
    const r = new DnsResponder(zone(), defaultDnsConfig, { maxCacheEntries: 5000 });
    const next = rng(0x5eed);
    const counts = { reply: 0, drop: 0, next: 0, chase: 0 };
    for (let i = 0; i < 120_000; i++) {
      let msg: Buffer;
      const mode = next() % 4;
      if (mode === 0) {
        msg = Buffer.alloc(next() % 600);
        for (let j = 0; j < msg.length; j++) msg[j] = next() & 0xff;
      } else {
        msg = Buffer.from(seeds[next() % seeds.length]!);
        const flips = 1 + (next() % 6);
        for (let f = 0; f < flips; f++) {
          const at = next() % msg.length;
          msg[at] = mode === 1 ? msg[at]! ^ (1 << (next() % 8)) : next() & 0xff;
        }
        if (mode === 3) msg = msg.subarray(0, next() % (msg.length + 1));
        if (next() % 2 === 0) msg[2] = msg[2]! & 0x7f; // keep most of them queries
      }
      const transport = next() % 5 === 0 ? 'tcp' : 'udp';
      const o = r.respond(msg, transport);
      counts[o.kind]++;
      if (o.kind === 'reply') {
        const b = o.bytes;
        if (b.length < 12 || !(b[2]! & 0x80) || b.readUInt16BE(0) !== msg.readUInt16BE(0) || !scanMessage(b)) {
          throw new Error(`bad reply to ${msg.toString('hex')}: ${b.toString('hex')}`);
        }
        if (transport === 'udp' && b.length > 1232) throw new Error(`UDP reply of ${b.length} bytes to ${msg.toString('hex')}`);
      }
    }
    // Each kind of outcome was exercised, so the loop tested more than the drop path.
    expect(counts.reply).toBeGreaterThan(10_000);
    expect(counts.drop).toBeGreaterThan(1_000);
    expect(counts.next).toBeGreaterThan(100);
    expect(counts.chase).toBeGreaterThan(0);
  });
});
