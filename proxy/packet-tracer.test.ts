import { describe, expect, it } from 'vitest';
import { checkRuleJumps, tracePacket } from './packet-tracer.js';

// Hand-written rules (not rendered), so the tracer is tested on its own.
const rules = `*filter
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
COMMIT
*nat
:KUBE-SERVICES - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-A - [0:0]
:KUBE-SEP-A1 - [0:0]
:KUBE-SEP-A2 - [0:0]
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -j MASQUERADE
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-SERVICES -m comment --comment "ns1/a:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-A
-A KUBE-SERVICES -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS
-A KUBE-NODEPORTS -m tcp -p tcp --dport 3005 -j KUBE-SVC-A
-A KUBE-SVC-A ! -s 10.0.0.0/8 -m tcp -p tcp -d 172.30.0.41 -j KUBE-MARK-MASQ
-A KUBE-SVC-A -m recent --name KUBE-SEP-A2 --rcheck --seconds 10 --reap -j KUBE-SEP-A2
-A KUBE-SVC-A -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-A1
-A KUBE-SVC-A -j KUBE-SEP-A2
-A KUBE-SEP-A1 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-A1 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SEP-A2 -s 10.180.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-A2 -m recent --name KUBE-SEP-A2 --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
COMMIT
`;

const nodeIPs = ['192.168.0.2'];

describe('tracePacket', () => {
  it.each([
    { name: 'follows every branch of a random and a recent rule', src: '10.1.1.1', dst: '172.30.0.41', dport: 80, output: '10.180.0.2:80, 10.180.0.1:80', masq: false },
    { name: 'negated source CIDR marks off-cluster traffic for masquerade', src: '203.0.113.1', dst: '172.30.0.41', dport: 80, output: '10.180.0.2:80, 10.180.0.1:80', masq: true },
    { name: 'hairpin source marks for masquerade', src: '10.180.0.1', dst: '172.30.0.41', dport: 80, output: '10.180.0.2:80, 10.180.0.1:80', masq: true },
    { name: 'filter REJECT', src: '10.1.1.1', dst: '172.30.0.46', dport: 80, output: 'REJECT', masq: false },
    { name: 'addrtype LOCAL reaches node ports', src: '10.1.1.1', dst: '192.168.0.2', dport: 3005, output: '10.180.0.2:80, 10.180.0.1:80', masq: false },
    { name: 'loopback excluded from node ports', src: '127.0.0.1', dst: '127.0.0.1', dport: 3005, fromNode: true, output: '', masq: false },
    { name: 'filter DROP on a local node port', src: '203.0.113.1', dst: '192.168.0.2', dport: 3001, output: 'DROP', masq: false },
    { name: 'filter ACCEPT alone is reported', src: '203.0.113.1', dst: '192.168.0.2', dport: 30000, output: 'ACCEPT', masq: false },
    { name: 'unmatched packet has no output', src: '10.1.1.1', dst: '172.30.0.99', dport: 80, output: '', masq: false },
  ])('$name', (c) => {
    const r = tracePacket(rules, { src: c.src, dst: c.dst, dport: c.dport }, nodeIPs, { fromNode: c.fromNode ?? false });
    expect({ output: r.output, masq: r.masq }, r.matched.join('\n')).toEqual({ output: c.output, masq: c.masq });
  });

  it('records the matched rules', () => {
    const r = tracePacket(rules, { src: '10.1.1.1', dst: '172.30.0.46', dport: 80 }, nodeIPs);
    expect(r.matched.at(-1)).toContain('has no endpoints');
  });

  it('refuses options it does not understand rather than ignoring them', () => {
    const bad = '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -m tcp -p tcp --sport 5 -j ACCEPT\nCOMMIT\n';
    expect(() => tracePacket(bad, { src: '1.1.1.1', dst: '2.2.2.2', dport: 1 }, nodeIPs)).toThrow(/--sport/);
  });
});

describe('checkRuleJumps', () => {
  it('accepts hand-written consistent rules (hooks count as jumps)', () => {
    expect(checkRuleJumps(rules)).toEqual([]);
  });

  it.each([
    ['a jump to a missing chain', '*nat\n:KUBE-SERVICES - [0:0]\n-A KUBE-SERVICES -j KUBE-SVC-GONE\nCOMMIT\n', /missing chain KUBE-SVC-GONE/],
    ['an unused KUBE chain', '*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SEP-LONELY - [0:0]\nCOMMIT\n', /KUBE-SEP-LONELY is declared but nothing jumps to it/],
    ['a jump to a chain being deleted', '*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-X - [0:0]\n-A KUBE-SERVICES -j KUBE-SVC-X\n-X KUBE-SVC-X\nCOMMIT\n', /missing chain KUBE-SVC-X/],
    ['a rule in an undeclared chain', '*nat\n-A KUBE-NOPE -j ACCEPT\nCOMMIT\n', /undeclared chain KUBE-NOPE/],
  ])('reports %s', (_name, text, want) => {
    const problems = checkRuleJumps(text);
    expect(problems.join('\n')).toMatch(want);
  });
});
