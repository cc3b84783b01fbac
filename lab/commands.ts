// The lab's subcommands: up, down, status, exec, and the hidden lab-routes
// that `up` starts in every node namespace. Registered on the `netkube`
// program by lab/cli.ts.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DEFAULT_LAB_FLAGS, checkLabName, planLab, resolveHome, type LabConfig } from './lab-config.js';
import { describeDown, labDown, labLeftovers } from './lab-down.js';
import { labExec } from './lab-exec.js';
import { runLabRoutes } from './lab-routes.js';
import { readLabState } from './lab-state.js';
import { labStatus } from './lab-status.js';
import { labUp, renderNextSteps, type AvailableComponents, type ComponentCommand } from './lab-up.js';
import { createProgress } from './progress.js';

function intArg(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${flag} must be an integer, got "${v}"`);
    return n;
  };
}

/** One line, non-zero exit: the lab builds kernel objects only root can make, with Linux tools. */
export function requireRootOnLinux(command: string): void {
  if (process.platform !== 'linux') throw new Error(`netkube ${command} needs Linux (network namespaces, veth, bridges); this is ${process.platform}`);
  if (process.getuid?.() !== 0) throw new Error(`netkube ${command} needs root (it creates network namespaces and links); run it with sudo`);
}

/** argv that runs this same netkube build: the lab starts its components with it. */
export function netkubeArgv(): string[] {
  for (const rel of ['../../bin/netkube.js', '../bin/netkube.js']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return [process.execPath, p];
  }
  throw new Error('cannot find bin/netkube.js next to this build');
}

function componentOf(program: Command, name: string): ComponentCommand | undefined {
  const c = program.commands.find((x) => x.name() === name);
  if (!c) return undefined;
  return { flags: new Set(c.options.map((o) => o.long).filter((l): l is string => Boolean(l))) };
}

/** The components this build registered (others add theirs to lab/cli.ts as they land). */
export function availableComponents(program: Command): AvailableComponents {
  const out: AvailableComponents = {};
  const nodeAgent = componentOf(program, 'node');
  const proxy = componentOf(program, 'proxy');
  const dns = componentOf(program, 'dns');
  if (nodeAgent) out.nodeAgent = nodeAgent;
  if (proxy) out.proxy = proxy;
  if (dns) out.dns = dns;
  return out;
}

function home(): string {
  return resolveHome(process.env, process.cwd());
}

/** The lab's plan from lab.json, or else from the flags (enough for `down` to find leftovers by prefix). */
async function existingLab(name: string, prefix: string): Promise<{ cfg: LabConfig; fromState: boolean; missing: string[] }> {
  checkLabName(name);
  const state = await readLabState(home(), name);
  if (state) return { cfg: state.config, fromState: true, missing: state.components.missing };
  return { cfg: planLab({ ...DEFAULT_LAB_FLAGS, name, prefix, home: home() }), fromState: false, missing: [] };
}

interface UpFlags {
  name: string;
  nodes: number;
  podCidr: string;
  serviceCidr: string;
  underlay: string;
  apiserverPort: number;
  prefix: string;
}

export function registerLabCommands(program: Command): void {
  const d = DEFAULT_LAB_FLAGS;
  program
    .command('up')
    .description('bring a lab cluster up on this machine: API server, underlay, node namespaces and their agents')
    .option('--name <lab>', 'lab name (several labs can run side by side)', d.name)
    .option('--nodes <n>', 'number of nodes', intArg('--nodes'), d.nodes)
    .option('--pod-cidr <cidr>', 'cluster CIDR; node IPAM gives each node a /24 of it', d.podCidr)
    .option('--service-cidr <cidr>', 'Service ClusterIP range', d.serviceCidr)
    .option('--underlay <cidr>', 'the nodes\' LAN: host .1, node i .(10+i)', d.underlay)
    .option('--apiserver-port <port>', 'API server port on the underlay\'s host address', intArg('--apiserver-port'), d.apiserverPort)
    .option('--prefix <prefix>', 'prefix of every kernel object of the lab (<prefix>0, <prefix>-<lab>-…)', d.prefix)
    .action(async (o: UpFlags) => {
      requireRootOnLinux('up');
      const cfg = planLab({ ...o, home: home() });
      const progress = createProgress(process.stdout);
      const r = await labUp(cfg, home(), { netkube: netkubeArgv(), components: availableComponents(program), progress });
      process.stdout.write(`\n${renderNextSteps(cfg, r, d.name)}`);
    });

  program
    .command('down')
    .description('stop every process of a lab and remove every namespace, link, mount and file it made (also after a crash)')
    .option('--name <lab>', 'lab name', d.name)
    .option('--prefix <prefix>', 'object prefix, only needed when $NETKUBE_HOME/<lab>/lab.json is gone', d.prefix)
    .action(async (o: { name: string; prefix: string }) => {
      requireRootOnLinux('down');
      const { cfg, fromState } = await existingLab(o.name, o.prefix);
      if (!fromState) {
        const left = await labLeftovers(cfg);
        if (left.processes.length === 0 && left.objects.length === 0) {
          process.stdout.write(`lab "${o.name}" is not up: nothing to remove\n`);
          return;
        }
      }
      process.stdout.write(`${describeDown(o.name, await labDown(cfg))}\n`);
    });

  program
    .command('status')
    .description('nodes, pods, services and component health of a lab at a glance')
    .option('--name <lab>', 'lab name', d.name)
    .action(async (o: { name: string }) => {
      checkLabName(o.name);
      const state = await readLabState(home(), o.name);
      if (!state) throw new Error(`lab "${o.name}" is not up (no ${home()}/${o.name}/lab.json); start it with netkube up${o.name === d.name ? '' : ` --name ${o.name}`}`);
      process.stdout.write(await labStatus(state));
    });

  program
    .command('exec')
    .description('run a command inside a pod: its network namespace, resolv.conf, hosts file and hostname')
    .usage('[-n NAMESPACE] POD [-c CONTAINER] -- COMMAND [ARGS…]')
    .argument('<pod>', 'pod name')
    .argument('<command...>', 'command and arguments (after --)')
    .option('-n, --namespace <ns>', 'the pod\'s namespace (default: the kubeconfig\'s, else "default")')
    .option('-c, --container <name>', 'container (default: the first)')
    .option('--name <lab>', 'lab name', d.name)
    .action(async (pod: string, command: string[], o: { namespace?: string; container?: string; name: string }) => {
      requireRootOnLinux('exec');
      checkLabName(o.name);
      const state = await readLabState(home(), o.name);
      if (!state) throw new Error(`lab "${o.name}" is not up`);
      const code = await labExec(state.config, {
        pod,
        command,
        ...(o.namespace ? { namespace: o.namespace } : {}),
        ...(o.container ? { container: o.container } : {}),
      });
      // The command's exit code is netkube's: main() returns a CommanderError's code without printing.
      if (code !== 0) throw new CommanderError(code, 'netkube.exec', '');
    });

  program
    .command('lab-routes', { hidden: true })
    .description('(lab internal) host-gw routes and masquerade for one lab node; runs in the node\'s namespace')
    .requiredOption('--kubeconfig <file>', 'kubeconfig')
    .requiredOption('--node <name>', 'this node\'s Node name')
    .requiredOption('--cluster-cidr <cidr>', 'pod network range')
    .requiredOption('--service-cidr <cidr>', 'Service range')
    .action(async (o: { kubeconfig: string; node: string; clusterCidr: string; serviceCidr: string }) => {
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      await runLabRoutes({ kubeconfig: o.kubeconfig, node: o.node, clusterCIDR: o.clusterCidr, serviceCIDR: o.serviceCidr, signal: ac.signal });
    });
}
