// The string formats the Kubernetes API validates — DNS names, label keys and
// values, port names and numbers, IP and CIDR text — each returning the list
// of problems in Kubernetes' own words (an empty list means valid). The
// wording follows k8s.io/apimachinery/pkg/util/validation because users and
// tools match on it; the code is netkube's own.

export const dns1123LabelMaxLength = 63;
export const dns1123SubdomainMaxLength = 253;
export const dns1035LabelMaxLength = 63;
export const labelValueMaxLength = 63;
export const qualifiedNameMaxLength = 63;
export const totalAnnotationSizeLimitBytes = 256 * 1024;

export function maxLenError(length: number): string {
  return `must be no more than ${length} characters`;
}

export function emptyError(): string {
  return 'must be non-empty';
}

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

/** "<msg> (e.g. 'a' or 'b', regex used for validation is '<fmt>')" */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const dns1123LabelFmt = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelRe = new RegExp(`^${dns1123LabelFmt}$`);
const dns1123LabelErrMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";

const dns1123SubdomainFmt = `${dns1123LabelFmt}(\\.${dns1123LabelFmt})*`;
const dns1123SubdomainRe = new RegExp(`^${dns1123SubdomainFmt}$`);
const dns1123SubdomainErrMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

const dns1035LabelFmt = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035LabelRe = new RegExp(`^${dns1035LabelFmt}$`);
const dns1035LabelErrMsg =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

// Go's len() counts bytes; the limits are byte limits.
const encoder = new TextEncoder();
export function byteLength(s: string): number {
  return encoder.encode(s).length;
}

export function isDNS1123Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > dns1123LabelMaxLength) errs.push(maxLenError(dns1123LabelMaxLength));
  if (!dns1123LabelRe.test(value)) {
    // A valid subdomain that is not a label can only be failing on its dots.
    if (dns1123SubdomainRe.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(dns1123LabelErrMsg, dns1123LabelFmt, 'my-name', '123-abc'));
  }
  return errs;
}

export function isDNS1123Subdomain(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > dns1123SubdomainMaxLength) errs.push(maxLenError(dns1123SubdomainMaxLength));
  if (!dns1123SubdomainRe.test(value)) errs.push(regexError(dns1123SubdomainErrMsg, dns1123SubdomainFmt, 'example.com'));
  return errs;
}

export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > dns1035LabelMaxLength) errs.push(maxLenError(dns1035LabelMaxLength));
  if (!dns1035LabelRe.test(value)) errs.push(regexError(dns1035LabelErrMsg, dns1035LabelFmt, 'my-name', 'abc-123'));
  return errs;
}

/** A domain name with at least two labels and an optional trailing dot (EndpointSlice FQDN addresses). */
export function isFullyQualifiedDomainName(value: string): { value: string; errs: string[] } {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  const sub = isDNS1123Subdomain(name);
  if (sub.length > 0) return { value: name, errs: [sub.join(',')] };
  const labels = name.split('.');
  if (labels.length < 2) return { value: name, errs: ['should be a domain with at least two segments separated by dots'] };
  for (const l of labels) {
    const le = isDNS1123Label(l);
    if (le.length > 0) return { value: l, errs: [le.join(',')] };
  }
  return { value: name, errs: [] };
}

const qualifiedNameCharFmt = '[A-Za-z0-9]';
const qualifiedNameExtCharFmt = '[-A-Za-z0-9_.]';
const qualifiedNameFmt = `(${qualifiedNameCharFmt}${qualifiedNameExtCharFmt}*)?${qualifiedNameCharFmt}`;
const qualifiedNameRe = new RegExp(`^${qualifiedNameFmt}$`);
const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/** Label keys, annotation keys, finalizers: an optional DNS subdomain prefix and '/', then a name. */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0] ?? '';
  } else if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    name = parts[1] ?? '';
    if (prefix.length === 0) errs.push(`prefix part ${emptyError()}`);
    else for (const msg of isDNS1123Subdomain(prefix)) errs.push(`prefix part ${msg}`);
  } else {
    return [
      `a qualified name ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}` +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push(`name part ${emptyError()}`);
  else if (byteLength(name) > qualifiedNameMaxLength) errs.push(`name part ${maxLenError(qualifiedNameMaxLength)}`);
  if (!qualifiedNameRe.test(name)) {
    errs.push(`name part ${regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueRe = new RegExp(`^${labelValueFmt}$`);
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

export function isLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > labelValueMaxLength) errs.push(maxLenError(labelValueMaxLength));
  if (!labelValueRe.test(value)) errs.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  return errs;
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

export function isInRange(value: number, lo: number, hi: number): string[] {
  return value >= lo && value <= hi ? [] : [inclusiveRangeError(lo, hi)];
}

/**
 * An IANA service name (RFC 6335) as Kubernetes restricts it for named ports:
 * at most 15 characters of [-a-z0-9], at least one letter, no "--", no
 * leading or trailing '-'.
 */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (byteLength(port) > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

const configMapKeyFmt = '[-._a-zA-Z0-9]+';
const configMapKeyRe = new RegExp(`^${configMapKeyFmt}$`);

export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > dns1123SubdomainMaxLength) errs.push(maxLenError(dns1123SubdomainMaxLength));
  if (!configMapKeyRe.test(value)) {
    errs.push(
      regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", configMapKeyFmt, 'key.name', 'KEY_NAME', 'key-name'),
    );
  }
  if (value === '.') errs.push("must not be '.'");
  else if (value === '..') errs.push("must not be '..'");
  else if (value.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

// ---- object name rules (Kubernetes' ValidateNameFunc) ----

/** Checks an object name; with prefix=true it checks a generateName prefix, which may end in '-'. */
export type NameRule = (name: string, prefix: boolean) => string[];

// A generateName prefix gets random characters appended, so a trailing dash is fine there.
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

export const nameIsDNSSubdomain: NameRule = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const nameIsDNSLabel: NameRule = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
export const nameIsDNS1035Label: NameRule = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

// ---- IP addresses and CIDRs ----

export interface ParsedIP {
  family: 4 | 6;
  /** The address as an integer: 32 bits for IPv4 (also IPv4-mapped IPv6), 128 bits for IPv6. */
  value: bigint;
}

export interface ParsedCIDR {
  family: 4 | 6;
  ip: ParsedIP;
  prefix: number;
  /** The network address (host bits cleared). */
  network: bigint;
}

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Like Go's ParseIPSloppy, leading zeros are accepted (and read as decimal).
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  if (s.length === 0 || s.includes('%')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i] ?? '';
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return undefined;
    groups = head;
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

const v4MappedPrefix = 0xffffn << 32n;

/** Parses an IP address the way Go's net.ParseIP (sloppy) does; IPv4-mapped IPv6 reads as IPv4. */
export function parseIP(s: string): ParsedIP | undefined {
  if (s.includes(':')) {
    const v = parseIPv6(s);
    if (v === undefined) return undefined;
    if (v >> 32n === 0xffffn) return { family: 4, value: v - v4MappedPrefix };
    return { family: 6, value: v };
  }
  const v = parseIPv4(s);
  return v === undefined ? undefined : { family: 4, value: v };
}

export function parseCIDR(s: string): ParsedCIDR | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^[0-9]{1,3}$/.test(bits)) return undefined;
  const ip = parseIP(addr);
  if (ip === undefined) return undefined;
  let prefix = Number(bits);
  // An IPv4-mapped address written in IPv6 form carries an IPv6 prefix length.
  if (ip.family === 4 && addr.includes(':')) prefix -= 96;
  const width = ip.family === 4 ? 32 : 128;
  if (prefix < 0 || prefix > width) return undefined;
  const hostBits = BigInt(width - prefix);
  const network = (ip.value >> hostBits) << hostBits;
  return { family: ip.family, ip, prefix, network };
}

export function cidrContains(cidr: ParsedCIDR, ip: ParsedIP): boolean {
  if (cidr.family !== ip.family) return false;
  const width = cidr.family === 4 ? 32 : 128;
  const hostBits = BigInt(width - cidr.prefix);
  return ip.value >> hostBits === cidr.network >> hostBits;
}

/** The last address of a CIDR (the IPv4 broadcast address). */
export function cidrLast(cidr: ParsedCIDR): bigint {
  const width = cidr.family === 4 ? 32 : 128;
  return cidr.network | ((1n << BigInt(width - cidr.prefix)) - 1n);
}

export const invalidIPMessage = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';
export const invalidCIDRMessage = 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)';

/**
 * Addresses that make no sense as a Service or endpoint address: unspecified,
 * loopback, link-local unicast and link-local multicast.
 */
export function nonSpecialIPProblems(s: string): string[] {
  const ip = parseIP(s);
  if (ip === undefined) return ['must be a valid IP address'];
  const errs: string[] = [];
  const v = ip.value;
  if (v === 0n) errs.push(`may not be unspecified (${s})`);
  if (ip.family === 4) {
    if (v >> 24n === 127n) errs.push('may not be in the loopback range (127.0.0.0/8, ::1/128)');
    if (v >> 16n === 0xa9fen) errs.push('may not be in the link-local range (169.254.0.0/16, fe80::/10)');
    if (v >> 8n === 0xe00000n) errs.push('may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)');
  } else {
    if (v === 1n) errs.push('may not be in the loopback range (127.0.0.0/8, ::1/128)');
    if (v >> 118n === 0x3fan) errs.push('may not be in the link-local range (169.254.0.0/16, fe80::/10)');
    if (v >> 112n === 0xff02n) errs.push('may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)');
  }
  return errs;
}

/** True when the list holds exactly one IPv4 and one IPv6 address (in either order). */
export function isDualStackPair(families: readonly (4 | 6)[]): boolean {
  return families.length === 2 && families[0] !== families[1];
}
