// Driving a lab from an integration test: the compiled CLI with its own
// NETKUBE_HOME, kubectl against the lab's kubeconfig, commands in pods and in
// node namespaces, and polling with the last state in the timeout message.
// The same shapes as the helpers of test/proxy-lab.test.ts, parameterised by
// the lab, so a new lab test does not copy them again.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { KUBECTL, REPO_ROOT } from './apiserver-process.js';

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs argv; never rejects (the exit code is in the result, -1 when it did not run or timed out). */
export function sh(argv: readonly string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<ShResult> {
  return new Promise((resolve) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { env: { ...process.env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    // Most commands never read stdin and may exit before we write: ignore EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

/** Polls `probe` until it reports ok; on timeout the error shows the last state it saw. */
export async function waitFor<T>(what: string, probe: () => Promise<{ ok: boolean; value: T; state: string }>, timeoutMs = 60_000, everyMs = 300): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '(no state seen)';
  for (;;) {
    try {
      const r = await probe();
      if (r.ok) return r.value;
      last = r.state;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last state:\n${last}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface TestLab {
  readonly name: string;
  readonly prefix: string;
  /** $NETKUBE_HOME of this lab. */
  readonly home: string;
  /** Lab directory: kubeconfig, logs/, run/. */
  readonly dir: string;
  netkube(args: readonly string[], timeoutMs?: number): Promise<ShResult>;
  /** kubectl against the lab; throws with kubectl's output on a non-zero exit. */
  kubectl(args: readonly string[], input?: string): Promise<string>;
  /** A command inside a pod (`netkube exec`). */
  inPod(pod: string, argv: readonly string[]): Promise<ShResult>;
  /** A command in a lab node's network namespace (node-1 → <prefix>-<lab>-node-1). */
  inNode(node: string, argv: readonly string[]): Promise<ShResult>;
  netnsOf(node: string): string;
}

export function testLab(name: string, prefix: string, home: string): TestLab {
  const cli = join(REPO_ROOT, 'bin', 'netkube.js');
  const dir = join(home, name);
  const netkube = (args: readonly string[], timeoutMs = 120_000): Promise<ShResult> => sh([process.execPath, cli, ...args], { env: { NETKUBE_HOME: home }, timeoutMs });
  const netnsOf = (node: string): string => `${prefix}-${name}-${node}`;
  return {
    name,
    prefix,
    home,
    dir,
    netkube,
    netnsOf,
    async kubectl(args, input) {
      const r = await sh([KUBECTL, '--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(home, 'kubectl-cache'), ...args], {
        env: { HOME: home, KUBECONFIG: '' },
        ...(input !== undefined ? { input } : {}),
      });
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    inPod: (pod, argv) => netkube(['exec', '--name', name, pod, '--', ...argv], 60_000),
    inNode: (node, argv) => sh(['nsenter', `--net=/run/netns/${netnsOf(node)}`, ...argv]),
  };
}
