// How `netkube exec` gets "inside the container", as a pure plan. Containers
// are processes without a filesystem of their own, so "inside" means the
// container's namespaces: its network namespace (shared by the pod), and the
// mount and UTS namespaces where the node agent bind-mounted the pod's
// /etc/resolv.conf, /etc/hosts and /etc/hostname and set its hostname.
//
// Contract with the node agent (node/pod-state-store.ts; per-pod state under its --root-dir):
//   <root-dir>/pods/<pod uid>/state.json    {netns: "<name under /run/netns>", containers: {<name>: {pid}}}
//   <root-dir>/pods/<pod uid>/resolv.conf, hosts, hostname    the files the containers see
// With a live container pid, exec joins that process's namespaces and
// environment (like `kubectl exec`); with only the pod files, it joins the
// network namespace and bind-mounts the files in a private mount namespace.

export interface PodRuntimeFiles {
  netns?: string;
  resolvConf?: string;
  hosts?: string;
  hostname?: string;
}

export type ExecTarget =
  | { kind: 'container'; pid: number; env?: Record<string, string> }
  | { kind: 'pod'; files: PodRuntimeFiles & { netns: string } }
  | { kind: 'netns'; netns: string };

export interface ExecPlan {
  argv: string[];
  /** Environment for the command; undefined = inherit. */
  env?: Record<string, string>;
}

/** Files in the pod dir the plan bind-mounts over /etc. */
const BIND_TARGETS: [keyof PodRuntimeFiles, string][] = [
  ['resolvConf', '/etc/resolv.conf'],
  ['hosts', '/etc/hosts'],
];

export function planExec(target: ExecTarget, command: readonly string[]): ExecPlan {
  if (command.length === 0) throw new Error('exec: no command given (netkube exec POD -- CMD …)');
  switch (target.kind) {
    case 'container':
      return {
        argv: ['nsenter', `--target=${target.pid}`, '--net', '--mount', '--uts', '--', ...command],
        ...(target.env ? { env: target.env } : {}),
      };
    case 'netns':
      return { argv: ['nsenter', `--net=${target.netns}`, '--', ...command] };
    case 'pod': {
      // A private mount and UTS namespace for this one command: the binds and the hostname vanish with it.
      const script: string[] = [];
      const params: string[] = [];
      for (const [key, dest] of BIND_TARGETS) {
        const src = target.files[key];
        if (src) {
          params.push(src);
          script.push(`mount --bind "$${params.length}" ${dest}`);
        }
      }
      if (target.files.hostname) {
        params.push(target.files.hostname);
        script.push(`mount --bind "$${params.length}" /etc/hostname && hostname "$(cat "$${params.length}")"`);
      }
      script.push(`shift ${params.length}`, 'exec "$@"');
      return {
        argv: [
          'nsenter', `--net=${target.files.netns}`, '--',
          'unshare', '--mount', '--uts', '--propagation', 'private', '--',
          'sh', '-c', script.join(' && '), 'netkube-exec', ...params, ...command,
        ],
      };
    }
  }
}

/** Parses /proc/PID/environ. */
export function parseEnviron(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of text.split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}
