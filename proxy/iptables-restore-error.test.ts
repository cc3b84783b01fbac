import { describe, it, expect } from 'vitest';
import { describeRestoreFailure, formatRestoreFailure, parseFailedLine } from './iptables-restore-error.js';

const TEXT = [
  '*nat',
  ':KUBE-SERVICES - [0:0]',
  ':KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]',
  ':KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]',
  '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O',
  '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ',
  '-A KUBE-SEP-RS4RBKLTHTF2IUXJ -s 10.180.0.1 -j KUBE-MARK-MASQ',
  '-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80',
  '-A KUBE-NODEPORTS -j NOWHERE',
  'COMMIT',
  '',
].join('\n');

describe('parseFailedLine', () => {
  it.each([
    ['iptables-restore: line 7 failed: No chain/target/match by that name.', 7],
    ['iptables-restore v1.8.9 (legacy): Couldn\'t load target `NOWHERE\'\n\nError occurred at line: 9', 9],
    ['iptables-restore: unable to initialize table \'nat\'', undefined],
  ])('%j → %s', (stderr, want) => {
    expect(parseFailedLine(stderr)).toBe(want);
  });
});

describe('describeRestoreFailure', () => {
  it.each([
    { name: 'a rule with its own comment', line: 5, service: 'ns1/svc1:p80' },
    { name: 'a KUBE-SEP rule without a comment (large cluster mode) takes the jump into its chain', line: 8, service: 'ns1/svc1:p80' },
    { name: 'a chain declaration', line: 3, service: 'ns1/svc1:p80' },
    { name: 'a top-level rule without a Service', line: 9, service: undefined },
  ])('$name', ({ line, service }) => {
    const f = describeRestoreFailure(TEXT, `iptables-restore: line ${line} failed: No chain/target/match by that name.`);
    expect(f.line).toBe(line);
    expect(f.service).toBe(service);
    expect(f.excerpt).toContain(`=> ${line}: ${TEXT.split('\n')[line - 1]}`);
    // Two lines of context either side, clamped to the text.
    expect(f.excerpt.split('\n').length).toBe(Math.min(line + 2, 11) - Math.max(1, line - 2) + 1);
  });

  it('formats one message naming the Service, the tool error and the quoted lines', () => {
    const stderr = 'iptables-restore: line 6 failed: No chain/target/match by that name.\n';
    const msg = formatRestoreFailure('iptables-restore (partial sync)', stderr, describeRestoreFailure(TEXT, stderr));
    expect(msg).toMatch(/^iptables-restore \(partial sync\) failed \(rules of Service ns1\/svc1:p80\): iptables-restore: line 6 failed/);
    expect(msg).toContain('=> 6: -A KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(msg).toContain('   4: :KUBE-SEP-RS4RBKLTHTF2IUXJ');
  });

  it('without a line number there is nothing to quote', () => {
    expect(describeRestoreFailure(TEXT, 'Another app is currently holding the xtables lock')).toEqual({ excerpt: '' });
  });
});
