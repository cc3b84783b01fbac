import { describe, expect, it } from 'vitest';
import { kinds, messages } from './schema.js';

const names = Object.keys(messages);

describe('protobuf schema tables', () => {
  it.each(names)('%s: field numbers and JSON names are unique, references resolve', (name) => {
    const fields = messages[name]!;
    const numbers = fields.map((f) => f.no);
    expect(new Set(numbers).size).toBe(numbers.length);
    const jsonNames = fields.filter((f) => !(f.kind === 'message' && f.inline)).map((f) => f.name);
    expect(new Set(jsonNames).size).toBe(jsonNames.length);
    for (const f of fields) {
      expect(Number.isInteger(f.no) && f.no >= 1).toBe(true);
      if (f.kind === 'message') {
        expect(messages[f.message], `${name}.${f.name} → ${f.message}`).toBeDefined();
        expect(f.inline ? f.name === '' : f.name !== '').toBe(true);
      } else {
        expect(f.name).not.toBe('');
      }
    }
  });

  it.each(Object.entries(kinds))('kind %s decodes with a defined message', (_kind, message) => {
    expect(messages[message]).toBeDefined();
  });

  // decode.ts recurses along message references; with no cycles the
  // nesting depth of any input is bounded by the schema, not by the body.
  it('has no reference cycles', () => {
    const state = new Map<string, 'open' | 'done'>();
    const visit = (name: string, trail: string[]): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'open') throw new Error(`cycle: ${[...trail, name].join(' → ')}`);
      state.set(name, 'open');
      for (const f of messages[name] ?? []) if (f.kind === 'message') visit(f.message, [...trail, name]);
      state.set(name, 'done');
    };
    for (const n of names) visit(n, []);
    expect(state.size).toBe(names.length);
  });

  it('every message is reachable from a kind (no dead tables)', () => {
    const seen = new Set<string>();
    const walk = (name: string): void => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const f of messages[name] ?? []) if (f.kind === 'message') walk(f.message);
    };
    Object.values(kinds).forEach(walk);
    expect(names.filter((n) => !seen.has(n))).toEqual([]);
  });
});
