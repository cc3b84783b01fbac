// Runs a command inside a lab pod's container, the way `netkube exec` does,
// but with its output captured: the demo reads dig's answers and the load
// generator's JSON lines from it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { LabConfig } from '../lab/lab-config.js';
import { planPodExec, type ExecRequest } from '../lab/lab-exec.js';

export async function spawnInPod(cfg: LabConfig, req: ExecRequest): Promise<ChildProcessWithoutNullStreams> {
  const plan = await planPodExec(cfg, req);
  return spawn(plan.argv[0]!, plan.argv.slice(1), { stdio: 'pipe', env: plan.env ?? process.env });
}

export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs to completion; rejects only when the command cannot start. */
export async function runInPod(cfg: LabConfig, req: ExecRequest): Promise<CommandOutput> {
  const child = await spawnInPod(cfg, req);
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`running ${req.command.join(' ')} in pod ${req.pod}: ${e.message}`)));
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}
