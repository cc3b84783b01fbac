// Synthetic demo results for tests and for previewing the report without a
// lab: three pods, web-c killed at 1 s (requests to it time out for 200 ms),
// web-d added at 2 s. Plausible shapes, made-up numbers: never shown as a run.
import type { LoadgenLine } from './loadgen.js';
import { modeResultFromLines, RESULTS_VERSION, type DemoMode, type DemoResults } from './results.js';

/** A plausible loadgen output: 3 pods, web-c killed at 1 s (failing for 200 ms), web-d added at 2 s. */
export function syntheticLines(mode: DemoMode): LoadgenLine[] {
  const lines: LoadgenLine[] = [{ t: 0, startedAt: 1_700_000_000_000, mode: mode === 'clusterip' || mode === 'sidecar' ? 'url' : mode, rate: 100, durationS: 4, timeoutMs: 1000, target: 'http://10.96.0.50/' }];
  for (let i = 0; i < 400; i++) {
    const t = i * 10;
    const pods = t >= 2100 ? ['web-a', 'web-b', 'web-d'] : ['web-a', 'web-b', 'web-c'];
    const pod = pods[i % 3]!;
    const ip = `10.244.1.${pod.charCodeAt(4) - 96}`;
    if (pod === 'web-c' && t >= 1000) {
      if (t < 1200) lines.push({ t, ms: 1000, ok: false, backend: null, podIp: null, target: `${ip}:8080`, err: 'timeout' });
      else lines.push({ t, ms: 1.5, ok: true, backend: 'web-a', podIp: '10.244.1.1', target: '10.244.1.1:8080' });
      continue;
    }
    lines.push({ t, ms: 1 + (i % 7) * 0.1, ok: true, backend: pod, podIp: ip, target: `${ip}:8080` });
  }
  if (mode === 'dns' || mode === 'headless') lines.push({ t: 0, resolved: ['10.244.1.1', '10.244.1.2', '10.244.1.3'], ttl: 5, ms: 0.4 });
  return lines;
}

export function syntheticResults(): DemoResults {
  const modes = (['clusterip', 'sidecar', 'dns', 'headless'] as const).map((mode) =>
    modeResultFromLines({ mode, backends: ['web-a', 'web-b', 'web-c'], events: { killAt: 1000, killedBackend: 'web-c', addedAt: 2000, addedBackend: 'web-d' }, lines: syntheticLines(mode), healthyWindow: 20 }),
  );
  return {
    version: RESULTS_VERSION,
    labs: ['demo-a', 'demo-b'],
    startedAt: '2026-11-28T20:00:00.000Z',
    finishedAt: '2026-11-28T20:05:00.000Z',
    parameters: { rate: 100, durationS: 4, timeoutMs: 1000, healthyWindow: 20, replicas: 3, killAtS: 1, addAtS: 2, globalDnsTtlS: 5 },
    modes,
  };
}
