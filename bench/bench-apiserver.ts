// Starts apiserver-lite as a child process for a benchmark and waits until it
// listens. Controllers are off unless asked for: a benchmark measures one
// component, and runs the controller it measures itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface BenchApiServer {
  proc: ChildProcess;
  kubeconfig: string;
  /** SIGTERM, and resolves once the process has exited. */
  stop(): Promise<void>;
}

export async function startBenchApiServer(
  dataDir: string,
  opts: { store?: 'sqlite' | 'memory'; controllers?: string } = {},
): Promise<BenchApiServer> {
  const args = ['bin/netkube.js', 'apiserver', '--data-dir', dataDir, '--secure-port', '0', '--store', opts.store ?? 'sqlite', '--controllers', opts.controllers ?? ''];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`apiserver did not start within 30 s: ${out}`)), 30_000);
    proc.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.on('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`apiserver exited (${c}): ${out}`));
    });
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    proc.kill('SIGTERM');
    await exited;
  };
  return { proc, kubeconfig: join(dataDir, 'kubeconfig'), stop };
}
