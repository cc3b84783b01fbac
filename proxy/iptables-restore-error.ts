// Turns an iptables-restore failure into a message a user can act on
// (kube-proxy's ExtractLines idea): the failing line number from the tool's
// stderr, the lines around it, and the Service those rules were written for.
import { splitRuleWords } from './iptables-normalise.js';

/** How many lines before and after the failing one are quoted. */
const CONTEXT_LINES = 2;

export interface RestoreFailure {
  /** 1-based line of the input iptables-restore rejected, when its stderr says. */
  readonly line?: number;
  /** The quoted lines, each prefixed with its number; the failing one marked with "=>". */
  readonly excerpt: string;
  /** `namespace/name:port` the failing rule belongs to, when it can be told. */
  readonly service?: string;
}

/** "line 42 failed" (iptables-restore) or "Error occurred at line: 42" (iptables-legacy-restore). */
export function parseFailedLine(stderr: string): number | undefined {
  const m = /line:? (\d+)(?: failed)?/i.exec(stderr);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

// A ServicePortName as it starts a rule comment: "ns/name:port cluster IP", "ns/name:port -> 10.0.0.1:80".
const SERVICE_IN_COMMENT = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:[^\s]+)?)(\s|$)/;

function serviceOfRule(line: string): string | undefined {
  if (!line.startsWith('-A ')) return undefined;
  let words: string[];
  try {
    words = splitRuleWords(line);
  } catch {
    return undefined;
  }
  const i = words.indexOf('--comment');
  const comment = i >= 0 ? words[i + 1] : undefined;
  return comment ? SERVICE_IN_COMMENT.exec(comment)?.[1] : undefined;
}

/**
 * The Service a line of restore text was written for: its own comment, or
 * (rules of a KUBE-SEP chain without comments in large clusters, a `:CHAIN`
 * declaration) the comment of another rule of the same chain.
 */
export function serviceOfLine(lines: readonly string[], index: number): string | undefined {
  const line = lines[index];
  if (line === undefined) return undefined;
  const own = serviceOfRule(line);
  if (own) return own;
  const chain = line.startsWith('-A ') ? line.split(' ')[1] : line.startsWith(':') ? line.slice(1).split(' ')[0] : undefined;
  if (!chain || !chain.startsWith('KUBE-') || !/^KUBE-(SVC|SVL|EXT|FW|SEP)-/.test(chain)) return undefined;
  // The jump into the chain carries the Service in its comment, as do the chain's own rules.
  const jump = ` -j ${chain}`;
  const prefix = `-A ${chain} `;
  for (const l of lines) {
    if (l.startsWith(prefix) || l.endsWith(jump)) {
      const svc = serviceOfRule(l);
      if (svc) return svc;
    }
  }
  return undefined;
}

export function describeRestoreFailure(text: string, stderr: string): RestoreFailure {
  const line = parseFailedLine(stderr);
  if (line === undefined) return { excerpt: '' };
  const lines = text.split('\n');
  const from = Math.max(1, line - CONTEXT_LINES);
  const to = Math.min(lines.length, line + CONTEXT_LINES);
  const quoted: string[] = [];
  for (let n = from; n <= to; n++) quoted.push(`${n === line ? '=>' : '  '} ${n}: ${lines[n - 1] ?? ''}`);
  const service = serviceOfLine(lines, line - 1);
  return { line, excerpt: quoted.join('\n'), ...(service ? { service } : {}) };
}

/** One message naming the table(s), the Service, the line and the tool's own words. */
export function formatRestoreFailure(what: string, stderr: string, f: RestoreFailure): string {
  const tool = stderr.trim().split('\n').filter((l) => l !== '').join('; ') || 'no error output';
  const head = `${what} failed${f.service ? ` (rules of Service ${f.service})` : ''}: ${tool}`;
  return f.excerpt ? `${head}\n${f.excerpt}` : head;
}
