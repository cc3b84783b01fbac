import { describe, expect, it } from 'vitest';
import { normaliseIptablesRules, parseIptablesRestore, splitRuleWords } from './iptables-normalise.js';

describe('normaliseIptablesRules', () => {
  it('orders tables, chains and the rules of KUBE-SERVICES/KUBE-NODEPORTS like sortIPTablesRules', () => {
    const input = [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-SVC-B - [0:0]',
      ':KUBE-NODEPORTS - [0:0]',
      ':KUBE-MARK-MASQ - [0:0]',
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -j KUBE-NODEPORTS',
      '-A KUBE-SERVICES -m comment --comment "ns2/b:p cluster IP" -j KUBE-SVC-B',
      '-A KUBE-SVC-B -m comment --comment ns2/b:p second-in-chain',
      '-A KUBE-NODEPORTS -m comment --comment ns2/b:p -j KUBE-SVC-B',
      '-A KUBE-SERVICES -m comment --comment "ns1/a:p cluster IP" -j KUBE-SVC-A',
      '-A KUBE-SVC-B -m comment --comment ns2/b:p first-in-chain',
      '-A KUBE-NODEPORTS -m comment --comment ns1/a:p -j KUBE-SVC-A',
      '-X KUBE-SVC-Z',
      'COMMIT',
      '*filter',
      ':KUBE-SERVICES - [0:0]',
      'COMMIT',
    ].join('\n');
    expect(normaliseIptablesRules(input)).toBe(
      [
        '*filter',
        ':KUBE-SERVICES - [0:0]',
        'COMMIT',
        '*nat',
        ':KUBE-NODEPORTS - [0:0]',
        ':KUBE-SERVICES - [0:0]',
        ':KUBE-MARK-MASQ - [0:0]',
        ':KUBE-SVC-B - [0:0]',
        '-A KUBE-NODEPORTS -m comment --comment ns1/a:p -j KUBE-SVC-A',
        '-A KUBE-NODEPORTS -m comment --comment ns2/b:p -j KUBE-SVC-B',
        '-A KUBE-SERVICES -m comment --comment "ns1/a:p cluster IP" -j KUBE-SVC-A',
        '-A KUBE-SERVICES -m comment --comment "ns2/b:p cluster IP" -j KUBE-SVC-B',
        '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -j KUBE-NODEPORTS',
        '-A KUBE-SVC-B -m comment --comment ns2/b:p second-in-chain',
        '-A KUBE-SVC-B -m comment --comment ns2/b:p first-in-chain',
        '-X KUBE-SVC-Z',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it.each([
    ['a rule outside a table', '-A X -j ACCEPT\n'],
    ['a missing COMMIT', '*nat\n:X - [0:0]\n'],
    ['an unsupported command', '*nat\n-F X\nCOMMIT\n'],
    ['an unterminated quote', '*nat\n-A X -m comment --comment "oops -j ACCEPT\nCOMMIT\n'],
  ])('rejects %s', (_name, text) => {
    expect(() => parseIptablesRestore(text)).toThrow();
  });

  it('splits words honouring quotes', () => {
    expect(splitRuleWords('-A X -m comment --comment "a b:c" -j Y')).toEqual(['-A', 'X', '-m', 'comment', '--comment', 'a b:c', '-j', 'Y']);
  });
});
