import { describe, expect, it } from 'vitest';
import type { Node } from '../kube/api/core.js';
import { compileNode, DEFAULT_COMPILE_OPTIONS, OverlayCompileError } from './compile.js';
import { compileHostGwRoutes } from './compile-host-gw.js';
import { buildLogicalTopologyFromApi, VTEP_MAC_ANNOTATION } from './logical-model.js';
import { testNode } from './testdata/nodes.js';

const opts = { ...DEFAULT_COMPILE_OPTIONS, underlayMtu: 1500 };
const compile = (nodes: Node[], self = 'node-1') => compileNode(buildLogicalTopologyFromApi(nodes, []), self, opts);

describe('compileNode', () => {
  it('gives node-1 one VXLAN device (VNI 1, port 4789, no learning, MTU 1450) and flannel entries per remote node', () => {
    const plan = compile([testNode({ i: 1 }), testNode({ i: 2 }), testNode({ i: 3 })]);
    expect(plan).toEqual({
      node: 'node-1',
      device: { name: 'nk-vxlan', vni: 1, dstPort: 4789, local: '172.18.0.11', mac: '02:00:00:00:00:01', mtu: 1450, learning: false, up: true },
      addresses: ['10.244.1.0/32'],
      neighbours: [
        { ip: '10.244.2.0', mac: '02:00:00:00:00:02' },
        { ip: '10.244.3.0', mac: '02:00:00:00:00:03' },
      ],
      fdb: [
        { mac: '02:00:00:00:00:02', dst: '172.18.0.12' },
        { mac: '02:00:00:00:00:03', dst: '172.18.0.13' },
      ],
      routes: [
        { dst: '10.244.2.0/24', via: '10.244.2.0' },
        { dst: '10.244.3.0/24', via: '10.244.3.0' },
      ],
    });
  });

  it.each([
    { name: 'a peer without a VTEP MAC yet', peer: { ...testNode({ i: 2 }), metadata: { name: 'node-2' } }, reason: /no VTEP MAC/ },
    { name: 'a peer without a pod CIDR yet', peer: { ...testNode({ i: 2 }), spec: {} }, reason: /no pod CIDR/ },
    { name: 'a peer without an InternalIP yet', peer: { ...testNode({ i: 2 }), status: {} }, reason: /no InternalIP/ },
    {
      name: 'a peer claiming node-1\'s VTEP MAC',
      peer: testNode({ i: 2, mac: '02:00:00:00:00:01' }),
      reason: /also node "node-1"/,
    },
  ])('leaves out $name and says why', ({ peer, reason }) => {
    const plan = compile([testNode({ i: 1 }), peer as Node]);
    expect(plan.routes).toEqual([]);
    expect(plan.fdb).toEqual([]);
    expect(plan.neighbours).toEqual([]);
    expect(plan.pending).toHaveLength(1);
    expect(plan.pending?.[0]?.chassis).toBe('node-2');
    expect(plan.pending?.[0]?.reason).toMatch(reason);
  });

  it('skips a deleting node', () => {
    const gone = { ...testNode({ i: 2 }), metadata: { name: 'node-2', deletionTimestamp: '2024-01-01T00:00:00Z', annotations: { [VTEP_MAC_ANNOTATION]: '02:00:00:00:00:02' } } };
    expect(compile([testNode({ i: 1 }), gone]).routes).toEqual([]);
  });

  it.each([
    { name: 'no VTEP MAC', self: { ...testNode({ i: 1 }), metadata: { name: 'node-1' } }, msg: 'node "node-1": no VTEP MAC' },
    { name: 'no pod CIDR', self: { ...testNode({ i: 1 }), spec: {} }, msg: 'node "node-1": no pod CIDR' },
  ])('refuses to compile this node with $name', ({ self, msg }) => {
    expect(() => compile([self as Node, testNode({ i: 2 })])).toThrow(OverlayCompileError);
    expect(() => compile([self as Node, testNode({ i: 2 })])).toThrow(msg);
  });

  it('derives the device MTU from the underlay MTU', () => {
    const plan = compileNode(buildLogicalTopologyFromApi([testNode({ i: 1 })], []), 'node-1', { ...opts, underlayMtu: 9000 });
    expect(plan.device?.mtu).toBe(8950);
  });
});

describe('compileHostGwRoutes', () => {
  it('routes each remote pod CIDR via the remote underlay address, from the same model', () => {
    const model = buildLogicalTopologyFromApi([testNode({ i: 1 }), testNode({ i: 2 }), testNode({ i: 3 })], []);
    expect(compileHostGwRoutes(model, 'node-2')).toEqual([
      { dst: '10.244.1.0/24', via: '172.18.0.11' },
      { dst: '10.244.3.0/24', via: '172.18.0.13' },
    ]);
  });
});
