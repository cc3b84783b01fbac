// Pure URL building for the Kubernetes REST layout:
//   core group   /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]]
//   named group  /apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]]
// and the query strings list and watch requests carry. No I/O here.

export interface ResourcePathParts {
  /** '' for the core group (served under /api). */
  group: string;
  version: string;
  /** Plural lower-case resource name, e.g. 'pods', 'endpointslices'. */
  resource: string;
  /** Omitted or '' means cluster-scoped, or "all namespaces" for a list/watch. */
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Throws on parts that would build a wrong URL instead of a 404 somewhere later. */
export function resourcePath(p: ResourcePathParts): string {
  if (!p.version) throw new Error(`resourcePath: version is required (resource "${p.resource}")`);
  if (!p.resource) throw new Error('resourcePath: resource is required');
  if (p.name === '') throw new Error(`resourcePath: name must not be empty (resource "${p.resource}")`);
  if (p.subresource !== undefined && p.name === undefined) {
    throw new Error(`resourcePath: subresource "${p.subresource}" needs a name (resource "${p.resource}")`);
  }
  const segments: string[] = p.group === '' ? ['api', p.version] : ['apis', p.group, p.version];
  if (p.namespace) segments.push('namespaces', p.namespace);
  segments.push(p.resource);
  if (p.name !== undefined) segments.push(p.name);
  if (p.subresource) segments.push(p.subresource);
  return '/' + segments.map(encodeURIComponent).join('/');
}

/** The apiVersion string objects of this group carry: 'v1' or 'apps/v1'. */
export function apiVersionOf(p: { group: string; version: string }): string {
  return p.group === '' ? p.version : `${p.group}/${p.version}`;
}

export type ResourceVersionMatch = 'Exact' | 'NotOlderThan';

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: ResourceVersionMatch;
  limit?: number;
  continue?: string;
  timeoutSeconds?: number;
}

export interface WatchQuery {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  resourceVersionMatch?: ResourceVersionMatch;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

type QueryValue = string | number | boolean | undefined;

/**
 * Appends `params` to `path` in the given key order, skipping undefined and
 * empty-string values (an empty selector means "no selector" to the API).
 */
export function withQuery(path: string, params: Record<string, QueryValue>): string {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    q.append(key, String(value));
  }
  const text = q.toString();
  if (!text) return path;
  return path + (path.includes('?') ? '&' : '?') + text;
}

export function listQuery(path: string, q: ListQuery): string {
  if (q.limit !== undefined && (!Number.isInteger(q.limit) || q.limit < 0)) {
    throw new Error(`listQuery: limit must be a non-negative integer, got ${q.limit}`);
  }
  return withQuery(path, {
    labelSelector: q.labelSelector,
    fieldSelector: q.fieldSelector,
    resourceVersion: q.resourceVersion,
    resourceVersionMatch: q.resourceVersionMatch,
    // limit=0 means "no limit" to the API; leave it out so the URL says the same.
    limit: q.limit ? q.limit : undefined,
    continue: q.continue,
    timeoutSeconds: q.timeoutSeconds,
  });
}

export function watchQuery(path: string, q: WatchQuery): string {
  return withQuery(path, {
    watch: 1,
    labelSelector: q.labelSelector,
    fieldSelector: q.fieldSelector,
    resourceVersion: q.resourceVersion,
    resourceVersionMatch: q.resourceVersionMatch,
    // Only send the flags when true; "false" is the server default anyway.
    allowWatchBookmarks: q.allowWatchBookmarks ? true : undefined,
    sendInitialEvents: q.sendInitialEvents ? true : undefined,
    timeoutSeconds: q.timeoutSeconds,
  });
}
