// The object layer of apiserver-lite: Kubernetes semantics (metadata, defaults,
// validation, allocation, optimistic concurrency, graceful deletion,
// finalizers, namespaces) on top of the etcd-shaped Store. The HTTP layer
// only parses requests and calls these methods; everything here throws
// ApiError for the client to see.
import type { KubeObject, ObjectMeta } from '../kube/api/meta.js';
import type { Pod, Service } from '../kube/api/core.js';
import { parseSelector } from '../kube/label-selector.js';
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  expired,
  forbidden,
  internalError,
  invalid as invalidError,
  notFound,
} from './api-error.js';
import { ClusterIPAllocator, NodePortAllocator, type PortRange } from './allocators.js';
import { defaulterFor } from './defaults.js';
import { parseFieldSelector } from './field-selector.js';
import { generatedName, newUid, rfc3339 } from './object-meta-defaults.js';
import { applyPatch, patchMetaFor, type PatchType } from './patch/index.js';
import { PatchError } from './patch/patch-error.js';
import { RESOURCES, apiVersionOf, findResource, namespacePrefix, objectKey, resourcePrefix, type ResourceDef } from './resources.js';
import { ServiceAllocations, type AllocationTxn } from './service-allocation.js';
import { CompactedError, KeyExistsError, NotFoundError, RevisionConflictError, type KeyValue, type Store } from './storage/store.js';
import { FieldError, formatInvalidMessage } from './validation/field-errors.js';
import { validatorFor, type ValidationContext } from './validation/index.js';
import { WatchCache, decodeStored } from './watch-cache.js';

export interface RegistryOptions {
  store: Store;
  serviceClusterIPRange: string;
  serviceNodePortRange: PortRange;
  clock?: () => Date;
  /** Events kept per resource for watchers that resume. */
  watchCacheSize?: number;
  log?: (msg: string) => void;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  subresource?: 'status';
}

/** Server-internal writes (pods/binding) that change fields clients may not. */
interface InternalWriteOptions extends WriteOptions {
  /** pods/binding: sets spec.nodeName and the PodScheduled condition in one write, outside both spec and status rules. */
  binding?: boolean;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface DeleteResult {
  /** The object as it was deleted, or as it now is when deletion is pending (grace period, finalizers). */
  object: KubeObject;
  /** True when the object is gone from storage. */
  gone: boolean;
}

const CONFLICT_RETRIES = 8;

function clone<T>(v: T): T {
  return structuredClone(v);
}

function jsonEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The stored form: resourceVersion lives in the store's revision, not in the value. */
function encodeForStore(obj: KubeObject): string {
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return JSON.stringify({ ...obj, metadata: meta });
}

function describeName(def: ResourceDef, ns: string | undefined, name: string): string {
  return def.namespaced && ns ? `${ns}/${name}` : name;
}

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', ...t })).toString('base64url');
}

function decodeContinue(text: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<ContinueToken> & { v?: string };
    if (t.v === 'meta.k8s.io/v1' && typeof t.rv === 'number' && typeof t.start === 'string') return { rv: t.rv, start: t.start };
  } catch {
    // fall through to the error below
  }
  throw badRequest(`invalid continue token: "${text}"`);
}

export class Registry {
  readonly store: Store;
  readonly allocations: ServiceAllocations;
  readonly validation: ValidationContext;
  private readonly caches = new Map<ResourceDef, WatchCache>();
  private readonly clock: () => Date;
  private readonly log: (msg: string) => void;
  private readonly terminatingNamespaces = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly opts: RegistryOptions) {
    this.store = opts.store;
    this.clock = opts.clock ?? (() => new Date());
    this.log = opts.log ?? (() => undefined);
    this.allocations = new ServiceAllocations(new ClusterIPAllocator(opts.serviceClusterIPRange), new NodePortAllocator(opts.serviceNodePortRange));
    this.validation = { serviceCIDR: opts.serviceClusterIPRange, nodePortRange: opts.serviceNodePortRange };
  }

  /** Rebuild allocator state from storage, start one watch cache per resource, resume namespace finalization. */
  async start(): Promise<void> {
    const services = await this.listAllRaw(this.def('', 'services'));
    for (const p of this.allocations.restore(services as Service[])) this.log(`warning: ${p}`);
    for (const def of RESOURCES) {
      const cache = new WatchCache(this.store, resourcePrefix(def), this.opts.watchCacheSize);
      await cache.start();
      this.caches.set(def, cache);
    }
    for (const ns of await this.listAllRaw(this.def('', 'namespaces'))) {
      if (ns.metadata.deletionTimestamp && ns.metadata.name) this.finalizeNamespace(ns.metadata.name);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const c of this.caches.values()) c.close();
  }

  def(group: string, resource: string): ResourceDef {
    const d = RESOURCES.find((r) => r.group === group && r.resource === resource);
    if (!d) throw new Error(`unknown resource ${resource}.${group}`);
    return d;
  }

  cacheFor(def: ResourceDef): WatchCache {
    const c = this.caches.get(def);
    if (!c) throw internalError(`no watch cache for ${def.resource}`);
    return c;
  }

  private decode(kv: KeyValue): KubeObject {
    return decodeStored(kv.value, kv.modRevision);
  }

  private async listAllRaw(def: ResourceDef): Promise<KubeObject[]> {
    const res = await this.store.list(resourcePrefix(def));
    return res.items.map((kv) => this.decode(kv));
  }

  // ---------------------------------------------------------------- reads

  async get(def: ResourceDef, ns: string | undefined, name: string): Promise<KubeObject> {
    const kv = await this.store.get(objectKey(def, ns, name));
    if (!kv) throw notFound(def, name);
    return this.decode(kv);
  }

  async list(def: ResourceDef, ns: string | undefined, opts: ListOptions = {}): Promise<ListResult> {
    const labels = this.parseLabelSelector(opts.labelSelector);
    const fields = parseFieldSelector(opts.fieldSelector, def);
    // A field selector on metadata.namespace narrows the prefix like a namespaced path does.
    const nsFilter = ns ?? (def.namespaced ? fields.exact('metadata.namespace') : undefined);
    const prefix = namespacePrefix(def, nsFilter);
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    let revision = 0;
    let startKey: string | undefined;
    if (opts.continue) {
      const t = decodeContinue(opts.continue);
      revision = t.rv;
      startKey = t.start;
      if (!startKey.startsWith(prefix)) throw badRequest('continue key is not valid for this list');
    } else if (opts.resourceVersionMatch === 'Exact' && opts.resourceVersion) {
      revision = Number(opts.resourceVersion);
      if (!Number.isInteger(revision) || revision <= 0) throw badRequest(`invalid resourceVersion "${opts.resourceVersion}"`);
    }
    const items: KubeObject[] = [];
    let readAt = revision;
    let more = false;
    let nextKey: string | undefined;
    let remaining = 0;
    try {
      // Keep reading pages until `limit` matching items are found (selectors filter after storage paging).
      for (;;) {
        const page = await this.store.list(prefix, {
          revision: readAt || undefined,
          limit: limit ? Math.max(limit - items.length, Math.min(limit * 2, 500)) : undefined,
          startKey,
        });
        readAt = page.revision;
        let lastKey: string | undefined;
        let i = 0;
        for (; i < page.items.length; i++) {
          const kv = page.items[i]!;
          lastKey = kv.key;
          const obj = this.decode(kv);
          if (!labels.matches(obj.metadata.labels) || !fields.matches(obj as Record<string, unknown>)) continue;
          items.push(obj);
          if (limit && items.length >= limit) break;
        }
        const stoppedEarly = i < page.items.length - 1;
        if (limit && items.length >= limit && (stoppedEarly || page.more)) {
          more = true;
          nextKey = `${lastKey}\u0000`;
          remaining = stoppedEarly ? page.items.length - i - 1 + page.remaining : page.remaining;
          break;
        }
        if (!page.more) break;
        startKey = `${lastKey}\u0000`;
      }
    } catch (e) {
      if (e instanceof CompactedError) {
        throw expired(
          opts.continue
            ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
            : `too old resource version: ${revision} (${e.compacted})`,
        );
      }
      throw e;
    }
    this.caches.get(def)?.observeRevision(readAt);
    const result: ListResult = { items, resourceVersion: String(readAt) };
    if (more && nextKey) {
      result.continue = encodeContinue({ rv: readAt, start: nextKey });
      // Only exact when no selector filters the remainder.
      if (!opts.labelSelector && !opts.fieldSelector) result.remainingItemCount = remaining;
    }
    return result;
  }

  parseLabelSelector(text: string | undefined): { matches(labels: Record<string, string> | undefined): boolean } {
    if (!text) return { matches: () => true };
    try {
      return parseSelector(text);
    } catch (e) {
      throw badRequest(`unable to parse requirement: ${(e as Error).message}`);
    }
  }

  // ---------------------------------------------------------------- writes

  private async requireNamespace(def: ResourceDef, ns: string | undefined, name: string): Promise<void> {
    if (!def.namespaced) return;
    if (!ns) throw badRequest(`the namespace of the provided object does not match the namespace sent on the request`);
    const nsDef = this.def('', 'namespaces');
    const kv = await this.store.get(objectKey(nsDef, undefined, ns));
    if (!kv) throw notFound(nsDef, ns);
    const nsObj = this.decode(kv);
    if (nsObj.metadata.deletionTimestamp) {
      throw forbidden(
        `${def.resource} "${name}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        def,
        name,
      );
    }
  }

  private validate(def: ResourceDef, obj: KubeObject, old: KubeObject | undefined): void {
    const v = validatorFor(def.group, def.kind, def.namespaced);
    const errs: FieldError[] = old ? v.update(obj, old, this.validation) : v.create(obj, this.validation);
    if (errs.length > 0) this.throwInvalid(def, obj.metadata.name ?? '', errs);
  }

  private throwInvalid(def: ResourceDef, name: string, errs: readonly FieldError[]): never {
    throw invalidError(def.kind, def.group, name, errs.map((e) => e.toCause()), formatInvalidMessage(def.kind, name, errs, def.group));
  }

  /** Checks the body's apiVersion/kind/namespace against the request. */
  private checkTypeAndNamespace(def: ResourceDef, ns: string | undefined, body: KubeObject): void {
    if (!isObject(body)) throw badRequest('the body of the request must be a JSON or YAML object');
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(def)) {
      throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersionOf(def)})`);
    }
    if (body.kind !== undefined && body.kind !== def.kind) {
      throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (${def.kind})`);
    }
    if (!isObject(body.metadata)) {
      if (body.metadata === undefined) body.metadata = {};
      else throw badRequest('metadata must be an object');
    }
    if (def.namespaced) {
      if (body.metadata.namespace !== undefined && body.metadata.namespace !== '' && body.metadata.namespace !== ns) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      body.metadata.namespace = ns;
    } else {
      delete body.metadata.namespace;
    }
    body.apiVersion = apiVersionOf(def);
    body.kind = def.kind;
  }

  async create(def: ResourceDef, ns: string | undefined, input: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const obj = clone(input);
    this.checkTypeAndNamespace(def, ns, obj);
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = generatedName(meta.generateName);
    if (!meta.name) {
      this.throwInvalid(def, '', [new FieldError('FieldValueRequired', 'metadata.name', 'name or generateName is required')]);
    }
    await this.requireNamespace(def, ns, meta.name!);
    this.prepareForCreate(def, obj);
    let txn: AllocationTxn | undefined;
    if (def.kind === 'Service' && !def.group) {
      try {
        txn = this.allocations.allocate(obj as Service);
      } catch (e) {
        if (Array.isArray(e)) this.throwInvalid(def, meta.name!, e as FieldError[]);
        throw e;
      }
    }
    try {
      this.validate(def, obj, undefined);
      if (opts.dryRun) {
        txn?.undo();
        return obj;
      }
      const key = objectKey(def, ns, meta.name!);
      let kv: KeyValue;
      try {
        kv = await this.store.create(key, encodeForStore(obj));
      } catch (e) {
        if (e instanceof KeyExistsError) throw alreadyExists(def, meta.name!);
        throw e;
      }
      txn?.commit();
      const created = this.decode(kv);
      this.afterCreate(def, created);
      return created;
    } catch (e) {
      txn?.undo();
      throw e;
    }
  }

  private prepareForCreate(def: ResourceDef, obj: KubeObject): void {
    const meta = obj.metadata;
    meta.uid = newUid();
    meta.creationTimestamp = rfc3339(this.clock());
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    if (def.hasSpec) meta.generation = 1;
    else delete meta.generation;
    defaulterFor(def.group, def.kind)?.(obj);
    // The status of a new object is the server's, except for kinds whose writers create it with status.
    if (def.kind === 'Pod' && !def.group) obj.status = { phase: 'Pending', qosClass: qosClassOf(obj as Pod) };
    else if (def.kind === 'Namespace') obj.status = { phase: 'Active' };
    else if (def.kind === 'Service' && !def.group) obj.status = { loadBalancer: {} };
    else if (def.subresources.includes('status') && def.kind !== 'Node') delete obj.status;
  }

  private afterCreate(def: ResourceDef, obj: KubeObject): void {
    // The ServiceAccount controller's job, done inline: every namespace gets a "default" ServiceAccount.
    if (def.kind === 'Namespace' && obj.metadata.name) {
      const sa = this.def('', 'serviceaccounts');
      this.create(sa, obj.metadata.name, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }).catch((e: unknown) => {
        if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) this.log(`creating default ServiceAccount in ${obj.metadata.name}: ${(e as Error).message}`);
      });
    }
  }

  /**
   * PUT. With metadata.resourceVersion set, the write happens only at that
   * version (409 Conflict otherwise); without it, it replaces whatever is there.
   */
  async update(def: ResourceDef, ns: string | undefined, name: string, input: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const body = clone(input);
    this.checkTypeAndNamespace(def, ns, body);
    if (body.metadata.name !== undefined && body.metadata.name !== name) {
      throw badRequest(`the name of the object (${String(body.metadata.name)}) does not match the name on the URL (${name})`);
    }
    body.metadata.name = name;
    const wantRV = body.metadata.resourceVersion;
    return this.guaranteedUpdate(def, ns, name, wantRV, (current) => body, opts);
  }

  async patch(
    def: ResourceDef,
    ns: string | undefined,
    name: string,
    type: PatchType,
    patchBody: unknown,
    opts: WriteOptions = {},
  ): Promise<KubeObject> {
    const meta = patchMetaFor(def.group, def.kind);
    return this.guaranteedUpdate(
      def,
      ns,
      name,
      undefined,
      (current) => {
        let patched: unknown;
        try {
          patched = applyPatch(type, current, patchBody, meta);
        } catch (e) {
          if (e instanceof PatchError) {
            throw e.reason === 'Invalid'
              ? invalidError(def.kind, def.group, name, [], e.message)
              : badRequest(e.message);
          }
          throw e;
        }
        if (!isObject(patched)) throw badRequest('the patch must produce an object');
        const obj = patched as KubeObject;
        this.checkTypeAndNamespace(def, ns, obj);
        if (obj.metadata.name !== name) throw badRequest(`the name of the object (${String(obj.metadata.name)}) does not match the name on the URL (${name})`);
        return obj;
      },
      opts,
    );
  }

  /**
   * Read, transform, compare-and-swap; retried on a concurrent write unless the
   * caller pinned a resourceVersion (then a conflict is the caller's to resolve).
   */
  private async guaranteedUpdate(
    def: ResourceDef,
    ns: string | undefined,
    name: string,
    wantRV: string | undefined,
    transform: (current: KubeObject) => KubeObject,
    opts: InternalWriteOptions,
  ): Promise<KubeObject> {
    const key = objectKey(def, ns, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw notFound(def, name);
      const current = this.decode(kv);
      const next = transform(clone(current));
      // A patch may carry a resourceVersion as its own precondition.
      const pinned = wantRV ?? (next.metadata.resourceVersion !== current.metadata.resourceVersion ? next.metadata.resourceVersion : undefined);
      if (pinned !== undefined && pinned !== '' && pinned !== current.metadata.resourceVersion) {
        if (!/^\d+$/.test(pinned)) throw badRequest(`invalid resourceVersion "${pinned}"`);
        throw conflict(def, name, 'the object has been modified; please apply your changes to the latest version and try again');
      }
      const obj = this.prepareForUpdate(def, next, current, opts.binding ? 'binding' : opts.subresource);
      let txn: AllocationTxn | undefined;
      if (def.kind === 'Service' && !def.group && opts.subresource !== 'status') {
        try {
          txn = this.allocations.allocate(obj as Service, current as Service);
        } catch (e) {
          if (Array.isArray(e)) this.throwInvalid(def, name, e as FieldError[]);
          throw e;
        }
      }
      try {
        if (!opts.binding) this.validate(def, obj, current);
        if (opts.dryRun) {
          txn?.undo();
          return obj;
        }
        if (jsonEqual({ ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } }, { ...current, metadata: { ...current.metadata, resourceVersion: undefined } })) {
          txn?.undo();
          return current; // a no-op write does not bump the resourceVersion, as in Kubernetes
        }
        // Removing the last finalizer of an object being deleted deletes it.
        if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0 && !this.awaitsKubelet(def, obj)) {
          const deleted = await this.store.delete(key, kv.modRevision);
          txn?.undo();
          this.afterDelete(def, current);
          return this.decode(deleted);
        }
        const written = await this.store.update(key, encodeForStore(obj), kv.modRevision);
        txn?.commit();
        return this.decode(written);
      } catch (e) {
        txn?.undo();
        if ((e instanceof RevisionConflictError || e instanceof NotFoundError) && pinned === undefined && attempt < CONFLICT_RETRIES) continue;
        if (e instanceof RevisionConflictError) throw conflict(def, name, 'the object has been modified; please apply your changes to the latest version and try again');
        if (e instanceof NotFoundError) throw notFound(def, name);
        throw e;
      }
    }
  }

  /** What an update may change: identity fields are the server's, and status and spec are written through separate paths. */
  private prepareForUpdate(def: ResourceDef, next: KubeObject, current: KubeObject, subresource: 'status' | 'binding' | undefined): KubeObject {
    const cur = current.metadata;
    let obj: KubeObject;
    if (subresource === 'binding') {
      obj = next;
    } else if (subresource === 'status') {
      // Only status changes through /status.
      obj = { ...clone(current), status: next.status };
    } else {
      obj = next;
      defaulterFor(def.group, def.kind)?.(obj);
      if (def.subresources.includes('status')) {
        if (current.status === undefined) delete obj.status;
        else obj.status = clone(current.status);
      }
    }
    const meta: ObjectMeta = obj.metadata;
    meta.uid = cur.uid;
    meta.creationTimestamp = cur.creationTimestamp;
    meta.namespace = cur.namespace;
    meta.name = cur.name;
    if (cur.deletionTimestamp) {
      meta.deletionTimestamp = cur.deletionTimestamp;
      meta.deletionGracePeriodSeconds = cur.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (cur.generateName !== undefined && meta.generateName === undefined) meta.generateName = cur.generateName;
    if (def.hasSpec) {
      const specChanged = subresource === undefined && !jsonEqual(obj.spec, current.spec);
      meta.generation = (cur.generation ?? 1) + (specChanged ? 1 : 0);
    }
    if (def.kind === 'Namespace' && meta.name) meta.labels = { ...(meta.labels ?? {}), 'kubernetes.io/metadata.name': meta.name };
    delete meta.resourceVersion;
    return obj;
  }

  // ---------------------------------------------------------------- binding

  /** pods/binding: the scheduler's one way to set spec.nodeName. */
  async bind(ns: string, podName: string, binding: KubeObject): Promise<void> {
    const pods = this.def('', 'pods');
    const target = binding.target as { kind?: string; name?: string } | undefined;
    if (!target?.name) this.throwInvalid(pods, podName, [new FieldError('FieldValueRequired', 'target.name', '')]);
    if (target.kind !== undefined && target.kind !== '' && target.kind !== 'Node') {
      this.throwInvalid(pods, podName, [new FieldError('FieldValueNotSupported', 'target.kind', 'supported values: "Node"', target.kind)]);
    }
    await this.guaranteedUpdate(
      pods,
      ns,
      podName,
      undefined,
      (current) => {
        const spec = (current.spec ?? {}) as Record<string, unknown>;
        if (current.metadata.deletionTimestamp) throw conflict(pods, podName, 'pod is being deleted, cannot be assigned to a host');
        if (spec.nodeName) throw conflict(pods, podName, `pod ${podName} is already assigned to node "${String(spec.nodeName)}"`);
        spec.nodeName = target.name;
        current.spec = spec;
        const status = (current.status ?? {}) as Record<string, unknown>;
        const conds = (Array.isArray(status.conditions) ? status.conditions : []) as Record<string, unknown>[];
        const others = conds.filter((c) => c.type !== 'PodScheduled');
        status.conditions = [...others, { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(this.clock()) }];
        current.status = status;
        return current;
      },
      // spec.nodeName is immutable to clients; binding is the one path that sets it.
      { binding: true },
    );
  }

  // ---------------------------------------------------------------- deletes

  /** Pods bound to a node wait for that node's agent to finish them (graceful deletion). */
  private awaitsKubelet(def: ResourceDef, obj: KubeObject): boolean {
    if (def.kind !== 'Pod' || def.group) return false;
    const pod = obj as Pod;
    return !!pod.spec?.nodeName && (pod.metadata.deletionGracePeriodSeconds ?? 0) > 0;
  }

  async delete(def: ResourceDef, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    const key = objectKey(def, ns, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.store.get(key);
      if (!kv) throw notFound(def, name);
      const current = this.decode(kv);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== current.metadata.uid) {
        throw conflict(def, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
        throw conflict(def, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`);
      }
      if (opts.gracePeriodSeconds !== undefined && (!Number.isInteger(opts.gracePeriodSeconds) || opts.gracePeriodSeconds < 0)) {
        throw badRequest(`gracePeriodSeconds must be a non-negative integer`);
      }
      if (def.kind === 'Namespace') return this.deleteNamespace(def, current, kv, opts);
      const grace = this.gracePeriodFor(def, current, opts.gracePeriodSeconds);
      // Orphan and Foreground propagation are carried out by the garbage
      // collector (controllers/garbage-collector-controller.ts), as in
      // Kubernetes: the owner keeps a finalizer naming the policy until the GC
      // has released (orphan) or deleted (foregroundDeletion) its dependents.
      const policyFinalizer = opts.propagationPolicy === 'Orphan' ? 'orphan' : opts.propagationPolicy === 'Foreground' ? 'foregroundDeletion' : undefined;
      const finalizers = [...(current.metadata.finalizers ?? [])];
      if (policyFinalizer && !current.metadata.deletionTimestamp && !finalizers.includes(policyFinalizer)) finalizers.push(policyFinalizer);
      if (finalizers.length > 0 || grace > 0) {
        // Graceful deletion or finalizers: mark the object and keep it until they are done.
        const marked = clone(current);
        const now = this.clock();
        const existingGrace = current.metadata.deletionGracePeriodSeconds;
        if (current.metadata.deletionTimestamp && existingGrace !== undefined && existingGrace <= grace) {
          return { object: current, gone: false }; // already terminating at least as fast
        }
        marked.metadata.deletionTimestamp = rfc3339(new Date(now.getTime() + grace * 1000));
        marked.metadata.deletionGracePeriodSeconds = grace;
        if (finalizers.length > 0) marked.metadata.finalizers = finalizers;
        delete marked.metadata.resourceVersion;
        if (opts.dryRun) return { object: marked, gone: false };
        try {
          const written = await this.store.update(key, encodeForStore(marked), kv.modRevision);
          return { object: this.decode(written), gone: false };
        } catch (e) {
          if (e instanceof RevisionConflictError && attempt < CONFLICT_RETRIES) continue;
          throw this.mapStoreError(def, name, e);
        }
      }
      if (opts.dryRun) return { object: current, gone: true };
      try {
        const deleted = await this.store.delete(key, kv.modRevision);
        this.afterDelete(def, current);
        return { object: this.decode(deleted), gone: true };
      } catch (e) {
        if (e instanceof RevisionConflictError && attempt < CONFLICT_RETRIES) continue;
        throw this.mapStoreError(def, name, e);
      }
    }
  }

  private mapStoreError(def: ResourceDef, name: string, e: unknown): unknown {
    if (e instanceof RevisionConflictError) return conflict(def, name, 'the object has been modified; please apply your changes to the latest version and try again');
    if (e instanceof NotFoundError) return notFound(def, name);
    return e;
  }

  /** Grace period as Kubernetes decides it: only pods have one, and only while bound and not finished. */
  private gracePeriodFor(def: ResourceDef, obj: KubeObject, requested: number | undefined): number {
    if (def.kind !== 'Pod' || def.group) return 0;
    const pod = obj as Pod;
    if (!pod.spec?.nodeName) return 0;
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
    if (requested !== undefined) return requested;
    return pod.spec.terminationGracePeriodSeconds ?? 30;
  }

  private afterDelete(def: ResourceDef, obj: KubeObject): void {
    if (def.kind === 'Service' && !def.group) this.allocations.release(obj as Service);
  }

  async deleteCollection(def: ResourceDef, ns: string | undefined, list: ListOptions, opts: DeleteOptions): Promise<KubeObject[]> {
    const { items } = await this.list(def, ns, { labelSelector: list.labelSelector, fieldSelector: list.fieldSelector });
    const out: KubeObject[] = [];
    for (const item of items) {
      try {
        out.push((await this.delete(def, item.metadata.namespace, item.metadata.name!, opts)).object);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- namespaces

  private async deleteNamespace(def: ResourceDef, current: KubeObject, kv: KeyValue, opts: DeleteOptions): Promise<DeleteResult> {
    const name = current.metadata.name!;
    if (['default', 'kube-system', 'kube-public', 'kube-node-lease'].includes(name)) {
      throw forbidden(`namespaces "${name}" is forbidden: this namespace may not be deleted`, def, name);
    }
    if (current.metadata.deletionTimestamp) return { object: current, gone: false };
    const marked = clone(current);
    marked.metadata.deletionTimestamp = rfc3339(this.clock());
    marked.metadata.deletionGracePeriodSeconds = 0;
    marked.status = { ...(isObject(marked.status) ? marked.status : {}), phase: 'Terminating' };
    delete marked.metadata.resourceVersion;
    if (opts.dryRun) return { object: marked, gone: false };
    const written = await this.store.update(kv.key, encodeForStore(marked), kv.modRevision).catch((e: unknown) => {
      throw this.mapStoreError(def, name, e);
    });
    this.finalizeNamespace(name);
    return { object: this.decode(written), gone: false };
  }

  /**
   * The namespace controller's job, done inline: delete everything in the
   * namespace (pods gracefully, through their node agents), and remove the
   * namespace once it is empty.
   */
  private finalizeNamespace(name: string): void {
    if (this.terminatingNamespaces.has(name)) return;
    this.terminatingNamespaces.add(name);
    const step = async (): Promise<void> => {
      if (this.closed) return;
      let remaining = 0;
      for (const def of RESOURCES) {
        if (!def.namespaced) continue;
        const { items } = await this.store.list(namespacePrefix(def, name));
        for (const kv of items) {
          remaining++;
          const obj = this.decode(kv);
          if (obj.metadata.deletionTimestamp && def.kind !== 'Pod') {
            // Finalizers nobody will remove in a dying namespace are dropped.
            const cleared = clone(obj);
            cleared.metadata.finalizers = [];
            await this.store.delete(kv.key, kv.modRevision).catch(() => undefined);
            this.afterDelete(def, cleared);
            continue;
          }
          if (obj.metadata.deletionTimestamp) continue;
          await this.delete(def, name, obj.metadata.name!, {}).catch(() => undefined);
        }
      }
      if (remaining === 0) {
        const nsDef = this.def('', 'namespaces');
        await this.store.delete(objectKey(nsDef, undefined, name)).catch(() => undefined);
        this.terminatingNamespaces.delete(name);
        return;
      }
      const t = setTimeout(() => {
        this.timers.delete(t);
        step().catch((e: unknown) => this.log(`finalizing namespace ${name}: ${(e as Error).message}`));
      }, 500);
      this.timers.add(t);
    };
    step().catch((e: unknown) => this.log(`finalizing namespace ${name}: ${(e as Error).message}`));
  }

  /** Create if missing (bootstrap objects). */
  async ensure(def: ResourceDef, ns: string | undefined, obj: KubeObject): Promise<KubeObject> {
    // Look first: creating a Service that already holds its requested ClusterIP
    // fails in allocation ("already allocated"), before storage could say AlreadyExists.
    const existing = await this.store.get(objectKey(def, ns, obj.metadata.name!));
    if (existing) return this.decode(existing);
    try {
      return await this.create(def, ns, obj);
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'AlreadyExists') return this.get(def, ns, obj.metadata.name!);
      throw e;
    }
  }

  describe(def: ResourceDef, ns: string | undefined, name: string): string {
    return `${def.kind} ${describeName(def, ns, name)}`;
  }
}

/** The pod's QoS class from its containers' requests and limits (Kubernetes' rules, simplified to cpu and memory). */
function qosClassOf(pod: Pod): string {
  const cs = pod.spec?.containers ?? [];
  let any = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      if (!lim[r] || (req[r] !== undefined && req[r] !== lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export { findResource };
