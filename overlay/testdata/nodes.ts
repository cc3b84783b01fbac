// Literal nodes for the overlay's tests (unit and integration): node-i has
// underlay address 172.18.0.(10+i), pod CIDR 10.244.i.0/24 and VTEP MAC
// 02:00:00:00:00:0i. Lives beside the code so both test kinds share it.
import type { Node } from '../../kube/api/core.js';
import { VTEP_MAC_ANNOTATION } from '../logical-model.js';

export interface TestNodeSpec {
  readonly i: number;
  readonly ip?: string;
  readonly mac?: string;
  readonly podCIDR?: string;
}

export function testNode(s: TestNodeSpec): Node {
  const mac = s.mac ?? `02:00:00:00:00:0${s.i}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `node-${s.i}`, ...(mac ? { annotations: { [VTEP_MAC_ANNOTATION]: mac } } : {}) },
    spec: { podCIDR: s.podCIDR ?? `10.244.${s.i}.0/24` },
    status: { addresses: [{ type: 'InternalIP', address: s.ip ?? `172.18.0.${10 + s.i}` }] },
  };
}
