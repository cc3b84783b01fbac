// Label selectors: the `labelSelector` query syntax ("app=web,tier!=db",
// "env in (prod,staging)", "!canary"), the API's LabelSelector object
// (Deployments, ReplicaSets) and the plain map of a Service's spec.selector,
// all turned into one Selector value with Kubernetes' matching semantics.

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** meta/v1 LabelSelector, as it appears in Deployment/ReplicaSet specs. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: SelectorOperator | string; values?: string[] }[];
}

export interface Requirement {
  key: string;
  /** Equality (a=b, a==b) is In with one value; a!=b is NotIn with one value. */
  operator: SelectorOperator;
  /** Sorted and de-duplicated; empty for Exists / DoesNotExist. */
  values: string[];
  /** How the requirement was written, so toString() gives back a=b rather than "a in (b)". */
  form: 'equals' | 'notEquals' | 'set';
}

export class SelectorParseError extends Error {
  constructor(
    readonly input: string,
    detail: string,
  ) {
    super(`invalid label selector ${JSON.stringify(input)}: ${detail}`);
    this.name = 'SelectorParseError';
  }
}

export interface Selector {
  readonly requirements: readonly Requirement[];
  /** False for the selector that matches nothing (a missing LabelSelector). */
  readonly matchesAnything: boolean;
  matches(labels: Record<string, string> | undefined): boolean;
  /** True when every object matches (no requirements). */
  empty(): boolean;
  /** Canonical query form, requirements sorted by key: "app=web,env in (a,b),!x". */
  toString(): string;
}

function requirementMatches(r: Requirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotIn':
      // A missing label is "not in" any set, as in Kubernetes.
      return value === undefined || !r.values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

function requirementString(r: Requirement): string {
  switch (r.operator) {
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    case 'In':
      return r.form === 'equals' ? `${r.key}=${r.values[0] ?? ''}` : `${r.key} in (${r.values.join(',')})`;
    case 'NotIn':
      return r.form === 'notEquals' ? `${r.key}!=${r.values[0] ?? ''}` : `${r.key} notin (${r.values.join(',')})`;
  }
}

class RequirementsSelector implements Selector {
  readonly requirements: readonly Requirement[];
  constructor(
    reqs: Requirement[],
    readonly matchesAnything = true,
  ) {
    this.requirements = [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  matches(labels: Record<string, string> | undefined): boolean {
    if (!this.matchesAnything) return false;
    const l = labels ?? {};
    return this.requirements.every((r) => requirementMatches(r, l));
  }
  empty(): boolean {
    return this.matchesAnything && this.requirements.length === 0;
  }
  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

/** Matches every object. */
export function everything(): Selector {
  return new RequirementsSelector([]);
}

/** Matches no object (what a missing LabelSelector means for a controller). */
export function nothing(): Selector {
  return new RequirementsSelector([], false);
}

// ---- key and value syntax (kept here so kube/ does not depend on the API server) ----

const nameRe = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const subdomainRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function keyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'a label key has at most one "/"';
  const name = parts.length === 2 ? (parts[1] ?? '') : key;
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (prefix === '' || prefix.length > 253 || !subdomainRe.test(prefix)) {
      return 'the prefix before "/" must be a lowercase DNS subdomain';
    }
  }
  if (name === '') return 'the name part must be non-empty';
  if (name.length > 63) return 'the name part must be no more than 63 characters';
  if (!nameRe.test(name)) {
    return "the name part must consist of alphanumeric characters, '-', '_' or '.', and start and end with an alphanumeric character";
  }
  return undefined;
}

function valueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return 'must be no more than 63 characters';
  if (!nameRe.test(value)) {
    return "must be empty or consist of alphanumeric characters, '-', '_' or '.', and start and end with an alphanumeric character";
  }
  return undefined;
}

function makeRequirement(input: string, key: string, operator: SelectorOperator, values: string[], form: Requirement['form']): Requirement {
  const kp = keyProblem(key);
  if (kp !== undefined) throw new SelectorParseError(input, `invalid label key ${JSON.stringify(key)}: ${kp}`);
  if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
    throw new SelectorParseError(input, `for 'in', 'notin' operators, values set can't be empty (key ${JSON.stringify(key)})`);
  }
  if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
    throw new SelectorParseError(input, `values set must be empty for exists and does not exist (key ${JSON.stringify(key)})`);
  }
  for (const v of values) {
    const vp = valueProblem(v);
    if (vp !== undefined) throw new SelectorParseError(input, `invalid label value ${JSON.stringify(v)} for key ${JSON.stringify(key)}: ${vp}`);
  }
  return { key, operator, values: [...new Set(values)].sort(), form };
}

// ---- the query syntax ----

type Token = { kind: 'ident'; text: string; pos: number } | { kind: 'op'; text: string; pos: number } | { kind: 'end'; pos: number };

const special = new Set(['=', '!', '(', ')', ',']);
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function tokenize(input: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] ?? '';
    if (isSpace(c)) {
      i++;
    } else if (c === '=' || c === '!') {
      const two = input.slice(i, i + 2);
      if (two === '==' || two === '!=') {
        out.push({ kind: 'op', text: two, pos: i });
        i += 2;
      } else {
        out.push({ kind: 'op', text: c, pos: i });
        i++;
      }
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ kind: 'op', text: c, pos: i });
      i++;
    } else {
      const start = i;
      while (i < input.length && !isSpace(input[i] ?? '') && !special.has(input[i] ?? '')) i++;
      out.push({ kind: 'ident', text: input.slice(start, i), pos: start });
    }
  }
  out.push({ kind: 'end', pos: input.length });
  return out;
}

function describe(t: Token): string {
  return t.kind === 'end' ? 'end of input' : `${JSON.stringify(t.text)} at position ${t.pos}`;
}

/**
 * Parses the `labelSelector` query syntax: comma-separated requirements
 * (AND), each `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a)`, `k` or
 * `!k`. An empty string selects everything. Throws SelectorParseError.
 */
export function parseSelector(input: string): Selector {
  const tokens = tokenize(input);
  let p = 0;
  const peek = (): Token => tokens[p] ?? { kind: 'end', pos: input.length };
  const next = (): Token => {
    const t = peek();
    if (p < tokens.length) p++;
    return t;
  };
  const fail = (detail: string): never => {
    throw new SelectorParseError(input, detail);
  };
  const reqs: Requirement[] = [];
  if (peek().kind === 'end') return everything();

  for (;;) {
    const first = next();
    if (first.kind === 'op' && first.text === '!') {
      const key = next();
      if (key.kind !== 'ident') fail(`expected a label key after "!", found ${describe(key)}`);
      reqs.push(makeRequirement(input, (key as { text: string }).text, 'DoesNotExist', [], 'set'));
    } else if (first.kind === 'ident') {
      const key = first.text;
      const op = peek();
      if (op.kind === 'end' || (op.kind === 'op' && op.text === ',')) {
        reqs.push(makeRequirement(input, key, 'Exists', [], 'set'));
      } else if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
        next();
        const v = peek();
        let value = '';
        if (v.kind === 'ident') {
          value = v.text;
          next();
        } else if (!(v.kind === 'end' || (v.kind === 'op' && v.text === ','))) {
          fail(`expected a value after ${JSON.stringify(op.text)}, found ${describe(v)}`);
        }
        reqs.push(
          op.text === '!='
            ? makeRequirement(input, key, 'NotIn', [value], 'notEquals')
            : makeRequirement(input, key, 'In', [value], 'equals'),
        );
      } else if (op.kind === 'ident' && (op.text === 'in' || op.text === 'notin')) {
        next();
        const open = next();
        if (!(open.kind === 'op' && open.text === '(')) fail(`expected "(" after ${JSON.stringify(op.text)}, found ${describe(open)}`);
        const values: string[] = [];
        let expectValue = true;
        for (;;) {
          const t = next();
          if (t.kind === 'op' && t.text === ')') {
            // "(a,)" ends with an empty value, "()" has none.
            if (expectValue && values.length > 0) values.push('');
            break;
          }
          if (t.kind === 'op' && t.text === ',') {
            if (expectValue) values.push('');
            expectValue = true;
            continue;
          }
          if (t.kind === 'ident' && expectValue) {
            values.push(t.text);
            expectValue = false;
            continue;
          }
          fail(`expected a value, "," or ")" in the set of ${JSON.stringify(key)}, found ${describe(t)}`);
        }
        reqs.push(makeRequirement(input, key, op.text === 'in' ? 'In' : 'NotIn', values, 'set'));
      } else {
        fail(`expected "=", "==", "!=", "in", "notin", "," or end after key ${JSON.stringify(key)}, found ${describe(op)}`);
      }
    } else {
      fail(`expected a label key or "!", found ${describe(first)}`);
    }

    const sep = next();
    if (sep.kind === 'end') break;
    if (!(sep.kind === 'op' && sep.text === ',')) fail(`expected "," or end of input, found ${describe(sep)}`);
    if (peek().kind === 'end') fail('a requirement must follow ","');
  }
  return new RequirementsSelector(reqs);
}

const operators: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * The API's LabelSelector as a Selector: matchLabels and matchExpressions
 * ANDed. A missing selector (null/undefined) matches nothing, an empty one
 * ({}) matches everything, as in Kubernetes. Throws SelectorParseError.
 */
export function selectorFromLabelSelector(ls: LabelSelector | null | undefined): Selector {
  if (ls === null || ls === undefined) return nothing();
  const input = JSON.stringify(ls);
  const reqs: Requirement[] = [];
  for (const [k, v] of Object.entries(ls.matchLabels ?? {})) reqs.push(makeRequirement(input, k, 'In', [v], 'equals'));
  for (const expr of ls.matchExpressions ?? []) {
    const op = expr.operator as SelectorOperator;
    if (!operators.includes(op)) throw new SelectorParseError(input, `${JSON.stringify(expr.operator)} is not a valid label selector operator`);
    reqs.push(makeRequirement(input, expr.key, op, expr.values ?? [], 'set'));
  }
  return new RequirementsSelector(reqs);
}

/**
 * A plain label map (a Service's spec.selector) as equality requirements.
 * An empty or missing map gives the everything-selector; callers that treat
 * "no selector" specially (Services without a selector get no managed
 * endpoints) must check for that before matching.
 */
export function selectorFromMap(map: Record<string, string> | null | undefined): Selector {
  const input = JSON.stringify(map ?? {});
  return new RequirementsSelector(Object.entries(map ?? {}).map(([k, v]) => makeRequirement(input, k, 'In', [v], 'equals')));
}
