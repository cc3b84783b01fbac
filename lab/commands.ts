// The lab's subcommands: up, down, status and exec. Registered on the `netkube`
// program by lab/cli.ts.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { DEFAULT_LAB_FLAGS, LAB_OVERLAY_MODES, checkLabName, LabConfigError, labPaths, planLab, resolveHome, type LabConfig, type SharedUnderlay, type LabFlags } from './lab-config.js';
import { describeDown, labDown, labLeftovers } from './lab-down.js';
import { labExec } from './lab-exec.js';
import { labsOnUnderlay, readLabState } from './lab-state.js';
import { listNetns } from './lab-network.js';
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

/** `up`'s flags: the lab's plan flags, less $NETKUBE_HOME (from the environment). */
type UpFlags = Omit<LabFlags, 'home'>;

/** --join-underlay: the lab named must be up (its lab.json and its underlay namespace); with every lab already on that underlay. */
async function underlayToJoin(lab: string, self: string): Promise<SharedUnderlay> {
  const state = await readLabState(home(), lab);
  if (!state) throw new LabConfigError(`--join-underlay ${lab}: lab "${lab}" is not up (no ${labPaths(home(), lab).state}); start it first with netkube up --name ${lab}`);
  const ns = state.config.underlayNetns;
  if (!(await listNetns()).includes(ns)) {
    throw new LabConfigError(`--join-underlay ${lab}: its underlay namespace ${ns} is gone; run netkube down --name ${lab}, then bring it up again`);
  }
  return { target: state.config, labs: await labsOnUnderlay(home(), ns, self) };
}

/** `status`'s line on a shared underlay: whose it is, and who else is on it. */
async function underlaySharing(cfg: LabConfig): Promise<string | undefined> {
  const others = (await labsOnUnderlay(home(), cfg.underlayNetns, cfg.name)).map((c) => `"${c.name}"`);
  const nodes = `${cfg.nodes[0]!.ip}-${cfg.nodes.at(-1)!.ip}`;
  if (cfg.joinedUnderlay) {
    return `underlay: shares lab "${cfg.joinedUnderlay.lab}"'s underlay ${cfg.underlayCIDR} (${cfg.underlayNetns}, host ${cfg.hostLink} ${cfg.hostIP}); this lab's nodes ${nodes}${others.length ? `; labs on it: ${others.join(', ')}` : ''}`;
  }
  return others.length ? `underlay: ${cfg.underlayCIDR} (${cfg.underlayNetns}) shared with lab${others.length === 1 ? '' : 's'} ${others.join(', ')} (--join-underlay); this lab's nodes ${nodes}` : undefined;
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
    .option('--join-underlay <lab>', 'run on that (running) lab\'s underlay: its bridge, host link and address; for two clusters side by side')
    .option('--first-node-address <ip>', 'underlay address of node 1 (node i = this + i-1); default .11, or past the nodes already there when joining')
    .option('--overlay <mode>', `pod-to-pod datapath between nodes: ${LAB_OVERLAY_MODES.join(' or ')}`, d.overlay)
    .option('--dns-ttl <seconds>', 'TTL of the cluster DNS\'s answers (kubeadm\'s CoreDNS uses 30; DNS clients may keep a gone pod that long)', intArg('--dns-ttl'), d.dnsTtl)
    .action(async (o: UpFlags, cmd: Command) => {
      requireRootOnLinux('up');
      const shared = o.joinUnderlay !== undefined ? await underlayToJoin(o.joinUnderlay, o.name) : undefined;
      // A joining lab takes the underlay it joins; an explicit different --underlay is an error (planLab says so).
      const underlay = shared && cmd.getOptionValueSource('underlay') !== 'cli' ? shared.target.underlayCIDR : o.underlay;
      const cfg = planLab({ ...o, underlay, home: home() }, shared);
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
      const sharing = await underlaySharing(state.config);
      // After the status's first line (the lab and its API server).
      process.stdout.write((await labStatus(state)).replace(/\n/, sharing ? `\n${sharing}\n` : '\n'));
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
}
