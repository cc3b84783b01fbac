// `netkube overlay show`: the logical network (as `ovn-nbctl show` prints it)
// and, per node, the kernel state compiled from it (as `ovn-sbctl show`),
// read from the API. A command rather than a kubectl-able resource: the
// model is derived from Nodes and Pods, so storing it again would only add a
// second source of truth that can drift.
import type { Command } from 'commander';
import { KubeClient } from '../kube/client.js';
import { connectionFrom } from '../kube/kubeconfig.js';
import { checkLabName, resolveHome } from '../lab/lab-config.js';
import { readLabState } from '../lab/lab-state.js';
import { showOverlay } from './show.js';

async function labKubeconfig(name: string): Promise<string> {
  checkLabName(name);
  const home = resolveHome(process.env, process.cwd());
  const state = await readLabState(home, name);
  if (!state) throw new Error(`lab "${name}" is not up (no ${home}/${name}/lab.json)`);
  return state.config.paths.kubeconfig;
}

export function registerOverlayCommand(program: Command): void {
  const overlay = program.command('overlay').description('the OVN-style overlay: logical topology and per-node datapath');
  overlay
    .command('show')
    .description('print the logical topology (like ovn-nbctl show) and each node\'s compiled VXLAN state (like ovn-sbctl show)')
    .option('--kubeconfig <file>', 'kubeconfig of the cluster (default: in-cluster, $KUBECONFIG, ~/.kube/config)')
    .option('--name <lab>', 'a lab started by netkube up: use its kubeconfig')
    .action(async (o: { kubeconfig?: string; name?: string }) => {
      const kubeconfig = o.kubeconfig ?? (o.name ? await labKubeconfig(o.name) : undefined);
      const client = new KubeClient(await connectionFrom(kubeconfig ? { kubeconfig } : {}));
      try {
        process.stdout.write(await showOverlay(client));
      } finally {
        client.close();
      }
    });
}
