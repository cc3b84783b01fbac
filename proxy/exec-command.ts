// Runs the proxy's kernel tools (iptables-restore, iptables-save, iptables,
// conntrack) through execa. A `prefix` runs them in another network
// namespace (e.g. ["ip", "netns", "exec", "nk-test-1"]) for tests and the
// benchmark; the proxy itself runs inside the node's namespace and needs none.
import { execa } from 'execa';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one command to completion; never throws for a non-zero exit (the caller decides what it means). */
export type CommandRunner = (cmd: string, args: readonly string[], input?: string) => Promise<CommandResult>;

export function commandRunner(prefix: readonly string[] = []): CommandRunner {
  return async (cmd, args, input) => {
    const [file, ...rest] = prefix.length > 0 ? [...prefix, cmd, ...args] : [cmd, ...args];
    const r = await execa(file!, rest, {
      reject: false,
      stripFinalNewline: false,
      // Large rulesets: iptables-save of 100,000 endpoints is tens of megabytes.
      maxBuffer: 1 << 30,
      env: { LC_ALL: 'C' },
      ...(input !== undefined ? { input } : { stdin: 'ignore' as const }),
    });
    if (r.failed && r.exitCode === undefined) {
      // Not started at all (ENOENT, …): say which tool is missing.
      throw new Error(`${cmd}: ${r.shortMessage}`);
    }
    return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  };
}
