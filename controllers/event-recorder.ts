// Records core/v1 Events the way client-go's recorder does, so `kubectl
// describe` and `kubectl get events` show what controllers, the scheduler and
// node agents did. A repeat of the same (object, type, reason, message) within
// ten minutes bumps count/lastTimestamp on the existing Event instead of
// creating a new one. Recording never throws: an event is not worth failing
// a reconcile for.
import type { Event, ObjectReference } from '../kube/api/core.js';
import type { KubeObject } from '../kube/api/meta.js';
import { Events, isApiError, type KubeClient } from '../kube/client.js';

export type EventType = 'Normal' | 'Warning';

export interface EventSink {
  event(obj: KubeObject, type: EventType, reason: string, message: string): void;
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function referenceTo(obj: KubeObject): ObjectReference {
  const ref: ObjectReference = { kind: obj.kind ?? '', name: obj.metadata.name ?? '', apiVersion: obj.apiVersion ?? 'v1' };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata.uid) ref.uid = obj.metadata.uid;
  if (obj.metadata.resourceVersion) ref.resourceVersion = obj.metadata.resourceVersion;
  return ref;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  at: number;
}

export class EventRecorder implements EventSink {
  private readonly recent = new Map<string, Seen>();

  constructor(
    private readonly client: Pick<KubeClient, 'create' | 'patch'>,
    private readonly component: string,
    private readonly host?: string,
    private readonly now: () => Date = () => new Date(),
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    void this.record(obj, type, reason, message).catch(this.onError);
  }

  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const namespace = obj.metadata.namespace || 'default';
    const key = `${obj.kind}/${namespace}/${obj.metadata.name}/${obj.metadata.uid ?? ''}/${type}/${reason}/${message}`;
    const now = this.now();
    const prev = this.recent.get(key);
    if (prev && now.getTime() - prev.at < 10 * 60_000) {
      prev.count++;
      prev.at = now.getTime();
      try {
        await this.client.patch(Events, prev.name, 'merge', { count: prev.count, lastTimestamp: rfc3339(now) }, { namespace: prev.namespace });
        return;
      } catch (e) {
        if (!isApiError(e, 404)) throw e;
        this.recent.delete(key); // the Event expired or was deleted: record a new one
      }
    }
    const name = `${obj.metadata.name ?? 'unknown'}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
    const ev: Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: referenceTo(obj),
      reason,
      message,
      type,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      firstTimestamp: rfc3339(now),
      lastTimestamp: rfc3339(now),
      count: 1,
      reportingComponent: this.component,
      reportingInstance: this.host ?? this.component,
    };
    await this.client.create(Events, ev, { namespace });
    this.recent.set(key, { name, namespace, count: 1, at: now.getTime() });
    if (this.recent.size > 4096) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }
}
