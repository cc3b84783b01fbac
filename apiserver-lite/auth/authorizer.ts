import {
  GROUP_MASTERS,
  GROUP_READ_ONLY,
  GROUP_SERVICE_ACCOUNTS,
  nodeNameOf,
  type UserInfo,
} from './user-info.js';

/**
 * netkube's authorizer: a pure function from (who, what) to a decision, with
 * a few built-in roles decided by group membership, plus RBAC-like bindings
 * from the server's configuration (see policy.ts). Roles add up: a request is
 * allowed when any role or binding of the user allows it; nothing denies.
 *
 * Built-in roles:
 * - admin (group `system:masters`): everything, including every path.
 * - node (user `system:node:<name>` in group `system:nodes`): read everything
 *   but Secrets; create/update/patch its own Node and update/patch its
 *   nodes/status; update/patch pods/status and delete pods (it finishes pod
 *   termination); create/update/patch its own Lease in kube-node-lease;
 *   create/patch Events. Not pods/binding (the scheduler's job), not
 *   EndpointSlices (the controller's job). Which *pods* a node may touch is
 *   not visible here (it needs the stored pod's spec.nodeName): the server's
 *   admission must check that, as Kubernetes' NodeRestriction does.
 * - read-only (group `netkube:read-only`): get/list/watch everything but Secrets.
 * - ServiceAccounts (group `system:serviceaccounts`): read-only across the
 *   whole cluster, netkube's documented default (Kubernetes grants them
 *   nothing); bindings add more.
 *
 * "Read" never covers the subresources that open a stream into a pod or proxy
 * traffic (exec, attach, portforward, proxy): Kubernetes' own view role leaves
 * them out because a GET on them is command execution, not reading.
 */

export type ResourceVerb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** A request for an API object or collection (`/api/v1/namespaces/default/pods/x/status`). */
export interface ResourceAttributes {
  verb: ResourceVerb;
  /** '' for the core group. */
  apiGroup: string;
  /** Plural, lower case: `pods`, `endpointslices`. */
  resource: string;
  subresource?: string;
  /** Unset for cluster-scoped resources and for requests across all namespaces. */
  namespace?: string;
  /**
   * The object's name. On `create` the URL carries none: the server must set
   * it from the body's metadata.name, or rules about one's own object (a
   * node's Node and Lease) cannot allow the request.
   */
  name?: string;
}

/** A request for anything else: discovery, health, version, openapi. */
export interface NonResourceAttributes {
  nonResourcePath: string;
  /** The HTTP method in lower case (`get`, `head`, `post`, …). */
  verb: string;
}

export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

/** One RBAC-like rule; `*` matches anything in a list. */
export interface PolicyRule {
  verbs: string[];
  /** '' is the core group. */
  apiGroups: string[];
  // `pods`, `pods/status` (a subresource), `*/status` (that subresource of
  // anything), or `*` (everything, subresources included).
  resources: string[];
  /** Unset: every namespace and cluster-scoped resources too. Set: only requests inside these namespaces. */
  namespaces?: string[];
}

export interface PolicyBinding {
  /** A user name (`system:serviceaccount:kube-system:coredns`) or `group:<group>`. */
  subject: string;
  rules: PolicyRule[];
}

export interface AuthzPolicy {
  bindings: PolicyBinding[];
}

export type AuthzDecision = { allowed: true } | { allowed: false; reason: string };

const ALLOWED: AuthzDecision = { allowed: true };
const READ_VERBS: ReadonlySet<string> = new Set(['get', 'list', 'watch']);
/** Subresources whose GET is not reading (see the header comment). */
const STREAMING_SUBRESOURCES: ReadonlySet<string> = new Set(['exec', 'attach', 'portforward', 'proxy']);
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Paths anyone may GET, even without a token (liveness probes, version checks). */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/healthz', '/livez', '/readyz', '/version']);
/** Path prefixes every authenticated user may GET: discovery, openapi and health details. */
const DISCOVERY_PREFIXES = ['/api', '/apis', '/openapi', '/version', '/healthz', '/livez', '/readyz'];

/** Whether the server may serve `path` to a request without credentials. */
export function isPublicPath(path: string): boolean {
  return PUBLIC_PATHS.has(trimPath(path));
}

function isDiscoveryPath(path: string): boolean {
  const p = trimPath(path);
  return DISCOVERY_PREFIXES.some((prefix) => p === prefix || p.startsWith(`${prefix}/`));
}

/** Drop a query string and one trailing slash: `/version/` and `/version?x` are `/version`. */
function trimPath(path: string): string {
  const bare = path.split('?', 1)[0] ?? '';
  return bare.length > 1 && bare.endsWith('/') ? bare.slice(0, -1) : bare;
}

export function isResourceRequest(attrs: RequestAttributes): attrs is ResourceAttributes {
  return !('nonResourcePath' in attrs);
}

export function authorize(user: UserInfo, attrs: RequestAttributes, policy: AuthzPolicy): AuthzDecision {
  if (user.groups.includes(GROUP_MASTERS)) return ALLOWED;

  if (!isResourceRequest(attrs)) {
    const safeVerb = attrs.verb === 'get' || attrs.verb === 'head';
    return safeVerb && isDiscoveryPath(attrs.nonResourcePath) ? ALLOWED : deny(user, attrs);
  }

  let hint: string | undefined;
  const nodeName = nodeNameOf(user);
  if (nodeName !== undefined) {
    const d = decideForNode(nodeName, attrs);
    if (d === 'allow') return ALLOWED;
    if (d !== 'no-match') hint = d.hint;
  }

  if (hasReadOnlyRole(user) && isRead(attrs)) return ALLOWED;

  for (const binding of policy.bindings) {
    if (bindingApplies(binding.subject, user) && binding.rules.some((r) => ruleAllows(r, attrs))) return ALLOWED;
  }
  return deny(user, attrs, hint);
}

function hasReadOnlyRole(user: UserInfo): boolean {
  return user.groups.includes(GROUP_READ_ONLY) || user.groups.includes(GROUP_SERVICE_ACCOUNTS);
}

/** get/list/watch of anything but Secrets and the streaming subresources. */
function isRead(attrs: ResourceAttributes): boolean {
  if (!READ_VERBS.has(attrs.verb)) return false;
  if (attrs.apiGroup === '' && attrs.resource === 'secrets') return false;
  return attrs.subresource === undefined || !STREAMING_SUBRESOURCES.has(attrs.subresource);
}

type NodeDecision = 'allow' | 'no-match' | { hint: string };

/** The node role; a hint explains a denial that is about "own object only". */
function decideForNode(nodeName: string, attrs: ResourceAttributes): NodeDecision {
  if (isRead(attrs)) return 'allow';
  const { verb, apiGroup, resource, subresource, name } = attrs;
  const sub = subresource ?? '';
  const writes = (verbs: readonly string[]) => verbs.includes(verb);
  const own = (what: string): NodeDecision =>
    name === nodeName
      ? 'allow'
      : { hint: name === undefined ? `a node may only ${verb} its own ${what}, and the request names none` : `a node may only ${verb} its own ${what}` };

  if (apiGroup === '') {
    if (resource === 'nodes' && sub === '' && writes(['create', 'update', 'patch'])) return own('Node');
    if (resource === 'nodes' && sub === 'status' && writes(['update', 'patch'])) return own('Node');
    if (resource === 'pods' && sub === 'status' && writes(['update', 'patch'])) return 'allow';
    if (resource === 'pods' && sub === '' && verb === 'delete') return 'allow';
    if (resource === 'events' && sub === '' && writes(['create', 'patch'])) return 'allow';
    // The token a node agent mounts into each pod (Kubernetes' NodeRestriction also checks the pod is bound to the node).
    if (resource === 'serviceaccounts' && sub === 'token' && verb === 'create') return 'allow';
  }
  if (apiGroup === 'events.k8s.io' && resource === 'events' && sub === '' && writes(['create', 'patch'])) return 'allow';
  if (apiGroup === 'coordination.k8s.io' && resource === 'leases' && sub === '' && writes(['create', 'update', 'patch'])) {
    if (attrs.namespace !== NODE_LEASE_NAMESPACE) return { hint: `a node may only write Leases in ${NODE_LEASE_NAMESPACE}` };
    return own('Lease');
  }
  return 'no-match';
}

function bindingApplies(subject: string, user: UserInfo): boolean {
  return subject.startsWith('group:') ? user.groups.includes(subject.slice('group:'.length)) : subject === user.name;
}

/** RBAC's matching rules, for netkube's rule shape. */
export function ruleAllows(rule: PolicyRule, attrs: ResourceAttributes): boolean {
  if (!matchesAny(rule.verbs, attrs.verb)) return false;
  if (!matchesAny(rule.apiGroups, attrs.apiGroup)) return false;
  if (!rule.resources.some((r) => resourceMatches(r, attrs))) return false;
  if (rule.namespaces === undefined) return true;
  return attrs.namespace !== undefined && matchesAny(rule.namespaces, attrs.namespace);
}

function matchesAny(list: readonly string[], value: string): boolean {
  return list.includes('*') || list.includes(value);
}

function resourceMatches(ruleResource: string, attrs: ResourceAttributes): boolean {
  if (ruleResource === '*') return true;
  if (attrs.subresource === undefined) return ruleResource === attrs.resource;
  return ruleResource === `${attrs.resource}/${attrs.subresource}` || ruleResource === `*/${attrs.subresource}`;
}

function deny(user: UserInfo, attrs: RequestAttributes, hint?: string): AuthzDecision {
  const message = forbiddenMessage(user, attrs);
  return { allowed: false, reason: hint === undefined ? message : `${message}: ${hint}` };
}

/**
 * The message of the 403 Status, in kube-apiserver's format so users can read
 * it the way they read Kubernetes' (and search for it):
 * `pods "x" is forbidden: User "u" cannot delete resource "pods" in API group "" in the namespace "default"`.
 */
export function forbiddenMessage(user: UserInfo, attrs: RequestAttributes): string {
  if (!isResourceRequest(attrs)) {
    return `forbidden: User ${quote(user.name)} cannot ${attrs.verb} path ${quote(attrs.nonResourcePath)}`;
  }
  const resource = attrs.subresource === undefined ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
  const scope = attrs.namespace === undefined ? 'at the cluster scope' : `in the namespace ${quote(attrs.namespace)}`;
  const why = `User ${quote(user.name)} cannot ${attrs.verb} resource ${quote(resource)} in API group ${quote(attrs.apiGroup)} ${scope}`;
  const qualified = attrs.apiGroup === '' ? attrs.resource : `${attrs.resource}.${attrs.apiGroup}`;
  return attrs.name === undefined || attrs.name === ''
    ? `${qualified} is forbidden: ${why}`
    : `${qualified} ${quote(attrs.name)} is forbidden: ${why}`;
}

/** Go's %q for the strings that appear here (names, paths): JSON quoting agrees on them. */
function quote(s: string): string {
  return JSON.stringify(s);
}
