import { describe, expect, it } from 'vitest';
import { escapeHtml, renderHtmlReport, renderLatencyCdf, renderTimeline } from './report-html.js';
import { formatDuration, formatMs, modeRow, renderTable, TABLE_HEADERS } from './report-table.js';
import { syntheticResults } from './synthetic-results.js';

describe('renderTable', () => {
  it('shows each mode with the numbers of its summary', () => {
    const r = syntheticResults();
    const text = renderTable(r);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2 + r.modes.length);
    for (const h of TABLE_HEADERS) expect(lines[0]).toContain(h);
    const m = r.modes[0]!;
    const row = lines[2]!;
    expect(row).toContain('ClusterIP (iptables proxy)');
    expect(row).toContain(formatMs(m.summary.latency!.p50));
    expect(row).toContain(formatMs(m.summary.latency!.p99));
    expect(row).toContain(`${m.summary.failover!.failedAfterKill} / ${m.summary.count}`);
    expect(row).toContain(formatDuration(m.summary.failover!.timeToHealthyMs!));
    expect(row).toContain(formatDuration(m.summary.added!.firstResponseAfterMs!));
    // Columns line up: every row is as wide as the header's rule.
    expect(new Set(lines.slice(1).map((l) => l.length)).size).toBeLessThanOrEqual(2);
  });
  it('says never / not added / no kill', () => {
    const m = syntheticResults().modes[0]!;
    m.summary.failover = { ...m.summary.failover!, timeToHealthyMs: null };
    m.summary.added = { ...m.summary.added!, firstResponseAfterMs: null };
    expect(modeRow(m).slice(5)).toEqual(['never', 'never']);
    m.summary.failover = null;
    m.summary.added = null;
    expect(modeRow(m).slice(4)).toEqual(['no kill', '—', 'not added']);
  });
  it('formats', () => {
    expect(formatMs(1.234)).toBe('1.23 ms');
    expect(formatMs(123.45)).toBe('123.5 ms');
    expect(formatDuration(280)).toBe('280 ms');
    expect(formatDuration(5230)).toBe('5.2 s');
  });
});

describe('renderHtmlReport', () => {
  it('is one self-contained page with the table, the charts and the explanations', () => {
    const r = syntheticResults();
    const html = renderHtmlReport(r);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|src=|href="http/);
    expect(html).toContain(formatMs(r.modes[2]!.summary.latency!.p99));
    expect(html.match(/<svg /g)).toHaveLength(1 + r.modes.length);
    expect(html).toContain('kill web-c');
    expect(html).toContain('add web-d');
    expect(html).toContain('headless Service');
    // One dot per kept request in each timeline, failures in red.
    expect(html.match(/<circle /g)).toHaveLength(r.modes.reduce((n, m) => n + m.timeline.length, 0));
    expect(html).toContain('fill="#d62728"><title>');
  });
  it('escapes everything that comes from the run', () => {
    const r = syntheticResults();
    r.labs = ['<lab>&"x"'];
    r.modes[0]!.target = '<script>alert(1)</script>';
    r.modes[0]!.summary.perBackend['<img src=x>'] = 3;
    r.modes[0]!.summary.errors['"><b>'] = 1;
    const html = renderHtmlReport(r);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('"><b>');
    expect(html).toContain('&lt;lab&gt;&amp;&quot;x&quot;');
    expect(escapeHtml(`<a href='x'>&`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;');
  });
  it('draws the CDF on a log axis and copes with no data', () => {
    const r = syntheticResults();
    const svg = renderLatencyCdf(r);
    expect(svg).toContain('1.00 ms');
    expect(svg).toContain('10.0 ms');
    for (const m of r.modes) m.timeline = [];
    expect(renderLatencyCdf(r)).toContain('No successful requests');
    expect(renderTimeline(r.modes[0]!, ['web-a'])).toContain('<svg');
  });
});
