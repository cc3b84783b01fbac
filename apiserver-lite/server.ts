// The HTTP face of apiserver-lite: a fastify app that speaks the Kubernetes
// REST conventions. buildApiServer() never listens (the CLI and tests do),
// so tests drive it with app.inject() or a real listener on loopback.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { KubeObject } from '../kube/api/meta.js';
import {
  ApiError,
  badRequest,
  forbidden,
  internalError,
  methodNotAllowed,
  notFound,
  tooLarge,
  unauthorized,
  unsupportedMediaType,
} from './api-error.js';
import { authorize, forbiddenMessage, isPublicPath, type AuthzPolicy, type RequestAttributes } from './auth/authorizer.js';
import type { UserInfo } from './auth/user-info.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.js';
import { parseFieldSelector } from './field-selector.js';
import { decodeBody, negotiate, type Representation } from './negotiation.js';
import { buildOpenApiV3 } from './openapi.js';
import { applyPatch, patchMetaFor, patchTypeFromContentType } from './patch/index.js';
import type { DeleteOptions, ListResult, Registry } from './registry.js';
import { parseRequestInfo, type RequestInfo, type ResourceRequest } from './request-info.js';
import { apiVersionOf, findResource, type ResourceDef } from './resources.js';
import { renderTable, type IncludeObject } from './table.js';
import { replicasOf, toScale } from './scale.js';
import { serveWatch } from './watch-stream.js';

/** Kubernetes' default request body limit (3 MiB). */
export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024;

export interface ApiAuth {
  authenticate(authorizationHeader: string | undefined): UserInfo | undefined;
  policy: AuthzPolicy;
}

export interface PodLogRequest {
  namespace: string;
  pod: KubeObject;
  container?: string;
  query: Record<string, string>;
}

export interface ApiServerOptions {
  registry: Registry;
  /** host:port clients should use (discovery's serverAddressByClientCIDRs). */
  serverAddress: string;
  https?: { key: string; cert: string };
  /** Without auth every request is admin (tests only). */
  auth?: ApiAuth;
  bodyLimit?: number;
  /** Newline keep-alive on idle watches (client-node gives up after 30 s of silence). */
  watchKeepAliveMs?: number;
  watchBookmarkMs?: number;
  /** Serves pods/log by asking the pod's node agent. */
  podLogs?: (req: PodLogRequest) => Promise<NodeJS.ReadableStream | string>;
  /** serviceaccounts/<name>/token (TokenRequest): the token a node agent mounts into a pod, and `kubectl create token`. */
  issueServiceAccountToken?: (namespace: string, name: string, uid?: string) => string;
  logger?: boolean;
  now?: () => Date;
}

declare module 'fastify' {
  interface FastifyRequest {
    k8sUser?: UserInfo;
    k8sInfo?: RequestInfo;
  }
}

function sendStatus(reply: FastifyReply, err: ApiError): FastifyReply {
  return reply.code(err.code).type('application/json').send(JSON.stringify(err.toStatus()));
}

function successStatus(details: Record<string, unknown>, code = 200): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code });
}

function queryOf(req: FastifyRequest): Record<string, string> {
  const q = req.query as Record<string, string | string[] | undefined>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q ?? {})) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && v.length) out[k] = v[v.length - 1]!;
  }
  return out;
}

function intParam(q: Record<string, string>, name: string): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`${name}: invalid value "${v}": must be an integer`);
  return n;
}

function toAttributes(info: RequestInfo, bodyName?: string): RequestAttributes {
  if (info.kind === 'nonresource') return { nonResourcePath: info.path, verb: info.verb };
  const a: RequestAttributes = { verb: info.verb, apiGroup: info.group, resource: info.resource };
  if (info.subresource) a.subresource = info.subresource;
  if (info.namespace !== undefined) a.namespace = info.namespace;
  const name = info.name ?? bodyName;
  if (name !== undefined) a.name = name;
  return a;
}

export function buildApiServer(opts: ApiServerOptions): FastifyInstance {
  const registry = opts.registry;
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const openapi = buildOpenApiV3();
  const now = opts.now ?? (() => new Date());
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit,
    // Watches are long-lived: close() ends them rather than waiting for their timeouts.
    forceCloseConnections: true,
    // Kubernetes object names may contain dots and colons; keep paths as sent.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    ...(opts.https ? { https: { key: opts.https.key, cert: opts.https.cert } } : {}),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  // Bodies are decoded by the handlers, which know the content type each verb accepts.
  app.removeAllContentTypeParsers();
  // Buffers, not strings: protobuf bodies are binary.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  app.setErrorHandler((e: unknown, _req, reply) => {
    if (e instanceof ApiError) return sendStatus(reply, e);
    const err = e instanceof Error ? e : new Error(String(e));
    const code = (err as { code?: string }).code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendStatus(reply, tooLarge(bodyLimit));
    if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return sendStatus(reply, unsupportedMediaType(String(_req.headers['content-type'] ?? '')));
    if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return sendStatus(reply, badRequest(err.message));
    if ((err as { statusCode?: number }).statusCode === 400) return sendStatus(reply, badRequest(err.message));
    return sendStatus(reply, internalError(err.message));
  });
  app.setNotFoundHandler((req, reply) => sendStatus(reply, new ApiError(404, 'NotFound', `the server could not find the requested resource (${req.method} ${req.url.split('?')[0]})`)));

  // Authentication and authorization for every request.
  app.addHook('onRequest', async (req) => {
    const info = parseRequestInfo(req.method, req.url);
    req.k8sInfo = info;
    const path = req.url.split('?')[0]!;
    if (!opts.auth) {
      req.k8sUser = { name: 'system:admin', groups: ['system:masters', 'system:authenticated'] };
      return;
    }
    const user = opts.auth.authenticate(req.headers.authorization);
    if (!user) {
      if (info.kind === 'nonresource' && isPublicPath(path)) return;
      throw unauthorized();
    }
    req.k8sUser = user;
    // Creates name their object in the body: authorized once the body is read (preHandler).
    if (info.kind === 'resource' && info.verb === 'create' && !info.name) return;
    checkAuthorized(user, info);
  });
  app.addHook('preHandler', async (req) => {
    const info = req.k8sInfo;
    if (!opts.auth || !req.k8sUser || info?.kind !== 'resource' || info.verb !== 'create' || info.name) return;
    let bodyName: string | undefined;
    try {
      const body = decodeBody(req.headers['content-type'], req.body as Buffer | undefined) as KubeObject;
      bodyName = typeof body?.metadata?.name === 'string' ? body.metadata.name : undefined;
    } catch {
      bodyName = undefined; // the handler reports the malformed body
    }
    checkAuthorized(req.k8sUser, info, bodyName);
  });

  function checkAuthorized(user: UserInfo, info: RequestInfo, bodyName?: string): void {
    const attrs = toAttributes(info, bodyName);
    const d = authorize(user, attrs, opts.auth!.policy);
    if (!d.allowed) {
      const ref = info.kind === 'resource' ? { group: info.group, resource: info.resource } : undefined;
      throw forbidden(d.reason || forbiddenMessage(user, attrs), ref, info.kind === 'resource' ? info.name ?? bodyName : undefined);
    }
  }

  // ---- health, version, discovery, openapi
  for (const p of ['/healthz', '/livez', '/readyz']) {
    app.get(p, async (_req, reply) => reply.type('text/plain').send('ok'));
    app.get(`${p}/*`, async (_req, reply) => reply.type('text/plain').send('ok'));
  }
  app.get('/version', async (_req, reply) => reply.type('application/json').send(JSON.stringify(versionInfo())));
  app.get('/api', async (_req, reply) => reply.type('application/json').send(JSON.stringify(apiVersions(opts.serverAddress))));
  app.get('/apis', async (_req, reply) => reply.type('application/json').send(JSON.stringify(apiGroupList())));
  app.get('/openapi/v3', async (_req, reply) => reply.type('application/json').send(JSON.stringify(openapi.root)));
  app.get('/openapi/v3/*', async (req, reply) => {
    const key = (req.params as { '*': string })['*'];
    const doc = openapi.documents.get(key);
    if (!doc) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (openapi/v3/${key})`);
    return reply.type('application/json').header('Cache-Control', 'public, immutable').send(doc);
  });

  const handle = async (req: FastifyRequest, reply: FastifyReply) => {
    const info = req.k8sInfo ?? parseRequestInfo(req.method, req.url);
    if (info.kind === 'nonresource') return serveDiscovery(info.path, reply);
    return serveResource(info, req, reply);
  };
  app.all('/api/*', handle);
  app.all('/apis/*', handle);

  function serveDiscovery(path: string, reply: FastifyReply) {
    const segs = path.split('/').filter(Boolean);
    let doc: Record<string, unknown> | undefined;
    if (segs[0] === 'api' && segs.length === 2) doc = apiResourceList('', segs[1]!);
    else if (segs[0] === 'apis' && segs.length === 2) doc = apiGroup(segs[1]!);
    else if (segs[0] === 'apis' && segs.length === 3) doc = apiResourceList(segs[1]!, segs[2]!);
    if (!doc) throw new ApiError(404, 'NotFound', `the server could not find the requested resource`);
    return reply.type('application/json').send(JSON.stringify(doc));
  }

  async function serveResource(info: ResourceRequest, req: FastifyRequest, reply: FastifyReply) {
    // POST /api/v1/namespaces/<ns>/bindings is the older form of pods/<name>/binding.
    if (info.group === '' && info.resource === 'bindings' && info.verb === 'create' && info.namespace) {
      const body = decodeBody(req.headers['content-type'], req.body as Buffer | undefined) as KubeObject;
      const name = body?.metadata?.name;
      if (typeof name !== 'string') throw badRequest('a Binding needs metadata.name (the pod)');
      await registry.bind(info.namespace, name, body);
      return reply.code(201).type('application/json').send(successStatus({ name, kind: 'pods' }, 201));
    }
    const def = findResource(info.group, info.version, info.resource);
    if (!def) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${info.resource}${info.group ? '.' + info.group : ''})`);
    if (def.namespaced && info.namespace === undefined && info.name !== undefined) {
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource`);
    }
    if (!def.namespaced && info.namespace !== undefined) throw new ApiError(404, 'NotFound', `the server could not find the requested resource`);
    const q = queryOf(req);
    const dryRun = q.dryRun === 'All' ? true : q.dryRun ? (() => { throw badRequest(`dryRun: Unsupported value: "${q.dryRun}": supported values: "All"`); })() : false;
    const ns = info.namespace;
    const sub = info.subresource;
    if (sub && !(def.subresources as readonly string[]).includes(sub)) {
      throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${def.resource}/${sub})`);
    }

    switch (info.verb) {
      case 'list':
        return serveList(def, ns, q, req, reply);
      case 'watch':
        return serveWatchRequest(def, ns, info.name, q, req, reply);
      case 'get': {
        if (sub === 'log') return servePodLog(def, ns!, info.name!, q, reply);
        if (sub === 'scale') return reply.type('application/json').send(JSON.stringify(toScale(await registry.get(def, ns, info.name!))));
        const obj = await registry.get(def, ns, info.name!);
        return sendObject(reply, def, obj, negotiate(req.headers.accept), q);
      }
      case 'create': {
        if (sub === 'token') return serveTokenRequest(def, ns!, info.name!, req, reply);
        const body = decodeBody(req.headers['content-type'], req.body as Buffer | undefined) as KubeObject;
        if (sub === 'binding') {
          await registry.bind(ns!, info.name!, body);
          return reply.code(201).type('application/json').send(successStatus({ name: info.name, kind: 'pods' }, 201));
        }
        if (sub) throw methodNotAllowed(`POST is not supported on ${def.resource}/${sub}`);
        const created = await registry.create(def, ns, body, { dryRun });
        return reply.code(201).type('application/json').send(JSON.stringify(created));
      }
      case 'update': {
        if (sub === 'scale') {
          const replicas = replicasOf(decodeBody(req.headers['content-type'], req.body as Buffer | undefined));
          const updated = await registry.patch(def, ns, info.name!, 'merge', { spec: { replicas } }, { dryRun });
          return reply.type('application/json').send(JSON.stringify(toScale(updated)));
        }
        if (sub && sub !== 'status') throw methodNotAllowed(`PUT is not supported on ${def.resource}/${sub}`);
        const body = decodeBody(req.headers['content-type'], req.body as Buffer | undefined) as KubeObject;
        const updated = await registry.update(def, ns, info.name!, body, { dryRun, ...(sub === 'status' ? { subresource: 'status' as const } : {}) });
        return reply.type('application/json').send(JSON.stringify(updated));
      }
      case 'patch': {
        if (sub && sub !== 'status' && sub !== 'scale') throw methodNotAllowed(`PATCH is not supported on ${def.resource}/${sub}`);
        const ct = String(req.headers['content-type'] ?? '');
        const type = patchTypeFromContentType(ct);
        if (sub === 'scale' && type && type !== 'apply') {
          // kubectl scale patches the Scale view; the change it can make is spec.replicas.
          let scalePatch: unknown;
          try {
            scalePatch = JSON.parse((req.body as Buffer | undefined)?.toString('utf8') ?? '');
          } catch (e) {
            throw badRequest(`the patch is not valid JSON: ${(e as Error).message}`);
          }
          const current = toScale(await registry.get(def, ns, info.name!));
          const replicas = replicasOf(applyPatch(type, current, scalePatch, patchMetaFor('autoscaling', 'Scale')));
          const updated = await registry.patch(def, ns, info.name!, 'merge', { spec: { replicas } }, { dryRun });
          return reply.type('application/json').send(JSON.stringify(toScale(updated)));
        }
        if (type === 'apply') {
          throw unsupportedMediaType(ct, 'server-side apply (application/apply-patch+yaml) is not supported by netkube apiserver-lite yet; use client-side `kubectl apply` (the default, without --server-side)');
        }
        if (!type) throw unsupportedMediaType(ct, `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
        let patch: unknown;
        try {
          patch = JSON.parse((req.body as Buffer | undefined)?.toString('utf8') ?? '');
        } catch (e) {
          throw badRequest(`the patch is not valid JSON: ${(e as Error).message}`);
        }
        const patched = await registry.patch(def, ns, info.name!, type, patch, { dryRun, ...(sub === 'status' ? { subresource: 'status' as const } : {}) });
        return reply.type('application/json').send(JSON.stringify(patched));
      }
      case 'delete': {
        const opts = deleteOptions(req, q, dryRun);
        const { object, gone } = await registry.delete(def, ns, info.name!, opts);
        if (gone && def.kind !== 'Pod') {
          return reply.type('application/json').send(successStatus({ name: info.name, group: def.group, kind: def.resource, uid: object.metadata.uid }));
        }
        return reply.code(gone ? 200 : 202).type('application/json').send(JSON.stringify(object));
      }
      case 'deletecollection': {
        const opts = deleteOptions(req, q, dryRun);
        const items = await registry.deleteCollection(def, ns, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector }, opts);
        return reply.type('application/json').send(JSON.stringify({ kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: {}, items }));
      }
    }
  }

  function deleteOptions(req: FastifyRequest, q: Record<string, string>, dryRun: boolean): DeleteOptions {
    let body: Record<string, unknown> = {};
    const raw = req.body as Buffer | undefined;
    if (raw && raw.toString('utf8').trim() !== '') {
      const decoded = decodeBody(req.headers['content-type'], raw);
      if (decoded && typeof decoded === 'object') body = decoded as Record<string, unknown>;
    }
    const opts: DeleteOptions = { dryRun: dryRun || (Array.isArray(body.dryRun) && body.dryRun.includes('All')) };
    const grace = intParam(q, 'gracePeriodSeconds') ?? (typeof body.gracePeriodSeconds === 'number' ? body.gracePeriodSeconds : undefined);
    if (grace !== undefined) opts.gracePeriodSeconds = grace;
    const policy = q.propagationPolicy ?? (typeof body.propagationPolicy === 'string' ? body.propagationPolicy : undefined);
    if (policy !== undefined) {
      if (policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
        throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Background", "Foreground", "Orphan"`);
      }
      opts.propagationPolicy = policy;
    } else if (body.orphanDependents === true || q.orphanDependents === 'true') {
      opts.propagationPolicy = 'Orphan';
    }
    if (body.preconditions && typeof body.preconditions === 'object') opts.preconditions = body.preconditions as DeleteOptions['preconditions'];
    return opts;
  }

  function sendObject(reply: FastifyReply, def: ResourceDef, obj: KubeObject, rep: Representation, q: Record<string, string>) {
    if (rep.kind === 'table') {
      const t = renderTable(def.kind, [obj], { now: now(), includeObject: includeObjectOf(q), resourceVersion: obj.metadata.resourceVersion });
      if (rep.version === 'v1beta1') (t as { apiVersion: string }).apiVersion = 'meta.k8s.io/v1beta1';
      return reply.type('application/json').send(JSON.stringify(t));
    }
    if (rep.kind === 'partial') {
      return reply.type('application/json').send(JSON.stringify({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${rep.version}`, metadata: obj.metadata }));
    }
    return reply.type('application/json').send(JSON.stringify(obj));
  }

  function includeObjectOf(q: Record<string, string>): IncludeObject {
    const v = q.includeObject;
    if (v === undefined || v === '') return 'Metadata';
    if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
    throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
  }

  async function serveList(def: ResourceDef, ns: string | undefined, q: Record<string, string>, req: FastifyRequest, reply: FastifyReply) {
    const rep = negotiate(req.headers.accept);
    const limit = intParam(q, 'limit');
    const list: ListResult = await registry.list(def, ns, {
      labelSelector: q.labelSelector,
      fieldSelector: q.fieldSelector,
      ...(limit !== undefined ? { limit } : {}),
      continue: q.continue,
      resourceVersion: q.resourceVersion,
      resourceVersionMatch: q.resourceVersionMatch,
    });
    if (rep.kind === 'table') {
      const t = renderTable(def.kind, list.items, {
        now: now(),
        includeObject: includeObjectOf(q),
        resourceVersion: list.resourceVersion,
        ...(list.continue ? { continue: list.continue } : {}),
        ...(list.remainingItemCount !== undefined ? { remainingItemCount: list.remainingItemCount } : {}),
      });
      if (rep.version === 'v1beta1') (t as { apiVersion: string }).apiVersion = 'meta.k8s.io/v1beta1';
      return reply.type('application/json').send(JSON.stringify(t));
    }
    const metadata: Record<string, unknown> = { resourceVersion: list.resourceVersion };
    if (list.continue) metadata.continue = list.continue;
    if (list.remainingItemCount !== undefined) metadata.remainingItemCount = list.remainingItemCount;
    if (rep.kind === 'partial') {
      const items = list.items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${rep.version}`, metadata: o.metadata }));
      return reply.type('application/json').send(JSON.stringify({ kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${rep.version}`, metadata, items }));
    }
    // Items keep their apiVersion/kind so clients that decode them one by one see full objects.
    return reply
      .type('application/json')
      .send(`{"kind":"${def.kind}List","apiVersion":"${apiVersionOf(def)}","metadata":${JSON.stringify(metadata)},"items":[${list.items.map((o) => JSON.stringify(o)).join(',')}]}`);
  }

  async function serveWatchRequest(def: ResourceDef, ns: string | undefined, name: string | undefined, q: Record<string, string>, req: FastifyRequest, reply: FastifyReply) {
    const rep = negotiate(req.headers.accept);
    const labels = registry.parseLabelSelector(q.labelSelector);
    const fields = parseFieldSelector(q.fieldSelector, def);
    const filter = (obj: KubeObject) =>
      (ns === undefined || obj.metadata.namespace === ns) &&
      (name === undefined || obj.metadata.name === name) &&
      labels.matches(obj.metadata.labels) &&
      fields.matches(obj as Record<string, unknown>);
    const rv = q.resourceVersion ?? '';
    const sendInitialEvents = q.sendInitialEvents === 'true';
    const allowBookmarks = q.allowWatchBookmarks === 'true' || q.allowWatchBookmarks === '1';
    if (sendInitialEvents && (!allowBookmarks || q.resourceVersionMatch !== 'NotOlderThan')) {
      throw new ApiError(422, 'Invalid', 'sendInitialEvents requires allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan', {
        causes: [{ reason: 'FieldValueForbidden', field: 'sendInitialEvents', message: 'sendInitialEvents requires setting allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan' }],
      });
    }
    let initial: KubeObject[] | undefined;
    let from: number;
    if (rv === '' || rv === '0' || sendInitialEvents) {
      if (rv === '' || rv === '0' || sendInitialEvents) {
        // Current state first, as synthetic ADDED events, then everything after it.
        const list = await registry.list(def, ns, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector });
        initial = name === undefined ? list.items : list.items.filter((o) => o.metadata.name === name);
        from = Number(list.resourceVersion);
      } else {
        from = Number(rv);
      }
    } else {
      from = Number(rv);
      if (!Number.isInteger(from) || from < 0) throw badRequest(`invalid resourceVersion "${rv}"`);
    }
    const timeout = intParam(q, 'timeoutSeconds');
    // Kubernetes picks a random timeout between 30 and 60 minutes when the client sets none.
    const timeoutSeconds = timeout !== undefined && timeout > 0 ? timeout : 1800 + Math.floor(Math.random() * 1800);
    reply.hijack();
    serveWatch({
      def,
      cache: registry.cacheFor(def),
      res: reply.raw,
      fromRevision: from,
      ...(initial ? { initial } : {}),
      initialEventsEndBookmark: sendInitialEvents,
      filter,
      representation: rep,
      allowBookmarks,
      timeoutSeconds,
      keepAliveMs: opts.watchKeepAliveMs ?? 15_000,
      bookmarkMs: opts.watchBookmarkMs ?? 60_000,
    });
  }

  async function serveTokenRequest(def: ResourceDef, ns: string, name: string, req: FastifyRequest, reply: FastifyReply) {
    const sa = await registry.get(def, ns, name);
    if (!opts.issueServiceAccountToken) throw new ApiError(503, 'ServiceUnavailable', 'this server issues no ServiceAccount tokens');
    let spec: Record<string, unknown> = {};
    try {
      const body = decodeBody(req.headers['content-type'], req.body as Buffer | undefined) as { spec?: Record<string, unknown> };
      if (body && typeof body.spec === 'object' && body.spec) spec = body.spec;
    } catch (e) {
      // kubectl create token sends a protobuf TokenRequest; its spec (audiences, expiry) is advisory here.
      if (!(e instanceof ApiError && (e.code === 415 || e.code === 400))) throw e;
    }
    const expirationSeconds = typeof spec.expirationSeconds === 'number' && spec.expirationSeconds > 0 ? spec.expirationSeconds : 3600;
    const issued = now();
    const token = opts.issueServiceAccountToken(ns, name, sa.metadata.uid);
    const tokenRequest = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name, namespace: ns, creationTimestamp: issued.toISOString().replace(/\.\d{3}Z$/, 'Z') },
      spec: { audiences: Array.isArray(spec.audiences) ? spec.audiences : ['https://kubernetes.default.svc.cluster.local'], expirationSeconds, boundObjectRef: spec.boundObjectRef ?? null },
      // netkube's ServiceAccount tokens do not expire (see docs/architecture.md); the timestamp is what clients expect to see.
      status: { token, expirationTimestamp: new Date(issued.getTime() + expirationSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') },
    };
    return reply.code(201).type('application/json').send(JSON.stringify(tokenRequest));
  }

  async function servePodLog(def: ResourceDef, ns: string, name: string, q: Record<string, string>, reply: FastifyReply) {
    const pod = await registry.get(def, ns, name);
    if (!opts.podLogs) throw new ApiError(503, 'ServiceUnavailable', `no node agent serves logs for pod "${name}"`);
    const body = await opts.podLogs({ namespace: ns, pod, ...(q.container ? { container: q.container } : {}), query: q });
    return reply.type('text/plain').send(body);
  }

  void notFound;
  return app;
}
