// Containers are processes: each runs in its pod's network namespace (via
// nsenter) and in a mount and UTS namespace of its own (via unshare), where
// a small shell launcher sets the hostname, gives the container a private
// /run, bind-mounts the files the agent prepared (/etc/hosts,
// /etc/resolv.conf, /etc/hostname, the service account, emptyDirs) and then
// execs the command, so the container's PID is the one the agent spawned.
// unshare runs without --fork on purpose: there is no PID namespace to
// enter, and forking would put a parent between the agent's signals and the
// container. Output goes straight to the log file, and the process is
// detached, so containers outlive an agent restart.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { netnsPath } from './netns.js';

export interface BindMount {
  /** A file or directory the agent prepared. */
  source: string;
  /** Where the container sees it. */
  target: string;
  readOnly?: boolean;
}

export interface LaunchSpec {
  argv: string[];
  env: Record<string, string>;
  /** The pod's network namespace name; undefined = the node's (hostNetwork). */
  netns?: string;
  /** Set in the container's own UTS namespace; undefined keeps the node's hostname (hostNetwork). */
  hostname?: string;
  mounts: BindMount[];
  workingDir?: string;
  /** Where the launcher reads its mount list from. */
  mountsFile: string;
  logFile: string;
}

/**
 * $1 mount list (source TAB target TAB rw|ro per line), $2 hostname or '',
 * $3 working dir or '', then the command. Targets are resolved before /run
 * is replaced, because /etc/resolv.conf may be a symlink into /run. A
 * missing target is created only under the container's own /run: anywhere
 * else it would appear on the host.
 */
export const LAUNCHER_SCRIPT = `set -e
mounts=$1; host=$2; wd=$3; shift 3
saved_path=$PATH; PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ -n "$host" ]; then printf '%s' "$host" > /proc/sys/kernel/hostname; fi
tab=$(printf '\\t')
plan=""
while IFS=$tab read -r src dst mode; do
  [ -n "$src" ] || continue
  plan="$plan$src$tab$(readlink -m -- "$dst")$tab$mode
"
done < "$mounts"
mount -t tmpfs -o mode=755,nosuid,nodev,size=16m netkube-run /run
printf '%s' "$plan" | while IFS=$tab read -r src real mode; do
  [ -n "$src" ] || continue
  if [ ! -e "$real" ]; then
    case "$real" in
      /run/*) if [ -d "$src" ]; then mkdir -p "$real"; else mkdir -p "\${real%/*}"; : > "$real"; fi ;;
      *) echo "netkube: mount path $real does not exist on this host: containers have no filesystem of their own, so a volume must be mounted on an existing path or under /run" >&2; exit 1 ;;
    esac
  fi
  mount --bind "$src" "$real"
  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$real"; fi
done
if [ -n "$wd" ]; then cd "$wd"; fi
PATH=$saved_path
exec "$@"
`;

export interface Launched {
  pid: number;
  /** /proc/<pid>/stat start time: with the PID, identifies the process across agent restarts. */
  procStart: string;
  child: ChildProcess;
}

export async function launchContainer(spec: LaunchSpec): Promise<Launched> {
  await writeFile(spec.mountsFile, spec.mounts.map((m) => `${m.source}\t${m.target}\t${m.readOnly ? 'ro' : 'rw'}\n`).join(''));
  const inner = ['/usr/bin/unshare', '--mount', ...(spec.hostname !== undefined ? ['--uts'] : []), '--propagation', 'private', '/bin/sh', '-c', LAUNCHER_SCRIPT, 'netkube-launch', spec.mountsFile, spec.hostname ?? '', spec.workingDir ?? '', ...spec.argv];
  const argv = spec.netns ? ['/usr/bin/nsenter', `--net=${netnsPath(spec.netns)}`, ...inner] : inner;
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(argv[0]!, argv.slice(1), { env: spec.env, detached: true, stdio: ['ignore', fd, fd], cwd: '/' });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid!));
      child.once('error', reject);
    });
    child.unref();
    return { pid, procStart: procStartTime(pid) ?? '', child };
  } finally {
    closeSync(fd);
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined when the process is gone. */
export function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = rest[0];
    if (state === 'Z' || state === 'X') return undefined;
    return rest[19];
  } catch {
    return undefined;
  }
}

export function isSameProcess(pid: number, procStart: string): boolean {
  return procStart !== '' && procStartTime(pid) === procStart;
}

/** Signals the container's process group (the container and whatever it started); gone is fine. */
export function signalContainer(pid: number, signal: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
      return;
    } catch {
      // no such group (or process): try the process, then give up quietly
    }
  }
}

/** Runs argv inside a running container's namespaces (exec probes, `netkube exec`). */
export function execInContainer(pid: number, argv: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      '/usr/bin/nsenter',
      [`--target=${pid}`, '--net', '--mount', '--uts', '--', ...argv],
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}
