// Test helper (kube-proxy's tracePacket in proxier_test.go, extended): parses
// rendered iptables-restore text and walks one packet through it the way the
// kernel would, so tests can state what a packet does rather than which lines
// were written. It starts at nat PREROUTING (OUTPUT for traffic the node
// itself sends), follows the hook jumps of renderHookRules() into our chains,
// takes every branch of a `--probability` or `--rcheck` rule (both "may
// match"), applies DNAT, then walks the filter table along the path the
// packet takes (INPUT, FORWARD or OUTPUT) and nat POSTROUTING with real mark
// semantics to learn whether it is masqueraded.
import { parseIptablesRestore, type ParsedRule, type ParsedTable } from './iptables-normalise.js';
import { ipv4CidrContains } from './proxy-config.js';
import { renderHookRules } from './iptables-render.js';

export interface TracedPacket {
  readonly src: string;
  readonly dst: string;
  readonly dport: number;
  readonly proto?: 'tcp' | 'udp' | 'sctp';
}

export interface TraceResult {
  /** DNAT targets ("10.180.0.1:80, 10.180.0.2:80"), or "REJECT"/"DROP"/"ACCEPT", or "" if nothing applied. */
  readonly output: string;
  readonly masq: boolean;
  /** Every rule that matched, prefixed with its table: print it when a case fails. */
  readonly matched: string[];
}

type Target =
  | { kind: 'none' }
  | { kind: 'chain'; chain: string }
  | { kind: 'ACCEPT' | 'DROP' | 'REJECT' | 'RETURN' | 'MASQUERADE' }
  | { kind: 'DNAT'; to: string }
  | { kind: 'MARK'; or?: number; xor?: number };

interface Negatable<T> {
  readonly value: T;
  readonly neg: boolean;
}

interface CompiledRule {
  readonly raw: string;
  src?: Negatable<string>;
  dst?: Negatable<string>;
  proto?: Negatable<string>;
  dport?: Negatable<number>;
  srcType?: Negatable<string>;
  dstType?: Negatable<string>;
  mark?: Negatable<{ value: number; mask: number }>;
  ctstate?: Negatable<string[]>;
  /** --probability or --rcheck: the rule may or may not match; both outcomes are followed. */
  mayMatch: boolean;
  target: Target;
}

const BUILTIN_CHAINS = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const KNOWN_MODULES = new Set(['comment', 'tcp', 'udp', 'sctp', 'statistic', 'recent', 'addrtype', 'mark', 'conntrack']);

function parseMark(s: string): { value: number; mask: number } {
  const [v, m] = s.split('/');
  const value = Number(v);
  const mask = m === undefined ? 0xffffffff : Number(m);
  if (!Number.isFinite(value) || !Number.isFinite(mask)) throw new Error(`bad mark ${s}`);
  return { value, mask };
}

function compileRule(rule: ParsedRule): CompiledRule {
  const a = rule.args;
  const r: CompiledRule = { raw: rule.raw, mayMatch: false, target: { kind: 'none' } };
  let neg = false;
  const fail = (why: string) => new Error(`packet tracer: ${why} in: ${rule.raw}`);
  const value = (i: number): string => {
    const v = a[i];
    if (v === undefined) throw fail(`missing value for ${a[i - 1]}`);
    return v;
  };
  for (let i = 0; i < a.length; i++) {
    const tok = a[i]!;
    if (tok === '!') {
      neg = true;
      continue;
    }
    switch (tok) {
      case '-m': {
        const mod = value(++i);
        if (!KNOWN_MODULES.has(mod)) throw fail(`unknown match module ${mod}`);
        break;
      }
      case '-p':
        r.proto = { value: value(++i), neg };
        break;
      case '-s':
        r.src = { value: value(++i), neg };
        break;
      case '-d':
        r.dst = { value: value(++i), neg };
        break;
      case '--dport':
        r.dport = { value: Number(value(++i)), neg };
        break;
      case '--src-type':
        r.srcType = { value: value(++i), neg };
        break;
      case '--dst-type':
        r.dstType = { value: value(++i), neg };
        break;
      case '--mode':
        if (value(++i) !== 'random') throw fail('only --mode random is supported');
        break;
      case '--probability':
        value(++i);
        r.mayMatch = true;
        break;
      case '--rcheck':
        r.mayMatch = true;
        break;
      case '--name':
      case '--seconds':
      case '--comment':
        value(++i);
        break;
      case '--set':
      case '--reap':
        break;
      case '--mark':
        r.mark = { value: parseMark(value(++i)), neg };
        break;
      case '--ctstate':
        r.ctstate = { value: value(++i).split(','), neg };
        break;
      case '-j': {
        const t = value(++i);
        const rest = a.slice(i + 1);
        i = a.length;
        r.target = compileTarget(t, rest, fail);
        break;
      }
      default:
        throw fail(`unsupported option ${tok}`);
    }
    neg = false;
  }
  return r;
}

function compileTarget(t: string, opts: readonly string[], fail: (why: string) => Error): Target {
  switch (t) {
    case 'ACCEPT':
    case 'DROP':
    case 'REJECT':
    case 'RETURN':
      if (opts.length > 0) throw fail(`unexpected options after ${t}`);
      return { kind: t };
    case 'MASQUERADE':
      if (opts.some((o) => o !== '--random-fully')) throw fail('unexpected MASQUERADE options');
      return { kind: 'MASQUERADE' };
    case 'DNAT': {
      if (opts[0] !== '--to-destination' || opts[1] === undefined || opts.length !== 2) throw fail('DNAT needs --to-destination');
      return { kind: 'DNAT', to: opts[1] };
    }
    case 'MARK': {
      if (opts.length !== 2) throw fail('MARK needs one of --or-mark/--xor-mark');
      const v = Number(opts[1]);
      if (opts[0] === '--or-mark') return { kind: 'MARK', or: v };
      if (opts[0] === '--xor-mark') return { kind: 'MARK', xor: v };
      throw fail(`unsupported MARK option ${opts[0]}`);
    }
    default:
      if (opts.length > 0) throw fail(`unexpected options after jump to ${t}`);
      return { kind: 'chain', chain: t };
  }
}

type Tables = Map<string, Map<string, CompiledRule[]>>;

function compileTables(parsed: readonly ParsedTable[]): Tables {
  const tables: Tables = new Map();
  for (const t of parsed) {
    const chains = new Map<string, CompiledRule[]>();
    for (const c of t.chains) if (!chains.has(c)) chains.set(c, []);
    for (const rule of t.rules) {
      let list = chains.get(rule.chain);
      if (!list) {
        list = [];
        chains.set(rule.chain, list);
      }
      list.push(compileRule(rule));
    }
    tables.set(t.name, chains);
  }
  // The applier installs the hooks outside the restore text; assume them unless the text has its own.
  const hooksByTable = new Map<string, Map<string, ParsedRule[]>>();
  for (const h of renderHookRules()) {
    let byChain = hooksByTable.get(h.table);
    if (!byChain) hooksByTable.set(h.table, (byChain = new Map()));
    const list = byChain.get(h.chain) ?? [];
    list.push({ raw: `-A ${h.chain} ${h.args.map((w) => (w.includes(' ') ? `"${w}"` : w)).join(' ')}`, chain: h.chain, args: h.args, line: 0 });
    byChain.set(h.chain, list);
  }
  for (const [table, byChain] of hooksByTable) {
    let chains = tables.get(table);
    if (!chains) tables.set(table, (chains = new Map()));
    for (const [chain, rules] of byChain) {
      if (chains.get(chain)?.length) continue;
      // A hook into a chain the text does not have (a partial ruleset) is a no-op.
      const present = rules.filter((r) => chains.has(r.args[r.args.length - 1]!));
      chains.set(chain, present.map(compileRule));
    }
  }
  return tables;
}

function isLocalAddress(ip: string, nodeIPs: ReadonlySet<string>): boolean {
  return nodeIPs.has(ip) || ip.startsWith('127.');
}

function addressMatches(spec: string, ip: string): boolean {
  return ipv4CidrContains(spec, ip);
}

class Tracer {
  dst: string;
  dport: number;
  mark = 0;
  masq = false;
  readonly outputs: string[] = [];
  verdict: 'ACCEPT' | 'DROP' | 'REJECT' | undefined;
  readonly matched: string[] = [];
  readonly src: string;
  readonly proto: string;

  constructor(
    private readonly tables: Tables,
    p: TracedPacket,
    private readonly nodeIPs: ReadonlySet<string>,
  ) {
    this.src = p.src;
    this.dst = p.dst;
    this.dport = p.dport;
    this.proto = p.proto ?? 'tcp';
  }

  private matches(r: CompiledRule): boolean {
    const test = <T>(n: Negatable<T> | undefined, f: (v: T) => boolean) => n === undefined || f(n.value) !== n.neg;
    return (
      test(r.proto, (v) => v === this.proto) &&
      test(r.src, (v) => addressMatches(v, this.src)) &&
      test(r.dst, (v) => addressMatches(v, this.dst)) &&
      test(r.dport, (v) => v === this.dport) &&
      test(r.srcType, (v) => v === 'LOCAL' && isLocalAddress(this.src, this.nodeIPs)) &&
      test(r.dstType, (v) => v === 'LOCAL' && isLocalAddress(this.dst, this.nodeIPs)) &&
      test(r.mark, (v) => ((this.mark & v.mask) >>> 0) === v.value) &&
      // Every traced packet is the first of its connection.
      test(r.ctstate, (v) => v.includes('NEW'))
    );
  }

  /** Runs a chain; 'terminal' when the packet's fate was decided (DNAT, verdict, MASQUERADE). */
  run(table: string, chain: string, depth = 0): 'terminal' | 'continue' {
    if (depth > 50) throw new Error(`packet tracer: jump loop through ${table} ${chain}`);
    const rules = this.tables.get(table)?.get(chain);
    if (!rules) {
      if (BUILTIN_CHAINS.has(chain)) return 'continue';
      throw new Error(`packet tracer: jump to missing chain ${table} ${chain}`);
    }
    for (const r of rules) {
      if (!this.matches(r)) continue;
      this.matched.push(`${table}: ${r.raw}`);
      const t = r.target;
      switch (t.kind) {
        case 'none':
          continue;
        case 'MARK':
          if (t.or !== undefined) this.mark = (this.mark | t.or) >>> 0;
          if (t.xor !== undefined) this.mark = (this.mark ^ t.xor) >>> 0;
          continue;
        case 'RETURN':
          return 'continue';
        case 'ACCEPT':
        case 'DROP':
        case 'REJECT':
          this.verdict = t.kind;
          return 'terminal';
        case 'MASQUERADE':
          this.masq = true;
          return 'terminal';
        case 'DNAT':
          if (!this.outputs.includes(t.to)) this.outputs.push(t.to);
          if (r.mayMatch) continue;
          return 'terminal';
        case 'chain': {
          const res = this.run(table, t.chain, depth + 1);
          if (res === 'terminal' && !r.mayMatch) return 'terminal';
          continue;
        }
      }
    }
    return 'continue';
  }
}

/**
 * Traces `p` through the ruleset. `fromNode` marks traffic the node itself
 * originates (nat OUTPUT, filter OUTPUT) instead of traffic arriving from a
 * pod or the network (nat PREROUTING, then filter INPUT or FORWARD).
 */
export function tracePacket(
  rules: string,
  p: TracedPacket,
  nodeIPs: readonly string[],
  opts: { fromNode?: boolean } = {},
): TraceResult {
  const local = new Set(nodeIPs);
  const t = new Tracer(compileTables(parseIptablesRestore(rules)), p, local);

  t.run('nat', opts.fromNode ? 'OUTPUT' : 'PREROUTING');
  const first = t.outputs[0];
  if (first !== undefined) {
    const colon = first.lastIndexOf(':');
    t.dst = first.slice(0, colon);
    t.dport = Number(first.slice(colon + 1));
  }

  const path = opts.fromNode ? 'OUTPUT' : isLocalAddress(t.dst, local) ? 'INPUT' : 'FORWARD';
  t.run('filter', path);
  const dropped = t.verdict === 'DROP' || t.verdict === 'REJECT';
  // Packets delivered to the node itself never reach POSTROUTING.
  if (!dropped && path !== 'INPUT') t.run('nat', 'POSTROUTING');

  const out = [...t.outputs];
  if (dropped || (out.length === 0 && t.verdict === 'ACCEPT')) out.push(t.verdict!);
  return { output: out.join(', '), masq: t.masq, matched: t.matched };
}

const BUILTIN_TARGETS = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN', 'DNAT', 'SNAT', 'MARK', 'MASQUERADE']);

/**
 * Consistency of a full render (kube-proxy's checkIPTablesRuleJumps): every
 * `-j` target is a built-in target or a chain declared in the same table, every
 * rule's chain is declared, and every declared KUBE-* chain is jumped to by a
 * rule or a hook (renderHookRules), except the canary and chains being deleted.
 * Returns the problems found; empty means consistent.
 */
export function checkRuleJumps(text: string): string[] {
  const problems: string[] = [];
  const hookTargets = new Map<string, Set<string>>();
  for (const h of renderHookRules()) {
    const j = h.args[h.args.indexOf('-j') + 1];
    if (!j) continue;
    const set = hookTargets.get(h.table) ?? new Set<string>();
    set.add(j);
    hookTargets.set(h.table, set);
  }
  for (const t of parseIptablesRestore(text)) {
    const declared = new Set(t.chains);
    const deleted = new Set(t.deleted);
    const used = new Set(hookTargets.get(t.name) ?? []);
    for (const r of t.rules) {
      if (!declared.has(r.chain)) problems.push(`${t.name}: rule in undeclared chain ${r.chain}: ${r.raw}`);
      const j = r.args.indexOf('-j');
      if (j < 0) continue;
      const target = r.args[j + 1];
      if (target === undefined) {
        problems.push(`${t.name}: -j without a target: ${r.raw}`);
        continue;
      }
      if (BUILTIN_TARGETS.has(target)) continue;
      used.add(target);
      if (!declared.has(target) || deleted.has(target)) problems.push(`${t.name}: jump to missing chain ${target}: ${r.raw}`);
    }
    for (const c of declared) {
      if (!c.startsWith('KUBE-') || c === 'KUBE-PROXY-CANARY' || deleted.has(c)) continue;
      if (!used.has(c)) problems.push(`${t.name}: chain ${c} is declared but nothing jumps to it`);
    }
  }
  return problems;
}
