import { describe, it, expect } from 'vitest';
import { parseSelector, selectorFromLabelSelector, selectorFromMap, SelectorParseError, type LabelSelector } from './label-selector.js';

describe('parseSelector matching', () => {
  const web = { app: 'web', tier: 'frontend', env: 'prod' };
  it.each([
    { name: 'equality matches', sel: 'app=web', labels: web, want: true },
    { name: 'double equals is equality', sel: 'app==web', labels: web, want: true },
    { name: 'equality with other value fails', sel: 'app=db', labels: web, want: false },
    { name: 'inequality on a different value matches', sel: 'app!=db', labels: web, want: true },
    { name: 'inequality matches when the label is missing', sel: 'missing!=x', labels: web, want: true },
    { name: 'in set', sel: 'env in (prod, staging)', labels: web, want: true },
    { name: 'not in set', sel: 'env notin (prod)', labels: web, want: false },
    { name: 'notin matches when the label is missing', sel: 'zone notin (a)', labels: web, want: true },
    { name: 'in does not match a missing label', sel: 'zone in (a)', labels: web, want: false },
    { name: 'exists', sel: 'tier', labels: web, want: true },
    { name: 'does not exist', sel: '!tier', labels: web, want: false },
    { name: 'comma is AND (all hold)', sel: 'app=web,tier=frontend', labels: web, want: true },
    { name: 'comma is AND (one fails)', sel: 'app=web,tier=backend', labels: web, want: false },
    { name: 'whitespace tolerated', sel: '  app = web ,  ! canary , env in ( prod ) ', labels: web, want: true },
    { name: 'empty selector matches everything', sel: '', labels: web, want: true },
    { name: 'empty value equality', sel: 'app=', labels: { app: '' }, want: true },
    { name: 'undefined labels: exists fails', sel: 'app', labels: undefined, want: false },
    { name: 'undefined labels: !app holds', sel: '!app', labels: undefined, want: true },
    { name: 'prefixed keys', sel: 'app.kubernetes.io/name=web', labels: { 'app.kubernetes.io/name': 'web' }, want: true },
  ])('$name', ({ sel, labels, want }) => {
    expect(parseSelector(sel).matches(labels as Record<string, string> | undefined)).toBe(want);
  });
});

describe('parseSelector toString is canonical', () => {
  it.each([
    { sel: 'tier=fe,app==web', want: 'app=web,tier=fe' },
    { sel: 'env in (b, a, a)', want: 'env in (a,b)' },
    { sel: 'x notin (z),!y,w', want: 'w,x notin (z),!y' },
    { sel: 'a!=b', want: 'a!=b' },
  ])('$sel → $want', ({ sel, want }) => {
    expect(parseSelector(sel).toString()).toBe(want);
    // the canonical form parses back to the same selector
    expect(parseSelector(want).toString()).toBe(want);
  });
});

describe('parseSelector errors name the input', () => {
  it.each([
    { sel: 'app=web,', want: 'a requirement must follow ","' },
    { sel: 'app in web', want: 'expected "(" after "in"' },
    { sel: 'app in ()', want: "values set can't be empty" },
    { sel: 'app in (a', want: 'in the set of "app"' },
    { sel: 'bad key!=x', want: 'expected "=", "==", "!="' },
    { sel: '=x', want: 'expected a label key or "!"' },
    { sel: 'app=a=b', want: 'expected "," or end of input' },
    { sel: '-app=x', want: 'invalid label key "-app"' },
    { sel: 'app=bad value!', want: 'expected "," or end of input' },
    { sel: 'app=-x', want: 'invalid label value "-x"' },
    { sel: 'a/b/c', want: 'at most one "/"' },
  ])('$sel', ({ sel, want }) => {
    let err: unknown;
    try {
      parseSelector(sel);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SelectorParseError);
    expect((err as Error).message).toContain(want);
    expect((err as Error).message).toContain(JSON.stringify(sel));
  });
});

describe('selectorFromLabelSelector', () => {
  it('ANDs matchLabels and matchExpressions', () => {
    const ls: LabelSelector = {
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['prod', 'staging'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    };
    const s = selectorFromLabelSelector(ls);
    expect(s.matches({ app: 'web', env: 'prod' })).toBe(true);
    expect(s.matches({ app: 'web', env: 'prod', canary: 'y' })).toBe(false);
    expect(s.matches({ app: 'web', env: 'dev' })).toBe(false);
    expect(s.toString()).toBe('app=web,!canary,env in (prod,staging)');
  });
  it('a missing selector matches nothing, an empty one everything', () => {
    expect(selectorFromLabelSelector(undefined).matches({ a: 'b' })).toBe(false);
    expect(selectorFromLabelSelector({}).matches({ a: 'b' })).toBe(true);
    expect(selectorFromLabelSelector({}).empty()).toBe(true);
  });
  it.each([
    { ls: { matchExpressions: [{ key: 'a', operator: 'Foo' }] }, want: '"Foo" is not a valid label selector operator' },
    { ls: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, want: "values set can't be empty" },
    { ls: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, want: 'values set must be empty' },
  ])('rejects $want', ({ ls, want }) => {
    expect(() => selectorFromLabelSelector(ls as LabelSelector)).toThrow(want);
  });
});

describe('selectorFromMap', () => {
  it('is equality on every entry', () => {
    const s = selectorFromMap({ app: 'web', tier: 'fe' });
    expect(s.matches({ app: 'web', tier: 'fe', x: 'y' })).toBe(true);
    expect(s.matches({ app: 'web' })).toBe(false);
    expect(s.toString()).toBe('app=web,tier=fe');
  });
  it('an empty map is the everything-selector', () => {
    expect(selectorFromMap(undefined).empty()).toBe(true);
  });
});
