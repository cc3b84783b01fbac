// The one module that talks HTTP to the API server (netkube's apiserver-lite
// or a real kube-apiserver): typed CRUD on resources, paged lists and
// streaming watches, over a keep-alive agent trusting the cluster's CA.
// Everything it builds (paths, queries, decoding) comes from pure modules.

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { KubeObject, Status, StatusReason, WatchEvent } from './api/meta.js';
import type { ClusterConnection } from './kubeconfig.js';
import {
  apiVersionOf,
  listQuery,
  resourcePath,
  watchQuery,
  type ListQuery,
  type WatchQuery,
} from './resource-path.js';
import { WatchDecodeError, WatchStreamDecoder } from './watch-decoder.js';

/** What a client needs to know to address a kind of object. */
export interface ResourceDescriptor {
  group: string;
  version: string;
  /** Plural, as in the URL: 'pods'. */
  resource: string;
  kind: string;
  namespaced: boolean;
}

const core = (resource: string, kind: string, namespaced: boolean): ResourceDescriptor =>
  Object.freeze({ group: '', version: 'v1', resource, kind, namespaced });
const apps = (resource: string, kind: string): ResourceDescriptor =>
  Object.freeze({ group: 'apps', version: 'v1', resource, kind, namespaced: true });

export const Pods = core('pods', 'Pod', true);
export const Services = core('services', 'Service', true);
export const Endpoints = core('endpoints', 'Endpoints', true);
export const Nodes = core('nodes', 'Node', false);
export const Namespaces = core('namespaces', 'Namespace', false);
export const Events = core('events', 'Event', true);
export const ConfigMaps = core('configmaps', 'ConfigMap', true);
export const ServiceAccounts = core('serviceaccounts', 'ServiceAccount', true);
export const EndpointSlices: ResourceDescriptor = Object.freeze({
  group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true,
});
export const Leases: ResourceDescriptor = Object.freeze({
  group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true,
});
export const ReplicaSets = apps('replicasets', 'ReplicaSet');
export const Deployments = apps('deployments', 'Deployment');
export const StatefulSets = apps('statefulsets', 'StatefulSet');

/** A non-2xx answer from the API server. `message` is the Status message when the server sent one. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: number;
  readonly reason?: StatusReason | string;
  readonly status?: Status;

  constructor(code: number, message: string, opts: { reason?: string; status?: Status } = {}) {
    super(message);
    this.code = code;
    if (opts.reason !== undefined) this.reason = opts.reason;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

/** True for an ApiError, optionally with the given HTTP code (e.g. 404, 409, 410). */
export function isApiError(err: unknown, code?: number): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code);
}

/**
 * Builds the ApiError for a failed response. Pure, so tests can feed it bodies.
 * `what` names the request ("GET /api/v1/pods") for bodies that are not a Status.
 */
export function apiErrorFromResponse(code: number, body: string, what: string): ApiError {
  let parsed: unknown;
  try {
    parsed = body ? JSON.parse(body) : undefined;
  } catch {
    parsed = undefined;
  }
  if (isStatus(parsed)) {
    const message = parsed.message || `${what}: HTTP ${code}${parsed.reason ? ` ${parsed.reason}` : ''}`;
    const opts: { reason?: string; status: Status } = { status: parsed };
    if (parsed.reason) opts.reason = parsed.reason;
    return new ApiError(typeof parsed.code === 'number' && parsed.code > 0 ? parsed.code : code, message, opts);
  }
  const snippet = body.trim().slice(0, 300);
  return new ApiError(code, `${what}: HTTP ${code}${snippet ? `: ${snippet}` : ''}`);
}

export function isStatus(v: unknown): v is Status {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'Status';
}

export interface KubeClientOptions {
  /** Sent as User-Agent; Kubernetes audit logs and apiserver-lite show it. */
  userAgent?: string;
  /** Whole-request limit for everything but watches. Default 60 s. */
  requestTimeoutMs?: number;
  /**
   * A watch that receives no bytes for this long is treated as a dead
   * connection. Default 30 s. Ending it is harmless: the caller re-watches
   * from its last resourceVersion.
   */
  watchIdleTimeoutMs?: number;
  /** How long a token read from tokenFile is trusted before re-reading. Default 60 s. */
  tokenRefreshMs?: number;
}

export interface ListOptions extends Omit<ListQuery, 'timeoutSeconds'> {
  /** Omitted for a namespaced resource = all namespaces. */
  namespace?: string;
  /**
   * Fetch every page with limit=pageSize, following `continue`, and return
   * all items (consistent at the first page's resourceVersion). If the
   * continue token expires mid-way, falls back to one unpaged list.
   */
  pageSize?: number;
  signal?: AbortSignal;
}

export interface ListResult<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type PatchType = 'strategic' | 'merge' | 'json';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface RequestOptions {
  /** Serialised as JSON unless it is already a string. */
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export class KubeClient {
  private agentInstance: http.Agent | undefined;
  private readonly base: URL;
  private readonly requestTimeoutMs: number;
  private readonly watchIdleTimeoutMs: number;
  private readonly tokenRefreshMs: number;
  private readonly userAgent: string;
  private token: { value: string | undefined; readAt: number } | undefined;

  /** Does no I/O: the agent is made, and a token file read, on the first request. */
  constructor(
    readonly connection: ClusterConnection,
    opts: KubeClientOptions = {},
  ) {
    this.base = new URL(connection.server);
    if (this.base.protocol !== 'https:' && this.base.protocol !== 'http:') {
      throw new Error(`KubeClient: server ${JSON.stringify(connection.server)} is not an http(s) URL`);
    }
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 60_000;
    this.watchIdleTimeoutMs = opts.watchIdleTimeoutMs ?? 30_000;
    this.tokenRefreshMs = opts.tokenRefreshMs ?? 60_000;
    this.userAgent = opts.userAgent ?? 'netkube';
  }

  /** The connection's default namespace (kubeconfig context or pod namespace), if any. */
  get namespace(): string | undefined {
    return this.connection.namespace;
  }

  /** Closes idle keep-alive sockets (and any open watch) so the process can exit. */
  close(): void {
    this.agentInstance?.destroy();
    this.agentInstance = undefined;
  }

  async get<T extends KubeObject = KubeObject>(
    res: ResourceDescriptor,
    name: string,
    opts: { namespace?: string; subresource?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const path = this.objectPath(res, 'get', opts.namespace, name, opts.subresource);
    return this.request<T>('GET', path, { signal: opts.signal });
  }

  async list<T extends KubeObject = KubeObject>(res: ResourceDescriptor, opts: ListOptions = {}): Promise<ListResult<T>> {
    const path = this.collectionPath(res, 'list', opts.namespace);
    const { pageSize, signal, namespace: _ns, ...query } = opts;
    if (pageSize === undefined) return this.listPage<T>(res, listQuery(path, query), signal);
    if (!Number.isInteger(pageSize) || pageSize <= 0) throw new Error(`list ${res.resource}: pageSize must be a positive integer`);
    if (query.limit !== undefined || query.continue !== undefined) {
      throw new Error(`list ${res.resource}: pass either pageSize or limit/continue, not both`);
    }
    const items: T[] = [];
    let resourceVersion: string | undefined;
    let token: string | undefined;
    do {
      let page: ListResult<T>;
      try {
        page = await this.listPage<T>(res, listQuery(path, { ...query, limit: pageSize, continue: token }), signal);
      } catch (err) {
        // An expired continue token (410) means the snapshot is gone; a full list is always consistent.
        if (token !== undefined && isApiError(err, 410)) return this.listPage<T>(res, listQuery(path, query), signal);
        throw err;
      }
      resourceVersion ??= page.resourceVersion;
      items.push(...page.items);
      token = page.continue;
    } while (token);
    return { items, resourceVersion: resourceVersion ?? '' };
  }

  private async listPage<T extends KubeObject>(res: ResourceDescriptor, url: string, signal?: AbortSignal): Promise<ListResult<T>> {
    const body = await this.request<{ metadata?: { resourceVersion?: string; continue?: string }; items?: T[] | null }>(
      'GET', url, { signal },
    );
    const items = body.items ?? [];
    // Items in a list carry no apiVersion/kind; fill them so list and watch objects look alike.
    const apiVersion = apiVersionOf(res);
    for (const item of items) {
      item.apiVersion ??= apiVersion;
      item.kind ??= res.kind;
    }
    const result: ListResult<T> = { items, resourceVersion: body.metadata?.resourceVersion ?? '' };
    if (body.metadata?.continue) result.continue = body.metadata.continue;
    return result;
  }

  /** POST. The namespace defaults to obj.metadata.namespace; `name`+`subresource` address e.g. pods/NAME/binding. */
  async create<T extends KubeObject>(
    res: ResourceDescriptor,
    obj: T,
    opts: WriteOptions & { namespace?: string; name?: string; subresource?: string } = {},
  ): Promise<T> {
    const ns = opts.namespace ?? (res.namespaced ? obj.metadata.namespace : undefined);
    const path =
      opts.subresource !== undefined
        ? this.objectPath(res, 'create', ns, opts.name ?? obj.metadata.name ?? '', opts.subresource)
        : this.collectionPath(res, 'create', ns, true);
    return this.request<T>('POST', writeQuery(path, opts), { body: obj, signal: opts.signal });
  }

  /** PUT to obj.metadata.name (and namespace). Carries metadata.resourceVersion, so a stale object gets 409. */
  async update<T extends KubeObject>(
    res: ResourceDescriptor,
    obj: T,
    opts: WriteOptions & { subresource?: string } = {},
  ): Promise<T> {
    const name = obj.metadata.name;
    if (!name) throw new Error(`update ${res.kind}: metadata.name is required`);
    const path = this.objectPath(res, 'update', res.namespaced ? obj.metadata.namespace : undefined, name, opts.subresource);
    return this.request<T>('PUT', writeQuery(path, opts), { body: obj, signal: opts.signal });
  }

  /** `json` takes an RFC 6902 operation list; `merge`/`strategic` take a partial object. */
  async patch<T extends KubeObject = KubeObject>(
    res: ResourceDescriptor,
    name: string,
    type: PatchType,
    body: object,
    opts: WriteOptions & { namespace?: string; subresource?: string } = {},
  ): Promise<T> {
    if (type === 'json' && !Array.isArray(body)) throw new Error(`patch ${res.kind} "${name}": a json patch must be an array of operations`);
    const path = this.objectPath(res, 'patch', opts.namespace, name, opts.subresource);
    return this.request<T>('PATCH', writeQuery(path, opts), {
      body,
      contentType: PATCH_CONTENT_TYPE[type],
      signal: opts.signal,
    });
  }

  /** Returns what the server returns: the object (still terminating, or as deleted) or a Success Status. */
  async delete<T extends KubeObject = KubeObject>(
    res: ResourceDescriptor,
    name: string,
    opts: DeleteOptions & { namespace?: string; dryRun?: boolean; signal?: AbortSignal } = {},
  ): Promise<T | Status> {
    const path = this.objectPath(res, 'delete', opts.namespace, name);
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.gracePeriodSeconds !== undefined) body['gracePeriodSeconds'] = opts.gracePeriodSeconds;
    if (opts.propagationPolicy !== undefined) body['propagationPolicy'] = opts.propagationPolicy;
    if (opts.preconditions !== undefined) body['preconditions'] = opts.preconditions;
    if (opts.dryRun) body['dryRun'] = ['All'];
    return this.request<T | Status>('DELETE', path, { body, signal: opts.signal });
  }

  /**
   * Streams a watch on `path` (a collection path from resourcePath), calling
   * `onEvent` for each event in order. Resolves when the server ends the
   * stream or it was silent for watchIdleTimeoutMs; rejects with ApiError on
   * a non-2xx answer, with the abort reason when `signal` aborts, and with
   * the thrown error if `onEvent` throws (the stream is then closed).
   * ERROR events are passed to `onEvent` like any other.
   */
  async watch<T = KubeObject>(
    path: string,
    query: WatchQuery,
    onEvent: (e: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    signal.throwIfAborted();
    const url = watchQuery(path, query);
    const link = linkedController(signal);
    let silent = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        silent = true;
        link.controller.abort(new Error(`GET ${url}: no bytes for ${this.watchIdleTimeoutMs} ms`));
      }, this.watchIdleTimeoutMs);
    };
    let headersIn = false;
    arm();
    try {
      const res = await this.open('GET', url, undefined, undefined, link.controller.signal);
      headersIn = true;
      if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) {
        throw apiErrorFromResponse(res.statusCode ?? 0, await readBody(res), `GET ${url}`);
      }
      arm();
      const decoder = new WatchStreamDecoder();
      for await (const chunk of res as AsyncIterable<Buffer>) {
        arm();
        for (const e of decoder.push(chunk)) onEvent(e as WatchEvent<T>);
      }
      for (const e of decoder.end()) onEvent(e as WatchEvent<T>);
      // A body that was already complete when the abort came ends normally; say it was aborted anyway.
      signal.throwIfAborted();
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (silent) {
        // Silence after the headers: a dead connection, or a quiet server that
        // sends no keep-alives. Ending normally lets the caller re-watch from
        // its last resourceVersion without a backoff.
        if (headersIn) return;
        throw link.controller.signal.reason;
      }
      if (err instanceof ApiError || err instanceof WatchDecodeError || !isNetworkError(err)) throw err;
      throw new Error(`GET ${url}: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
      link.dispose();
    }
  }

  /**
   * A raw JSON request to `path` (which may carry a query). Non-2xx answers
   * reject with ApiError. For discovery, subresources like pods/log, and
   * anything the typed methods do not cover.
   */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const what = `${method} ${path}`;
    opts.signal?.throwIfAborted();
    const link = linkedController(opts.signal);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      link.controller.abort(new Error(`${what}: timed out`));
    }, this.requestTimeoutMs);
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    let status: number;
    let text: string;
    try {
      const res = await this.open(method, path, body, opts.contentType ?? 'application/json', link.controller.signal);
      status = res.statusCode ?? 0;
      text = await readBody(res);
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (timedOut) throw new Error(`${what}: no complete response within ${this.requestTimeoutMs} ms`);
      throw new Error(`${what}: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
      link.dispose();
    }
    if (status < 200 || status > 299) throw apiErrorFromResponse(status, text, what);
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`${what}: response is not JSON (${(err as Error).message})`);
    }
  }

  /** Sends one request and resolves with the response once headers are in; retries once after a 401 if the token file changed. */
  private async open(
    method: string,
    path: string,
    body: string | undefined,
    contentType: string | undefined,
    signal: AbortSignal,
  ): Promise<http.IncomingMessage> {
    const first = await this.send(method, path, body, contentType, signal, await this.bearer(false));
    if (first.statusCode !== 401 || !this.connection.tokenFile) return first;
    const before = this.token?.value;
    const fresh = await this.bearer(true);
    if (fresh === before) return first;
    first.resume(); // drop the 401 body; the socket goes back to the pool
    return this.send(method, path, body, contentType, signal, fresh);
  }

  private send(
    method: string,
    path: string,
    body: string | undefined,
    contentType: string | undefined,
    signal: AbortSignal,
    token: string | undefined,
  ): Promise<http.IncomingMessage> {
    const url = new URL(this.base.pathname.replace(/\/+$/, '') + path, this.base.origin);
    const headers: http.OutgoingHttpHeaders = { Accept: 'application/json', 'User-Agent': this.userAgent };
    if (token) headers['Authorization'] = `Bearer ${token}`;
    if (body !== undefined) {
      headers['Content-Type'] = contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      // The signal is wired by hand rather than passed as the `signal` option:
      // Node hands that option on to the socket, which outlives the request
      // in the keep-alive pool and is then destroyed, with nobody listening
      // for its error, when the signal aborts later. Once the response is in,
      // aborting destroys the response, which closes the socket only if the
      // body is not complete.
      const req = lib.request(url, { method, headers, agent: this.agent() });
      let response: http.IncomingMessage | undefined;
      const onAbort = (): void => {
        const reason = signal.reason instanceof Error ? signal.reason : new Error('aborted');
        if (response) response.destroy(reason);
        else req.destroy(reason);
      };
      const detach = (): void => signal.removeEventListener('abort', onAbort);
      signal.addEventListener('abort', onAbort, { once: true });
      req.once('close', () => {
        if (!response) detach();
      });
      req.once('response', (res) => {
        response = res;
        res.once('close', detach);
        resolve(res);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  private agent(): http.Agent {
    if (this.agentInstance) return this.agentInstance;
    if (this.base.protocol === 'http:') {
      this.agentInstance = new http.Agent({ keepAlive: true });
      return this.agentInstance;
    }
    const c = this.connection;
    const tls: https.AgentOptions = { keepAlive: true, rejectUnauthorized: !c.insecureSkipTLSVerify };
    if (c.caPem) tls.ca = c.caPem;
    if (c.clientCertPem) tls.cert = c.clientCertPem;
    if (c.clientKeyPem) tls.key = c.clientKeyPem;
    if (c.tlsServerName) tls.servername = c.tlsServerName;
    this.agentInstance = new https.Agent(tls);
    return this.agentInstance;
  }

  /** The bearer token; a token file is re-read when stale or when `force` (after a 401). */
  private async bearer(force: boolean): Promise<string | undefined> {
    const file = this.connection.tokenFile;
    if (!file) return this.connection.token;
    const now = Date.now();
    if (!force && this.token && now - this.token.readAt < this.tokenRefreshMs) return this.token.value;
    let value: string | undefined;
    try {
      value = (await readFile(file, 'utf8')).trim() || undefined;
    } catch {
      // Keep the last good token: a rotation in progress may briefly remove the file.
      value = this.token?.value ?? this.connection.token;
    }
    this.token = { value, readAt: now };
    return value;
  }

  private collectionPath(res: ResourceDescriptor, verb: string, namespace: string | undefined, needNamespace = false): string {
    if (!res.namespaced && namespace) throw new Error(`${verb} ${res.resource}: ${res.kind} is cluster-scoped, but namespace "${namespace}" was given`);
    if (res.namespaced && needNamespace && !namespace) throw new Error(`${verb} ${res.resource}: namespace is required`);
    return resourcePath(namespace ? { ...res, namespace } : res);
  }

  private objectPath(res: ResourceDescriptor, verb: string, namespace: string | undefined, name: string, subresource?: string): string {
    if (!name) throw new Error(`${verb} ${res.resource}: name is required`);
    if (!res.namespaced && namespace) throw new Error(`${verb} ${res.kind} "${name}": ${res.kind} is cluster-scoped, but namespace "${namespace}" was given`);
    if (res.namespaced && !namespace) throw new Error(`${verb} ${res.kind} "${name}": namespace is required`);
    const parts = namespace ? { ...res, namespace, name } : { ...res, name };
    return resourcePath(subresource ? { ...parts, subresource } : parts);
  }
}

function writeQuery(path: string, opts: WriteOptions): string {
  const q = new URLSearchParams();
  if (opts.fieldManager) q.set('fieldManager', opts.fieldManager);
  if (opts.dryRun) q.set('dryRun', 'All');
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A controller that aborts when `parent` does, detached again by dispose().
 * Used instead of AbortSignal.any so per-request signals never pile up
 * listeners on a component's long-lived signal.
 */
function linkedController(parent: AbortSignal | undefined): { controller: AbortController; dispose(): void } {
  const controller = new AbortController();
  if (!parent) return { controller, dispose: () => {} };
  const onAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

function isNetworkError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}
