// The cluster DNS resolver as a pure function: (question, zone, config,
// rotation) → the records of the reply, or `next` for names that belong to the
// forwarder. It follows CoreDNS's kubernetes plugin: a name is first resolved
// to a list of entries (an address or alias, a port, a target name) or to
// "no such name" (findServices/findPods in kubernetes.go), and the query type
// then picks what to show from those entries (A, AAAA, SRV, CNAME …). For most
// types a name exists exactly when that entry lookup does not fail, so an
// existing name asked for a type it lacks is NODATA and everything else is
// NXDOMAIN. CoreDNS decides three cases differently, and so do we (see
// `lookupFor` and `resolveInZone`): TXT, SOA and `dns-version.<zone>`.
import type { DnsService } from './dns-service.js';
import { dashedIp, parseQName, splitName, type RecordRequest } from './parse-qname.js';
import type { ZoneView } from './zone.js';

export const RRType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const RRClass = { IN: 1, ANY: 255 } as const;

export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** Reported to kube-dns clients as the schema version (Kubernetes DNS specification). */
export const DNS_SCHEMA_VERSION = '1.1.0';
const DNS_VERSION_TTL = 28800;

export type RData =
  | { type: 1; address: string }
  | { type: 28; address: string }
  | { type: 2 | 5 | 12; target: string }
  | { type: 33; priority: number; weight: number; port: number; target: string }
  | { type: 16; text: string[] }
  | { type: 6; mname: string; rname: string; serial: number; refresh: number; retry: number; expire: number; minimum: number };

/** A record of class IN. Names are presentation format without the trailing dot. */
export type ResourceRecord = { name: string; ttl: number } & RData;

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface Answer {
  rcode: number;
  authoritative: boolean;
  answer: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
  /** The run of A/AAAA records in `answer` whose order rotates between replies (CNAMEs stay before it). */
  rotatable?: { start: number; count: number };
  /** An ExternalName alias outside the zone: the server should append what upstream says about it. */
  chase?: { name: string; type: number };
}

export type Resolution = Answer | { next: true };

export type PodMode = 'disabled' | 'insecure' | 'verified';

export interface DnsConfig {
  /** The cluster domain, e.g. `cluster.local` (lowercase, no trailing dot). */
  zone: string;
  /** TTL of every record, and the SOA minimum (negative-answer TTL). kube-dns used 30. */
  ttl: number;
  podMode: PodMode;
  /** Addresses of `ns.dns.<zone>`; when absent, the ClusterIPs of `dnsService`. */
  nameserverAddresses?: readonly string[];
  /** The Service this server runs behind (default kube-system/kube-dns). */
  dnsService?: { namespace: string; name: string };
}

export const defaultDnsConfig: DnsConfig = { zone: 'cluster.local', ttl: 30, podMode: 'insecure' };

// ---- entries: what a name resolves to before the query type is looked at ----

interface Entry {
  /** An IP address, or the alias of an ExternalName Service. */
  host: string;
  alias: boolean;
  /** -1 when the Service/slice declares no ports (no SRV record then, as in CoreDNS). */
  port: number;
  /** The name SRV records point at for this entry. */
  target: string;
}

type Lookup = Entry[] | 'nxdomain';

const isV6 = (ip: string) => ip.includes(':');
const isIpLiteral = (s: string) => /^[0-9.]+$/.test(s) || s.includes(':');
const matchLabel = (want: string, have: string) => want === '' || want === have;

function usable(svc: DnsService, ready: boolean): boolean {
  return ready || svc.publishNotReadyAddresses;
}

function lookupService(
  r: Extract<RecordRequest, { kind: 'service' }>,
  zone: ZoneView,
  qzone: string,
): Lookup {
  if (!zone.hasNamespace(r.namespace)) return 'nxdomain';
  const svc = zone.service(r.namespace, r.service);
  if (!svc) return 'nxdomain';
  const svcName = `${svc.name}.${svc.namespace}.svc.${qzone}`;

  if (svc.kind === 'ExternalName') {
    if (r.endpoint !== '' || svc.externalName === '' || isIpLiteral(svc.externalName)) return 'nxdomain';
    return [{ host: svc.externalName, alias: true, port: -1, target: svcName }];
  }

  if (svc.kind === 'Headless' || r.endpoint !== '') {
    const out: Entry[] = [];
    for (const slice of zone.endpointsOf(svc.namespace, svc.name)) {
      const ports = slice.ports.length ? slice.ports : [{ name: '', protocol: '', port: -1 }];
      for (const ep of slice.endpoints) {
        if (!usable(svc, ep.ready)) continue;
        for (const ip of ep.addresses) {
          const host = ep.hostname || dashedIp(ip);
          if (r.endpoint !== '' && r.endpoint !== host) continue;
          for (const p of ports) {
            if (!matchLabel(r.port, p.name) || !matchLabel(r.protocol, p.protocol)) continue;
            out.push({ host: ip, alias: false, port: p.port, target: `${host}.${svcName}` });
          }
        }
      }
    }
    return out.length ? out : 'nxdomain';
  }

  // A ClusterIP Service without ports cannot pass API validation; still answer its A record.
  const ports = svc.ports.length ? svc.ports : [{ name: '', protocol: '', port: -1 }];
  const out: Entry[] = [];
  let matched = false;
  for (const p of ports) {
    if (!matchLabel(r.port, p.name) || !matchLabel(r.protocol, p.protocol)) continue;
    matched = true;
    for (const ip of svc.clusterIPs) out.push({ host: ip, alias: false, port: p.port, target: svcName });
  }
  return matched ? out : 'nxdomain';
}

function lookupPod(r: Extract<RecordRequest, { kind: 'pod' }>, zone: ZoneView, cfg: DnsConfig): Lookup {
  if (cfg.podMode === 'disabled' || !zone.hasNamespace(r.namespace) || r.ip === undefined) return 'nxdomain';
  if (cfg.podMode === 'verified' && !zone.hasPodWithIP(r.namespace, r.ip)) return 'nxdomain';
  return [{ host: r.ip, alias: false, port: -1, target: '' }];
}

function nameserverAddresses(zone: ZoneView, cfg: DnsConfig): readonly string[] {
  if (cfg.nameserverAddresses) return cfg.nameserverAddresses;
  const ref = cfg.dnsService ?? { namespace: 'kube-system', name: 'kube-dns' };
  return zone.service(ref.namespace, ref.name)?.clusterIPs ?? [];
}

function lookup(r: RecordRequest, zone: ZoneView, cfg: DnsConfig, qzone: string): Lookup {
  switch (r.kind) {
    case 'apex':
    case 'category':
      return [];
    case 'dns-version':
      // Its TXT record is built from the query type, not from an entry; see lookupFor.
      return [];
    case 'nameserver':
      return nameserverAddresses(zone, cfg).map((ip) => ({ host: ip, alias: false, port: -1, target: '' }));
    case 'namespace':
      if (r.podOrSvc === 'pod' && cfg.podMode === 'disabled') return 'nxdomain';
      return zone.hasNamespace(r.namespace) ? [] : 'nxdomain';
    case 'service':
      return lookupService(r, zone, qzone);
    case 'pod':
      return lookupPod(r, zone, cfg);
    case 'reverse':
      return [];
  }
}

/**
 * What `lookup` finds, narrowed for the query types whose existence rule in
 * CoreDNS is not the generic one (kubernetes.go `Services`):
 * - `dns-version.<zone>` has only its TXT record; any other type goes through
 *   parse.go, where `dns-version` is neither svc nor pod, so it is NXDOMAIN.
 * - TXT other than dns-version is NODATA only for a name with records of
 *   another type (a Service, endpoint or pod); names that exist without records
 *   (the apex, `svc`/`pod.<zone>`, a namespace, `ns.dns.<zone>`) are NXDOMAIN.
 */
function lookupFor(qtype: number, r: RecordRequest, zone: ZoneView, cfg: DnsConfig, qzone: string): Lookup {
  if (r.kind === 'dns-version') return qtype === RRType.TXT ? [] : 'nxdomain';
  const found = lookup(r, zone, cfg, qzone);
  if (qtype !== RRType.TXT || found === 'nxdomain') return found;
  return (r.kind === 'service' || r.kind === 'pod') && found.length > 0 ? found : 'nxdomain';
}

// ---- building the reply ----

function stripDot(name: string): string {
  return name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
}

/** The zone as spelled in the question, so the SOA and SRV targets keep the asker's case. */
function zoneInQuestionCase(qname: string, zone: string): string {
  const lower = qname.toLowerCase();
  if (lower === zone) return qname;
  return lower.endsWith(`.${zone}`) ? qname.slice(qname.length - zone.length) : zone;
}

function soa(qzone: string, zone: ZoneView, cfg: DnsConfig): ResourceRecord {
  return {
    name: qzone,
    ttl: cfg.ttl,
    type: 6,
    mname: `ns.dns.${qzone}`,
    rname: `hostmaster.${qzone}`,
    serial: zone.serial >>> 0,
    refresh: 7200,
    retry: 1800,
    expire: 86400,
    minimum: cfg.ttl,
  };
}

function reply(rcode: number, answer: ResourceRecord[] = [], extra: Partial<Answer> = {}): Answer {
  return { rcode, authoritative: true, answer, authority: [], additional: [], ...extra };
}

function negative(rcode: number, qzone: string, zone: ZoneView, cfg: DnsConfig): Answer {
  return reply(rcode, [], { authority: [soa(qzone, zone, cfg)] });
}

function addressRecord(name: string, ip: string, ttl: number): ResourceRecord {
  return isV6(ip) ? { name, ttl, type: 28, address: ip } : { name, ttl, type: 1, address: ip };
}

function rotate<T>(xs: T[], start: number, count: number, by: number): void {
  if (count < 2) return;
  const k = ((by % count) + count) % count;
  if (k === 0) return;
  const win = xs.slice(start, start + count);
  for (let i = 0; i < count; i++) xs[start + i] = win[(i + k) % count]!;
}

const MAX_ALIAS_DEPTH = 8;

function answerAddresses(
  qname: string,
  qtype: 1 | 28,
  entries: Entry[],
  zone: ZoneView,
  cfg: DnsConfig,
  depth: number,
): Pick<Answer, 'answer' | 'rotatable' | 'chase'> {
  const aliases: ResourceRecord[] = [];
  const addrs: ResourceRecord[] = [];
  const seen = new Set<string>();
  let chase: Answer['chase'];
  for (const e of entries) {
    if (e.alias) {
      if (e.host === qname.toLowerCase()) continue; // x CNAME x would loop
      aliases.push({ name: qname, ttl: cfg.ttl, type: 5, target: e.host });
      const inner = splitName(e.host);
      const zl = splitName(cfg.zone);
      const inZone = inner.length >= zl.length && inner.slice(inner.length - zl.length).join('.') === cfg.zone;
      if (inZone && depth < MAX_ALIAS_DEPTH) {
        const r = resolveInZone({ name: e.host, type: qtype, class: 1 }, zone, cfg, depth + 1);
        if (r.rcode === Rcode.NOERROR) aliases.push(...r.answer);
      } else if (!inZone) {
        chase = { name: e.host, type: qtype };
      }
      continue;
    }
    if (isV6(e.host) !== (qtype === 28) || seen.has(e.host)) continue;
    seen.add(e.host);
    addrs.push(addressRecord(qname, e.host, cfg.ttl));
  }
  const out: Pick<Answer, 'answer' | 'rotatable' | 'chase'> = { answer: [...aliases, ...addrs] };
  if (addrs.length > 1) out.rotatable = { start: aliases.length, count: addrs.length };
  if (chase) out.chase = chase;
  return out;
}

function answerSrv(qname: string, entries: Entry[], cfg: DnsConfig): Pick<Answer, 'answer' | 'additional'> {
  const withPort = entries.filter((e) => !e.alias && e.port >= 0);
  // Weight split evenly within priority 0, as CoreDNS computes it (100 / n, at least 1).
  const weight = Math.max(1, Math.floor(100 / Math.max(1, withPort.length)));
  const answer: ResourceRecord[] = [];
  const additional: ResourceRecord[] = [];
  const seenSrv = new Set<string>();
  const seenExtra = new Set<string>();
  for (const e of withPort) {
    const k = `${e.target}|${e.port}`;
    if (!seenSrv.has(k)) {
      seenSrv.add(k);
      answer.push({ name: qname, ttl: cfg.ttl, type: 33, priority: 0, weight, port: e.port, target: e.target });
    }
    const x = `${e.target}|${e.host}`;
    if (!seenExtra.has(x)) {
      seenExtra.add(x);
      additional.push(addressRecord(e.target, e.host, cfg.ttl));
    }
  }
  return { answer, additional };
}

function answerReverse(ip: string, zone: ZoneView, cfg: DnsConfig, qname: string): Resolution {
  const targets: string[] = [];
  for (const svc of zone.servicesWithClusterIP(ip)) targets.push(`${svc.name}.${svc.namespace}.svc.${cfg.zone}`);
  if (targets.length === 0) {
    for (const slice of zone.endpointSlicesWithAddress(ip)) {
      const svc = zone.service(slice.namespace, slice.serviceName);
      if (!svc) continue;
      for (const ep of slice.endpoints) {
        if (!ep.addresses.includes(ip) || !usable(svc, ep.ready)) continue;
        const t = `${ep.hostname || dashedIp(ip)}.${svc.name}.${svc.namespace}.svc.${cfg.zone}`;
        if (!targets.includes(t)) targets.push(t);
      }
    }
  }
  // Unknown addresses fall through to the forwarder (the stock Corefile's `fallthrough in-addr.arpa ip6.arpa`).
  if (targets.length === 0) return { next: true };
  return reply(
    Rcode.NOERROR,
    targets.map((target) => ({ name: qname, ttl: cfg.ttl, type: 12 as const, target })),
  );
}

function resolveInZone(q: Question, zone: ZoneView, cfg: DnsConfig, depth: number): Answer {
  const parsed = parseQName(q.name, cfg.zone);
  const qname = stripDot(q.name);
  const qzone = zoneInQuestionCase(qname, cfg.zone);
  if (parsed === 'not-ours' || parsed.kind === 'reverse') return reply(Rcode.NXDOMAIN);
  // CoreDNS answers SOA without looking the name up (handler.go, `case dns.TypeSOA`):
  // the apex has it, and every other name in the zone, even one that does not exist, is NODATA.
  if (q.type === RRType.SOA) {
    if (parsed.kind === 'apex') return reply(Rcode.NOERROR, [soa(qzone, zone, cfg)]);
    return negative(Rcode.NOERROR, qzone, zone, cfg);
  }
  if (parsed.kind === 'name-error') return negative(Rcode.NXDOMAIN, qzone, zone, cfg);

  const found = lookupFor(q.type, parsed, zone, cfg, qzone);
  if (found === 'nxdomain') return negative(Rcode.NXDOMAIN, qzone, zone, cfg);

  const alias = found.find((e) => e.alias);
  let built: Partial<Answer> = { answer: [] };
  switch (q.type) {
    case RRType.A:
    case RRType.AAAA:
      built = answerAddresses(qname, q.type, found, zone, cfg, depth);
      break;
    case RRType.SRV:
      built = answerSrv(qname, found, cfg);
      break;
    case RRType.TXT:
      if (parsed.kind === 'dns-version') {
        built = { answer: [{ name: qname, ttl: DNS_VERSION_TTL, type: 16, text: [DNS_SCHEMA_VERSION] }] };
      }
      break;
    case RRType.NS:
      if (parsed.kind === 'apex') {
        const ns = `ns.dns.${qzone}`;
        built = {
          answer: [{ name: qname, ttl: cfg.ttl, type: 2, target: ns }],
          additional: nameserverAddresses(zone, cfg).map((ip) => addressRecord(ns, ip, cfg.ttl)),
        };
      }
      break;
    default:
      break;
  }
  // An alias answers every type but SRV (CoreDNS drops ExternalName from SRV answers).
  if (alias && q.type !== RRType.SRV && q.type !== RRType.A && q.type !== RRType.AAAA) {
    built = { answer: [{ name: qname, ttl: cfg.ttl, type: 5, target: alias.host }] };
    if (q.type !== RRType.CNAME && q.type !== RRType.ANY) built.chase = { name: alias.host, type: q.type };
  }
  if (!built.answer || built.answer.length === 0) return negative(Rcode.NOERROR, qzone, zone, cfg);
  return reply(Rcode.NOERROR, built.answer, built);
}

/**
 * Answers one question about the cluster. `rotation` picks the order of
 * multiple A/AAAA records (the server passes a counter), which keeps this
 * function pure.
 */
export function answer(q: Question, zone: ZoneView, cfg: DnsConfig, rotation = 0): Resolution {
  const parsed = parseQName(q.name, cfg.zone);
  if (parsed === 'not-ours') return { next: true };
  if (parsed.kind === 'reverse') {
    if (q.type !== RRType.PTR) return { next: true };
    return answerReverse(parsed.ip, zone, cfg, stripDot(q.name));
  }
  if (!zone.synced) return { ...reply(Rcode.SERVFAIL), authoritative: false };
  if (q.type === RRType.AXFR || q.type === RRType.IXFR) return { ...reply(Rcode.REFUSED), authoritative: false };
  if (q.class !== RRClass.IN && q.class !== RRClass.ANY) return { ...reply(Rcode.REFUSED), authoritative: false };

  const a = resolveInZone(q, zone, cfg, 0);
  if (a.rotatable) rotate(a.answer, a.rotatable.start, a.rotatable.count, rotation);
  return a;
}

/** Shared with the wire cache, which rotates prebuilt record bytes the same way. */
export function rotationIndex(rotation: number, count: number): number {
  return count < 2 ? 0 : ((rotation % count) + count) % count;
}
