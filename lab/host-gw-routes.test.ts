import { describe, expect, it } from 'vitest';
import type { Node } from '../kube/api/core.js';
import { compileHostGwRoutes } from '../overlay/compile-host-gw.js';
import { buildLogicalTopologyFromApi } from '../overlay/logical-model.js';
import { diffHostGwRoutes, hostGwMasqueradeJump, MASQ_CHAIN, renderHostGwMasquerade } from './host-gw-routes.js';

/** The host-gw routes a node wants, compiled from the overlay's logical model as the agent does. */
const desiredHostGwRoutes = (nodes: readonly Node[], self: string) => compileHostGwRoutes(buildLogicalTopologyFromApi(nodes, []), self);

function node(name: string, ip?: string, podCIDR?: string, extra: Partial<Node> = {}): Node {
  return {
    metadata: { name },
    ...(podCIDR ? { spec: { podCIDR, podCIDRs: [podCIDR] } } : {}),
    ...(ip ? { status: { addresses: [{ type: 'Hostname', address: name }, { type: 'InternalIP', address: ip }] } } : {}),
    ...extra,
  };
}

describe('host-gw routes from the logical model', () => {
  it('routes every other node\'s pod CIDR via its InternalIP, skipping nodes not ready for it', () => {
    const nodes = [
      node('node-1', '172.18.0.11', '10.244.0.0/24'),
      node('node-3', '172.18.0.13', '10.244.2.0/24'),
      node('node-2', '172.18.0.12', '10.244.1.0/24'),
      node('node-4', '172.18.0.14'),
      node('node-5', undefined, '10.244.4.0/24'),
      node('node-6', '172.18.0.16', '10.244.5.0/24', { metadata: { name: 'node-6', deletionTimestamp: '2026-01-01T00:00:00Z' } }),
    ];
    expect(desiredHostGwRoutes(nodes, 'node-1')).toEqual([
      { dst: '10.244.1.0/24', via: '172.18.0.12' },
      { dst: '10.244.2.0/24', via: '172.18.0.13' },
    ]);
  });

  it('uses podCIDRs, IPv4 only', () => {
    const n: Node = { metadata: { name: 'b' }, spec: { podCIDRs: ['10.244.3.0/24', 'fd00::/64'] }, status: { addresses: [{ type: 'InternalIP', address: '172.18.0.12' }] } };
    expect(desiredHostGwRoutes([n], 'a')).toEqual([{ dst: '10.244.3.0/24', via: '172.18.0.12' }]);
  });
});

describe('diffHostGwRoutes', () => {
  const r = (dst: string, via: string) => ({ dst, via });
  it.each([
    ['nothing to do', [r('10.0.1.0/24', '1.1.1.2')], [r('10.0.1.0/24', '1.1.1.2')], []],
    ['adds', [r('10.0.1.0/24', '1.1.1.2')], [], [{ op: 'replace', route: r('10.0.1.0/24', '1.1.1.2') }]],
    ['removes', [], [r('10.0.1.0/24', '1.1.1.2')], [{ op: 'delete', dst: '10.0.1.0/24' }]],
    ['moves', [r('10.0.1.0/24', '1.1.1.3')], [r('10.0.1.0/24', '1.1.1.2')], [{ op: 'replace', route: r('10.0.1.0/24', '1.1.1.3') }]],
    [
      'deletes before replacing',
      [r('10.0.2.0/24', '1.1.1.3')],
      [r('10.0.1.0/24', '1.1.1.2')],
      [{ op: 'delete', dst: '10.0.1.0/24' }, { op: 'replace', route: r('10.0.2.0/24', '1.1.1.3') }],
    ],
  ])('%s', (_, want, have, ops) => expect(diffHostGwRoutes(want, have)).toEqual(ops));
});

describe('masquerade', () => {
  it('returns for cluster and service destinations, masquerades the rest', () => {
    const text = renderHostGwMasquerade('10.244.0.0/16', '10.96.0.0/12');
    const rules = text.split('\n').filter((l) => l.startsWith('-A'));
    expect(rules.map((l) => l.replace(/-m comment --comment "[^"]*" /, ''))).toEqual([
      `-A ${MASQ_CHAIN} -d 10.244.0.0/16 -j RETURN`,
      `-A ${MASQ_CHAIN} -d 10.96.0.0/12 -j RETURN`,
      `-A ${MASQ_CHAIN} -j MASQUERADE`,
    ]);
    expect(text).toMatch(/^\*nat\n/);
    expect(text).toMatch(/COMMIT\n$/);
    expect(hostGwMasqueradeJump('10.244.0.0/16')).toEqual(expect.arrayContaining(['-s', '10.244.0.0/16', '-j', MASQ_CHAIN]));
  });
});
