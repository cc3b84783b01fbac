// Field selectors (`?fieldSelector=metadata.name=web,spec.nodeName!=node-1`):
// only equality and inequality on the fields each resource supports, as in
// Kubernetes; any other field is a 400 naming it.
import { badRequest } from './api-error.js';
import type { ResourceDef } from './resources.js';

export interface FieldRequirement {
  readonly field: string;
  readonly op: '=' | '!=';
  readonly value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  matches(obj: Record<string, unknown>): boolean;
  /** The value a requirement pins with "=", if any (used to narrow a list to one namespace or name). */
  exact(field: string): string | undefined;
}

type FieldGetter = (obj: Record<string, unknown>) => string | undefined;

function metaGetter(key: 'name' | 'namespace'): FieldGetter {
  return (obj) => {
    const meta = obj.metadata as Record<string, unknown> | undefined;
    const v = meta?.[key];
    return typeof v === 'string' ? v : key === 'namespace' ? '' : undefined;
  };
}

/** Unescape the \, \= and \, escapes Kubernetes allows inside values. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[++i];
    } else if (c === ',') {
      terms.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  terms.push(cur);
  return terms;
}

function unescape(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(text: string | undefined, def: ResourceDef): FieldSelector {
  const getters: Record<string, FieldGetter> = {
    'metadata.name': metaGetter('name'),
    ...(def.namespaced ? { 'metadata.namespace': metaGetter('namespace') } : {}),
    ...def.fieldSelectors,
  };
  const reqs: FieldRequirement[] = [];
  const used: FieldGetter[] = [];
  if (text && text.trim() !== '') {
    for (const raw of splitTerms(text)) {
      const term = raw.trim();
      if (term === '') continue;
      const m = /^([^!=]+?)\s*(!=|==|=)\s*(.*)$/.exec(term);
      if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
      const field = m[1]!;
      const getter = getters[field];
      if (!getter) throw badRequest(`field label not supported: ${field}`);
      reqs.push({ field, op: m[2] === '!=' ? '!=' : '=', value: unescape(m[3]!) });
      used.push(getter);
    }
  }
  return {
    requirements: reqs,
    matches(obj) {
      for (let i = 0; i < reqs.length; i++) {
        const r = reqs[i]!;
        const v = used[i]!(obj) ?? '';
        if ((v === r.value) !== (r.op === '=')) return false;
      }
      return true;
    },
    exact(field) {
      return reqs.find((r) => r.field === field && r.op === '=')?.value;
    },
  };
}
