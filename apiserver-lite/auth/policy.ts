import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { AuthzPolicy, PolicyBinding, PolicyRule } from './authorizer.js';

/**
 * The server's authorization configuration: `<dataDir>/authz-policy.yaml`,
 * optional. Its bindings are added to the built-in defaults below, e.g.
 *
 *   bindings:
 *     - subject: system:serviceaccount:demo:controller   # a user name, or group:<group>
 *       rules:
 *         - verbs: [create, update, delete]
 *           apiGroups: [""]                               # "" is the core group
 *           resources: [services, pods/status]            # resource or resource/subresource, * for all
 *           namespaces: [demo]                            # optional; unset = everywhere
 */
export const AUTHZ_POLICY_FILE = 'authz-policy.yaml';

/**
 * Bindings every server has. The cluster DNS's ServiceAccount already reads
 * all of this through the ServiceAccount read-only default; the binding keeps
 * what it needs explicit, so it stays correct if that default is narrowed.
 */
export const DEFAULT_AUTHZ_POLICY: AuthzPolicy = {
  bindings: [
    {
      subject: 'system:serviceaccount:kube-system:coredns',
      rules: [
        { verbs: ['list', 'watch'], apiGroups: [''], resources: ['services', 'endpoints', 'pods', 'namespaces'] },
        { verbs: ['list', 'watch'], apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'] },
      ],
    },
  ],
};

const KNOWN_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const RESOURCE = /^(\*|[a-z0-9][a-z0-9.-]*)(\/(\*|[a-z0-9][a-z0-9.-]*))?$/;

/** The defaults plus the bindings of `<dataDir>/authz-policy.yaml` when it exists. */
export async function loadAuthzPolicy(dataDir: string): Promise<AuthzPolicy> {
  const path = join(dataDir, AUTHZ_POLICY_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return DEFAULT_AUTHZ_POLICY;
    throw new Error(`${path}: cannot read authorization policy: ${(err as Error).message}`);
  }
  const fromFile = parseAuthzPolicy(text, path);
  return { bindings: [...DEFAULT_AUTHZ_POLICY.bindings, ...fromFile.bindings] };
}

class PolicyError extends Error {
  constructor(source: string, field: string, why: string) {
    super(`${source}: ${field}: ${why}`);
    this.name = 'PolicyError';
  }
}

/** Parse and validate policy YAML; an error names `source` and the field (`bindings[0].rules[1].verbs[2]`). */
export function parseAuthzPolicy(text: string, source: string): AuthzPolicy {
  let raw: unknown;
  try {
    raw = parseYaml(text) as unknown;
  } catch (err) {
    throw new PolicyError(source, '(file)', `not valid YAML: ${(err as Error).message}`);
  }
  const fail = (field: string, why: string): never => {
    throw new PolicyError(source, field, why);
  };
  if (raw === null || raw === undefined) return { bindings: [] };
  const root = asMapping(raw, '(file)', ['bindings'], fail);
  const bindings = root['bindings'];
  if (bindings === undefined || bindings === null) return { bindings: [] };
  if (!Array.isArray(bindings)) return fail('bindings', 'must be a list');
  return { bindings: bindings.map((b: unknown, i) => parseBinding(b, `bindings[${i}]`, fail)) };
}

type Fail = (field: string, why: string) => never;

function parseBinding(raw: unknown, at: string, fail: Fail): PolicyBinding {
  const b = asMapping(raw, at, ['subject', 'rules'], fail);
  const subject = b['subject'];
  if (typeof subject !== 'string' || subject.trim() === '') return fail(`${at}.subject`, 'must be a user name or group:<group>');
  if (subject === 'group:') return fail(`${at}.subject`, 'names no group after "group:"');
  const rules = b['rules'];
  if (!Array.isArray(rules) || rules.length === 0) return fail(`${at}.rules`, 'must be a non-empty list');
  return { subject, rules: rules.map((r: unknown, i) => parseRule(r, `${at}.rules[${i}]`, fail)) };
}

function parseRule(raw: unknown, at: string, fail: Fail): PolicyRule {
  const r = asMapping(raw, at, ['verbs', 'apiGroups', 'resources', 'namespaces'], fail);
  const verbs = stringList(r['verbs'], `${at}.verbs`, fail);
  verbs.forEach((v, i) => {
    if (v !== '*' && !KNOWN_VERBS.includes(v)) {
      fail(`${at}.verbs[${i}]`, `unknown verb ${JSON.stringify(v)} (expected *, ${KNOWN_VERBS.join(', ')})`);
    }
  });
  const apiGroups = stringList(r['apiGroups'], `${at}.apiGroups`, fail, { allowEmptyString: true });
  const resources = stringList(r['resources'], `${at}.resources`, fail);
  resources.forEach((res, i) => {
    if (!RESOURCE.test(res)) {
      fail(`${at}.resources[${i}]`, `${JSON.stringify(res)} is not a resource, resource/subresource or *`);
    }
  });
  const rule: PolicyRule = { verbs, apiGroups, resources };
  if (r['namespaces'] !== undefined) rule.namespaces = stringList(r['namespaces'], `${at}.namespaces`, fail);
  return rule;
}

function asMapping(raw: unknown, at: string, keys: readonly string[], fail: Fail): Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(at, 'must be a mapping');
  const m = raw as Record<string, unknown>;
  for (const key of Object.keys(m)) {
    // A misspelt key would otherwise be ignored silently and grant less (or more) than meant.
    if (!keys.includes(key)) fail(at === '(file)' ? key : `${at}.${key}`, `unknown field (expected ${keys.join(', ')})`);
  }
  return m;
}

function stringList(raw: unknown, at: string, fail: Fail, opts: { allowEmptyString?: boolean } = {}): string[] {
  if (!Array.isArray(raw) || raw.length === 0) return fail(at, 'must be a non-empty list');
  return raw.map((v: unknown, i) => {
    if (typeof v !== 'string' || (v === '' && opts.allowEmptyString !== true)) {
      return fail(`${at}[${i}]`, opts.allowEmptyString === true ? 'must be a string ("" is the core group)' : 'must be a non-empty string');
    }
    return v;
  });
}
