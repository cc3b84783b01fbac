/**
 * Who made a request, as the authenticator established it. Same shape and
 * meaning as Kubernetes' user.Info: `name` is the user name the authorizer and
 * Forbidden messages use, `uid` is stable across renames (a ServiceAccount's
 * uid), `groups` drive the built-in roles (`system:masters`, `system:nodes`, …).
 */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
}

/** Every authenticated user is in this group (Kubernetes adds it the same way). */
export const GROUP_AUTHENTICATED = 'system:authenticated';
/** Cluster admins: allowed everything. */
export const GROUP_MASTERS = 'system:masters';
/** Node agents (users `system:node:<name>`). */
export const GROUP_NODES = 'system:nodes';
/** netkube's read-only role: get/list/watch everything except Secrets. */
export const GROUP_READ_ONLY = 'netkube:read-only';
/** Every ServiceAccount; `system:serviceaccounts:<ns>` holds those of one namespace. */
export const GROUP_SERVICE_ACCOUNTS = 'system:serviceaccounts';

export const NODE_USER_PREFIX = 'system:node:';
export const SERVICE_ACCOUNT_USER_PREFIX = 'system:serviceaccount:';

/** `system:node:<name>` for a node agent. */
export function nodeUserName(nodeName: string): string {
  return NODE_USER_PREFIX + nodeName;
}

/** `system:serviceaccount:<ns>:<name>`. */
export function serviceAccountUserName(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USER_PREFIX}${namespace}:${name}`;
}

/**
 * The node name of a node agent's identity, or undefined when the user is not
 * a node (both the `system:node:` name and the `system:nodes` group are
 * required, as in Kubernetes' node authorizer).
 */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(GROUP_NODES)) return undefined;
  if (!user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  const name = user.name.slice(NODE_USER_PREFIX.length);
  return name === '' ? undefined : name;
}

/** The UserInfo of a ServiceAccount, with the groups Kubernetes gives it. */
export function serviceAccountUser(namespace: string, name: string, uid?: string): UserInfo {
  const user: UserInfo = {
    name: serviceAccountUserName(namespace, name),
    groups: [GROUP_SERVICE_ACCOUNTS, `${GROUP_SERVICE_ACCOUNTS}:${namespace}`, GROUP_AUTHENTICATED],
  };
  if (uid !== undefined) user.uid = uid;
  return user;
}
