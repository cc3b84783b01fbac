// Runs the real `netkube apiserver` as a child process for integration tests,
// and the real kubectl against it. Everything a test starts (processes, temp
// dirs) is remembered so cleanup() can remove it even after a failed test:
// call `afterAll(cleanup)` in every file that uses this module.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO_ROOT, 'bin', 'netkube.js');
const COMPILED_CLI = join(REPO_ROOT, 'dist', 'lab', 'cli.js');
export const KUBECTL = '/usr/bin/kubectl';

export type StoreKind = 'sqlite' | 'memory';

export interface StartOptions {
  /** Reuse a data dir (restart); default a fresh temp dir. */
  dataDir?: string;
  store?: StoreKind;
  /** Default 0 (a free port). Pass the previous port to restart in place. */
  port?: number;
  /** Extra environment, e.g. NETKUBE_WATCH_CACHE_SIZE. */
  env?: Record<string, string>;
  /** How long to wait for the "listening" line. Default 30 s. */
  startTimeoutMs?: number;
  /**
   * Controllers the server runs in-process (--controllers). Default "": none,
   * so API tests see only their own writes and controller tests run the
   * controllers they test in the test process.
   */
  controllers?: string;
  /** Extra `netkube apiserver` flags, appended (e.g. ['--node-monitor-grace-period', '3s']). */
  args?: readonly string[];
}

export interface ApiServerProcess {
  url: string;
  port: number;
  kubeconfigPath: string;
  dataDir: string;
  /** The admin bearer token from the kubeconfig. */
  adminToken: string;
  /** PEM of the cluster CA. */
  caPem: string;
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Send a signal and wait for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

const processes = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** A fresh temp dir, removed by cleanup(). */
export async function makeTempDir(prefix = 'netkube-it-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Kill every process this module started and remove every temp dir it made. */
export async function cleanup(): Promise<void> {
  for (const p of [...processes]) {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await exited(p);
    processes.delete(p);
  }
  for (const d of [...tempDirs]) {
    await rm(d, { recursive: true, force: true });
    tempDirs.delete(d);
  }
}

function exited(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => p.once('exit', () => resolve()));
}

function track(p: ChildProcess): void {
  processes.add(p);
  p.once('exit', () => processes.delete(p));
}

const LISTENING = /apiserver-lite listening on (https:\/\/\S+) .*kubeconfig: (\S+)/;

export async function startApiServer(opts: StartOptions = {}): Promise<ApiServerProcess> {
  if (!existsSync(COMPILED_CLI)) {
    throw new Error(`${COMPILED_CLI} is missing: run npm run build first (integration tests run the compiled CLI)`);
  }
  const dataDir = opts.dataDir ?? (await makeTempDir('netkube-apiserver-'));
  const args = [CLI, 'apiserver', '--data-dir', dataDir, '--secure-port', String(opts.port ?? 0), '--store', opts.store ?? 'memory', '--controllers', opts.controllers ?? '', ...(opts.args ?? [])];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));

  const timeoutMs = opts.startTimeoutMs ?? 30_000;
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const check = (): void => {
      const m = LISTENING.exec(out);
      if (m) done(() => resolve(m));
    };
    const onExit = (code: number | null, sig: string | null): void =>
      done(() => reject(new Error(`netkube apiserver exited (code ${code}, signal ${sig}) before listening:\n${out}`)));
    const timer = setTimeout(() => {
      done(() => reject(new Error(`netkube apiserver did not report "listening" within ${timeoutMs} ms:\n${out}`)));
      child.kill('SIGKILL');
    }, timeoutMs);
    const done = (f: () => void): void => {
      clearTimeout(timer);
      child.stderr!.off('data', check);
      child.stdout!.off('data', check);
      child.off('exit', onExit);
      f();
    };
    child.stderr!.on('data', check);
    child.stdout!.on('data', check);
    child.once('exit', onExit);
    check();
  });
  const url = match[1]!;
  const kubeconfigPath = match[2]!;
  const kubeconfig = await readFile(kubeconfigPath, 'utf8');
  const adminToken = /token: (\S+)/.exec(kubeconfig)?.[1];
  if (!adminToken) throw new Error(`no token in ${kubeconfigPath}`);
  const caPem = await readFile(join(dataDir, 'pki', 'ca.crt'), 'utf8');

  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited(child);
  };
  return {
    url,
    port: Number(new URL(url).port),
    kubeconfigPath,
    dataDir,
    adminToken,
    caPem,
    pid: child.pid!,
    output: () => out,
    kill,
    async stop() {
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await kill('SIGTERM');
      clearTimeout(t);
    },
  };
}

/** A copy of the server's kubeconfig authenticating with `token` instead of the admin's. */
export async function kubeconfigWithToken(server: ApiServerProcess, token: string, name: string): Promise<string> {
  const text = await readFile(server.kubeconfigPath, 'utf8');
  if (!text.includes(server.adminToken)) throw new Error('admin token not found in kubeconfig');
  const path = join(server.dataDir, `kubeconfig-${name}`);
  await writeFile(path, text.replace(server.adminToken, token), { mode: 0o600 });
  return path;
}

// ---------------------------------------------------------------- kubectl

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  input?: string;
  /** Default: the server's admin kubeconfig. */
  kubeconfig?: string;
  timeoutMs?: number;
  /** Extra environment, e.g. EDITOR for `kubectl edit`. */
  env?: Record<string, string>;
}

export interface Kubectl {
  (args: readonly string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** Start a long-running kubectl (e.g. `get -w`); killed by cleanup() if the test does not. */
  spawn(args: readonly string[], opts?: { kubeconfig?: string }): KubectlChild;
}

export interface KubectlChild {
  output(): string;
  /** Resolves once stdout satisfies `pred`; rejects after `timeoutMs` with what was seen. */
  waitFor(pred: (stdout: string) => boolean, timeoutMs?: number): Promise<string>;
  kill(): Promise<void>;
}

/**
 * kubectl bound to one server, with its own --cache-dir under the server's data
 * dir so discovery caches never leak between runs (every server has a new port
 * and new certificates anyway).
 */
export function kubectlFor(server: ApiServerProcess): Kubectl {
  const base = (kubeconfig?: string): string[] => ['--kubeconfig', kubeconfig ?? server.kubeconfigPath, '--cache-dir', join(server.dataDir, 'kubectl-cache')];
  const env = { ...process.env, HOME: server.dataDir, KUBECONFIG: '' };
  const run = (args: readonly string[], opts: KubectlOptions = {}): Promise<KubectlResult> =>
    new Promise((resolve) => {
      const child = spawn(KUBECTL, [...base(opts.kubeconfig), ...args], { env: { ...env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      track(child);
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => {
        stderr += `\n[test: kubectl ${args.join(' ')} killed after ${opts.timeoutMs ?? 30_000} ms]`;
        child.kill('SIGKILL');
      }, opts.timeoutMs ?? 30_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ code: -1, stdout, stderr: `${stderr}${e.message}` });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input ?? '');
    });
  const spawnLong = (args: readonly string[], opts: { kubeconfig?: string } = {}): KubectlChild => {
    const child = spawn(KUBECTL, [...base(opts.kubeconfig), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    track(child);
    let stdout = '';
    let stderr = '';
    const waiters = new Set<() => void>();
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      for (const w of waiters) w();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    return {
      output: () => stdout,
      waitFor(pred, timeoutMs = 10_000) {
        return new Promise((resolve, reject) => {
          const check = (): void => {
            if (!pred(stdout)) return;
            waiters.delete(check);
            clearTimeout(timer);
            resolve(stdout);
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            reject(new Error(`kubectl ${args.join(' ')}: expected output not seen within ${timeoutMs} ms.\nstdout:\n${stdout}\nstderr:\n${stderr}`));
          }, timeoutMs);
          waiters.add(check);
          check();
        });
      },
      async kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited(child);
      },
    };
  };
  return Object.assign(run, { spawn: spawnLong });
}

// ---------------------------------------------------------------- raw HTTPS

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The body parsed as JSON, or undefined. */
  json: unknown;
}

export interface RawRequest {
  method?: string;
  path: string;
  /** Default: the admin token; null sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** One HTTPS request to the server, trusting its CA; never throws on a status code. */
export function request(server: ApiServerProcess, r: RawRequest): Promise<RawResponse> {
  const u = new URL(r.path, server.url);
  const headers: Record<string, string> = { ...r.headers };
  const token = r.token === undefined ? server.adminToken : r.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method: r.method ?? 'GET', headers, ca: server.caPem, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Wait until `pred()` is true, polling; rejects with `what` after `timeoutMs`. */
export async function eventually<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------------------------------------------------------------- raw watch

export interface WatchEventLine {
  type: string;
  object: {
    kind?: string;
    code?: number;
    reason?: string;
    message?: string;
    metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  };
}

export interface RawWatch {
  status: number;
  /** Parsed events, in order. */
  readonly events: WatchEventLine[];
  /** Every byte received, as text (blank lines are the keep-alives). */
  raw(): string;
  /** True once the server ended the stream. */
  ended(): boolean;
  /** Resolves when `pred(events)` holds; rejects after `timeoutMs` showing what arrived. */
  waitFor(pred: (events: WatchEventLine[]) => boolean, what: string, timeoutMs?: number): Promise<WatchEventLine[]>;
  /** Resolves when the server ends the stream. */
  waitForEnd(timeoutMs?: number): Promise<void>;
  close(): void;
}

const openWatches = new Set<() => void>();

/** Close every watch opened with openWatch (call in afterAll before cleanup, or rely on cleanup killing the server). */
export function closeWatches(): void {
  for (const c of [...openWatches]) c();
}

/** GET `path` (which should include watch=true) and parse its newline-delimited JSON events as they arrive. */
export function openWatch(server: ApiServerProcess, path: string, headers: Record<string, string> = {}): Promise<RawWatch> {
  const u = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        headers: { authorization: `Bearer ${server.adminToken}`, ...headers },
        ca: server.caPem,
        agent: false,
      },
      (res) => {
        const events: WatchEventLine[] = [];
        let raw = '';
        let pending = '';
        let ended = false;
        const listeners = new Set<() => void>();
        const notify = (): void => {
          for (const l of [...listeners]) l();
        };
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          raw += d;
          pending += d;
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            if (line) events.push(JSON.parse(line) as WatchEventLine);
          }
          notify();
        });
        const onEnd = (): void => {
          ended = true;
          openWatches.delete(close);
          notify();
        };
        res.on('end', onEnd);
        res.on('close', onEnd);
        res.on('error', onEnd);
        const close = (): void => {
          openWatches.delete(close);
          req.destroy();
        };
        openWatches.add(close);
        const wait = (cond: () => boolean, describe: () => string, timeoutMs: number): Promise<void> =>
          new Promise((res2, rej2) => {
            const check = (): void => {
              if (!cond()) return;
              listeners.delete(check);
              clearTimeout(timer);
              res2();
            };
            const timer = setTimeout(() => {
              listeners.delete(check);
              rej2(new Error(describe()));
            }, timeoutMs);
            listeners.add(check);
            check();
          });
        const seen = (): string => events.map((e) => `${e.type} ${e.object.metadata?.name ?? e.object.reason ?? ''}@${e.object.metadata?.resourceVersion ?? ''}`).join(', ');
        resolve({
          status: res.statusCode ?? 0,
          events,
          raw: () => raw,
          ended: () => ended,
          async waitFor(pred, what, timeoutMs = 10_000) {
            await wait(() => pred(events), () => `watch ${path}: ${what} not seen within ${timeoutMs} ms; got [${seen()}]${ended ? ' (stream ended)' : ''}`, timeoutMs);
            return events;
          },
          waitForEnd(timeoutMs = 10_000) {
            return wait(() => ended, () => `watch ${path} did not end within ${timeoutMs} ms; got [${seen()}]`, timeoutMs);
          },
          close,
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
