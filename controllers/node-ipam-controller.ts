// Node IPAM: gives every Node a pod CIDR (spec.podCIDR and spec.podCIDRs) out
// of the cluster CIDR, as kube-controller-manager's range allocator does.
// The taken subnets are rebuilt from the Nodes before any Node is served,
// allocation is synchronous (so two Nodes created together never get the same
// subnet), the subnet is written with a merge patch (the API server refuses
// to change a podCIDR once set, which guards against a second writer), and it
// is released when the Node is deleted. A full range is a Warning event
// CIDRNotAvailable on the Node, retried when a Node goes away.
import type { Node } from '../kube/api/core.js';
import { Nodes, isApiError } from '../kube/client.js';
import type { Controller, ControllerContext } from './controller-context.js';
import { NodeCIDRAssignments, podCIDROf } from './node-ipam-assignments.js';
import { CIDRSet } from './node-ipam-cidr-set.js';
import { WorkQueue } from './work-queue.js';

export interface NodeIpamOptions {
  /** --cluster-cidr. Default 10.244.0.0/16. */
  clusterCIDR?: string;
  /** --node-cidr-mask-size. Default 24. */
  nodeCIDRMaskSize?: number;
  workers?: number;
}

export function createNodeIpamController(opts: NodeIpamOptions = {}): Controller {
  return {
    name: 'nodeipam',
    setup(ctx: ControllerContext) {
      // Built here, so a bad --cluster-cidr fails at start with the CIDRSetError naming it.
      const assignments = new NodeCIDRAssignments(new CIDRSet(opts.clusterCIDR ?? '10.244.0.0/16', opts.nodeCIDRMaskSize ?? 24));
      const nodes = ctx.informers.for<Node>(Nodes);
      const queue = new WorkQueue();
      const enqueue = (n: Node) => {
        if (n.metadata.name) queue.add(n.metadata.name);
      };
      nodes.on({
        add: enqueue,
        update: (o, c) => {
          if (podCIDROf(o) !== podCIDROf(c) || !podCIDROf(c)) enqueue(c);
        },
        delete: (n) => {
          enqueue(n);
          // A subnet comes free: Nodes waiting on a full range get another try.
          for (const w of nodes.list()) if (!podCIDROf(w)) enqueue(w);
        },
      });

      const reconcile = async (name: string): Promise<void> => {
        const node = nodes.get('', name);
        const step = assignments.step(name, node);
        if (step.kind === 'none' || !node) return;
        if (step.kind === 'full') {
          ctx.events.event(node, 'Warning', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable (no free /${opts.nodeCIDRMaskSize ?? 24} left in ${assignments.set.clusterCIDR})`);
          return;
        }
        try {
          await ctx.client.patch(Nodes, name, 'merge', { spec: { podCIDR: step.cidr, podCIDRs: [step.cidr] } });
          ctx.log(`nodeipam: node="${name}" podCIDR=${step.cidr}`);
        } catch (e) {
          // Gone, or refused because another writer set a different CIDR: the next pass reads the node again.
          if (isApiError(e, 404) || isApiError(e, 422)) assignments.forget(name);
          if (isApiError(e, 404)) return;
          throw e;
        }
      };

      return {
        async run() {
          // Every subnet already in use is marked before any Node is handed a new one.
          for (const n of nodes.list()) if (n.metadata.name && podCIDROf(n)) assignments.step(n.metadata.name, n);
          await queue.runUntil(ctx.signal, reconcile, opts.workers ?? 2, (key, err) => {
            ctx.log(`nodeipam: node="${key}": ${(err as Error).message ?? String(err)}`);
          });
        },
      };
    },
  };
}

export const nodeIpamController: Controller = createNodeIpamController();
