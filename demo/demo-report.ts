// Step 4: the measured runs → results.json, report.html and the terminal table.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_HEALTHY_WINDOW } from './analyze.js';
import type { ModeRun } from './mode-run.js';
import { renderHtmlReport } from './report-html.js';
import { renderTable } from './report-table.js';
import { modeResultFromLines, RESULTS_VERSION, type DemoParameters, type DemoResults } from './results.js';

export interface DemoRunRecord {
  startedAt: Date;
  finishedAt: Date;
  labs: string[];
  runs: readonly ModeRun[];
  parameters: Omit<DemoParameters, 'healthyWindow'>;
}

export function buildDemoResults(r: DemoRunRecord): DemoResults {
  return {
    version: RESULTS_VERSION,
    labs: r.labs,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt.toISOString(),
    parameters: { ...r.parameters, healthyWindow: DEFAULT_HEALTHY_WINDOW },
    modes: r.runs.map((run) =>
      modeResultFromLines({
        mode: run.mode.id,
        backends: Object.keys(run.backendsAtStart),
        events: {
          // ModeRun times are already ms since the loadgen's start line.
          ...(run.kill ? { killAt: run.kill.at, killedBackend: run.kill.label, ...(run.kill.ip ? { killedIps: [run.kill.ip] } : {}) } : {}),
          // A pod is recognised by its name in x-pod-name; an entry point by the address the client connected to.
          ...(run.added ? { addedAt: run.added.at, addedBackend: run.added.label, ...(run.added.kind === 'entry-point' ? { addedIps: [run.added.ip] } : {}) } : {}),
        },
        lines: run.lines,
        notes: run.notes,
      }),
    ),
  };
}

export async function writeDemoReport(dir: string, results: DemoResults, out: (text: string) => void): Promise<{ resultsPath: string; reportPath: string }> {
  const resultsPath = join(dir, 'results.json');
  const reportPath = join(dir, 'report.html');
  await writeFile(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(reportPath, renderHtmlReport(results));
  out(`\n${renderTable(results)}\n`);
  return { resultsPath, reportPath };
}
