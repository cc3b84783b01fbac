import { describe, it, expect } from 'vitest';
import {
  cidrContains,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isLabelValue,
  isQualifiedName,
  isValidPortName,
  nameIsDNSSubdomain,
  nonSpecialIPProblems,
  parseCIDR,
  parseIP,
} from './names.js';

const label1123 =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

describe('DNS names', () => {
  it.each([
    { fn: isDNS1123Label, v: 'my-name', want: [] },
    { fn: isDNS1123Label, v: '123-abc', want: [] },
    { fn: isDNS1123Label, v: 'My-Name', want: [label1123] },
    { fn: isDNS1123Label, v: 'a.b', want: ['must not contain dots'] },
    { fn: isDNS1123Label, v: 'a'.repeat(64), want: ['must be no more than 63 characters'] },
    { fn: isDNS1123Subdomain, v: 'kube-dns.kube-system', want: [] },
    { fn: isDNS1123Subdomain, v: 'a'.repeat(254), want: ['must be no more than 253 characters'] },
    { fn: isDNS1035Label, v: 'web', want: [] },
    {
      fn: isDNS1035Label,
      v: '1web',
      want: [
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      ],
    },
  ])('$fn.name($v)', ({ fn, v, want }) => {
    expect(fn(v)).toEqual(want);
  });

  it('generateName prefixes may end in a dash', () => {
    expect(nameIsDNSSubdomain('web-', true)).toEqual([]);
    expect(nameIsDNSSubdomain('web-', false)).not.toEqual([]);
  });
});

describe('qualified names and label values', () => {
  it.each([
    { v: 'app', want: [] },
    { v: 'app.kubernetes.io/name', want: [] },
    { v: '/name', want: ['prefix part must be non-empty'] },
    { v: 'Example.com/name', want: ["prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"] },
    { v: 'a/', want: ['name part must be non-empty', "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"] },
  ])('isQualifiedName($v)', ({ v, want }) => {
    expect(isQualifiedName(v)).toEqual(want);
  });
  it.each([
    { v: '', ok: true },
    { v: 'v1.2_x', ok: true },
    { v: '-x', ok: false },
    { v: 'a'.repeat(64), ok: false },
  ])('isLabelValue($v)', ({ v, ok }) => {
    expect(isLabelValue(v).length === 0).toBe(ok);
  });
});

describe('IANA port names', () => {
  it.each([
    { v: 'http', want: [] },
    { v: 'http-alt2', want: [] },
    { v: '8080', want: ['must contain at least one letter (a-z)'] },
    { v: 'HTTP', want: ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)'] },
    { v: 'a--b', want: ['must not contain consecutive hyphens'] },
    { v: 'abcdefghijklmnop', want: ['must be no more than 15 characters'] },
  ])('$v', ({ v, want }) => {
    expect(isValidPortName(v)).toEqual(want);
  });
});

describe('IPs and CIDRs', () => {
  it.each([
    { s: '10.96.0.1', family: 4 },
    { s: '010.096.000.001', family: 4 },
    { s: '::1', family: 6 },
    { s: 'fd00:10:96::a', family: 6 },
    { s: '::ffff:10.0.0.1', family: 4 },
    { s: '1.2.3', family: undefined },
    { s: '256.1.1.1', family: undefined },
    { s: '1::2::3', family: undefined },
    { s: '', family: undefined },
  ])('parseIP($s)', ({ s, family }) => {
    expect(parseIP(s)?.family).toBe(family);
  });
  it('CIDR containment', () => {
    const c = parseCIDR('10.96.0.0/12');
    expect(c).toBeDefined();
    if (c === undefined) return;
    expect(cidrContains(c, parseIP('10.111.255.254')!)).toBe(true);
    expect(cidrContains(c, parseIP('10.112.0.1')!)).toBe(false);
    expect(cidrContains(c, parseIP('fd00::1')!)).toBe(false);
    expect(parseCIDR('10.0.0.0/33')).toBeUndefined();
    expect(parseCIDR('fd00::/108')?.family).toBe(6);
  });
  it.each([
    { s: '10.0.0.1', want: [] },
    { s: '0.0.0.0', want: ['may not be unspecified (0.0.0.0)'] },
    { s: '127.0.0.1', want: ['may not be in the loopback range (127.0.0.0/8, ::1/128)'] },
    { s: '169.254.1.1', want: ['may not be in the link-local range (169.254.0.0/16, fe80::/10)'] },
    { s: '224.0.0.5', want: ['may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'] },
    { s: 'fe80::1', want: ['may not be in the link-local range (169.254.0.0/16, fe80::/10)'] },
    { s: '::1', want: ['may not be in the loopback range (127.0.0.0/8, ::1/128)'] },
  ])('nonSpecialIPProblems($s)', ({ s, want }) => {
    expect(nonSpecialIPProblems(s)).toEqual(want);
  });
});
