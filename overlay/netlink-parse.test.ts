import { describe, expect, it } from 'vitest';
import type { Pod } from '../kube/api/core.js';
import { compileNode, DEFAULT_COMPILE_OPTIONS } from './compile.js';
import { diffPlan } from './diff.js';
import { buildLogicalTopologyFromApi } from './logical-model.js';
import { renderBatches } from './netlink-ops.js';
import { parseObservedState } from './netlink-parse.js';
import { emptyPlan } from './node-plan.js';
import { renderOverlayShow } from './show-render.js';
import { testNode } from './testdata/nodes.js';

// Recorded from iproute2 6.1 on this project's kernel (node-1 of the overlay integration test),
// plus the kernel's own entries that must be ignored (IPv6 link-local, a FAILED neighbour).
const LINK = `[{"ifindex":6,"ifname":"nk-vxlan","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"address":"02:00:00:00:00:01","linkinfo":{"info_kind":"vxlan","info_data":{"id":1,"local":"172.18.0.11","port":4789,"learning":false}},"addr_info":[{"family":"inet","local":"10.244.1.0","prefixlen":32},{"family":"inet6","local":"fe80::1","prefixlen":64}]}]`;
const NEIGH = `[{"dst":"10.244.3.0","lladdr":"02:00:00:00:00:03","state":["PERMANENT"]},{"dst":"10.244.2.0","lladdr":"02:00:00:00:00:02","state":["PERMANENT"]},{"dst":"10.244.9.0","state":["FAILED"]}]`;
const FDB = `[{"mac":"02:00:00:00:00:03","dst":"172.18.0.13","flags":["self"],"state":"permanent"},{"mac":"02:00:00:00:00:02","dst":"172.18.0.12","flags":["self"],"state":"permanent"}]`;
const ROUTE = `[{"dst":"10.244.3.0/24","gateway":"10.244.3.0","flags":["onlink"]},{"dst":"10.244.2.0/24","gateway":"10.244.2.0","flags":["onlink"]}]`;

const three = [testNode({ i: 1 }), testNode({ i: 2 }), testNode({ i: 3 })];
const model = buildLogicalTopologyFromApi(three, []);

describe('parseObservedState', () => {
  it('reads a programmed node back as exactly the plan that programmed it (so the diff is empty)', () => {
    const have = parseObservedState('node-1', { link: LINK, neigh: NEIGH, fdb: FDB, route: ROUTE });
    expect(have).toEqual({ ...compileNode(model, 'node-1', DEFAULT_COMPILE_OPTIONS) });
    expect(diffPlan(compileNode(model, 'node-1', DEFAULT_COMPILE_OPTIONS), have)).toEqual([]);
  });

  it('reads a missing device as an empty plan', () => {
    expect(parseObservedState('node-1', { link: undefined, neigh: '', fdb: '', route: '' })).toEqual(emptyPlan('node-1'));
  });

  it('marks a non-VXLAN link carrying our name so the diff recreates it', () => {
    const dummy = `[{"ifname":"nk-vxlan","flags":["UP"],"mtu":1500,"address":"aa:bb:cc:dd:ee:ff","linkinfo":{"info_kind":"bridge"}}]`;
    const have = parseObservedState('node-1', { link: dummy, neigh: '[]', fdb: '[]', route: '[]' });
    expect(diffPlan(compileNode(model, 'node-1', DEFAULT_COMPILE_OPTIONS), have).slice(0, 2).map((o) => o.kind)).toEqual(['link-del', 'link-add']);
  });
});

describe('renderBatches', () => {
  it('keeps neighbour → FDB → route order across the ip and bridge batches', () => {
    const batches = renderBatches(diffPlan(compileNode(model, 'node-1', DEFAULT_COMPILE_OPTIONS), emptyPlan('node-1')));
    expect(batches.map((b) => `${b.tool}: ${b.lines.map((l) => l.split(' ').slice(0, 2).join(' ')).join(', ')}`)).toEqual([
      'ip: link add, link set, addr add, neigh replace, neigh replace',
      'bridge: fdb replace, fdb replace',
      'ip: route replace, route replace',
    ]);
  });
});

describe('renderOverlayShow', () => {
  it('prints the switches, ports and router as ovn-nbctl show, then each chassis with its datapath', () => {
    const pods = [{ metadata: { name: 'web-1', namespace: 'default' }, spec: { nodeName: 'node-2' }, status: { podIP: '10.244.2.5', phase: 'Running' } }] as Pod[];
    const text = renderOverlayShow(buildLogicalTopologyFromApi([testNode({ i: 1 }), testNode({ i: 2 }), { ...testNode({ i: 3 }), metadata: { name: 'node-3' } }], pods));
    expect(text).toMatch(/^switch [0-9a-f-]{36} \(node-2\)\n {4}other_config: \{subnet="10\.244\.2\.0\/24"\}\n {4}port default_web-1\n {8}addresses: \["dynamic 10\.244\.2\.5"\]\n {4}port stor-node-2\n {8}type: router\n {8}router-port: rtos-node-2$/m);
    expect(text).toMatch(/^router [0-9a-f-]{36} \(cluster-router\)$/m);
    expect(text).toContain('    port rtos-node-1\n        networks: ["10.244.1.1/24"]');
    expect(text).toContain('Chassis "node-2"\n    hostname: node-2\n    Encap vxlan\n        ip: "172.18.0.12"\n        options: {dst_port="4789", vni="1", vtep_mac="02:00:00:00:00:02"}\n    Port_Binding "default_web-1"');
    expect(text).toContain('        ip route replace 10.244.2.0/24 via 10.244.2.0 dev nk-vxlan onlink');
    expect(text).toContain('        # not reachable yet: node-3: no VTEP MAC yet');
    expect(text).toContain('Chassis "node-3"');
    expect(text).toMatch(/Chassis "node-3"[\s\S]*Datapath: not compiled: no VTEP MAC yet/);
  });
});
