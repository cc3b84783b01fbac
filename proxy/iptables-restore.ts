// The proxy's only writer of iptables state: feeds rendered text to
// `iptables-restore --noflush` (atomic per table: on failure the table keeps
// its previous rules), reads chains back with iptables-save, keeps the jumps
// from the built-in chains in place, and removes everything the proxy owns
// on `netkube proxy --cleanup` (and nothing else).
import { commandRunner, type CommandRunner } from './exec-command.js';
import { isServiceChainName } from './iptables-chain-names.js';
import { splitRuleWords } from './iptables-normalise.js';
import { describeRestoreFailure, formatRestoreFailure, type RestoreFailure } from './iptables-restore-error.js';
import {
  FILTER_CHAINS,
  KUBE_PROXY_CANARY,
  NAT_CHAINS,
  renderHookRules,
  type HookRule,
  type IptablesTable,
} from './iptables-render.js';
import { withNatCacheHint } from './restore-cache-hint.js';

/** An iptables-restore run that failed; the message quotes the lines around the failing one. */
export class IptablesRestoreError extends Error {
  override name = 'IptablesRestoreError';
  constructor(
    message: string,
    readonly failure: RestoreFailure,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** What the proxier needs from iptables; tests substitute a fake. */
export interface RuleApplier {
  /** Applies restore text with --noflush; throws IptablesRestoreError on failure. `what` names the sync in errors. */
  restore(text: string, what?: string): Promise<void>;
  /** Chain names in a table as iptables-save lists them. */
  listChains(table: IptablesTable): Promise<Set<string>>;
  /** Whether a chain exists (the canary check). */
  chainExists(table: IptablesTable, chain: string): Promise<boolean>;
  /** Inserts any missing jump from the built-in chains into ours; returns how many were inserted. */
  ensureHookRules(): Promise<number>;
}

export interface IptablesOptions {
  /** Command prefix to run in another network namespace (tests, benchmark). */
  readonly prefix?: readonly string[];
  /** Seconds to wait for the xtables lock (iptables -w). Default 5. */
  readonly lockWaitSeconds?: number;
  readonly run?: CommandRunner;
}

/** The comment text of a hook rule: ours are told apart from other software's by it (and the target). */
function hookComment(h: HookRule): string | undefined {
  const i = h.args.indexOf('--comment');
  return i >= 0 ? h.args[i + 1] : undefined;
}

function hookTarget(args: readonly string[]): string | undefined {
  const i = args.lastIndexOf('-j');
  return i >= 0 ? args[i + 1] : undefined;
}

function commentOf(args: readonly string[]): string | undefined {
  const i = args.indexOf('--comment');
  return i >= 0 ? args[i + 1] : undefined;
}

/** The chains the proxy owns in a table: its top-level chains, the canary and every per-service chain. */
export function isOwnedChain(table: IptablesTable, chain: string): boolean {
  if (chain === KUBE_PROXY_CANARY) return true;
  if (table === 'nat') return (NAT_CHAINS as readonly string[]).includes(chain) || isServiceChainName(chain);
  return (FILTER_CHAINS as readonly string[]).includes(chain);
}

export class Iptables implements RuleApplier {
  private readonly run: CommandRunner;
  private readonly wait: string;

  constructor(opts: IptablesOptions = {}) {
    this.run = opts.run ?? commandRunner(opts.prefix);
    this.wait = String(opts.lockWaitSeconds ?? 5);
  }

  async restore(text: string, what = 'iptables-restore'): Promise<void> {
    if (text === '') return;
    // Line numbers in iptables-restore's errors refer to what was sent, hint included.
    const sent = withNatCacheHint(text);
    const r = await this.run('iptables-restore', ['-w', this.wait, '--noflush'], sent);
    if (r.exitCode === 0) return;
    const failure = describeRestoreFailure(sent, r.stderr);
    throw new IptablesRestoreError(formatRestoreFailure(what, r.stderr, failure), failure, r.stderr);
  }

  async listChains(table: IptablesTable): Promise<Set<string>> {
    const r = await this.run('iptables-save', ['-t', table]);
    if (r.exitCode !== 0) throw new Error(`iptables-save -t ${table} failed: ${r.stderr.trim()}`);
    return parseSavedChains(r.stdout);
  }

  async chainExists(table: IptablesTable, chain: string): Promise<boolean> {
    // Exit 1 is "no such chain". The canary is empty, so listing it is cheap.
    const r = await this.run('iptables', ['-w', this.wait, '-t', table, '-S', chain]);
    return r.exitCode === 0;
  }

  /** The rules of a built-in chain as `iptables -S` prints them, split into words. */
  private async chainRules(table: IptablesTable, chain: string): Promise<string[][]> {
    const r = await this.run('iptables', ['-w', this.wait, '-t', table, '-S', chain]);
    if (r.exitCode !== 0) throw new Error(`iptables -t ${table} -S ${chain} failed: ${r.stderr.trim()}`);
    return r.stdout
      .split('\n')
      .filter((l) => l.startsWith(`-A ${chain} `))
      .map((l) => splitRuleWords(l));
  }

  async ensureHookRules(): Promise<number> {
    const hooks = renderHookRules();
    const byChain = groupHooks(hooks);
    let inserted = 0;
    for (const [key, list] of byChain) {
      const [table, chain] = key.split(' ') as [IptablesTable, HookRule['chain']];
      const present = await this.chainRules(table, chain);
      const has = (h: HookRule): boolean =>
        present.some((words) => hookTarget(words) === hookTarget(h.args) && commentOf(words) === hookComment(h));
      // Listed in final top-to-bottom order: insert the missing ones bottom-up, each at position 1.
      for (const h of [...list].reverse()) {
        if (has(h)) continue;
        const r = await this.run('iptables', ['-w', this.wait, '-t', table, '-I', chain, '1', ...h.args]);
        if (r.exitCode !== 0) {
          throw new Error(`iptables -t ${table} -I ${chain} 1 ${h.args.join(' ')} failed: ${r.stderr.trim()}`);
        }
        inserted++;
      }
    }
    return inserted;
  }

  /**
   * Removes the proxy's jumps from the built-in chains, then flushes and
   * deletes its chains (one restore per table). Rules and chains of other
   * software stay. Returns what was removed.
   */
  async cleanup(): Promise<{ hooks: number; chains: number }> {
    let hooks = 0;
    for (const [key, list] of groupHooks(renderHookRules())) {
      const [table, chain] = key.split(' ') as [IptablesTable, HookRule['chain']];
      let present: string[][];
      try {
        present = await this.chainRules(table, chain);
      } catch {
        continue; // a table that was never set up has nothing of ours
      }
      for (const words of present) {
        const ours = list.some((h) => hookTarget(words) === hookTarget(h.args) && commentOf(words) === hookComment(h));
        if (!ours) continue;
        const r = await this.run('iptables', ['-w', this.wait, '-t', table, '-D', chain, ...words.slice(2)]);
        if (r.exitCode !== 0) throw new Error(`iptables -t ${table} -D ${words.join(' ')} failed: ${r.stderr.trim()}`);
        hooks++;
      }
    }
    let chains = 0;
    for (const table of ['filter', 'nat'] as const) {
      const owned = [...(await this.listChains(table))].filter((c) => isOwnedChain(table, c)).sort();
      if (owned.length === 0) continue;
      const text = [`*${table}`, ...owned.map((c) => `:${c} - [0:0]`), ...owned.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
      await this.restore(text, `cleanup of the ${table} table`);
      chains += owned.length;
    }
    return { hooks, chains };
  }
}

function groupHooks(hooks: readonly HookRule[]): Map<string, HookRule[]> {
  const out = new Map<string, HookRule[]>();
  for (const h of hooks) {
    const key = `${h.table} ${h.chain}`;
    const list = out.get(key) ?? [];
    list.push(h);
    out.set(key, list);
  }
  return out;
}

/** Chain names declared in iptables-save output (`:NAME POLICY [p:b]`). */
export function parseSavedChains(saved: string): Set<string> {
  const out = new Set<string>();
  let start = 0;
  while (start < saved.length) {
    let end = saved.indexOf('\n', start);
    if (end < 0) end = saved.length;
    if (saved.charCodeAt(start) === 58 /* ':' */) {
      const space = saved.indexOf(' ', start);
      out.add(saved.slice(start + 1, space < 0 || space > end ? end : space));
    }
    start = end + 1;
  }
  return out;
}
