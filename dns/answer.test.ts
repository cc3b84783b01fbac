import { describe, it, expect } from 'vitest';
import type { EndpointSlice, Namespace, Pod, Service } from '../kube/api/core.js';
import { answer, defaultDnsConfig, Rcode, RRType, type Answer, type DnsConfig, type ResourceRecord } from './answer.js';
import { ZoneView } from './zone.js';

// A small cluster, in the spirit of CoreDNS's APIConnServeTest fixture.
const ns = (name: string): Namespace => ({ metadata: { name } });
const svc = (namespace: string, name: string, spec: Service['spec']): Service => ({ metadata: { namespace, name }, spec });
const slice = (namespace: string, service: string, name: string, s: Pick<EndpointSlice, 'endpoints' | 'ports'> & { addressType?: EndpointSlice['addressType'] }): EndpointSlice => ({
  metadata: { namespace, name, labels: { 'kubernetes.io/service-name': service } },
  addressType: s.addressType ?? 'IPv4',
  endpoints: s.endpoints,
  ports: s.ports,
});
const pod = (namespace: string, name: string, ip: string): Pod => ({
  metadata: { namespace, name },
  spec: { containers: [] },
  status: { podIP: ip, podIPs: [{ ip }] },
});

function testZone(): ZoneView {
  const z = new ZoneView({ now: () => 1_700_000_000 });
  z.replaceAll({
    namespaces: [ns('default'), ns('testns'), ns('kube-system'), ns('empty')],
    services: [
      svc('testns', 'svc1', { type: 'ClusterIP', clusterIP: '10.0.0.1', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] }),
      svc('testns', 'svc6', { clusterIP: '1234:abcd::1', clusterIPs: ['1234:abcd::1'], ports: [{ name: 'http', port: 80 }] }),
      svc('testns', 'dual', { clusterIPs: ['10.0.0.2', 'fd00::2'], ports: [{ name: 'dns', protocol: 'UDP', port: 53 }] }),
      svc('testns', 'hdls1', { clusterIP: 'None', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] }),
      svc('testns', 'hdlsnr', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] }),
      svc('testns', 'hdlspub', { clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'http', port: 80 }] }),
      svc('testns', 'hdlsnoports', { clusterIP: 'None' }),
      svc('testns', 'hdlsempty', { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] }),
      svc('testns', 'ext', { type: 'ExternalName', externalName: 'example.net.' }),
      svc('testns', 'extin', { type: 'ExternalName', externalName: 'svc1.testns.svc.cluster.local' }),
      svc('testns', 'extip', { type: 'ExternalName', externalName: '1.2.3.4' }),
      svc('kube-system', 'kube-dns', { clusterIP: '10.96.0.10', ports: [{ name: 'dns', protocol: 'UDP', port: 53 }] }),
    ],
    endpointSlices: [
      slice('testns', 'svc1', 'svc1-a', {
        endpoints: [{ addresses: ['172.0.0.1'], hostname: 'ep1a' }],
        ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
      }),
      slice('testns', 'hdls1', 'hdls1-a', {
        endpoints: [
          { addresses: ['172.0.0.2'], hostname: 'pod-0', conditions: { ready: true } },
          { addresses: ['172.0.0.3'] },
          { addresses: ['172.0.0.4'], conditions: { ready: false } },
        ],
        ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
      }),
      slice('testns', 'hdls1', 'hdls1-b', {
        addressType: 'IPv6',
        endpoints: [{ addresses: ['fd00::5'] }],
        ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
      }),
      slice('testns', 'hdlsnr', 'hdlsnr-a', { endpoints: [{ addresses: ['172.0.1.1'], conditions: { ready: false } }], ports: [] }),
      slice('testns', 'hdlspub', 'hdlspub-a', {
        endpoints: [{ addresses: ['172.0.2.1'], conditions: { ready: false } }],
        ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
      }),
      slice('testns', 'hdlsnoports', 'hdlsnoports-a', { endpoints: [{ addresses: ['172.0.3.1'] }] }),
    ],
    pods: [pod('default', 'p1', '10.244.0.7')],
  });
  return z;
}

interface Case {
  name: string;
  qname: string;
  qtype: number;
  rcode: number;
  answer?: string[];
  additional?: string[];
  /** Negative answers carry the SOA; positive ones do not. */
  soa?: boolean;
  cfg?: Partial<DnsConfig>;
}

/** dig-like one-line form of a record, so expected answers read like zone files. */
function show(rr: ResourceRecord): string {
  const head = `${rr.name} ${rr.ttl}`;
  switch (rr.type) {
    case 1:
      return `${head} A ${rr.address}`;
    case 28:
      return `${head} AAAA ${rr.address}`;
    case 5:
      return `${head} CNAME ${rr.target}`;
    case 12:
      return `${head} PTR ${rr.target}`;
    case 2:
      return `${head} NS ${rr.target}`;
    case 33:
      return `${head} SRV ${rr.priority} ${rr.weight} ${rr.port} ${rr.target}`;
    case 16:
      return `${head} TXT ${rr.text.map((t) => `"${t}"`).join(' ')}`;
    case 6:
      return `${head} SOA ${rr.mname} ${rr.rname} ${rr.minimum}`;
  }
}

const Z = 'cluster.local';
const cases: Case[] = [
  // ClusterIP
  { name: 'ClusterIP A', qname: `svc1.testns.svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [`svc1.testns.svc.${Z} 30 A 10.0.0.1`] },
  { name: 'ClusterIP AAAA on a v4-only Service is NODATA', qname: `svc1.testns.svc.${Z}`, qtype: RRType.AAAA, rcode: 0, answer: [], soa: true },
  { name: 'IPv6 ClusterIP AAAA', qname: `svc6.testns.svc.${Z}`, qtype: RRType.AAAA, rcode: 0, answer: [`svc6.testns.svc.${Z} 30 AAAA 1234:abcd::1`] },
  { name: 'dual-stack A', qname: `dual.testns.svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [`dual.testns.svc.${Z} 30 A 10.0.0.2`] },
  { name: 'dual-stack AAAA', qname: `dual.testns.svc.${Z}`, qtype: RRType.AAAA, rcode: 0, answer: [`dual.testns.svc.${Z} 30 AAAA fd00::2`] },
  {
    name: 'named port SRV targets the Service with its address as additional',
    qname: `_http._tcp.svc1.testns.svc.${Z}`,
    qtype: RRType.SRV,
    rcode: 0,
    answer: [`_http._tcp.svc1.testns.svc.${Z} 30 SRV 0 100 80 svc1.testns.svc.${Z}`],
    additional: [`svc1.testns.svc.${Z} 30 A 10.0.0.1`],
  },
  {
    name: 'SRV at the bare Service name lists every port (CoreDNS wildcard)',
    qname: `svc1.testns.svc.${Z}`,
    qtype: RRType.SRV,
    rcode: 0,
    answer: [`svc1.testns.svc.${Z} 30 SRV 0 100 80 svc1.testns.svc.${Z}`],
    additional: [`svc1.testns.svc.${Z} 30 A 10.0.0.1`],
  },
  { name: 'A at _port._proto gives the ClusterIP', qname: `_http._tcp.svc1.testns.svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [`_http._tcp.svc1.testns.svc.${Z} 30 A 10.0.0.1`] },
  { name: 'unknown port name is NXDOMAIN', qname: `_https._tcp.svc1.testns.svc.${Z}`, qtype: RRType.SRV, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'wrong protocol is NXDOMAIN', qname: `_http._udp.svc1.testns.svc.${Z}`, qtype: RRType.SRV, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'endpoint of a ClusterIP Service by hostname', qname: `ep1a.svc1.testns.svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [`ep1a.svc1.testns.svc.${Z} 30 A 172.0.0.1`] },
  { name: 'unknown endpoint is NXDOMAIN', qname: `nope.svc1.testns.svc.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'TXT on an existing Service is NODATA', qname: `svc1.testns.svc.${Z}`, qtype: RRType.TXT, rcode: 0, answer: [], soa: true },
  { name: 'TXT on an existing endpoint is NODATA', qname: `pod-0.hdls1.testns.svc.${Z}`, qtype: RRType.TXT, rcode: 0, answer: [], soa: true },
  { name: 'TXT on an existing port name is NODATA', qname: `_http._tcp.svc1.testns.svc.${Z}`, qtype: RRType.TXT, rcode: 0, answer: [], soa: true },
  { name: 'MX on an existing Service is NODATA', qname: `svc1.testns.svc.${Z}`, qtype: RRType.MX, rcode: 0, answer: [], soa: true },
  { name: 'PTR on a forward name that exists is NODATA', qname: `svc1.testns.svc.${Z}`, qtype: RRType.PTR, rcode: 0, answer: [], soa: true },

  // Headless
  {
    name: 'headless A lists ready endpoints only',
    qname: `hdls1.testns.svc.${Z}`,
    qtype: RRType.A,
    rcode: 0,
    answer: [`hdls1.testns.svc.${Z} 30 A 172.0.0.2`, `hdls1.testns.svc.${Z} 30 A 172.0.0.3`],
  },
  { name: 'headless AAAA from an IPv6 slice', qname: `hdls1.testns.svc.${Z}`, qtype: RRType.AAAA, rcode: 0, answer: [`hdls1.testns.svc.${Z} 30 AAAA fd00::5`] },
  { name: 'headless endpoint by hostname', qname: `pod-0.hdls1.testns.svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [`pod-0.hdls1.testns.svc.${Z} 30 A 172.0.0.2`] },
  { name: 'headless endpoint by dashed IP', qname: `172-0-0-3.hdls1.testns.svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [`172-0-0-3.hdls1.testns.svc.${Z} 30 A 172.0.0.3`] },
  { name: 'IPv6 endpoint by dashed IP', qname: `fd00--5.hdls1.testns.svc.${Z}`, qtype: RRType.AAAA, rcode: 0, answer: [`fd00--5.hdls1.testns.svc.${Z} 30 AAAA fd00::5`] },
  { name: 'not-ready endpoint has no name', qname: `172-0-0-4.hdls1.testns.svc.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'endpoint name asked for AAAA is NODATA', qname: `pod-0.hdls1.testns.svc.${Z}`, qtype: RRType.AAAA, rcode: 0, answer: [], soa: true },
  {
    name: 'headless SRV: one per endpoint and port, targets the endpoint names',
    qname: `_http._tcp.hdls1.testns.svc.${Z}`,
    qtype: RRType.SRV,
    rcode: 0,
    answer: [
      `_http._tcp.hdls1.testns.svc.${Z} 30 SRV 0 33 80 pod-0.hdls1.testns.svc.${Z}`,
      `_http._tcp.hdls1.testns.svc.${Z} 30 SRV 0 33 80 172-0-0-3.hdls1.testns.svc.${Z}`,
      `_http._tcp.hdls1.testns.svc.${Z} 30 SRV 0 33 80 fd00--5.hdls1.testns.svc.${Z}`,
    ],
    additional: [
      `pod-0.hdls1.testns.svc.${Z} 30 A 172.0.0.2`,
      `172-0-0-3.hdls1.testns.svc.${Z} 30 A 172.0.0.3`,
      `fd00--5.hdls1.testns.svc.${Z} 30 AAAA fd00::5`,
    ],
  },
  { name: 'headless with no ready endpoint is NXDOMAIN', qname: `hdlsnr.testns.svc.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'headless with no EndpointSlice is NXDOMAIN', qname: `hdlsempty.testns.svc.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'publishNotReadyAddresses publishes not-ready endpoints', qname: `hdlspub.testns.svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [`hdlspub.testns.svc.${Z} 30 A 172.0.2.1`] },
  { name: 'headless without ports still has A records', qname: `hdlsnoports.testns.svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [`hdlsnoports.testns.svc.${Z} 30 A 172.0.3.1`] },
  { name: 'headless without ports: SRV is NODATA', qname: `hdlsnoports.testns.svc.${Z}`, qtype: RRType.SRV, rcode: 0, answer: [], soa: true },

  // ExternalName
  { name: 'ExternalName CNAME', qname: `ext.testns.svc.${Z}`, qtype: RRType.CNAME, rcode: 0, answer: [`ext.testns.svc.${Z} 30 CNAME example.net`] },
  { name: 'ExternalName A gives the CNAME (target chased upstream)', qname: `ext.testns.svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [`ext.testns.svc.${Z} 30 CNAME example.net`] },
  {
    name: 'ExternalName inside the zone is followed here',
    qname: `extin.testns.svc.${Z}`,
    qtype: RRType.A,
    rcode: 0,
    answer: [`extin.testns.svc.${Z} 30 CNAME svc1.testns.svc.${Z}`, `svc1.testns.svc.${Z} 30 A 10.0.0.1`],
  },
  { name: 'ExternalName SRV is NODATA', qname: `ext.testns.svc.${Z}`, qtype: RRType.SRV, rcode: 0, answer: [], soa: true },
  { name: 'ExternalName with an endpoint label is NXDOMAIN', qname: `x.ext.testns.svc.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'ExternalName that is an IP is not served', qname: `extip.testns.svc.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },

  // Existence of the structure
  { name: 'missing Service is NXDOMAIN', qname: `nope.testns.svc.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'Service in a missing namespace is NXDOMAIN', qname: `svc1.nons.svc.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'existing namespace is NODATA', qname: `empty.svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [], soa: true },
  { name: 'missing namespace is NXDOMAIN', qname: `nons.svc.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'svc.<zone> is NODATA', qname: `svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [], soa: true },
  { name: 'pod.<zone> is NODATA', qname: `pod.${Z}`, qtype: RRType.A, rcode: 0, answer: [], soa: true },
  { name: 'apex A is NODATA', qname: Z, qtype: RRType.A, rcode: 0, answer: [], soa: true },
  { name: 'apex SOA', qname: Z, qtype: RRType.SOA, rcode: 0, answer: [`${Z} 30 SOA ns.dns.${Z} hostmaster.${Z} 30`] },
  // CoreDNS answers SOA without a lookup (handler.go `case dns.TypeSOA`): below the apex it is NODATA, existing name or not.
  { name: 'SOA on an existing Service is NODATA', qname: `svc1.testns.svc.${Z}`, qtype: RRType.SOA, rcode: 0, answer: [], soa: true },
  { name: 'SOA on a missing Service is NODATA', qname: `nope.testns.svc.${Z}`, qtype: RRType.SOA, rcode: 0, answer: [], soa: true },
  { name: 'SOA on a missing namespace is NODATA', qname: `nons.svc.${Z}`, qtype: RRType.SOA, rcode: 0, answer: [], soa: true },
  { name: 'SOA on a name that is neither svc nor pod is NODATA', qname: `foo.${Z}`, qtype: RRType.SOA, rcode: 0, answer: [], soa: true },
  { name: 'SOA on a too-long name is NODATA', qname: `a.b.c.svc1.testns.svc.${Z}`, qtype: RRType.SOA, rcode: 0, answer: [], soa: true },
  { name: 'SOA on dns-version is NODATA', qname: `dns-version.${Z}`, qtype: RRType.SOA, rcode: 0, answer: [], soa: true },
  { name: 'SOA on a pod name with pods disabled is NODATA', qname: `1-2-3-4.default.pod.${Z}`, qtype: RRType.SOA, rcode: 0, answer: [], soa: true, cfg: { podMode: 'disabled' } },
  {
    name: 'apex NS names ns.dns with the kube-dns ClusterIP',
    qname: Z,
    qtype: RRType.NS,
    rcode: 0,
    answer: [`${Z} 30 NS ns.dns.${Z}`],
    additional: [`ns.dns.${Z} 30 A 10.96.0.10`],
  },
  { name: 'ns.dns.<zone> A', qname: `ns.dns.${Z}`, qtype: RRType.A, rcode: 0, answer: [`ns.dns.${Z} 30 A 10.96.0.10`] },
  { name: 'a label that is neither svc nor pod is NXDOMAIN', qname: `foo.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'too many labels is NXDOMAIN', qname: `a.b.c.svc1.testns.svc.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'dns-version TXT', qname: `dns-version.${Z}`, qtype: RRType.TXT, rcode: 0, answer: [`dns-version.${Z} 28800 TXT "1.1.0"`] },
  // Only TXT exists at dns-version: other types go through parse.go, where "dns-version" is neither svc nor pod.
  { name: 'dns-version A is NXDOMAIN', qname: `dns-version.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'dns-version AAAA is NXDOMAIN', qname: `dns-version.${Z}`, qtype: RRType.AAAA, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'dns-version SRV is NXDOMAIN', qname: `dns-version.${Z}`, qtype: RRType.SRV, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'dns-version MX is NXDOMAIN', qname: `dns-version.${Z}`, qtype: RRType.MX, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'dns-version NS is NXDOMAIN', qname: `dns-version.${Z}`, qtype: RRType.NS, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'TXT below dns-version is NXDOMAIN', qname: `x.dns-version.${Z}`, qtype: RRType.TXT, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'TXT on a missing name is NXDOMAIN', qname: `nope.testns.svc.${Z}`, qtype: RRType.TXT, rcode: Rcode.NXDOMAIN, soa: true },
  // TXT is NODATA only where records of another type exist; names that exist empty are NXDOMAIN (kubernetes.go `Services`, TXT case).
  { name: 'TXT on the apex is NXDOMAIN', qname: Z, qtype: RRType.TXT, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'TXT on svc.<zone> is NXDOMAIN', qname: `svc.${Z}`, qtype: RRType.TXT, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'TXT on pod.<zone> is NXDOMAIN', qname: `pod.${Z}`, qtype: RRType.TXT, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'TXT on an existing namespace is NXDOMAIN', qname: `testns.svc.${Z}`, qtype: RRType.TXT, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'TXT on an existing pod namespace is NXDOMAIN', qname: `default.pod.${Z}`, qtype: RRType.TXT, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'TXT on ns.dns.<zone> is NXDOMAIN', qname: `ns.dns.${Z}`, qtype: RRType.TXT, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'TXT on a headless Service with no ready endpoint is NXDOMAIN', qname: `hdlsnr.testns.svc.${Z}`, qtype: RRType.TXT, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'MX on the apex is NODATA', qname: Z, qtype: RRType.MX, rcode: 0, answer: [], soa: true },
  { name: 'MX on an existing namespace is NODATA', qname: `testns.svc.${Z}`, qtype: RRType.MX, rcode: 0, answer: [], soa: true },
  { name: 'AAAA on ns.dns.<zone> without IPv6 is NODATA', qname: `ns.dns.${Z}`, qtype: RRType.AAAA, rcode: 0, answer: [], soa: true },

  // Pods
  { name: 'pod A (insecure)', qname: `1-2-3-4.default.pod.${Z}`, qtype: RRType.A, rcode: 0, answer: [`1-2-3-4.default.pod.${Z} 30 A 1.2.3.4`] },
  { name: 'pod AAAA (insecure)', qname: `fd00--9.default.pod.${Z}`, qtype: RRType.AAAA, rcode: 0, answer: [`fd00--9.default.pod.${Z} 30 AAAA fd00::9`] },
  { name: 'pod name that is no IP is NXDOMAIN', qname: `foo.default.pod.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'pod TXT is NODATA', qname: `1-2-3-4.default.pod.${Z}`, qtype: RRType.TXT, rcode: 0, answer: [], soa: true },
  // parse.go reads one or two labels left of a pod name as endpoint or port/protocol; findPods ignores them.
  { name: 'one label left of a pod name is ignored', qname: `x.1-2-3-4.default.pod.${Z}`, qtype: RRType.A, rcode: 0, answer: [`x.1-2-3-4.default.pod.${Z} 30 A 1.2.3.4`] },
  { name: 'two labels left of a pod name are ignored', qname: `_http._tcp.1-2-3-4.default.pod.${Z}`, qtype: RRType.A, rcode: 0, answer: [`_http._tcp.1-2-3-4.default.pod.${Z} 30 A 1.2.3.4`] },
  { name: 'a label left of a pod name that is no IP is NXDOMAIN', qname: `x.foo.default.pod.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'three labels left of a pod name is NXDOMAIN', qname: `a.b.c.1-2-3-4.default.pod.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'pod in a missing namespace is NXDOMAIN', qname: `1-2-3-4.nons.pod.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true },
  { name: 'pod namespace is NODATA', qname: `default.pod.${Z}`, qtype: RRType.A, rcode: 0, answer: [], soa: true },
  { name: 'pods disabled: NXDOMAIN', qname: `1-2-3-4.default.pod.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true, cfg: { podMode: 'disabled' } },
  { name: 'pods disabled: namespace NXDOMAIN', qname: `default.pod.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true, cfg: { podMode: 'disabled' } },
  { name: 'pods verified: known pod', qname: `10-244-0-7.default.pod.${Z}`, qtype: RRType.A, rcode: 0, answer: [`10-244-0-7.default.pod.${Z} 30 A 10.244.0.7`], cfg: { podMode: 'verified' } },
  { name: 'pods verified: unknown IP', qname: `1-2-3-4.default.pod.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true, cfg: { podMode: 'verified' } },
  { name: 'pods verified: a label left of a known pod is ignored', qname: `x.10-244-0-7.default.pod.${Z}`, qtype: RRType.A, rcode: 0, answer: [`x.10-244-0-7.default.pod.${Z} 30 A 10.244.0.7`], cfg: { podMode: 'verified' } },
  { name: 'pods verified: a label left of an unknown IP is NXDOMAIN', qname: `x.1-2-3-4.default.pod.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true, cfg: { podMode: 'verified' } },
  { name: 'pods verified: pod in another namespace', qname: `10-244-0-7.testns.pod.${Z}`, qtype: RRType.A, rcode: Rcode.NXDOMAIN, soa: true, cfg: { podMode: 'verified' } },

  // Reverse
  { name: 'PTR for a ClusterIP', qname: '1.0.0.10.in-addr.arpa', qtype: RRType.PTR, rcode: 0, answer: [`1.0.0.10.in-addr.arpa 30 PTR svc1.testns.svc.${Z}`] },
  { name: 'PTR for a headless endpoint with hostname', qname: '2.0.0.172.in-addr.arpa', qtype: RRType.PTR, rcode: 0, answer: [`2.0.0.172.in-addr.arpa 30 PTR pod-0.hdls1.testns.svc.${Z}`] },
  { name: 'PTR for an endpoint without hostname', qname: '3.0.0.172.in-addr.arpa', qtype: RRType.PTR, rcode: 0, answer: [`3.0.0.172.in-addr.arpa 30 PTR 172-0-0-3.hdls1.testns.svc.${Z}`] },
  {
    name: 'PTR for an IPv6 ClusterIP',
    qname: '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa',
    qtype: RRType.PTR,
    rcode: 0,
    answer: [`1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.b.a.4.3.2.1.ip6.arpa 30 PTR svc6.testns.svc.${Z}`],
  },

  // Config
  { name: 'TTL is configurable', qname: `svc1.testns.svc.${Z}`, qtype: RRType.A, rcode: 0, answer: [`svc1.testns.svc.${Z} 5 A 10.0.0.1`], cfg: { ttl: 5 } },
  { name: 'another cluster domain', qname: 'svc1.testns.svc.example.org', qtype: RRType.A, rcode: 0, answer: ['svc1.testns.svc.example.org 30 A 10.0.0.1'], cfg: { zone: 'example.org' } },
];

function run(c: Case, zone = testZone()): Answer {
  const cfg: DnsConfig = { ...defaultDnsConfig, ...c.cfg };
  const r = answer({ name: c.qname, type: c.qtype, class: 1 }, zone, cfg, 0);
  if ('next' in r) throw new Error(`${c.qname} was passed on to the forwarder`);
  return r;
}

describe('answer', () => {
  it.each(cases)('$name', (c) => {
    const r = run(c);
    expect(r.rcode).toBe(c.rcode);
    expect(r.authoritative).toBe(true);
    if (c.answer) expect(r.answer.map(show)).toEqual(c.answer);
    if (c.additional) expect(r.additional.map(show)).toEqual(c.additional);
    if (c.soa) {
      expect(r.answer).toEqual([]);
      expect(r.authority.map(show)).toEqual([`${c.cfg?.zone ?? Z} ${c.cfg?.ttl ?? 30} SOA ns.dns.${c.cfg?.zone ?? Z} hostmaster.${c.cfg?.zone ?? Z} ${c.cfg?.ttl ?? 30}`]);
    } else {
      expect(r.authority).toEqual([]);
    }
  });

  it('keeps the question case in owner names and matches case-insensitively', () => {
    const r = run({ name: '', qname: `SVC1.TestNS.svc.Cluster.LOCAL`, qtype: RRType.A, rcode: 0 });
    expect(r.answer.map(show)).toEqual(['SVC1.TestNS.svc.Cluster.LOCAL 30 A 10.0.0.1']);
    const neg = run({ name: '', qname: `NOPE.testns.svc.Cluster.LOCAL`, qtype: RRType.A, rcode: 3 });
    expect(neg.authority[0]!.name).toBe('Cluster.LOCAL');
  });

  it('accepts a trailing dot', () => {
    expect(run({ name: '', qname: `svc1.testns.svc.${Z}.`, qtype: RRType.A, rcode: 0 }).answer.map(show)).toEqual([`svc1.testns.svc.${Z} 30 A 10.0.0.1`]);
  });

  it('hands names outside the zone, and unknown reverse addresses, to the next handler', () => {
    const z = testZone();
    expect(answer({ name: 'example.com', type: 1, class: 1 }, z, defaultDnsConfig)).toEqual({ next: true });
    expect(answer({ name: '9.9.9.9.in-addr.arpa', type: RRType.PTR, class: 1 }, z, defaultDnsConfig)).toEqual({ next: true });
    expect(answer({ name: '10.in-addr.arpa', type: RRType.PTR, class: 1 }, z, defaultDnsConfig)).toEqual({ next: true });
    expect(answer({ name: '1.0.0.10.in-addr.arpa', type: RRType.A, class: 1 }, z, defaultDnsConfig)).toEqual({ next: true });
  });

  it('says where to chase an ExternalName target outside the zone', () => {
    const r = run({ name: '', qname: `ext.testns.svc.${Z}`, qtype: RRType.AAAA, rcode: 0 });
    expect(r.chase).toEqual({ name: 'example.net', type: RRType.AAAA });
  });

  it('is SERVFAIL until the first sync, without AA', () => {
    const z = new ZoneView();
    const r = answer({ name: `svc1.testns.svc.${Z}`, type: 1, class: 1 }, z, defaultDnsConfig);
    expect(r).toMatchObject({ rcode: Rcode.SERVFAIL, authoritative: false, answer: [] });
    z.markSynced();
    expect(answer({ name: `svc1.testns.svc.${Z}`, type: 1, class: 1 }, z, defaultDnsConfig)).toMatchObject({ rcode: Rcode.NXDOMAIN });
  });

  it.each([RRType.AXFR, RRType.IXFR])('refuses zone transfers (type %i)', (type) => {
    expect(answer({ name: Z, type, class: 1 }, testZone(), defaultDnsConfig)).toMatchObject({ rcode: Rcode.REFUSED, answer: [] });
  });

  it('rotates multiple A records by the rotation input and keeps CNAMEs first', () => {
    const z = testZone();
    const q = { name: `hdls1.testns.svc.${Z}`, type: 1, class: 1 };
    const order = (rot: number) => {
      const r = answer(q, z, defaultDnsConfig, rot) as Answer;
      return r.answer.map((a) => (a.type === 1 ? a.address : ''));
    };
    expect(order(0)).toEqual(['172.0.0.2', '172.0.0.3']);
    expect(order(1)).toEqual(['172.0.0.3', '172.0.0.2']);
    expect(order(2)).toEqual(order(0));
  });

  it('follows Service changes as soon as the zone sees them', () => {
    const z = testZone();
    const q = { name: `svc1.testns.svc.${Z}`, type: 1, class: 1 };
    z.upsertService(svc('testns', 'svc1', { clusterIP: '10.0.0.99', ports: [{ name: 'http', port: 80 }] }));
    expect((answer(q, z, defaultDnsConfig) as Answer).answer.map(show)).toEqual([`svc1.testns.svc.${Z} 30 A 10.0.0.99`]);
    z.deleteService(svc('testns', 'svc1', {}));
    expect(answer(q, z, defaultDnsConfig)).toMatchObject({ rcode: Rcode.NXDOMAIN });
  });

  it('splits SRV weight evenly', () => {
    const z = testZone();
    z.upsertEndpointSlice(
      slice('testns', 'hdlsempty', 'e', {
        endpoints: [1, 2, 3, 4, 5, 6, 7].map((i) => ({ addresses: [`172.9.0.${i}`] })),
        ports: [{ name: 'http', protocol: 'TCP', port: 80 }],
      }),
    );
    const r = answer({ name: `_http._tcp.hdlsempty.testns.svc.${Z}`, type: RRType.SRV, class: 1 }, z, defaultDnsConfig) as Answer;
    expect(r.answer.map((a) => (a.type === 33 ? a.weight : -1))).toEqual([14, 14, 14, 14, 14, 14, 14]);
  });
});
