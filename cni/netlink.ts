// The one module that runs commands: iproute2's `ip` (batch mode, JSON
// output), entering the pod's network namespace with nsenter. Everything it
// does is decided elsewhere (plan.ts); this only executes and reads back.
import { execFile, spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { CniError, ERR_COMMAND_FAILED, ERR_INVALID_ENV, ERR_INVALID_NETNS } from './cni-error.js';
import { failedBatchLine, isNoSuchDevice, parseLinks, parseRoutes } from './ip-json.js';
import type { LinkState, RouteState } from './plan.js';

export interface RunOptions {
  /** Run inside this network namespace (a path such as /run/netns/x or /proc/PID/ns/net). */
  netns?: string;
  input?: string;
}

/** A failed command, with what iproute2 said (callers classify it with ip-json.ts). */
export class CommandError extends CniError {
  constructor(
    readonly command: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(ERR_COMMAND_FAILED, `${command}: ${stderr.trim().split('\n')[0] ?? 'failed'}`, stderr.trim());
  }
}

// `ip` is looked up on PATH; runtimes often exec plugins with a minimal PATH, so add the usual places.
const PATH = `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin:/sbin:/bin`;

function run(args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const argv = opts.netns ? ['nsenter', `--net=${opts.netns}`, 'ip', ...args] : ['ip', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      env: { ...process.env, PATH },
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new CniError(ERR_COMMAND_FAILED, `${argv[0]}: ${e.message}`)));
    child.on('close', (code) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve(stdout);
      else {
        const where = opts.netns ? ` (in ${opts.netns})` : '';
        const shown = opts.input !== undefined ? `ip ${args.join(' ')}${where} <<${describeBatch(opts.input, stderr)}` : `ip ${args.join(' ')}${where}`;
        reject(new CommandError(shown, stderr, code));
      }
    });
    if (child.stdin) {
      // A command that fails early closes its stdin; the exit status reports that, not EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** Names the batch line that failed, so the error quotes the step rather than the whole batch. */
function describeBatch(input: string, stderr: string): string {
  const n = failedBatchLine(stderr);
  const line = n !== undefined ? input.split('\n')[n - 1] : undefined;
  return line !== undefined ? ` [line ${n}: ${line}]` : ' [batch]';
}

/** Runs lines through one `ip -batch -` (stops at the first failure); returns stdout (JSON with `json`). */
export async function ipBatch(lines: readonly string[], opts: { netns?: string; json?: boolean; details?: boolean } = {}): Promise<string> {
  if (lines.length === 0) return '';
  const flags = [...(opts.json ? ['-j'] : []), ...(opts.details ? ['-d'] : [])];
  return run([...flags, '-batch', '-'], { ...(opts.netns ? { netns: opts.netns } : {}), input: `${lines.join('\n')}\n` });
}

/** One link with its addresses and bridge-port details; undefined when absent. */
export async function showLink(name: string, netns?: string): Promise<LinkState | undefined> {
  try {
    return parseLinks(await run(['-j', '-d', 'addr', 'show', 'dev', name], netns ? { netns } : {}))[0];
  } catch (err) {
    if (err instanceof CommandError && isNoSuchDevice(err.stderr)) return undefined;
    throw err;
  }
}

export async function listLinks(netns?: string, filter: readonly string[] = []): Promise<LinkState[]> {
  return parseLinks(await run(['-j', '-d', 'addr', 'show', ...filter], netns ? { netns } : {}));
}

export async function listRoutes(netns: string): Promise<RouteState[]> {
  return parseRoutes(await run(['-j', 'route', 'show'], { netns }));
}

/** Deletes a link; false when it was already gone. */
export async function deleteLink(name: string, netns?: string): Promise<boolean> {
  try {
    await run(['link', 'del', 'dev', name], netns ? { netns } : {});
    return true;
  } catch (err) {
    if (err instanceof CommandError && isNoSuchDevice(err.stderr)) return false;
    throw err;
  }
}

/** Whether the netns path exists (DEL and GC tolerate it being gone). */
export async function netnsExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * ADD and CHECK need a usable CNI_NETNS: an absolute path with nothing the
 * batch parser would split, that exists, and is not our own namespace
 * (configuring that would rewire the node itself).
 */
export async function assertUsableNetns(path: string): Promise<void> {
  if (!path.startsWith('/') || /[\s"'\\]/.test(path)) {
    throw new CniError(ERR_INVALID_ENV, `CNI_NETNS: "${path}" must be an absolute path without spaces or quotes`);
  }
  const [target, own] = await Promise.all([stat(path).catch(() => undefined), stat('/proc/self/ns/net').catch(() => undefined)]);
  if (!target) throw new CniError(ERR_INVALID_NETNS, `CNI_NETNS: ${path}: no such network namespace`);
  if (own && target.ino === own.ino && target.dev === own.dev) {
    throw new CniError(ERR_INVALID_NETNS, `CNI_NETNS: ${path} is the plugin's own network namespace`);
  }
}

/** Runs a delegated plugin executable (IPAM) and returns its exit code and output. */
export function execPlugin(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, [], { env: env as NodeJS.ProcessEnv, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') {
        reject(new CniError(ERR_COMMAND_FAILED, `running ${file}: ${err.message}`));
        return;
      }
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}
