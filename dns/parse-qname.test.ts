import { describe, it, expect } from 'vitest';
import { canonicalIp, ipFromDashed, parseQName, splitName, type ParsedQName } from './parse-qname.js';

const Z = 'cluster.local';
const svcReq = (namespace: string, service: string, endpoint = '', port = '', protocol = '') => ({ kind: 'service', namespace, service, endpoint, port, protocol });

describe('parseQName', () => {
  it.each<[string, ParsedQName]>([
    [Z, { kind: 'apex' }],
    [`${Z}.`, { kind: 'apex' }],
    [`svc.${Z}`, { kind: 'category', podOrSvc: 'svc' }],
    [`pod.${Z}`, { kind: 'category', podOrSvc: 'pod' }],
    [`dns-version.${Z}`, { kind: 'dns-version' }],
    [`ns.dns.${Z}`, { kind: 'nameserver' }],
    [`default.svc.${Z}`, { kind: 'namespace', podOrSvc: 'svc', namespace: 'default' }],
    [`web.default.svc.${Z}`, svcReq('default', 'web') as ParsedQName],
    [`WEB.Default.SVC.Cluster.Local`, svcReq('default', 'web') as ParsedQName],
    [`web-0.web.default.svc.${Z}`, svcReq('default', 'web', 'web-0') as ParsedQName],
    [`_http._tcp.web.default.svc.${Z}`, svcReq('default', 'web', '', 'http', 'tcp') as ParsedQName],
    [`http.tcp.web.default.svc.${Z}`, svcReq('default', 'web', '', 'http', 'tcp') as ParsedQName],
    [`1-2-3-4.default.pod.${Z}`, { kind: 'pod', namespace: 'default', pod: '1-2-3-4', ip: '1.2.3.4' }],
    [`fd00--1.default.pod.${Z}`, { kind: 'pod', namespace: 'default', pod: 'fd00--1', ip: 'fd00::1' }],
    [`bad.default.pod.${Z}`, { kind: 'pod', namespace: 'default', pod: 'bad', ip: undefined }],
    // One or two labels left of a pod name are read and ignored, as CoreDNS's parse.go/findPods do.
    [`a.1-2-3-4.default.pod.${Z}`, { kind: 'pod', namespace: 'default', pod: '1-2-3-4', ip: '1.2.3.4' }],
    [`_http._tcp.1-2-3-4.default.pod.${Z}`, { kind: 'pod', namespace: 'default', pod: '1-2-3-4', ip: '1.2.3.4' }],
    ['4.3.2.1.in-addr.arpa', { kind: 'reverse', ip: '1.2.3.4' }],
    ['1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa', { kind: 'reverse', ip: 'fd00::1' }],
    ['3.2.1.in-addr.arpa', 'not-ours'],
    ['999.3.2.1.in-addr.arpa', 'not-ours'],
    ['example.com', 'not-ours'],
    ['local', 'not-ours'],
    ['xcluster.local', 'not-ours'],
  ])('%s', (qname, want) => {
    expect(parseQName(qname, Z)).toEqual(want);
  });

  it.each([`foo.${Z}`, `x.default.foo.${Z}`, `a.b.c.web.default.svc.${Z}`, `a.b.c.1-2-3-4.default.pod.${Z}`])('%s is a name error', (qname) => {
    expect(parseQName(qname, Z)).toMatchObject({ kind: 'name-error' });
  });

  it('keeps an escaped dot inside its label', () => {
    expect(splitName('a\\.b.svc.cluster.local')).toEqual(['a\\.b', 'svc', 'cluster', 'local']);
    expect(parseQName('x.cluster\\.local', Z)).toBe('not-ours');
  });
});

describe('addresses', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['FD00:0:0:0:0:0:0:1', 'fd00::1'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['256.0.0.1', undefined],
    ['01.2.3.4', undefined],
    ['1::2::3', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['', undefined],
  ])('canonicalIp(%s) = %s', (text, want) => {
    expect(canonicalIp(text)).toBe(want);
  });

  it.each([
    ['10-244-1-5', '10.244.1.5'],
    ['fd00--5', 'fd00::5'],
    ['1-2-3', undefined],
    ['web', undefined],
  ])('ipFromDashed(%s) = %s', (label, want) => {
    expect(ipFromDashed(label)).toBe(want);
  });
});
