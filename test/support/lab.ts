// Driving a lab from an integration test: the compiled CLI with its own
// NETKUBE_HOME, kubectl against the lab's kubeconfig, commands in pods and in
// node namespaces, and polling with the last state in the timeout message.
// Every lab test uses these (test/proxy-lab, lab-e2e, dns-lab, lab-two-labs,
// lab-up-down, overlay-lab, demo), parameterised by the lab, so a new lab test
// does not copy them again.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBECTL, REPO_ROOT } from './apiserver-process.js';

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr: for failure messages, and checks that do not care which stream. */
  out: string;
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
        resolve({ code, stdout, stderr, out: `${stdout}${stderr}` });
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

/**
 * The same loop for a probe that returns a plain value and a `done` predicate
 * on it; the last value seen (JSON unless a string) is the state.
 */
export function waitForValue<T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000, everyMs = 500): Promise<T> {
  return waitFor(
    what,
    async () => {
      const v = await probe();
      return { ok: done(v), value: v, state: typeof v === 'string' ? v : JSON.stringify(v, null, 1) };
    },
    timeoutMs,
    everyMs,
  );
}

/** The compiled CLI with its own NETKUBE_HOME, for commands that are not about one lab (or before it has a TestLab). */
export function netkubeCli(home: string, args: readonly string[], timeoutMs = 120_000): Promise<ShResult> {
  return sh([process.execPath, join(REPO_ROOT, 'bin', 'netkube.js'), ...args], { env: { NETKUBE_HOME: home }, timeoutMs });
}

export interface TestLabOptions {
  /** Default timeout of `netkube` (and so of `inPod`) calls; default 120 s. */
  readonly netkubeTimeoutMs?: number;
}

export interface InPodOptions {
  /** The pod's namespace (`netkube exec -n`); default: none given, so `default`. */
  readonly namespace?: string;
  /** Default 60 s. */
  readonly timeoutMs?: number;
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
  /** kubectl against the lab; never throws (the exit code is in the result). */
  kubectlRun(args: readonly string[], input?: string): Promise<ShResult>;
  /** A command inside a pod (`netkube exec`). */
  inPod(pod: string, argv: readonly string[], opts?: InPodOptions): Promise<ShResult>;
  /** A command in a lab node's network namespace (node-1 → <prefix>-<lab>-node-1; also `underlay`). */
  inNode(node: string, argv: readonly string[]): Promise<ShResult>;
  netnsOf(node: string): string;
  /**
   * `netkube up --name <lab> --prefix <prefix> ...flags`, after a `down` that
   * clears what a crashed earlier run left (found by prefix); throws with the
   * output when `up` fails.
   */
  up(flags: readonly string[], timeoutMs?: number): Promise<ShResult>;
}

export function testLab(name: string, prefix: string, home: string, opts: TestLabOptions = {}): TestLab {
  const dir = join(home, name);
  const netkube = (args: readonly string[], timeoutMs = opts.netkubeTimeoutMs ?? 120_000): Promise<ShResult> => netkubeCli(home, args, timeoutMs);
  const netnsOf = (node: string): string => `${prefix}-${name}-${node}`;
  const kubectlRun = (args: readonly string[], input?: string): Promise<ShResult> =>
    sh([KUBECTL, '--kubeconfig', join(dir, 'kubeconfig'), '--cache-dir', join(home, 'kubectl-cache'), ...args], {
      env: { HOME: home, KUBECONFIG: '' },
      ...(input !== undefined ? { input } : {}),
    });
  return {
    name,
    prefix,
    home,
    dir,
    netkube,
    netnsOf,
    kubectlRun,
    async kubectl(args, input) {
      const r = await kubectlRun(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return r.stdout;
    },
    inPod: (pod, argv, o = {}) =>
      netkube(['exec', '--name', name, ...(o.namespace !== undefined ? ['-n', o.namespace] : []), pod, '--', ...argv], o.timeoutMs ?? 60_000),
    inNode: (node, argv) => sh(['nsenter', `--net=/run/netns/${netnsOf(node)}`, ...argv]),
    async up(flags, timeoutMs) {
      await netkube(['down', '--name', name, '--prefix', prefix]);
      const r = await netkube(['up', '--name', name, '--prefix', prefix, ...flags], timeoutMs);
      if (r.code !== 0) throw new Error(`netkube up failed (${r.code}):\n${r.out}`);
      return r;
    },
  };
}

/** A TestLab in a fresh temporary home of its own (`<homePrefix>XXXXXX` under the OS temp dir). */
export async function tempTestLab(name: string, prefix: string, homePrefix: string, opts: TestLabOptions = {}): Promise<TestLab> {
  return testLab(name, prefix, await mkdtemp(join(tmpdir(), homePrefix)), opts);
}

/** For afterAll: `down` of a tempTestLab, then its home removed; nothing when setup failed before the lab existed. */
export async function removeTempTestLab(lab: TestLab | undefined, downTimeoutMs = 60_000): Promise<void> {
  if (!lab) return;
  await lab.netkube(['down', '--name', lab.name, '--prefix', lab.prefix], downTimeoutMs);
  await rm(lab.home, { recursive: true, force: true });
}
