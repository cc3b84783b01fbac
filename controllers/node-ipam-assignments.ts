// Which Node holds which pod CIDR, and what node IPAM must do next for one
// Node: nothing, write a subnet into its spec, report that the range is full,
// or release the subnet of a Node that is gone. Pure: the controller feeds it
// the informer's view and performs the writes it asks for.
import type { Node } from '../kube/api/core.js';
import { CIDRSet } from './node-ipam-cidr-set.js';

export type IpamStep =
  | { kind: 'none' }
  | { kind: 'assign'; cidr: string }
  | { kind: 'full' };

export function podCIDROf(node: Node): string | undefined {
  return node.spec?.podCIDRs?.[0] || node.spec?.podCIDR || undefined;
}

export class NodeCIDRAssignments {
  private readonly byNode = new Map<string, string>();

  constructor(readonly set: CIDRSet) {}

  /** The subnet held for a node (assigned, or picked and being written). */
  cidrOf(nodeName: string): string | undefined {
    return this.byNode.get(nodeName);
  }

  /**
   * Decide for one node, given what the API shows (undefined = deleted).
   * A node that already has a CIDR keeps it (and it is marked taken, even
   * if someone else set it); a node without one gets the subnet already
   * picked for it, or the next free one.
   */
  step(name: string, node: Node | undefined): IpamStep {
    if (!node) {
      this.forget(name);
      return { kind: 'none' };
    }
    const has = podCIDROf(node);
    if (has) {
      const mine = this.byNode.get(name);
      if (mine !== has) {
        if (mine) this.set.release(mine);
        this.set.occupy(has);
        this.byNode.set(name, has);
      }
      return { kind: 'none' };
    }
    let cidr = this.byNode.get(name);
    if (!cidr) {
      cidr = this.set.allocateNext();
      if (!cidr) return { kind: 'full' };
      this.byNode.set(name, cidr);
    }
    return { kind: 'assign', cidr };
  }

  /** The node is gone, or the write of its subnet was refused: the subnet is free again. */
  forget(name: string): void {
    const cidr = this.byNode.get(name);
    if (cidr === undefined) return;
    this.byNode.delete(name);
    // Another node may have been recorded with the same subnet (a hand-made duplicate): keep it taken then.
    if (![...this.byNode.values()].includes(cidr)) this.set.release(cidr);
  }
}
