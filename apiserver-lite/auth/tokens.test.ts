import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_USER_NAME, SERVICE_ACCOUNT_ISSUER, TokenRegistry, ensureAdminToken } from './tokens.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'netkube-tokens-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function decodePart(part: string | undefined): unknown {
  return JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
}

function encodePart(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('static tokens', () => {
  it('keeps tokens.json readable only by the owner, also after someone widened it', async () => {
    const reg = await TokenRegistry.open(dataDir);
    await reg.ensureAdminToken();
    const path = join(dataDir, 'tokens.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await chmod(path, 0o644);
    await TokenRegistry.open(dataDir);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('gives one admin token, the same after a restart, that authenticates as a system:masters user', async () => {
    const first = await (await TokenRegistry.open(dataDir)).ensureAdminToken();
    const reg = await TokenRegistry.open(dataDir);
    expect(await reg.ensureAdminToken()).toBe(first);
    expect(await ensureAdminToken(dataDir)).toBe(first);
    expect(reg.lookup(first)).toEqual({ name: ADMIN_USER_NAME, groups: ['system:masters', 'system:authenticated'] });
  });

  it('gives each node its own token as system:node:<name> in system:nodes', async () => {
    const reg = await TokenRegistry.open(dataDir);
    const n1 = await reg.ensureNodeToken('node-1');
    const n2 = await reg.ensureNodeToken('node-2');
    expect(n1).not.toBe(n2);
    expect(await reg.ensureNodeToken('node-1')).toBe(n1);
    expect(reg.lookup(n1)).toEqual({ name: 'system:node:node-1', groups: ['system:nodes', 'system:authenticated'] });
    expect(reg.lookup(n2)?.name).toBe('system:node:node-2');
  });

  it.each(['', 'a:b'])('refuses node name %j', async (name) => {
    const reg = await TokenRegistry.open(dataDir);
    await expect(reg.ensureNodeToken(name)).rejects.toThrow(/invalid node name/);
  });

  it('persists issued tokens before returning them, also when issued concurrently', async () => {
    const reg = await TokenRegistry.open(dataDir);
    const users = Array.from({ length: 8 }, (_, i) => ({ name: `viewer-${i}`, uid: `u${i}`, groups: ['netkube:read-only'] }));
    const tokens = await Promise.all(users.map((u) => reg.issueToken(u)));
    expect(new Set(tokens).size).toBe(users.length);
    const reopened = await TokenRegistry.open(dataDir);
    tokens.forEach((t, i) => {
      expect(reopened.lookup(t)).toEqual({ ...users[i], groups: ['netkube:read-only', 'system:authenticated'] });
    });
  });

  it('hands out copies: changing a looked-up user does not change the registry', async () => {
    const reg = await TokenRegistry.open(dataDir);
    const token = await reg.issueToken({ name: 'alice', groups: [] });
    reg.lookup(token)?.groups.push('system:masters');
    expect(reg.lookup(token)?.groups).toEqual(['system:authenticated']);
  });

  it('forgets a revoked token, also after a restart', async () => {
    const reg = await TokenRegistry.open(dataDir);
    const token = await reg.issueToken({ name: 'alice', groups: [] });
    expect(await reg.revokeToken(token)).toBe(true);
    expect(await reg.revokeToken(token)).toBe(false);
    expect(reg.lookup(token)).toBeUndefined();
    expect((await TokenRegistry.open(dataDir)).lookup(token)).toBeUndefined();
  });

  it.each([
    { name: 'an empty token', token: () => '' },
    { name: 'an unknown token', token: () => 'x'.repeat(43) },
    { name: 'a prefix of a real token', token: (real: string) => real.slice(0, -1) },
    { name: 'a real token with a character appended', token: (real: string) => `${real}A` },
    { name: 'an over-long token', token: () => 'a'.repeat(5000) },
  ])('rejects $name', async ({ token }) => {
    const reg = await TokenRegistry.open(dataDir);
    const real = await reg.ensureAdminToken();
    expect(reg.lookup(token(real))).toBeUndefined();
  });
});

describe('ServiceAccount tokens', () => {
  it('are JWT-shaped, HS256, with iss and sub system:serviceaccount:<ns>:<name>', async () => {
    const reg = await TokenRegistry.open(dataDir);
    const parts = reg.issueServiceAccountToken('kube-system', 'coredns', 'uid-1').split('.');
    expect(parts).toHaveLength(3);
    expect(decodePart(parts[0])).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decodePart(parts[1])).toMatchObject({
      iss: SERVICE_ACCOUNT_ISSUER,
      sub: 'system:serviceaccount:kube-system:coredns',
      'kubernetes.io': { namespace: 'kube-system', serviceaccount: { name: 'coredns', uid: 'uid-1' } },
    });
  });

  it('authenticate as the ServiceAccount with its groups, without being stored, and after a restart', async () => {
    const reg = await TokenRegistry.open(dataDir);
    const before = await readFile(join(dataDir, 'tokens.json'), 'utf8');
    const token = reg.issueServiceAccountToken('default', 'web', 'uid-7');
    expect(await readFile(join(dataDir, 'tokens.json'), 'utf8')).toBe(before);
    const want = {
      name: 'system:serviceaccount:default:web',
      uid: 'uid-7',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
    };
    expect(reg.lookup(token)).toEqual(want);
    expect((await TokenRegistry.open(dataDir)).lookup(token)).toEqual(want);
  });

  it('are the same every time for the same account', async () => {
    const reg = await TokenRegistry.open(dataDir);
    expect(reg.issueServiceAccountToken('default', 'web')).toBe(reg.issueServiceAccountToken('default', 'web'));
    expect(reg.issueServiceAccountToken('default', 'web')).not.toBe(reg.issueServiceAccountToken('default', 'api'));
  });

  it.each([
    {
      name: 'a payload swapped for another namespace',
      forge: (t: string) => {
        const [h, p, s] = t.split('.');
        const claims = decodePart(p) as { sub: string; 'kubernetes.io': { namespace: string } };
        claims.sub = 'system:serviceaccount:kube-system:web';
        claims['kubernetes.io'].namespace = 'kube-system';
        return `${h}.${encodePart(claims)}.${s}`;
      },
    },
    { name: 'a header saying alg none', forge: (t: string) => `${encodePart({ alg: 'none' })}.${t.split('.')[1]}.` },
    { name: 'a truncated signature', forge: (t: string) => t.slice(0, -2) },
    { name: 'a signature with a stray character inside', forge: (t: string) => `${t.slice(0, -3)}*${t.slice(-3)}` },
  ])('reject $name', async ({ forge }) => {
    const reg = await TokenRegistry.open(dataDir);
    expect(reg.lookup(forge(reg.issueServiceAccountToken('default', 'web')))).toBeUndefined();
  });

  it('from another server (another signing key) are rejected', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'netkube-tokens-other-'));
    try {
      const other = await TokenRegistry.open(otherDir);
      const reg = await TokenRegistry.open(dataDir);
      expect(reg.lookup(other.issueServiceAccountToken('default', 'web'))).toBeUndefined();
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it.each([
    ['', 'web'],
    ['default', ''],
    ['a:b', 'web'],
  ])('are refused for ServiceAccount %j/%j', async (ns, name) => {
    const reg = await TokenRegistry.open(dataDir);
    expect(() => reg.issueServiceAccountToken(ns, name)).toThrow(/invalid ServiceAccount/);
  });
});

describe('a damaged tokens.json', () => {
  const key = Buffer.alloc(32, 1).toString('base64url');
  it.each([
    { name: 'not JSON', text: '{', error: /tokens\.json: \(file\): not valid JSON/ },
    { name: 'wrong version', text: JSON.stringify({ version: 2, serviceAccountSigningKey: key, tokens: [] }), error: /tokens\.json: version: must be 1/ },
    { name: 'short signing key', text: JSON.stringify({ version: 1, serviceAccountSigningKey: 'abc', tokens: [] }), error: /serviceAccountSigningKey/ },
    {
      name: 'a token without a user name',
      text: JSON.stringify({ version: 1, serviceAccountSigningKey: key, tokens: [{ token: 't', user: { groups: [] } }] }),
      error: /tokens\.json: tokens\[0\]\.user\.name: must be a non-empty string/,
    },
    {
      name: 'groups that are not strings',
      text: JSON.stringify({ version: 1, serviceAccountSigningKey: key, tokens: [{ token: 't', user: { name: 'a', groups: [1] } }] }),
      error: /tokens\[0\]\.user\.groups: must be a list of strings/,
    },
  ])('is reported with the file and field: $name', async ({ text, error }) => {
    await writeFile(join(dataDir, 'tokens.json'), text, { mode: 0o600 });
    await expect(TokenRegistry.open(dataDir)).rejects.toThrow(error);
  });
});
