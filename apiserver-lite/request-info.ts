// Turns a request path and method into what it asks for (Kubernetes'
// RequestInfo): which resource, namespace, name and subresource, and the verb
// the authorizer checks. Pure, so every path shape is unit tested.

export type ResourceVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequest {
  readonly kind: 'resource';
  readonly verb: ResourceVerb;
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

export interface NonResourceRequest {
  readonly kind: 'nonresource';
  readonly verb: string;
  readonly path: string;
}

export type RequestInfo = ResourceRequest | NonResourceRequest;

function isWatch(query: URLSearchParams): boolean {
  const w = query.get('watch');
  return w !== null && w !== '0' && w.toLowerCase() !== 'false';
}

/**
 * `/api/v1/namespaces/ns/pods/name/status`, `/apis/apps/v1/deployments`, …
 * Paths with too few segments to name a resource (discovery documents) are
 * non-resource requests.
 */
export function parseRequestInfo(method: string, rawUrl: string): RequestInfo {
  const url = new URL(rawUrl, 'http://x');
  const path = url.pathname;
  const httpVerb = method.toLowerCase();
  const segs = path.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    version = segs[1]!;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1]!;
    version = segs[2]!;
    rest = segs.slice(3);
  } else {
    return { kind: 'nonresource', verb: httpVerb, path };
  }
  let namespace: string | undefined;
  // "namespaces/<ns>/<resource>..." is a namespaced request; "namespaces" and "namespaces/<name>[/status]" are the Namespace resource.
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (!resource) return { kind: 'nonresource', verb: httpVerb, path };
  let verb: ResourceVerb;
  switch (httpVerb) {
    case 'get':
    case 'head':
      verb = name ? 'get' : isWatch(url.searchParams) ? 'watch' : 'list';
      break;
    case 'post':
      verb = 'create';
      break;
    case 'put':
      verb = 'update';
      break;
    case 'patch':
      verb = 'patch';
      break;
    case 'delete':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      return { kind: 'nonresource', verb: httpVerb, path };
  }
  // A watch of one object (?watch=1&fieldSelector=metadata.name=x is the modern form; the path form is kept for old clients).
  if (verb === 'get' && name && !subresource && isWatch(url.searchParams)) verb = 'watch';
  const info: ResourceRequest = {
    kind: 'resource',
    verb,
    group,
    version,
    resource,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
  if (rest.length > 3) return { kind: 'nonresource', verb: httpVerb, path };
  return info;
}
