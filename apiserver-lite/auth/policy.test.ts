import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authorize } from './authorizer.js';
import { AUTHZ_POLICY_FILE, DEFAULT_AUTHZ_POLICY, loadAuthzPolicy, parseAuthzPolicy } from './policy.js';
import { serviceAccountUser } from './user-info.js';

const GOOD = `
# Let the demo controller manage Services and write pod status in its namespace.
bindings:
  - subject: system:serviceaccount:demo:controller
    rules:
      - verbs: [create, update, delete]
        apiGroups: [""]
        resources: [services, pods/status]
        namespaces: [demo]
  - subject: group:ops
    rules:
      - verbs: ["*"]
        apiGroups: ["*"]
        resources: ["*"]
`;

describe('parseAuthzPolicy', () => {
  it('reads bindings, rules, the core group "" and wildcards', () => {
    expect(parseAuthzPolicy(GOOD, 'policy.yaml')).toEqual({
      bindings: [
        {
          subject: 'system:serviceaccount:demo:controller',
          rules: [{ verbs: ['create', 'update', 'delete'], apiGroups: [''], resources: ['services', 'pods/status'], namespaces: ['demo'] }],
        },
        { subject: 'group:ops', rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }] },
      ],
    });
  });

  it.each(['', '# nothing yet\n', 'bindings:\n', 'bindings: []\n'])('treats %j as no bindings', (text) => {
    expect(parseAuthzPolicy(text, 'policy.yaml')).toEqual({ bindings: [] });
  });

  const rule = (r: string) => `bindings:\n  - subject: alice\n    rules:\n      - ${r}\n`;
  it.each([
    { name: 'broken YAML', text: 'bindings: [', error: /^p\.yaml: \(file\): not valid YAML/ },
    { name: 'a list at the top', text: '- a\n', error: /^p\.yaml: \(file\): must be a mapping/ },
    { name: 'a misspelt top-level key', text: 'binding: []\n', error: /^p\.yaml: binding: unknown field \(expected bindings\)/ },
    { name: 'bindings not a list', text: 'bindings: {}\n', error: /^p\.yaml: bindings: must be a list/ },
    { name: 'a binding without a subject', text: 'bindings:\n  - rules: []\n', error: /^p\.yaml: bindings\[0\]\.subject: must be a user name or group:<group>/ },
    { name: 'an empty group subject', text: 'bindings:\n  - subject: "group:"\n    rules: []\n', error: /bindings\[0\]\.subject: names no group/ },
    { name: 'a binding without rules', text: 'bindings:\n  - subject: alice\n    rules: []\n', error: /^p\.yaml: bindings\[0\]\.rules: must be a non-empty list/ },
    { name: 'a misspelt binding key', text: 'bindings:\n  - subject: alice\n    rule: []\n', error: /^p\.yaml: bindings\[0\]\.rule: unknown field/ },
    { name: 'an unknown verb', text: rule('{verbs: [get, lsit], apiGroups: [""], resources: [pods]}'), error: /^p\.yaml: bindings\[0\]\.rules\[0\]\.verbs\[1\]: unknown verb "lsit"/ },
    { name: 'no verbs', text: rule('{apiGroups: [""], resources: [pods]}'), error: /bindings\[0\]\.rules\[0\]\.verbs: must be a non-empty list/ },
    { name: 'apiGroups written as a string', text: rule('{verbs: [get], apiGroups: "", resources: [pods]}'), error: /bindings\[0\]\.rules\[0\]\.apiGroups: must be a non-empty list/ },
    { name: 'a resource with spaces', text: rule('{verbs: [get], apiGroups: [""], resources: ["pods status"]}'), error: /rules\[0\]\.resources\[0\]: "pods status" is not a resource/ },
    { name: 'an empty namespace', text: rule('{verbs: [get], apiGroups: [""], resources: [pods], namespaces: [""]}'), error: /rules\[0\]\.namespaces\[0\]: must be a non-empty string/ },
    { name: 'resourceNames, which netkube does not support', text: rule('{verbs: [get], apiGroups: [""], resources: [pods], resourceNames: [x]}'), error: /rules\[0\]\.resourceNames: unknown field/ },
  ])('rejects $name, naming file and field', ({ text, error }) => {
    expect(() => parseAuthzPolicy(text, 'p.yaml')).toThrow(error);
  });
});

describe('loadAuthzPolicy', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'netkube-policy-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('gives the defaults when there is no policy file', async () => {
    expect(await loadAuthzPolicy(dataDir)).toEqual(DEFAULT_AUTHZ_POLICY);
  });

  it('adds the file bindings to the defaults, and they take effect', async () => {
    await writeFile(join(dataDir, AUTHZ_POLICY_FILE), GOOD);
    const policy = await loadAuthzPolicy(dataDir);
    expect(policy.bindings.map((b) => b.subject)).toEqual([
      'system:serviceaccount:kube-system:coredns',
      'system:serviceaccount:demo:controller',
      'group:ops',
    ]);
    const controller = serviceAccountUser('demo', 'controller');
    const create = { verb: 'create', apiGroup: '', resource: 'services', namespace: 'demo' } as const;
    expect(authorize(controller, create, policy).allowed).toBe(true);
    expect(authorize(controller, create, DEFAULT_AUTHZ_POLICY).allowed).toBe(false);
  });

  it('names the file in errors', async () => {
    const path = join(dataDir, AUTHZ_POLICY_FILE);
    await writeFile(path, 'bindings:\n  - subject: alice\n    rules: nope\n');
    await expect(loadAuthzPolicy(dataDir)).rejects.toThrow(`${path}: bindings[0].rules: must be a non-empty list`);
  });
});
