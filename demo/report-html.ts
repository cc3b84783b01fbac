// The demo's HTML report: one self-contained page (inline CSS and SVG, no
// scripts, no external assets) with the results table, the latency
// distributions of every mode as CDFs on a log axis, and one failover
// timeline per mode (a dot per request, lane = answering pod, failures red,
// lines at the kill and the add). Every string from the run is escaped.
import { MODE_TITLES, type DemoMode, type DemoResults, type ModeResult } from './results.js';
import { formatDuration, formatMs, modeRow, TABLE_HEADERS } from './report-table.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Pod colours; red is kept for failures. */
const PALETTE = ['#1f77b4', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f', '#393b79', '#637939', '#8c6d31'];
const MODE_COLORS: Record<DemoMode, string> = { clusterip: '#1f77b4', sidecar: '#2ca02c', dns: '#ff7f0e', headless: '#9467bd' };
const FAIL = '#d62728';

/** An SVG chart's width and the margins around its plot area, px. */
interface ChartFrame {
  readonly width: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly left: number;
}
/** Charts fill the page's 960 px column. */
const CHART_WIDTH = 900;
/** The right margin holds the legend. */
const CDF_FRAME: ChartFrame & { readonly height: number } = { width: CHART_WIDTH, height: 300, top: 12, right: 240, bottom: 40, left: 56 };
/** The left margin holds the pod names; the height grows with the lanes (one per pod, plus failures). */
const TIMELINE_FRAME: ChartFrame & { readonly lane: number } = { width: CHART_WIDTH, top: 22, right: 16, bottom: 34, left: 170, lane: 18 };

export const MODE_EXPLANATIONS: Record<DemoMode, string> = {
  clusterip:
    'The baseline. The client connects to the Service’s virtual IP; the node’s iptables rules (written by the proxy from the EndpointSlices) pick a pod at random per new connection and DNAT to it. Nothing changes in the client; a dead pod leaves the rules as soon as its endpoint is removed.',
  sidecar:
    'A second container in the client pod listens on 127.0.0.1:15001, watches the backends’ EndpointSlices and forwards each request straight to a pod IP. Same network namespace and node as the client, so the hop is cheap, and it reacts to endpoint changes (and ejects failing pods) without DNS in the way; but every client pod now carries a proxy.',
  dns:
    'DNS load balancing as the seed describes it: a name in a small authoritative “global” DNS whose A records are the nodes of two clusters (the same pinned NodePort in both, since an A record carries no port). The client resolves it, keeps the answer for its TTL and picks a record at random per request. Here the backend that dies is a whole entry point (a node stops answering on the NodePort): the global DNS health-checks the entry points and withdraws the record, and clients follow only when their cached answer expires. Nothing to deploy in the clusters, but the clusters must be kept in sync.',
  headless:
    'In-cluster DNS load balancing: a headless Service (clusterIP: None) makes the cluster DNS answer with every ready pod’s IP. The client resolves it through the pod’s resolv.conf nameserver, honours the TTL and connects to a random pod IP directly. No proxy at all; a dead pod stays in the client’s cache until the TTL runs out.',
};

const f1 = (v: number) => (Math.round(v * 10) / 10).toString();

function allBackends(r: DemoResults): string[] {
  const s = new Set<string>();
  for (const m of r.modes) {
    for (const b of m.backends) s.add(b);
    for (const b of Object.keys(m.summary.perBackend)) s.add(b);
    if (m.events.addedBackend) s.add(m.events.addedBackend);
    if (m.events.killedBackend) s.add(m.events.killedBackend);
  }
  return [...s].sort();
}

/** CDFs of ok-request latency per mode on a log x axis (from the timeline samples). */
export function renderLatencyCdf(r: DemoResults): string {
  const { width: W, height: H, top: T, right: Rm, bottom: B, left: L } = CDF_FRAME;
  const series = r.modes.map((m) => ({ m, ms: m.timeline.filter((s) => s.ok && s.ms > 0).map((s) => s.ms).sort((a, b) => a - b) }));
  const all = series.flatMap((s) => s.ms);
  if (all.length === 0) return '<p>No successful requests to chart.</p>';
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all) * 1.0001)));
  const x = (v: number) => L + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * (W - L - Rm);
  const y = (q: number) => T + (1 - q) * (H - T - B);
  const parts: string[] = [];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    for (const k of [1, 2, 5]) {
      const v = d * k;
      if (v > hi * 1.0001) break;
      parts.push(`<line x1="${f1(x(v))}" x2="${f1(x(v))}" y1="${T}" y2="${H - B}" class="grid"/>`);
      // Decades always labelled; 2 and 5 only when there are few decades.
      if (k === 1 || Math.log10(hi / lo) <= 2) parts.push(`<text x="${f1(x(v))}" y="${H - B + 16}" text-anchor="middle">${escapeHtml(formatMs(v))}</text>`);
    }
  }
  for (const q of [0, 0.25, 0.5, 0.75, 0.9, 1]) {
    parts.push(`<line x1="${L}" x2="${W - Rm}" y1="${f1(y(q))}" y2="${f1(y(q))}" class="grid"/>`);
    parts.push(`<text x="${L - 6}" y="${f1(y(q) + 4)}" text-anchor="end">${q * 100}%</text>`);
  }
  series.forEach(({ m, ms }, i) => {
    if (ms.length === 0) return;
    const pts: string[] = [];
    ms.forEach((v, k) => {
      pts.push(`${f1(x(v))},${f1(y(k / ms.length))}`, `${f1(x(v))},${f1(y((k + 1) / ms.length))}`);
    });
    const color = MODE_COLORS[m.mode] ?? PALETTE[i % PALETTE.length]!;
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${pts.join(' ')}"/>`);
    parts.push(`<rect x="${W - Rm + 12}" y="${T + 6 + i * 20}" width="12" height="12" fill="${color}"/>`);
    parts.push(`<text x="${W - Rm + 30}" y="${T + 16 + i * 20}">${escapeHtml(MODE_TITLES[m.mode] ?? m.mode)}</text>`);
  });
  parts.push(`<text x="${(L + W - Rm) / 2}" y="${H - 6}" text-anchor="middle">latency of successful requests (log scale); y: share of requests at most that fast</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="latency CDF">${parts.join('')}</svg>`;
}

/** One mode's failover timeline: x = send time, one lane per pod plus a lane for failures. */
export function renderTimeline(m: ModeResult, backends: readonly string[]): string {
  const lanes = backends.filter((b) => (m.summary.perBackend[b] ?? 0) > 0 || b === m.events.killedBackend || b === m.events.addedBackend || m.backends.includes(b));
  const rows = [...lanes, 'failed'];
  const { width: W, top: T, right: R, bottom: B, left: L, lane } = TIMELINE_FRAME;
  const H = T + rows.length * lane + B;
  const tMax = Math.max(1, ...m.timeline.map((s) => s.t), m.events.killAt ?? 0, m.events.addedAt ?? 0);
  const x = (t: number) => L + (t / tMax) * (W - L - R);
  const yOf = (row: number) => T + row * lane + lane / 2;
  const parts: string[] = [];
  rows.forEach((name, i) => {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${f1(yOf(i))}" y2="${f1(yOf(i))}" class="grid"/>`);
    parts.push(`<text x="${L - 6}" y="${f1(yOf(i) + 4)}" text-anchor="end"${name === 'failed' ? ` fill="${FAIL}"` : ''}>${escapeHtml(name)}</text>`);
  });
  const step = tMax > 60_000 ? 10_000 : tMax > 20_000 ? 5_000 : tMax > 5_000 ? 1_000 : 500;
  for (let t = 0; t <= tMax; t += step) {
    parts.push(`<text x="${f1(x(t))}" y="${H - B + 16}" text-anchor="middle">${t / 1000}s</text>`);
  }
  for (const s of m.timeline) {
    const laneIdx = s.ok ? (s.backend === null ? -1 : lanes.indexOf(s.backend)) : rows.length - 1;
    const row = laneIdx < 0 ? rows.length - 1 : laneIdx;
    const color = s.ok ? PALETTE[backends.indexOf(s.backend ?? '') % PALETTE.length] ?? PALETTE[0]! : FAIL;
    const title = `${f1(s.t / 1000)}s ${s.ok ? `${s.backend ?? '?'} ${formatMs(s.ms)}` : (s.err ?? 'failed')} → ${s.target}`;
    parts.push(`<circle cx="${f1(x(s.t))}" cy="${f1(yOf(row))}" r="2.2" fill="${color}"><title>${escapeHtml(title)}</title></circle>`);
  }
  for (const res of m.resolutions ?? []) {
    parts.push(`<line x1="${f1(x(res.t))}" x2="${f1(x(res.t))}" y1="${T - 8}" y2="${T - 2}" stroke="#555"><title>${escapeHtml(`lookup at ${f1(res.t / 1000)}s: ${res.err ?? res.resolved.join(', ')} (ttl ${res.ttl}s)`)}</title></line>`);
  }
  const marker = (t: number | undefined, label: string, color: string) => {
    if (t === undefined) return;
    parts.push(`<line x1="${f1(x(t))}" x2="${f1(x(t))}" y1="${T - 4}" y2="${H - B}" stroke="${color}" stroke-dasharray="4 3" stroke-width="1.5"/>`);
    parts.push(`<text x="${f1(x(t) + 4)}" y="${T - 10 + 8}" fill="${color}">${escapeHtml(label)}</text>`);
  };
  marker(m.events.killAt, `kill ${m.events.killedBackend ?? ''}`, FAIL);
  marker(m.events.addedAt, `add ${m.events.addedBackend ?? ''}`, '#2ca02c');
  for (const n of m.notes ?? []) {
    parts.push(`<line x1="${f1(x(n.at))}" x2="${f1(x(n.at))}" y1="${T - 4}" y2="${H - B}" stroke="#777" stroke-dasharray="1 3"><title>${escapeHtml(`${f1(n.at / 1000)}s: ${n.text}`)}</title></line>`);
  }
  const note = m.timeline.length < m.timelineOf ? ` (${m.timeline.length} of ${m.timelineOf} requests shown; all failures kept)` : '';
  return `<figure><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="timeline ${escapeHtml(m.mode)}">${parts.join('')}</svg><figcaption>${escapeHtml(MODE_TITLES[m.mode] ?? m.mode)}: one dot per request at its send time${escapeHtml(note)}; ticks on top are DNS lookups.</figcaption></figure>`;
}

function renderResultsTable(r: DemoResults): string {
  const head = TABLE_HEADERS.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = r.modes.map((m) => `<tr>${modeRow(m).map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function renderModeDetails(m: ModeResult): string {
  const s = m.summary;
  const items: string[] = [
    `target <code>${escapeHtml(m.target)}</code>`,
    `${s.count} requests, ${s.ok} ok, ${s.failed} failed`,
    s.latency ? `p50 ${formatMs(s.latency.p50)}, p90 ${formatMs(s.latency.p90)}, p99 ${formatMs(s.latency.p99)}, max ${formatMs(s.latency.max)}` : 'no latency',
    `per pod: ${Object.entries(s.perBackend)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([b, n]) => `${escapeHtml(b)} ${n}`)
      .join(', ')}`,
  ];
  if (Object.keys(s.errors).length > 0) items.push(`errors: ${Object.entries(s.errors).map(([e, n]) => `${escapeHtml(e)} ×${n}`).join(', ')}`);
  if (s.failover) {
    const f = s.failover;
    items.push(
      `after killing ${escapeHtml(f.killedBackend ?? '?')} at ${formatDuration(f.killAt)}: ${f.failedAfterKill} failed, ${f.sentToDeadAfterKill} sent to its IP, last failure ${formatDuration(f.lastFailureMs)} after the kill, healthy after ${f.timeToHealthyMs === null ? 'never' : formatDuration(f.timeToHealthyMs)}`,
    );
  }
  if (s.added) {
    const a = s.added;
    items.push(`${escapeHtml(a.addedBackend)} added (Ready) at ${formatDuration(a.addedAt)}: first answer ${a.firstResponseAfterMs === null ? 'never' : `after ${formatDuration(a.firstResponseAfterMs)}`}, ${a.requests} requests`);
  }
  for (const n of m.notes ?? []) items.push(`${formatDuration(n.at)}: ${escapeHtml(n.text)}`);
  return `<section><h3>${escapeHtml(MODE_TITLES[m.mode] ?? m.mode)}</h3><p class="explain">${escapeHtml(MODE_EXPLANATIONS[m.mode] ?? '')}</p><ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul></section>`;
}

/** The whole report page. */
export function renderHtmlReport(r: DemoResults): string {
  const backends = allBackends(r);
  const p = r.parameters;
  const params = Object.entries(p)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<code>${escapeHtml(k)}=${escapeHtml(String(v))}</code>`)
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>netkube demo: sidecar vs DNS load balancing</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#f4f4f4}
svg{font:11px system-ui,sans-serif;background:#fff}svg .grid{stroke:#e4e4e4}
figure{margin:1em 0}figcaption{color:#555;font-size:12px}.explain{color:#444}code{font-size:12px}
</style></head><body>
<h1>netkube demo: four ways to reach the same pods</h1>
<p>Labs ${r.labs.map((l) => `<code>${escapeHtml(l)}</code>`).join(', ')}; run ${escapeHtml(r.startedAt)} → ${escapeHtml(r.finishedAt)}. Parameters: ${params}.</p>
<p>Each mode sent the same open-loop load (a new TCP connection per request) to the same echo pods; one pod was killed and one added mid-run. Spread is over the pods alive the whole run (coefficient of variation, max/min count). Time to healthy runs from the kill to the first of ${p.healthyWindow} consecutive successes after the last failure.</p>
<h2>Results</h2>
${renderResultsTable(r)}
<h2>Latency distribution</h2>
${renderLatencyCdf(r)}
<h2>Failover timelines</h2>
${r.modes.map((m) => renderTimeline(m, backends)).join('\n')}
<h2>The modes</h2>
${r.modes.map(renderModeDetails).join('\n')}
</body></html>
`;
}
