// What "a backend dies mid-run, and one is added" means per mode:
//   pod          a web pod is deleted with no grace period (`kubectl delete pod --grace-period=0 --force`);
//                the ReplicaSet's replacement, once Ready, is the added backend. Every Service-based mode
//                (ClusterIP, sidecar, headless) sees this through the EndpointSlice.
//   entry point  for DNS across clusters the backends the client picks are the clusters' entry points
//                (node:NodePort). One stops answering: its node drops new connections to the NodePort in
//                the raw table, before conntrack and the proxy's DNAT, as if the node or its load balancer
//                died. The global DNS's health checks withdraw its record; clients follow when their cached
//                answer expires. After it has been out for a while it answers again: the added backend.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabNode } from '../lab/lab-config.js';
import { run } from '../lab/run-command.js';
import { killPod, podName, readyWebPods, waitForNewReadyPod, webPods, type DemoCluster } from './demo-cluster.js';
import type { HealthChecks } from './global-dns-health.js';

export interface DisruptedBackend {
  kind: 'pod' | 'entry-point';
  /** The pod's name, or "entry <ip>:<port>". */
  label: string;
  ip: string;
  cluster: string;
}

export interface Disruption {
  kill(): Promise<DisruptedBackend>;
  /** After kill: resolves when the added backend can take traffic (`at` = Date.now() then); undefined if `signal` fires first. */
  added(signal: AbortSignal, note: (epochMs: number, text: string) => void): Promise<(DisruptedBackend & { at: number }) | undefined>;
  /** Undoes what is left (always called, also after a failure). */
  cleanup(): Promise<void>;
}

/** `victimIndex` picks which ready pod dies (the demo rotates it per mode, so no pod dies twice in a row). */
export function podDisruption(c: DemoCluster, victimIndex: number): Disruption {
  let known = new Set<string>();
  return {
    async kill() {
      known = new Set((await webPods(c)).map(podName));
      const ready = await readyWebPods(c);
      const victim = ready[victimIndex % ready.length];
      if (!victim) throw new Error(`cluster ${c.name}: no ready web pod to kill`);
      await killPod(c, podName(victim));
      return { kind: 'pod', label: podName(victim), ip: victim.status?.podIP ?? '', cluster: c.name };
    },
    async added(signal) {
      const fresh = await waitForNewReadyPod(c, known, signal);
      return fresh ? { kind: 'pod', label: podName(fresh.pod), ip: fresh.pod.status?.podIP ?? '', cluster: c.name, at: fresh.seenAt } : undefined;
    },
    async cleanup() {},
  };
}

function rawDropRule(port: number): string[] {
  return ['PREROUTING', '-p', 'tcp', '--dport', String(port), '-m', 'comment', '--comment', 'netkube demo: entry point down', '-j', 'DROP'];
}

/** `outForMs`: how long the entry point stays down after its record was withdrawn (the demo uses TTL + a few seconds). */
export function entryPointDisruption(c: DemoCluster, node: LabNode, nodePort: number, health: HealthChecks, outForMs: number): Disruption {
  let down = false;
  const label = `entry ${node.ip}:${nodePort}`;
  const restore = async () => {
    if (!down) return;
    await run(['ip', 'netns', 'exec', node.netns, 'iptables', '-t', 'raw', '-D', ...rawDropRule(nodePort)]);
    down = false;
  };
  return {
    async kill() {
      await run(['ip', 'netns', 'exec', node.netns, 'iptables', '-t', 'raw', '-I', ...rawDropRule(nodePort)]);
      down = true;
      return { kind: 'entry-point', label, ip: node.ip, cluster: c.name };
    },
    async added(signal, note) {
      const out = await health.until(node.ip, false, signal);
      if (!out) return undefined;
      note(out.at, `health checks withdrew ${node.ip} from the global DNS name`);
      await sleep(outForMs);
      if (signal.aborted) return undefined;
      const back = health.until(node.ip, true, signal);
      await restore();
      const at = Date.now();
      const seen = await back;
      if (seen) note(seen.at, `health checks put ${node.ip} back`);
      return { kind: 'entry-point', label, ip: node.ip, cluster: c.name, at };
    },
    cleanup: restore,
  };
}
