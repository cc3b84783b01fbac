import { describe, expect, it } from 'vitest';
import type { Node } from '../kube/api/core.js';
import { compileNode, DEFAULT_COMPILE_OPTIONS } from './compile.js';
import { diffPlan } from './diff.js';
import { buildLogicalTopologyFromApi } from './logical-model.js';
import { describeOp } from './netlink-ops.js';
import { emptyPlan, type NodePlan } from './node-plan.js';
import { testNode } from './testdata/nodes.js';

const plan = (nodes: Node[], self = 'node-1', underlayMtu = 1500): NodePlan =>
  compileNode(buildLogicalTopologyFromApi(nodes, []), self, { ...DEFAULT_COMPILE_OPTIONS, underlayMtu });
const three = [testNode({ i: 1 }), testNode({ i: 2 }), testNode({ i: 3 })];

// Ops as the commands a user would type: the assertion reads like the kernel change.
const commands = (want: NodePlan, have: NodePlan): string[] => diffPlan(want, have).map(describeOp);

describe('diffPlan', () => {
  it.each([
    {
      name: 'from nothing: device, address, then neighbour, FDB and routes last',
      want: plan(three),
      have: emptyPlan('node-1'),
      ops: [
        'ip link add nk-vxlan address 02:00:00:00:00:01 mtu 1450 type vxlan id 1 local 172.18.0.11 dstport 4789 nolearning; ip link set nk-vxlan up',
        'ip addr add 10.244.1.0/32 dev nk-vxlan',
        'ip neigh replace 10.244.2.0 lladdr 02:00:00:00:00:02 dev nk-vxlan nud permanent',
        'ip neigh replace 10.244.3.0 lladdr 02:00:00:00:00:03 dev nk-vxlan nud permanent',
        'bridge fdb replace 02:00:00:00:00:02 dev nk-vxlan dst 172.18.0.12 self permanent',
        'bridge fdb replace 02:00:00:00:00:03 dev nk-vxlan dst 172.18.0.13 self permanent',
        'ip route replace 10.244.2.0/24 via 10.244.2.0 dev nk-vxlan onlink',
        'ip route replace 10.244.3.0/24 via 10.244.3.0 dev nk-vxlan onlink',
      ],
    },
    { name: 'equal plans: nothing', want: plan(three), have: plan(three), ops: [] },
    {
      name: 'node added: its neighbour, FDB entry, then its route',
      want: plan(three),
      have: plan([testNode({ i: 1 }), testNode({ i: 2 })]),
      ops: [
        'ip neigh replace 10.244.3.0 lladdr 02:00:00:00:00:03 dev nk-vxlan nud permanent',
        'bridge fdb replace 02:00:00:00:00:03 dev nk-vxlan dst 172.18.0.13 self permanent',
        'ip route replace 10.244.3.0/24 via 10.244.3.0 dev nk-vxlan onlink',
      ],
    },
    {
      name: 'node removed: route first, then FDB, then neighbour',
      want: plan([testNode({ i: 1 }), testNode({ i: 2 })]),
      have: plan(three),
      ops: [
        'ip route del 10.244.3.0/24 via 10.244.3.0 dev nk-vxlan',
        'bridge fdb del 02:00:00:00:00:03 dev nk-vxlan dst 172.18.0.13 self',
        'ip neigh del 10.244.3.0 dev nk-vxlan',
      ],
    },
    {
      name: 'remote encap IP changed: the FDB entry is replaced, nothing else',
      want: plan([testNode({ i: 1 }), testNode({ i: 2, ip: '172.18.0.99' })]),
      have: plan([testNode({ i: 1 }), testNode({ i: 2 })]),
      ops: ['bridge fdb replace 02:00:00:00:00:02 dev nk-vxlan dst 172.18.0.99 self permanent'],
    },
    {
      name: 'remote VTEP MAC changed: old FDB entry removed, neighbour replaced, new FDB entry',
      want: plan([testNode({ i: 1 }), testNode({ i: 2, mac: '02:00:00:00:00:22' })]),
      have: plan([testNode({ i: 1 }), testNode({ i: 2 })]),
      ops: [
        'bridge fdb del 02:00:00:00:00:02 dev nk-vxlan dst 172.18.0.12 self',
        'ip neigh replace 10.244.2.0 lladdr 02:00:00:00:00:22 dev nk-vxlan nud permanent',
        'bridge fdb replace 02:00:00:00:00:22 dev nk-vxlan dst 172.18.0.12 self permanent',
      ],
    },
    {
      name: 'remote pod CIDR changed: old route and neighbour removed, new neighbour and route; the FDB entry stays',
      want: plan([testNode({ i: 1 }), testNode({ i: 2, podCIDR: '10.244.20.0/24' })]),
      have: plan([testNode({ i: 1 }), testNode({ i: 2 })]),
      ops: [
        'ip route del 10.244.2.0/24 via 10.244.2.0 dev nk-vxlan',
        'ip neigh del 10.244.2.0 dev nk-vxlan',
        'ip neigh replace 10.244.20.0 lladdr 02:00:00:00:00:02 dev nk-vxlan nud permanent',
        'ip route replace 10.244.20.0/24 via 10.244.20.0 dev nk-vxlan onlink',
      ],
    },
    {
      name: 'own VTEP MAC changed: set on the device in place, then the neighbours the kernel flushed with it rewritten',
      want: plan([testNode({ i: 1, mac: '02:00:00:00:00:11' }), testNode({ i: 2 })]),
      have: plan([testNode({ i: 1 }), testNode({ i: 2 })]),
      ops: [
        'ip link set nk-vxlan address 02:00:00:00:00:11',
        'ip neigh replace 10.244.2.0 lladdr 02:00:00:00:00:02 dev nk-vxlan nud permanent',
      ],
    },
    {
      name: 'underlay MTU changed: device MTU set in place',
      want: plan([testNode({ i: 1 }), testNode({ i: 2 })], 'node-1', 9000),
      have: plan([testNode({ i: 1 }), testNode({ i: 2 })]),
      ops: ['ip link set nk-vxlan mtu 8950'],
    },
    {
      name: 'own encap IP changed: the device is recreated and refilled (deleting it flushed its entries)',
      want: plan([testNode({ i: 1, ip: '172.18.0.50' }), testNode({ i: 2 })]),
      have: plan([testNode({ i: 1 }), testNode({ i: 2 })]),
      ops: [
        'ip link del nk-vxlan',
        'ip link add nk-vxlan address 02:00:00:00:00:01 mtu 1450 type vxlan id 1 local 172.18.0.50 dstport 4789 nolearning; ip link set nk-vxlan up',
        'ip addr add 10.244.1.0/32 dev nk-vxlan',
        'ip neigh replace 10.244.2.0 lladdr 02:00:00:00:00:02 dev nk-vxlan nud permanent',
        'bridge fdb replace 02:00:00:00:00:02 dev nk-vxlan dst 172.18.0.12 self permanent',
        'ip route replace 10.244.2.0/24 via 10.244.2.0 dev nk-vxlan onlink',
      ],
    },
    {
      name: 'own pod CIDR changed: old address removed, new one added',
      want: plan([testNode({ i: 1, podCIDR: '10.244.10.0/24' })]),
      have: plan([testNode({ i: 1 })]),
      ops: ['ip addr del 10.244.1.0/32 dev nk-vxlan', 'ip addr add 10.244.10.0/32 dev nk-vxlan'],
    },
  ])('$name', ({ want, have, ops }) => {
    expect(commands(want, have)).toEqual(ops);
  });

  it('brings a device that is down back up', () => {
    const want = plan(three);
    expect(commands(want, { ...want, device: { ...want.device!, up: false } })).toEqual(['ip link set nk-vxlan up']);
  });

  it('recreates a device created with the kernel default port 8472', () => {
    const want = plan([testNode({ i: 1 })]);
    const ops = diffPlan(want, { ...want, device: { ...want.device!, dstPort: 8472 } });
    expect(ops.map((o) => o.kind)).toEqual(['link-del', 'link-add', 'addr-add']);
  });

  it('removes entries nobody asked for: a stray FDB destination and an extra route on our device', () => {
    const want = plan([testNode({ i: 1 }), testNode({ i: 2 })]);
    const have: NodePlan = {
      ...want,
      fdb: [...want.fdb, { mac: '02:00:00:00:00:02', dst: '172.18.0.77' }, { mac: '00:00:00:00:00:00', dst: '172.18.0.12' }],
      routes: [...want.routes, { dst: '192.168.9.0/24', via: '10.244.2.0' }],
    };
    expect(commands(want, have)).toEqual([
      'ip route del 192.168.9.0/24 via 10.244.2.0 dev nk-vxlan',
      'bridge fdb del 00:00:00:00:00:00 dev nk-vxlan dst 172.18.0.12 self',
      'bridge fdb del 02:00:00:00:00:02 dev nk-vxlan dst 172.18.0.77 self',
    ]);
  });

  it('deletes the device when no device is wanted (host-gw or uninstall)', () => {
    expect(commands({ ...emptyPlan('node-1') }, plan(three))).toEqual(['ip link del nk-vxlan']);
  });

  it('never puts a route before the neighbour and FDB entry it needs', () => {
    const ops = diffPlan(plan(three), emptyPlan('node-1'));
    const firstRoute = ops.findIndex((o) => o.kind === 'route-replace');
    const lastOther = Math.max(...ops.map((o, i) => (o.kind === 'neigh-replace' || o.kind === 'fdb-replace' ? i : -1)));
    expect(firstRoute).toBeGreaterThan(lastOther);
  });
});
