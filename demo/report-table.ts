// The terminal table of the demo's results: one row per mode. The cells are
// also what the HTML report shows, so both share `modeRow`.
import { MODE_TITLES, type DemoResults, type ModeResult } from './results.js';

export const TABLE_HEADERS = ['mode', 'p50', 'p99', 'spread (cv, max/min)', 'failed after kill', 'time to healthy', 'new backend gets traffic after'] as const;

/** Latency: two decimals under 10 ms, one above. */
export function formatMs(v: number): string {
  return `${v.toFixed(v < 10 ? 2 : 1)} ms`;
}

/** A duration: ms under a second, seconds with one decimal above. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The cells of one mode's row, in TABLE_HEADERS order. */
export function modeRow(m: ModeResult): string[] {
  const s = m.summary;
  const l = s.latency;
  const f = s.failover;
  const a = s.added;
  return [
    MODE_TITLES[m.mode] ?? m.mode,
    l ? formatMs(l.p50) : '—',
    l ? formatMs(l.p99) : '—',
    s.spread.backends.length > 0 ? `${s.spread.cv.toFixed(2)}, ${s.spread.maxOverMin.toFixed(2)}` : '—',
    f ? `${f.failedAfterKill} / ${s.count}` : 'no kill',
    f ? (f.timeToHealthyMs === null ? 'never' : formatDuration(f.timeToHealthyMs)) : '—',
    a ? (a.firstResponseAfterMs === null ? 'never' : formatDuration(a.firstResponseAfterMs)) : 'not added',
  ];
}

/** A plain-text table (no colours: it is also pasted into the README). */
export function renderTable(r: DemoResults): string {
  const rows = [TABLE_HEADERS.slice(), ...r.modes.map(modeRow)];
  const widths = TABLE_HEADERS.map((_, c) => Math.max(...rows.map((row) => [...(row[c] ?? '')].length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n') + '\n';
}
