import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import {
  GROUP_AUTHENTICATED,
  GROUP_MASTERS,
  GROUP_NODES,
  nodeUserName,
  serviceAccountUser,
  serviceAccountUserName,
  type UserInfo,
} from './user-info.js';

/** The user the admin kubeconfig authenticates as (kubeadm's name for the same thing). */
export const ADMIN_USER_NAME = 'kubernetes-admin';
/** `iss` of the ServiceAccount tokens this server signs. */
export const SERVICE_ACCOUNT_ISSUER = 'netkube/serviceaccount';
/** Longer bearer tokens are refused before any hashing. */
const MAX_TOKEN_LENGTH = 4096;
const TOKENS_FILE = 'tokens.json';
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * tokens.json: the static bearer tokens (kept in clear text, like
 * kube-apiserver's --token-auth-file, because the server rewrites the admin
 * kubeconfig and the lab rewrites node kubeconfigs from them; mode 0600, the
 * same trust as the CA key beside it) and the secret that signs
 * ServiceAccount tokens.
 */
interface TokenFile {
  version: 1;
  serviceAccountSigningKey: string;
  tokens: StaticToken[];
}

interface StaticToken {
  token: string;
  user: UserInfo;
}

/** The claims netkube puts in a ServiceAccount token (shaped like Kubernetes' own). */
interface ServiceAccountClaims {
  iss: string;
  sub: string;
  'kubernetes.io': { namespace: string; serviceaccount: { name: string; uid?: string } };
}

/**
 * Bearer tokens the API server accepts. Static tokens (admin, nodes, anything
 * issued with issueToken) are looked up by their SHA-256, so no comparison
 * ever runs over the secret itself. ServiceAccount tokens are self-validating
 * (HMAC-SHA256 JWTs): nothing is stored per pod, and any number can be issued.
 *
 * Writes are serialised and persisted atomically before the new token is
 * returned, so a token a caller holds survives a crash of the server.
 */
export class TokenRegistry {
  private byHash = new Map<string, UserInfo>();
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private state: TokenFile,
  ) {
    this.index();
  }

  /** Load `<dataDir>/tokens.json`, making it (with a fresh signing key) on first start. */
  static async open(dataDir: string): Promise<TokenRegistry> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, TOKENS_FILE);
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text === undefined) {
      const state: TokenFile = { version: 1, serviceAccountSigningKey: randomBytes(32).toString('base64url'), tokens: [] };
      await writeFileAtomic(path, serialize(state), 0o600);
      return new TokenRegistry(path, state);
    }
    // Someone widened it by hand: these are credentials.
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
    return new TokenRegistry(path, parseTokenFile(text, path));
  }

  /** The admin token (user `kubernetes-admin`, group `system:masters`), made on first call. */
  async ensureAdminToken(): Promise<string> {
    return this.ensureToken((u) => u.name === ADMIN_USER_NAME && u.groups.includes(GROUP_MASTERS), {
      name: ADMIN_USER_NAME,
      groups: [GROUP_MASTERS],
    });
  }

  /** The token of node `<name>` (user `system:node:<name>`, group `system:nodes`), made on first call. */
  async ensureNodeToken(nodeName: string): Promise<string> {
    if (nodeName === '' || nodeName.includes(':')) throw new Error(`invalid node name ${JSON.stringify(nodeName)}`);
    const name = nodeUserName(nodeName);
    return this.ensureToken((u) => u.name === name && u.groups.includes(GROUP_NODES), { name, groups: [GROUP_NODES] });
  }

  /** A new random bearer token for `user`, persisted before it is returned. */
  async issueToken(user: UserInfo): Promise<string> {
    if (user.name === '') throw new Error('cannot issue a token for a user without a name');
    return this.mutate((state) => {
      const token = newToken();
      return { next: { ...state, tokens: [...state.tokens, { token, user: copyUser(user) }] }, result: token };
    });
  }

  /** Forget a static token; true if it existed. ServiceAccount tokens cannot be revoked one by one. */
  async revokeToken(token: string): Promise<boolean> {
    return this.mutate((state) => {
      const tokens = state.tokens.filter((t) => t.token !== token);
      return { next: { ...state, tokens }, result: tokens.length !== state.tokens.length };
    });
  }

  /**
   * A token for ServiceAccount `<namespace>/<name>`, as the node agent mounts
   * at /var/run/secrets/kubernetes.io/serviceaccount/token. It carries no
   * expiry and is deterministic: the same account (and uid) always gets the
   * same token, so re-mounting it never changes the file.
   */
  issueServiceAccountToken(namespace: string, name: string, uid?: string): string {
    if (namespace === '' || name === '' || namespace.includes(':') || name.includes(':')) {
      throw new Error(`invalid ServiceAccount ${JSON.stringify(`${namespace}/${name}`)}`);
    }
    const claims: ServiceAccountClaims = {
      iss: SERVICE_ACCOUNT_ISSUER,
      sub: serviceAccountUserName(namespace, name),
      'kubernetes.io': { namespace, serviceaccount: uid === undefined ? { name } : { name, uid } },
    };
    const signingInput = `${encodeJson({ alg: 'HS256', typ: 'JWT' })}.${encodeJson(claims)}`;
    return `${signingInput}.${this.sign(signingInput)}`;
  }

  /** Who `token` belongs to (always in `system:authenticated`), or undefined when it is not valid. */
  lookup(token: string): UserInfo | undefined {
    if (token === '' || token.length > MAX_TOKEN_LENGTH) return undefined;
    const user = token.split('.').length === 3 ? this.verifyServiceAccountToken(token) : this.byHash.get(sha256(token));
    if (user === undefined) return undefined;
    const groups = user.groups.includes(GROUP_AUTHENTICATED) ? [...user.groups] : [...user.groups, GROUP_AUTHENTICATED];
    return { ...copyUser(user), groups };
  }

  private verifyServiceAccountToken(token: string): UserInfo | undefined {
    const [header, payload, signature] = token.split('.') as [string, string, string];
    // Base64url decoding skips stray characters; insist on the canonical alphabet so one token has one spelling.
    if (![header, payload, signature].every((part) => BASE64URL.test(part))) return undefined;
    const want = Buffer.from(this.sign(`${header}.${payload}`), 'base64url');
    const got = Buffer.from(signature, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    // Signed by us, so the JSON is ours; still check the shape rather than trust a cast.
    const head = decodeJson(header);
    if (!isRecord(head) || head['alg'] !== 'HS256') return undefined;
    const claims = decodeJson(payload);
    if (!isRecord(claims) || claims['iss'] !== SERVICE_ACCOUNT_ISSUER) return undefined;
    const k8s = claims['kubernetes.io'];
    if (!isRecord(k8s) || typeof k8s['namespace'] !== 'string' || !isRecord(k8s['serviceaccount'])) return undefined;
    const sa = k8s['serviceaccount'];
    if (typeof sa['name'] !== 'string') return undefined;
    const uid = sa['uid'];
    if (uid !== undefined && typeof uid !== 'string') return undefined;
    if (claims['sub'] !== serviceAccountUserName(k8s['namespace'], sa['name'])) return undefined;
    return serviceAccountUser(k8s['namespace'], sa['name'], uid);
  }

  private sign(signingInput: string): string {
    return createHmac('sha256', Buffer.from(this.state.serviceAccountSigningKey, 'base64url'))
      .update(signingInput)
      .digest('base64url');
  }

  private async ensureToken(match: (u: UserInfo) => boolean, user: UserInfo): Promise<string> {
    return this.mutate((state) => {
      const existing = state.tokens.find((t) => match(t.user));
      if (existing !== undefined) return { next: state, result: existing.token };
      const token = newToken();
      return { next: { ...state, tokens: [...state.tokens, { token, user }] }, result: token };
    });
  }

  /** Run `change` after every earlier write, persist its state, then make it current. */
  private mutate<R>(change: (state: TokenFile) => { next: TokenFile; result: R }): Promise<R> {
    const run = async (): Promise<R> => {
      const { next, result } = change(this.state);
      if (next !== this.state) {
        await writeFileAtomic(this.path, serialize(next), 0o600);
        this.state = next;
        this.index();
      }
      return result;
    };
    const done = this.writes.then(run, run);
    this.writes = done.catch(() => undefined);
    return done;
  }

  private index(): void {
    this.byHash = new Map(this.state.tokens.map((t) => [sha256(t.token), t.user]));
  }
}

/** Convenience for the server's start-up: the admin token of `<dataDir>/tokens.json`. */
export async function ensureAdminToken(dataDir: string): Promise<string> {
  return (await TokenRegistry.open(dataDir)).ensureAdminToken();
}

function newToken(): string {
  // 256 random bits; base64url never contains '.', so a static token is never taken for a JWT.
  return randomBytes(32).toString('base64url');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function copyUser(user: UserInfo): UserInfo {
  const copy: UserInfo = { name: user.name, groups: [...user.groups] };
  if (user.uid !== undefined) copy.uid = user.uid;
  return copy;
}

function serialize(state: TokenFile): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/** Validate tokens.json; errors name the file and the field, since a broken file locks everyone out. */
function parseTokenFile(text: string, path: string): TokenFile {
  const fail = (field: string, why: string): never => {
    throw new Error(`${path}: ${field}: ${why}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text) as unknown;
  } catch (err) {
    return fail('(file)', `not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(raw)) return fail('(file)', 'must be a JSON object');
  if (raw['version'] !== 1) fail('version', 'must be 1');
  const key = raw['serviceAccountSigningKey'];
  if (typeof key !== 'string' || Buffer.from(key, 'base64url').length < 32) {
    fail('serviceAccountSigningKey', 'must be at least 32 bytes, base64url-encoded');
  }
  const list = raw['tokens'];
  if (!Array.isArray(list)) return fail('tokens', 'must be a list');
  const tokens = list.map((entry: unknown, i): StaticToken => {
    const at = `tokens[${i}]`;
    if (!isRecord(entry)) return fail(at, 'must be an object');
    const token = entry['token'];
    if (typeof token !== 'string' || token === '' || token.includes('.')) {
      return fail(`${at}.token`, 'must be a non-empty string without "."');
    }
    const user = entry['user'];
    if (!isRecord(user)) return fail(`${at}.user`, 'must be an object');
    const name = user['name'];
    if (typeof name !== 'string' || name === '') return fail(`${at}.user.name`, 'must be a non-empty string');
    const groups = user['groups'];
    if (!Array.isArray(groups) || !groups.every((g): g is string => typeof g === 'string')) {
      return fail(`${at}.user.groups`, 'must be a list of strings');
    }
    const uid = user['uid'];
    if (uid !== undefined && typeof uid !== 'string') return fail(`${at}.user.uid`, 'must be a string');
    const info: UserInfo = { name, groups };
    if (uid !== undefined) info.uid = uid;
    return { token, user: info };
  });
  return { version: 1, serviceAccountSigningKey: key as string, tokens };
}
