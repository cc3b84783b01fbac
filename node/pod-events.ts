// Events about pods, as the kubelet records them (source component
// "kubelet", the node as host, a container named by fieldPath
// spec.containers{name}). Recording never throws and never blocks the pod.
import type { Event, Pod } from '../kube/api/core.js';
import { Events, type KubeClient } from '../kube/client.js';
import { rfc3339 } from './pod-status.js';

export type EventType = 'Normal' | 'Warning';

export interface PodEventSink {
  emit(pod: Pod, type: EventType, reason: string, message: string, container?: string): void;
}

/** A repeat of the same event within this window bumps count on the existing Event (a failing probe repeats every period). */
const DEDUP_MS = 10 * 60_000;

export class PodEventRecorder implements PodEventSink {
  private seq = 0;
  private readonly recent = new Map<string, { name: string; count: number; at: number }>();

  constructor(
    private readonly client: Pick<KubeClient, 'create' | 'patch'>,
    private readonly nodeName: string,
    private readonly onError: (msg: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  emit(pod: Pod, type: EventType, reason: string, message: string, container?: string): void {
    const ns = pod.metadata.namespace ?? 'default';
    const t = rfc3339(this.now());
    const key = `${ns}/${pod.metadata.uid}/${container ?? ''}/${type}/${reason}/${message}`;
    const seen = this.recent.get(key);
    if (seen && this.now() - seen.at < DEDUP_MS) {
      seen.count++;
      seen.at = this.now();
      this.client.patch(Events, seen.name, 'merge', { count: seen.count, lastTimestamp: t }, { namespace: ns }).catch((e: unknown) => this.onError(`event ${reason} for pod ${ns}/${pod.metadata.name}: ${(e as Error).message}`));
      return;
    }
    if (this.recent.size > 5000) {
      for (const [k, v] of this.recent) if (this.now() - v.at >= DEDUP_MS) this.recent.delete(k);
    }
    const name = `${pod.metadata.name}.${this.now().toString(16)}${(this.seq++ % 4096).toString(16).padStart(3, '0')}`;
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: ns },
      involvedObject: {
        kind: 'Pod',
        apiVersion: 'v1',
        namespace: ns,
        name: pod.metadata.name ?? '',
        ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}),
        ...(container ? { fieldPath: `spec.containers{${container}}` } : {}),
      },
      reason,
      message,
      type,
      source: { component: 'kubelet', host: this.nodeName },
      firstTimestamp: t,
      lastTimestamp: t,
      count: 1,
      reportingComponent: 'kubelet',
      reportingInstance: this.nodeName,
    };
    this.recent.set(key, { name, count: 1, at: this.now() });
    this.client.create(Events, ev).catch((e: unknown) => this.onError(`event ${reason} for pod ${ns}/${pod.metadata.name}: ${(e as Error).message}`));
  }
}
