// Parses iptables-restore text and puts it in a canonical order, so golden
// files compare rules, not the order Services happened to be rendered in
// (kube-proxy's sortIPTablesRules in proxier_test.go): tables by name;
// KUBE-NODEPORTS, then KUBE-SERVICES, then other KUBE-* chains, then the rest,
// each group alphabetically; rules grouped by chain, keeping their order within
// a chain, except that KUBE-NODEPORTS and KUBE-SERVICES rules are ordered by the
// Service named in their comment (the NodePorts jump stays last).

export interface ParsedRule {
  /** The line as written. */
  readonly raw: string;
  readonly chain: string;
  /** Everything after `-A CHAIN`, with quotes removed. */
  readonly args: readonly string[];
  /** 1-based line number in the input. */
  readonly line: number;
}

export interface ParsedTable {
  readonly name: string;
  /** Chains declared with `:CHAIN POLICY [packets:bytes]`, in order. */
  readonly chains: string[];
  readonly rules: ParsedRule[];
  /** Chains deleted with `-X`. */
  readonly deleted: string[];
}

/** Splits a rule line into words, honouring double quotes (as iptables-restore does for comments). */
export function splitRuleWords(line: string): string[] {
  const words: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && line[i] === ' ') i++;
    if (i >= n) break;
    if (line[i] === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${line}`);
      words.push(line.slice(i + 1, end));
      i = end + 1;
    } else {
      let end = line.indexOf(' ', i);
      if (end < 0) end = n;
      words.push(line.slice(i, end));
      i = end;
    }
  }
  return words;
}

/** Parses restore text; throws naming the line on anything it does not understand. */
export function parseIptablesRestore(text: string): ParsedTable[] {
  const tables: ParsedTable[] = [];
  let cur: ParsedTable | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    const lineNo = i + 1;
    if (line === '' || line.startsWith('#')) continue;
    const fail = (why: string) => new Error(`line ${lineNo}: ${why}: ${line}`);
    if (line.startsWith('*')) {
      if (cur) throw fail('table started before COMMIT');
      cur = { name: line.slice(1), chains: [], rules: [], deleted: [] };
      continue;
    }
    if (!cur) throw fail('outside a table');
    if (line === 'COMMIT') {
      tables.push(cur);
      cur = undefined;
    } else if (line.startsWith(':')) {
      const name = line.slice(1).split(' ')[0]!;
      if (name === '') throw fail('empty chain name');
      cur.chains.push(name);
    } else if (line.startsWith('-A ')) {
      const words = splitRuleWords(line);
      const chain = words[1];
      if (!chain) throw fail('rule without a chain');
      cur.rules.push({ raw: line, chain, args: words.slice(2), line: lineNo });
    } else if (line.startsWith('-X ')) {
      cur.deleted.push(line.slice(3).trim());
    } else {
      throw fail('unsupported line');
    }
  }
  if (cur) throw new Error(`table ${cur.name}: missing COMMIT`);
  return tables;
}

export function ruleComment(rule: ParsedRule): string | undefined {
  const i = rule.args.indexOf('--comment');
  return i >= 0 ? rule.args[i + 1] : undefined;
}

/** The Service a comment names: the comment up to the first space or colon. */
function commentServiceName(rule: ParsedRule): string | undefined {
  const c = ruleComment(rule);
  if (c === undefined) return undefined;
  let end = c.length;
  for (let i = 0; i < c.length; i++) {
    if (c[i] === ' ' || c[i] === ':') {
      end = i;
      break;
    }
  }
  return c.slice(0, end);
}

function byServiceName(a: ParsedRule, b: ParsedRule): number {
  const x = commentServiceName(a);
  const y = commentServiceName(b);
  if (x === undefined || y === undefined) return 0;
  return x < y ? -1 : x > y ? 1 : 0;
}

function chainOrder(a: string, b: string): number {
  const rank = (c: string) => (c === 'KUBE-NODEPORTS' ? 0 : c === 'KUBE-SERVICES' ? 1 : c.startsWith('KUBE-') ? 2 : 3);
  const d = rank(a) - rank(b);
  if (d !== 0) return d;
  return a < b ? -1 : a > b ? 1 : 0;
}

const MUST_BE_LAST = 'must be the last rule';

/** Canonical form of restore text (see the file comment); equal rulesets give equal text. */
export function normaliseIptablesRules(text: string): string {
  const tables = parseIptablesRestore(text).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const t of tables) {
    out.push(`*${t.name}`);
    const declared = [...new Set(t.chains)].sort(chainOrder);
    for (const c of declared) out.push(`:${c} - [0:0]`);
    const byChain = new Map<string, ParsedRule[]>();
    for (const r of t.rules) {
      const list = byChain.get(r.chain);
      if (list) list.push(r);
      else byChain.set(r.chain, [r]);
    }
    const ruleChains = [...new Set([...declared, ...[...byChain.keys()].sort(chainOrder)])];
    for (const c of ruleChains) {
      const rules = byChain.get(c);
      if (!rules) continue;
      if (c === 'KUBE-NODEPORTS') rules.sort(byServiceName);
      if (c === 'KUBE-SERVICES') {
        rules.sort((a, b) => {
          const lastA = ruleComment(a)?.includes(MUST_BE_LAST) ?? false;
          const lastB = ruleComment(b)?.includes(MUST_BE_LAST) ?? false;
          if (lastA !== lastB) return lastA ? 1 : -1;
          return byServiceName(a, b);
        });
      }
      for (const r of rules) out.push(r.raw);
    }
    for (const c of [...t.deleted].sort()) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return out.join('\n') + '\n';
}
