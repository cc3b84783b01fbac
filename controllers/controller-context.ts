// What every controller is given: one API client, one shared informer per
// resource (so ten controllers watching Pods open one watch, as in
// kube-controller-manager's SharedInformerFactory), an event sink, and a log.
import type { KubeObject } from '../kube/api/meta.js';
import type { KubeClient, ResourceDescriptor } from '../kube/client.js';
import { createInformer, listWatchFor, type Informer, type InformerOptions } from '../kube/informer.js';
import type { EventSink } from './event-recorder.js';

export class SharedInformers {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started = false;

  constructor(
    private readonly client: Pick<KubeClient, 'list' | 'watch'>,
    private readonly opts: InformerOptions = {},
  ) {}

  /** The informer for a resource (created on first use; call before start()). */
  for<T extends KubeObject>(res: ResourceDescriptor): Informer<T> {
    const key = `${res.group}/${res.version}/${res.resource}`;
    let inf = this.informers.get(key);
    if (!inf) {
      if (this.started) throw new Error(`SharedInformers: informer for ${key} requested after start()`);
      inf = createInformer<KubeObject>(listWatchFor(this.client, res), { ...this.opts, name: res.resource });
      this.informers.set(key, inf);
    }
    return inf as unknown as Informer<T>;
  }

  /** Start every informer requested so far; resolves when all have synced. */
  async start(signal: AbortSignal): Promise<void> {
    this.started = true;
    await Promise.all([...this.informers.values()].map((i) => i.start(signal)));
  }
}

export interface ControllerContext {
  client: KubeClient;
  informers: SharedInformers;
  events: EventSink;
  log: (msg: string) => void;
  signal: AbortSignal;
}

/**
 * A controller registers its informer handlers in `setup` (before the shared
 * informers start) and returns `run`, called once they have synced; `run`
 * resolves when the signal aborts.
 */
export interface Controller {
  readonly name: string;
  setup(ctx: ControllerContext): { run(): Promise<void> };
}
