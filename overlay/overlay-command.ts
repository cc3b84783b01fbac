// `netkube overlay show`: the logical network (as `ovn-nbctl show` prints it)
// and, per node, the kernel state compiled from it (as `ovn-sbctl show`),
// read from the API. A command rather than a kubectl-able resource: the
// model is derived from Nodes and Pods, so storing it again would only add a
// second source of truth that can drift.
import type { Command } from 'commander';
import { KubeClient } from '../kube/client.js';
import { connectionFrom } from '../kube/kubeconfig.js';
import { showOverlay } from './show.js';

export function registerOverlayCommand(program: Command): void {
  const overlay = program.command('overlay').description('the OVN-style overlay: logical topology and per-node datapath');
  overlay
    .command('show')
    .description('print the logical topology (like ovn-nbctl show) and each node\'s compiled VXLAN state (like ovn-sbctl show)')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: in-cluster, $KUBECONFIG, ~/.kube/config)')
    .action(async (o: { kubeconfig?: string }) => {
      const client = new KubeClient(await connectionFrom(o.kubeconfig ? { kubeconfig: o.kubeconfig } : {}));
      try {
        process.stdout.write(await showOverlay(client));
      } finally {
        client.close();
      }
    });
}
