// Turns a question name into what the cluster zone is being asked for, the
// way CoreDNS's kubernetes plugin reads names (parse.go): counting labels from
// the zone leftwards, `svc`/`pod`, then namespace, then service (or dashed pod
// IP), then one endpoint label or two `_port._proto` labels. Pure: no zone data.

/** What a name inside the cluster zone (or a reverse zone) asks for. */
export type RecordRequest =
  | { kind: 'apex' }
  /** `svc.<zone>` or `pod.<zone>` on their own: they exist, with no records. */
  | { kind: 'category'; podOrSvc: 'svc' | 'pod' }
  /** `dns-version.<zone>`: only its TXT record exists (other types are NXDOMAIN, as in CoreDNS). */
  | { kind: 'dns-version' }
  /** `ns.dns.<zone>`, the name the apex NS record points at. */
  | { kind: 'nameserver' }
  | { kind: 'namespace'; podOrSvc: 'svc' | 'pod'; namespace: string }
  | {
      kind: 'service';
      namespace: string;
      service: string;
      /** `<hostname|dashed-ip>.<svc>…`; '' when absent. */
      endpoint: string;
      /** Port name from `_<port>._<proto>.<svc>…` without underscore; '' = any. */
      port: string;
      protocol: string;
    }
  | { kind: 'pod'; namespace: string; pod: string; ip: string | undefined }
  /** A full reverse name (`d.c.b.a.in-addr.arpa`, 32 nibbles of `ip6.arpa`). */
  | { kind: 'reverse'; ip: string };

export interface NameError {
  kind: 'name-error';
  reason: string;
}

export type ParsedQName = RecordRequest | 'not-ours' | NameError;

/**
 * Labels of a presentation-format name, lowercased, without the root. Dots
 * escaped with a backslash stay inside their label, so `a\.b` is one label.
 */
export function splitName(name: string): string[] {
  const lower = name.toLowerCase();
  if (!lower.includes('\\')) {
    const labels = lower.split('.');
    if (labels[labels.length - 1] === '') labels.pop();
    return labels.length === 1 && labels[0] === '' ? [] : labels;
  }
  const labels: string[] = [];
  let cur = '';
  for (let i = 0; i < lower.length; i++) {
    const c = lower[i]!;
    if (c === '\\' && i + 1 < lower.length) {
      cur += c + lower[i + 1];
      i++;
    } else if (c === '.') {
      labels.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur !== '') labels.push(cur);
  return labels;
}

function endsWithLabels(labels: readonly string[], suffix: readonly string[]): boolean {
  if (suffix.length > labels.length) return false;
  const off = labels.length - suffix.length;
  for (let i = 0; i < suffix.length; i++) if (labels[off + i] !== suffix[i]) return false;
  return true;
}

function stripUnderscore(s: string): string {
  return s.startsWith('_') ? s.slice(1) : s;
}

/**
 * Parses `qname` against the cluster `zone` (e.g. `cluster.local`). Reverse
 * names that spell a whole address are ours (PTR for ClusterIPs and
 * endpoints); partial reverse names and everything outside the zone are not.
 */
export function parseQName(qname: string, zone: string): ParsedQName {
  const labels = splitName(qname);
  const zoneLabels = splitName(zone);

  if (endsWithLabels(labels, ['in-addr', 'arpa']) || endsWithLabels(labels, ['ip6', 'arpa'])) {
    const ip = addressFromReverse(labels);
    // A cluster zone could itself sit under arpa; only full addresses are reverse lookups.
    if (ip !== undefined) return { kind: 'reverse', ip };
    if (!endsWithLabels(labels, zoneLabels)) return 'not-ours';
  }
  if (!endsWithLabels(labels, zoneLabels)) return 'not-ours';

  const segs = labels.slice(0, labels.length - zoneLabels.length);
  if (segs.length === 0) return { kind: 'apex' };
  let last = segs.length - 1;
  const podOrSvc = segs[last]!;
  if (segs.length === 1 && podOrSvc === 'dns-version') return { kind: 'dns-version' };
  if (segs.length === 2 && podOrSvc === 'dns' && segs[0] === 'ns') return { kind: 'nameserver' };
  if (podOrSvc !== 'svc' && podOrSvc !== 'pod') {
    return { kind: 'name-error', reason: `"${podOrSvc}" is neither svc nor pod` };
  }
  if (last === 0) return { kind: 'category', podOrSvc };
  const namespace = segs[--last]!;
  if (last === 0) return { kind: 'namespace', podOrSvc, namespace };
  const service = segs[--last]!;

  if (podOrSvc === 'pod') {
    // The one or two labels a Service name may carry (endpoint, `_port._proto`)
    // are read for pods too and then ignored, so `x.1-2-3-4.ns.pod` is the pod
    // 1.2.3.4 (CoreDNS parse.go reads them, findPods never looks at them).
    if (last > 2) return { kind: 'name-error', reason: 'too many labels for a pod name' };
    return { kind: 'pod', namespace, pod: service, ip: ipFromDashed(service) };
  }
  if (last === 0) return { kind: 'service', namespace, service, endpoint: '', port: '', protocol: '' };
  if (last === 1) return { kind: 'service', namespace, service, endpoint: segs[0]!, port: '', protocol: '' };
  if (last === 2) {
    return {
      kind: 'service',
      namespace,
      service,
      endpoint: '',
      port: stripUnderscore(segs[0]!),
      protocol: stripUnderscore(segs[1]!),
    };
  }
  return { kind: 'name-error', reason: 'too many labels for a service name' };
}

/** `10-244-1-5` → `10.244.1.5`, `fd00--1` → `fd00::1` (canonical); undefined if not an address. */
export function ipFromDashed(label: string): string | undefined {
  const dashes = label.split('-').length - 1;
  const text = dashes === 3 && !label.includes('--') ? label.replaceAll('-', '.') : label.replaceAll('-', ':');
  return canonicalIp(text);
}

/** The dashed form CoreDNS uses as an endpoint's name when it has no hostname. */
export function dashedIp(ip: string): string {
  return ip.includes('.') ? ip.replaceAll('.', '-') : ip.replaceAll(':', '-');
}

function addressFromReverse(labels: readonly string[]): string | undefined {
  if (labels.length === 6 && labels[4] === 'in-addr') {
    const octets = labels.slice(0, 4).reverse();
    return canonicalIp(octets.join('.'));
  }
  if (labels.length === 34 && labels[32] === 'ip6') {
    const nibbles = labels.slice(0, 32).reverse();
    if (!nibbles.every((n) => /^[0-9a-f]$/.test(n))) return undefined;
    const groups: string[] = [];
    for (let i = 0; i < 32; i += 4) groups.push(nibbles.slice(i, i + 4).join(''));
    return canonicalIp(groups.join(':'));
  }
  return undefined;
}

// ---- IP text ↔ bytes (kept here: reading addresses out of names is this module's job) ----

/** Four bytes of a dotted-quad IPv4 address, or undefined. Leading zeros are refused. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

/** Sixteen bytes of an IPv6 address (with `::` and an optional trailing IPv4), or undefined. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (s: string): number[] | undefined => {
    if (s === '') return [];
    const parts = s.split(':');
    const words: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (!v4) return undefined;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
        words.push(parseInt(p, 16));
      }
    }
    return words;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** RFC 5952 text of sixteen bytes. */
export function formatIPv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** One spelling per address, so IPs from objects and from names compare as strings. */
export function canonicalIp(text: string): string | undefined {
  if (text.includes(':')) {
    const b = parseIPv6(text);
    return b ? formatIPv6(b) : undefined;
  }
  return parseIPv4(text) ? text : undefined;
}
