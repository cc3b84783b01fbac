// One measured run of one mode (step 3): the load generator runs in the
// client pod for a fixed time; part-way through, a disruption kills a backend
// and later a backend is added (see disruptions.ts). Disruption times are put
// on the load generator's clock (its start line carries Date.now() at t = 0),
// so every time in a ModeRun is "ms since the load started".
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CLIENT, DEMO_NAMESPACE } from './demo-manifests.js';
import { podName, readyWebPods, type DemoCluster } from './demo-cluster.js';
import type { ModeSpec } from './demo-modes.js';
import type { Disruption, DisruptedBackend } from './disruptions.js';
import { isRequestSample, isStartLine, parseLoadgenLine, type LoadgenLine, type RequestSample, type StartLine } from './loadgen.js';
import { spawnInPod } from './pod-command.js';

export interface LoadParams {
  rate: number;
  durationS: number;
  /** When to disrupt; undefined: nothing is killed. */
  killAfterS?: number;
  timeoutMs: number;
}

/** A disrupted backend on the run's clock. */
export type TimedBackend = DisruptedBackend & { at: number };

export interface ModeRun {
  mode: ModeSpec;
  start: StartLine;
  /** Every line the load generator printed, parsed. */
  lines: LoadgenLine[];
  samples: RequestSample[];
  /** Pods (name → cluster) that were ready backends when the load started. */
  backendsAtStart: Record<string, string>;
  kill?: TimedBackend;
  added?: TimedBackend;
  /** What the disruption saw on the way (e.g. when the DNS record was withdrawn), on the run's clock. */
  notes: { at: number; text: string }[];
  loadgenStderr: string;
}

const LOADGEN_MAIN = fileURLToPath(new URL('./loadgen-main.js', import.meta.url));

export async function runMode(mode: ModeSpec, client: DemoCluster, backends: readonly DemoCluster[], disruption: Disruption | undefined, p: LoadParams): Promise<ModeRun> {
  const backendsAtStart: Record<string, string> = {};
  for (const c of backends) for (const pod of await readyWebPods(c)) backendsAtStart[podName(pod)] = c.name;
  const child = await spawnInPod(client.cfg, {
    namespace: DEMO_NAMESPACE,
    pod: CLIENT,
    container: 'tools',
    command: [process.execPath, LOADGEN_MAIN, ...mode.loadgenArgs, '--rate', String(p.rate), '--duration', String(p.durationS), '--timeout-ms', String(p.timeoutMs)],
  });
  child.stdin.end();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const parsed: LoadgenLine[] = [];
  let start: StartLine | undefined;
  let startedResolve: (s: StartLine) => void = () => {};
  const started = new Promise<StartLine>((r) => (startedResolve = r));
  createInterface({ input: child.stdout }).on('line', (text) => {
    const l = parseLoadgenLine(text);
    if (!l) return;
    parsed.push(l);
    if (isStartLine(l)) {
      start = l;
      startedResolve(l);
    }
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });

  const notes: ModeRun['notes'] = [];
  const stop = new AbortController();
  const events = (async (): Promise<{ kill?: TimedBackend; added?: TimedBackend }> => {
    const s = await Promise.race([started, exited.then(() => undefined)]);
    if (!s || p.killAfterS === undefined || !disruption) return {};
    const on = (epochMs: number) => epochMs - s.startedAt;
    await sleep(Math.max(0, s.startedAt + p.killAfterS * 1000 - Date.now()));
    const killed = await disruption.kill();
    const kill = { ...killed, at: on(Date.now()) };
    const added = await disruption.added(stop.signal, (epochMs, text) => notes.push({ at: on(epochMs), text }));
    return { kill, ...(added ? { added: { ...added, at: on(added.at) } } : {}) };
  })();
  const code = await exited;
  stop.abort();
  const ev = await events.finally(() => disruption?.cleanup());
  const tail = () => stderr.trim().split('\n').slice(-3).join(' | ');
  if (!start) throw new Error(`${mode.id}: the load generator printed no start line (exit ${code}): ${tail()}`);
  if (code !== 0) throw new Error(`${mode.id}: the load generator exited ${code}: ${tail()}`);
  return { mode, start, lines: parsed, samples: parsed.filter(isRequestSample), backendsAtStart, ...ev, notes, loadgenStderr: stderr };
}
