import { describe, expect, it } from 'vitest';
import { withNatCacheHint } from './restore-cache-hint.js';

const body = (n: number) => Array.from({ length: n }, (_, i) => `-A KUBE-SEP-${i} -j DNAT --to-destination 10.0.0.${i % 250}:80`).join('\n');

describe('withNatCacheHint', () => {
  it('leaves a small restore (a partial sync) unchanged, counters and all', () => {
    const text = `*nat\n:KUBE-SERVICES - [0:0]\n${body(10)}\nCOMMIT\n`;
    expect(withNatCacheHint(text, 100)).toBe(text);
  });

  it('puts -Z right after *nat in a large restore, and nowhere else', () => {
    const text = `*filter\n:KUBE-SERVICES - [0:0]\nCOMMIT\n*nat\n:KUBE-SERVICES - [0:0]\n${body(200)}\nCOMMIT\n`;
    const out = withNatCacheHint(text, 100);
    const lines = out.split('\n');
    expect(lines.filter((l) => l === '-Z')).toHaveLength(1);
    expect(lines[lines.indexOf('*nat') + 1]).toBe('-Z');
    expect(lines.slice(0, 3)).toEqual(['*filter', ':KUBE-SERVICES - [0:0]', 'COMMIT']);
    expect(out.replace('*nat\n-Z\n', '*nat\n')).toBe(text);
  });

  it('handles a restore that starts with the nat table', () => {
    const text = `*nat\n${body(200)}\nCOMMIT\n`;
    expect(withNatCacheHint(text, 100).startsWith('*nat\n-Z\n-A KUBE-SEP-0 ')).toBe(true);
  });

  it('leaves a large restore without a nat table alone', () => {
    const text = `*filter\n${body(200)}\nCOMMIT\n`;
    expect(withNatCacheHint(text, 100)).toBe(text);
  });
});
