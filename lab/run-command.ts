// Runs the system tools the lab drives (ip, nsenter, iptables, umount). An
// error names the command line and quotes what the tool said, so `up` and
// `down` can show the user exactly which step failed.
import { execFile } from 'node:child_process';

export class CommandError extends Error {
  override name = 'CommandError';
  constructor(
    readonly argv: readonly string[],
    readonly code: number | string | null,
    readonly stderr: string,
  ) {
    super(`${argv.join(' ')}: ${stderr.trim() || `exit ${code}`}`);
  }
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
}

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.reject(new Error('run: empty command'));
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
        reject(new CommandError(argv, code, stderr || err.message));
      } else resolve(stdout);
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
  });
}

/** Like run, but a failure is an answer (undefined), for probes and best-effort cleanup. */
export async function tryRun(argv: readonly string[], opts: RunOptions = {}): Promise<string | undefined> {
  try {
    return await run(argv, opts);
  } catch {
    return undefined;
  }
}
