// Runs the conntrack deletions a sync planned (conntrack-plan.ts) with the
// conntrack tool, in the node's network namespace. Deleting nothing is not an
// error: conntrack exits 1 with "0 flow entries have been deleted".
import { commandRunner, type CommandRunner } from './exec-command.js';
import type { ConntrackDeletion } from './conntrack-plan.js';

export interface ConntrackCleaner {
  /** Runs every deletion; returns the failures (message per deletion) instead of throwing. */
  delete(deletions: readonly ConntrackDeletion[]): Promise<string[]>;
}

const NOTHING_DELETED = /0 flow entries have been deleted/;

export class Conntrack implements ConntrackCleaner {
  private readonly run: CommandRunner;

  constructor(opts: { prefix?: readonly string[]; run?: CommandRunner } = {}) {
    this.run = opts.run ?? commandRunner(opts.prefix);
  }

  async delete(deletions: readonly ConntrackDeletion[]): Promise<string[]> {
    const failures: string[] = [];
    for (const d of deletions) {
      let r;
      try {
        r = await this.run('conntrack', d.args);
      } catch (e) {
        failures.push(`conntrack ${d.args.join(' ')} (${d.why}): ${e instanceof Error ? e.message : String(e)}`);
        continue;
      }
      if (r.exitCode === 0 || NOTHING_DELETED.test(r.stderr)) continue;
      failures.push(`conntrack ${d.args.join(' ')} (${d.why}): exit ${r.exitCode}: ${r.stderr.trim()}`);
    }
    return failures;
  }
}
