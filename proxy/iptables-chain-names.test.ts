import { describe, expect, it } from 'vitest';
import {
  hash16,
  isServiceChainName,
  serviceExternalChainName,
  serviceFirewallChainName,
  serviceLocalChainName,
  servicePortChainName,
  servicePortEndpointChainName,
} from './iptables-chain-names.js';

describe('kube-proxy chain names', () => {
  it.each([
    { name: 'cluster chain of ns1/svc1:p80 tcp', got: () => servicePortChainName('ns1/svc1:p80', 'tcp'), want: 'KUBE-SVC-XPGD46QRK7WJZT7O' },
    { name: 'endpoint chain of ns2/svc2:p80 tcp 10.180.0.2:80', got: () => servicePortEndpointChainName('ns2/svc2:p80', 'tcp', '10.180.0.2:80'), want: 'KUBE-SEP-RS4RBKLTHTF2IUXJ' },
    { name: 'cluster chain of ns2/svc2:p80 tcp', got: () => servicePortChainName('ns2/svc2:p80', 'tcp'), want: 'KUBE-SVC-GNZBNJ2PO5MGZ6GT' },
    { name: 'local chain shares the service hash', got: () => serviceLocalChainName('ns2/svc2:p80', 'tcp'), want: 'KUBE-SVL-GNZBNJ2PO5MGZ6GT' },
    { name: 'external chain shares the service hash', got: () => serviceExternalChainName('ns2/svc2:p80', 'tcp'), want: 'KUBE-EXT-GNZBNJ2PO5MGZ6GT' },
    { name: 'firewall chain of ns5/svc5:p80', got: () => serviceFirewallChainName('ns5/svc5:p80', 'tcp'), want: 'KUBE-FW-NUKIZ6OKUXPJNT4C' },
    { name: 'endpoint chain of ns1/svc1:p80 10.180.0.1:80', got: () => servicePortEndpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80'), want: 'KUBE-SEP-SXIVWICOYRO3J4NJ' },
  ])('$name', ({ got, want }) => {
    expect(got()).toBe(want);
  });

  it('depends on the protocol', () => {
    expect(servicePortChainName('ns1/svc1:p80', 'udp')).not.toBe(servicePortChainName('ns1/svc1:p80', 'tcp'));
  });

  it('hash16 is 16 characters of the upper-case base32 alphabet', () => {
    for (const input of ['', 'a', 'ns/x:y', 'x'.repeat(1000)]) {
      const h = hash16(input);
      expect(h).toHaveLength(16);
      expect(h).toMatch(/^[A-Z2-7]{16}$/);
    }
  });

  it.each([
    ['KUBE-SVC-XPGD46QRK7WJZT7O', true],
    ['KUBE-SVL-XPGD46QRK7WJZT7O', true],
    ['KUBE-EXT-XPGD46QRK7WJZT7O', true],
    ['KUBE-FW-XPGD46QRK7WJZT7O', true],
    ['KUBE-SEP-RS4RBKLTHTF2IUXJ', true],
    ['KUBE-SERVICES', false],
    ['KUBE-NODEPORTS', false],
    ['KUBE-MARK-MASQ', false],
  ])('isServiceChainName(%s) is %s', (chain, want) => {
    expect(isServiceChainName(chain)).toBe(want);
  });
});
