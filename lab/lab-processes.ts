// The lab's background processes: started detached with a pid file and a log
// under $NETKUBE_HOME/<lab>/, every one marked with NETKUBE_LAB=<prefix>-<lab>
// in its environment. Stopping uses the pid files and, for safety, a scan of
// /proc for the marker and for membership of the lab's network namespaces
// (so pod processes whose agent was killed -9 are found too).
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { netnsPath } from './lab-network.js';

export const LAB_ENV = 'NETKUBE_LAB';

export interface DaemonSpec {
  /** File stem of the pid file and log: "apiserver", "node-1", "routes-node-1". */
  name: string;
  argv: string[];
  /** Run in this network namespace (nsenter --net, so the mount namespace stays the host's). */
  netns?: string;
  env?: Record<string, string>;
}

export interface DaemonPaths {
  logs: string;
  run: string;
}

export function pidFileOf(p: DaemonPaths, name: string): string {
  return join(p.run, `${name}.pid`);
}

export function logFileOf(p: DaemonPaths, name: string): string {
  return join(p.logs, `${name}.log`);
}

export async function startDaemon(labId: string, p: DaemonPaths, spec: DaemonSpec): Promise<number> {
  await mkdir(p.logs, { recursive: true });
  await mkdir(p.run, { recursive: true });
  const argv = spec.netns ? ['nsenter', `--net=${netnsPath(spec.netns)}`, '--', ...spec.argv] : spec.argv;
  const fd = openSync(logFileOf(p, spec.name), 'a');
  try {
    const child = spawn(argv[0]!, argv.slice(1), {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...spec.env, [LAB_ENV]: labId },
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) => reject(new Error(`starting ${spec.name} (${argv.join(' ')}): ${e.message}`)));
      child.once('spawn', () => resolve(child.pid!));
    });
    child.unref();
    await writeFile(pidFileOf(p, spec.name), `${pid}\n`);
    return pid;
  } finally {
    closeSync(fd);
  }
}

/** State letter from /proc/PID/stat, or undefined when there is no such process. */
async function procState(pid: number): Promise<string | undefined> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

export async function isAlive(pid: number): Promise<boolean> {
  const s = await procState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
}

export async function hasLabMarker(pid: number, labId: string): Promise<boolean> {
  try {
    const env = await readFile(`/proc/${pid}/environ`, 'utf8');
    return env.split('\0').includes(`${LAB_ENV}=${labId}`);
  } catch {
    return false;
  }
}

export interface PidFileEntry {
  name: string;
  pid: number;
}

export async function readPidFiles(p: DaemonPaths): Promise<PidFileEntry[]> {
  let files: string[];
  try {
    files = await readdir(p.run);
  } catch {
    return [];
  }
  const out: PidFileEntry[] = [];
  for (const f of files.filter((x) => x.endsWith('.pid')).sort()) {
    const pid = Number((await readFile(join(p.run, f), 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 1) out.push({ name: f.slice(0, -4), pid });
  }
  return out;
}

/** Which of the pid-file processes are alive and really ours (the pid was not reused). */
export async function runningDaemons(labId: string, p: DaemonPaths): Promise<PidFileEntry[]> {
  const out: PidFileEntry[] = [];
  for (const e of await readPidFiles(p)) if ((await isAlive(e.pid)) && (await hasLabMarker(e.pid, labId))) out.push(e);
  return out;
}

/** Network namespace identities (inode numbers) of the given named namespaces. */
async function netnsInodes(names: readonly string[]): Promise<Set<number>> {
  const out = new Set<number>();
  for (const n of names) {
    try {
      out.add((await stat(netnsPath(n))).ino);
    } catch {
      // already gone
    }
  }
  return out;
}

/**
 * Every process of the lab: alive pid-file processes, processes carrying the
 * marker, and processes inside any of the lab's network namespaces (pods).
 * The caller's own process is never included.
 */
export async function findLabProcesses(labId: string, p: DaemonPaths, labNetns: readonly string[]): Promise<number[]> {
  const found = new Set((await runningDaemons(labId, p)).map((e) => e.pid));
  const inodes = await netnsInodes(labNetns);
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    if (pid === process.pid || found.has(pid)) continue;
    if (await hasLabMarker(pid, labId)) {
      found.add(pid);
      continue;
    }
    if (inodes.size > 0) {
      const link = await readlink(`/proc/${pid}/ns/net`).catch(() => '');
      const m = /^net:\[(\d+)\]$/.exec(link);
      if (m && inodes.has(Number(m[1]))) found.add(pid);
    }
  }
  const alive: number[] = [];
  for (const pid of found) if (await isAlive(pid)) alive.push(pid);
  return alive.sort((a, b) => a - b);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SIGTERM, wait up to graceMs, SIGKILL what is left, wait until gone. Returns the pids signalled. */
export async function stopProcesses(pids: readonly number[], graceMs = 3000): Promise<number[]> {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  let left = [...pids];
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(50);
    const still: number[] = [];
    for (const pid of left) if (await isAlive(pid)) still.push(pid);
    left = still;
  }
  for (const pid of left) signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 5000;
  while (left.length > 0 && Date.now() < killDeadline) {
    await sleep(20);
    const still: number[] = [];
    for (const pid of left) if (await isAlive(pid)) still.push(pid);
    left = still;
  }
  return [...pids];
}

export async function removePidFiles(p: DaemonPaths): Promise<void> {
  await rm(p.run, { recursive: true, force: true });
}

/** The last `lines` lines of a daemon's log, for error messages. */
export async function logTail(p: DaemonPaths, name: string, lines = 15): Promise<string> {
  const text = await readFile(logFileOf(p, name), 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
