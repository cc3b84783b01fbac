// iperf3 (the Debian package) driven inside network namespaces for
// bench/overlay: a server per destination namespace, clients that report
// the receiver's throughput from iperf3's JSON (-J).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { tryRun } from '../lab/run-command.js';

export const IPERF3_PORT = 5201;

/** True when an `iperf3` binary is on PATH (the bench cannot measure throughput without it). */
export async function iperf3Available(): Promise<boolean> {
  return (await tryRun(['iperf3', '--version'], { timeoutMs: 5_000 })) !== undefined;
}

/** argv prefix that runs a command in the network namespace /run/netns/<netns>. */
export function inNetns(netns: string): string[] {
  return ['nsenter', `--net=/run/netns/${netns}`];
}

export interface Iperf3Server {
  readonly netns: string;
  stop(): void;
}

/**
 * Starts `iperf3 -s` in a namespace. `env` lets a lab server carry the lab's
 * NETKUBE_LAB marker, so `netkube down` finds it even if this process dies.
 */
export function startIperf3Server(netns: string, env: Record<string, string> = {}): Iperf3Server {
  const child: ChildProcess = spawn(inNetns(netns)[0]!, [...inNetns(netns).slice(1), 'iperf3', '-s', '-p', String(IPERF3_PORT)], {
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  child.on('error', () => undefined);
  return {
    netns,
    stop: () => {
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGTERM');
    },
  };
}

export interface Iperf3Run {
  seconds: number;
  /** Seconds at the start left out of the result (TCP slow start). */
  omit: number;
  streams: number;
}

interface Iperf3Json {
  error?: string;
  end?: { sum_received?: { bits_per_second?: number } };
}

/** The receiver's throughput in bit/s from `iperf3 -J` output; throws with iperf3's own error text. */
export function parseIperf3Throughput(json: string): number {
  let doc: Iperf3Json;
  try {
    doc = JSON.parse(json) as Iperf3Json;
  } catch {
    throw new Error(`iperf3 printed no JSON: ${json.slice(0, 200)}`);
  }
  if (doc.error) throw new Error(`iperf3: ${doc.error}`);
  const bps = doc.end?.sum_received?.bits_per_second;
  if (typeof bps !== 'number' || !(bps > 0)) throw new Error('iperf3: no end.sum_received.bits_per_second in its JSON');
  return bps;
}

/**
 * One client run from `netns` to `host`; retries briefly while the server is
 * still starting (connection refused), since servers are spawned, not awaited.
 */
export async function iperf3Throughput(netns: string, host: string, r: Iperf3Run): Promise<number> {
  const argv = [...inNetns(netns), 'iperf3', '-c', host, '-p', String(IPERF3_PORT), '-t', String(r.seconds), '-O', String(r.omit), '-P', String(r.streams), '-J'];
  const timeoutMs = (r.seconds + r.omit) * 1000 + 20_000;
  for (let attempt = 0; ; attempt++) {
    const out = await stdoutEvenOnFailure(argv, timeoutMs);
    try {
      return parseIperf3Throughput(out);
    } catch (e) {
      const refused = /refused|busy/i.test((e as Error).message);
      if (!refused || attempt >= 20) throw e;
      await new Promise((res) => setTimeout(res, 250));
    }
  }
}

/**
 * iperf3 exits 1 on a failed test but still prints its JSON (with "error") on
 * stdout, which run() drops on failure; so this one call keeps stdout always.
 */
function stdoutEvenOnFailure(argv: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve(stdout || (err ? `${stderr || err.message}` : ''));
    });
  });
}
