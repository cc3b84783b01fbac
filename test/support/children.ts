// Long-running child processes of an integration test (servers, relays):
// started with their output collected, remembered until they exit, so the
// test's afterAll can stop every one still running, also after a failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './apiserver-process.js';

export interface TrackedChild {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they came. */
  output: () => string;
}

const children = new Set<ChildProcess>();

export function startChild(cmd: string, args: readonly string[]): TrackedChild {
  const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { child, output: () => out };
}

/** SIGTERM, then SIGKILL after `graceMs` (0: SIGKILL at once); resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  if (graceMs > 0) child.kill('SIGTERM');
  await exited;
  clearTimeout(t);
}

/** Every child still running, one after the other. */
export async function stopAllChildren(graceMs: number): Promise<void> {
  for (const c of [...children]) await stopChild(c, graceMs);
}
