// Where a component finds its API server and credentials: a kubeconfig file
// (kubectl's format), or the in-cluster service account a pod is given.
// Produces a ClusterConnection with every file already read into PEM text,
// so KubeClient needs no file access except re-reading a rotating token.

import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export interface ClusterConnection {
  /** e.g. https://127.0.0.1:6443 (an http:// server is allowed, for proxies and tests). */
  server: string;
  caPem?: string;
  token?: string;
  /**
   * File the token came from. Service-account tokens rotate, so KubeClient
   * re-reads this file every minute and after a 401.
   */
  tokenFile?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  insecureSkipTLSVerify?: boolean;
  /** SNI / certificate name to expect when it differs from the server's host. */
  tlsServerName?: string;
  /** The context's namespace (kubeconfig) or the pod's namespace (in-cluster), when given. */
  namespace?: string;
}

/** A kubeconfig (or service-account mount) that cannot be used; the message names the file and field. */
export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

type Yaml = Record<string, unknown>;

interface NamedEntry {
  /** Folder of the file that defined the entry: relative paths inside it resolve against this. */
  dir: string;
  file: string;
  body: Yaml;
}

interface ParsedKubeconfig {
  files: string[];
  currentContext?: { name: string; file: string };
  contexts: Map<string, NamedEntry>;
  clusters: Map<string, NamedEntry>;
  users: Map<string, NamedEntry>;
}

/**
 * Loads the current context of one kubeconfig file, or of several merged the
 * way kubectl merges $KUBECONFIG (the first file to name an entry or a
 * current-context wins). `context` overrides current-context.
 */
export async function loadKubeconfig(
  path: string | readonly string[],
  opts: { context?: string } = {},
): Promise<ClusterConnection> {
  const paths = typeof path === 'string' ? [path] : path;
  if (paths.length === 0) throw new KubeconfigError('kubeconfig: no file given');
  const parsed: ParsedKubeconfig = { files: [], contexts: new Map(), clusters: new Map(), users: new Map() };
  for (const p of paths) mergeKubeconfig(parsed, resolve(p), await readText(resolve(p), 'kubeconfig'));
  return connectionFromParsed(parsed, opts.context);
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new KubeconfigError(`${what} ${file}: cannot read: ${(err as Error).message}`);
  }
}

function mergeKubeconfig(into: ParsedKubeconfig, file: string, text: string): void {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${file}: invalid YAML: ${(err as Error).message}`);
  }
  into.files.push(file);
  if (doc === null || doc === undefined) return; // an empty file contributes nothing, as with kubectl
  if (!isMap(doc)) throw new KubeconfigError(`kubeconfig ${file}: expected a YAML mapping at the top level`);
  const current = doc['current-context'];
  if (typeof current === 'string' && current !== '' && !into.currentContext) {
    into.currentContext = { name: current, file };
  }
  const dir = dirname(file);
  for (const [section, inner, target] of [
    ['contexts', 'context', into.contexts],
    ['clusters', 'cluster', into.clusters],
    ['users', 'user', into.users],
  ] as const) {
    const list = doc[section];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new KubeconfigError(`kubeconfig ${file}: ${section} must be a list`);
    list.forEach((item: unknown, i) => {
      if (!isMap(item) || typeof item['name'] !== 'string') {
        throw new KubeconfigError(`kubeconfig ${file}: ${section}[${i}].name is missing`);
      }
      const body = item[inner] ?? {};
      if (!isMap(body)) throw new KubeconfigError(`kubeconfig ${file}: ${section}[${i}].${inner} must be a mapping`);
      if (!target.has(item['name'])) target.set(item['name'], { dir, file, body });
    });
  }
}

async function connectionFromParsed(k: ParsedKubeconfig, contextOverride?: string): Promise<ClusterConnection> {
  const where = k.files.join(delimiter);
  let contextName = contextOverride ?? k.currentContext?.name;
  if (contextName === undefined) {
    // kubectl refuses here too; one context is unambiguous enough to use.
    if (k.contexts.size !== 1) {
      throw new KubeconfigError(`kubeconfig ${where}: current-context is not set (and there are ${k.contexts.size} contexts)`);
    }
    contextName = [...k.contexts.keys()][0]!;
  }
  const ctx = k.contexts.get(contextName);
  if (!ctx) throw new KubeconfigError(`kubeconfig ${where}: context "${contextName}" is not in contexts`);
  const clusterName = str(ctx, 'cluster', `contexts["${contextName}"].context`);
  if (!clusterName) throw new KubeconfigError(`kubeconfig ${ctx.file}: contexts["${contextName}"].context.cluster is missing`);
  const cluster = k.clusters.get(clusterName);
  if (!cluster) throw new KubeconfigError(`kubeconfig ${where}: cluster "${clusterName}" (from context "${contextName}") is not in clusters`);
  const userName = str(ctx, 'user', `contexts["${contextName}"].context`);
  const user = userName === undefined || userName === '' ? undefined : k.users.get(userName);
  if (userName && !user) {
    throw new KubeconfigError(`kubeconfig ${where}: user "${userName}" (from context "${contextName}") is not in users`);
  }

  const cp = `clusters["${clusterName}"].cluster`;
  const server = str(cluster, 'server', cp);
  if (!server) throw new KubeconfigError(`kubeconfig ${cluster.file}: ${cp}.server is missing`);
  try {
    const url = new URL(server);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`unsupported scheme ${url.protocol}`);
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${cluster.file}: ${cp}.server ${JSON.stringify(server)} is not an http(s) URL: ${(err as Error).message}`);
  }
  const conn: ClusterConnection = { server: server.replace(/\/+$/, '') };
  const caPem = await pemFrom(cluster, 'certificate-authority', cp);
  if (caPem !== undefined) conn.caPem = caPem;
  const insecure = cluster.body['insecure-skip-tls-verify'];
  if (insecure === true) conn.insecureSkipTLSVerify = true;
  const tlsServerName = str(cluster, 'tls-server-name', cp);
  if (tlsServerName) conn.tlsServerName = tlsServerName;
  const ns = str(ctx, 'namespace', `contexts["${contextName}"].context`);
  if (ns) conn.namespace = ns;

  if (user && userName) {
    const up = `users["${userName}"].user`;
    for (const unsupported of ['exec', 'auth-provider'] as const) {
      if (user.body[unsupported] !== undefined) {
        throw new KubeconfigError(
          `kubeconfig ${user.file}: ${up}.${unsupported} is not supported by netkube; use a token, tokenFile or client certificate`,
        );
      }
    }
    const token = str(user, 'token', up);
    const tokenFile = str(user, 'tokenFile', up);
    if (token) {
      conn.token = token; // kubectl gives an inline token precedence over tokenFile
    } else if (tokenFile) {
      conn.tokenFile = pathIn(user, tokenFile);
      conn.token = (await readText(conn.tokenFile, `kubeconfig ${user.file}: ${up}.tokenFile`)).trim();
    }
    const cert = await pemFrom(user, 'client-certificate', up);
    const key = await pemFrom(user, 'client-key', up);
    if ((cert === undefined) !== (key === undefined)) {
      const missing = cert === undefined ? 'client-certificate(-data)' : 'client-key(-data)';
      throw new KubeconfigError(`kubeconfig ${user.file}: ${up}.${missing} is missing (client certificate and key go together)`);
    }
    if (cert !== undefined && key !== undefined) {
      conn.clientCertPem = cert;
      conn.clientKeyPem = key;
    }
  }
  return conn;
}

/** Reads FIELD-data (base64) or FIELD (a file path, relative to the kubeconfig's folder). */
async function pemFrom(entry: NamedEntry, field: string, at: string): Promise<string | undefined> {
  const data = str(entry, `${field}-data`, at);
  if (data) {
    const text = Buffer.from(data, 'base64').toString('utf8');
    if (!text.includes('-----BEGIN')) {
      throw new KubeconfigError(`kubeconfig ${entry.file}: ${at}.${field}-data is not base64-encoded PEM`);
    }
    return text;
  }
  const file = str(entry, field, at);
  if (!file) return undefined;
  return readText(pathIn(entry, file), `kubeconfig ${entry.file}: ${at}.${field}`);
}

function pathIn(entry: NamedEntry, p: string): string {
  return isAbsolute(p) ? p : join(entry.dir, p);
}

function str(entry: NamedEntry, field: string, at: string): string | undefined {
  const v = entry.body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new KubeconfigError(`kubeconfig ${entry.file}: ${at}.${field} must be a string`);
  return v;
}

function isMap(v: unknown): v is Yaml {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const SERVICE_ACCOUNT_ROOT = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The connection a pod gets: the `kubernetes` Service from
 * KUBERNETES_SERVICE_HOST/PORT and the mounted service-account token, CA and
 * namespace. Undefined when not running in a pod (the variables, or the
 * token, are absent) so callers can fall through to a kubeconfig.
 */
export async function inClusterConnection(
  env: Record<string, string | undefined> = process.env,
  root: string = SERVICE_ACCOUNT_ROOT,
): Promise<ClusterConnection | undefined> {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) return undefined;
  const tokenFile = join(root, 'token');
  const token = await readOptional(tokenFile);
  // Service env vars are injected into every pod; without a mounted token this
  // is a pod that was not given API access, not an in-cluster client.
  if (token === undefined) return undefined;
  const conn: ClusterConnection = {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    token: token.trim(),
    tokenFile,
  };
  const ca = await readOptional(join(root, 'ca.crt'));
  if (ca !== undefined) conn.caPem = ca;
  const ns = (await readOptional(join(root, 'namespace')))?.trim();
  if (ns) conn.namespace = ns;
  return conn;
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KubeconfigError(`service account ${file}: cannot read: ${(err as Error).message}`);
  }
}

/**
 * The connection a component should use, in kubectl's order of preference:
 * --kubeconfig, then in-cluster, then $KUBECONFIG (a list), then ~/.kube/config.
 * `env`, `inClusterRoot` and `homeDir` exist for tests.
 */
export async function connectionFrom(opts: {
  kubeconfig?: string;
  context?: string;
  env?: Record<string, string | undefined>;
  inClusterRoot?: string;
  homeDir?: string;
}): Promise<ClusterConnection> {
  const ctx = opts.context === undefined ? {} : { context: opts.context };
  if (opts.kubeconfig) return loadKubeconfig(opts.kubeconfig, ctx);
  const env = opts.env ?? process.env;
  const inCluster = await inClusterConnection(env, opts.inClusterRoot ?? SERVICE_ACCOUNT_ROOT);
  if (inCluster) return inCluster;
  const fromEnv = (env['KUBECONFIG'] ?? '').split(delimiter).filter((p) => p !== '');
  if (fromEnv.length > 0) {
    // As with kubectl, listed files that do not exist are skipped.
    const present: string[] = [];
    for (const p of fromEnv) if ((await readOptional(resolve(p))) !== undefined) present.push(p);
    if (present.length === 0) throw new KubeconfigError(`$KUBECONFIG=${env['KUBECONFIG']}: none of these files exists`);
    return loadKubeconfig(present, ctx);
  }
  const home = opts.homeDir ?? env['HOME'] ?? homedir();
  const fallback = join(home, '.kube', 'config');
  if ((await readOptional(fallback)) === undefined) {
    throw new KubeconfigError(
      `no API server configured: pass --kubeconfig, run in a pod with a service account, set $KUBECONFIG, or create ${fallback}`,
    );
  }
  return loadKubeconfig(fallback, ctx);
}

export interface RenderKubeconfigInput {
  server: string;
  caPem: string;
  /** Bearer token; or give clientCertPem + clientKeyPem. */
  token?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  user: string;
  cluster: string;
  context: string;
  namespace?: string;
}

/** The kubeconfig text apiserver-lite writes for its admin (CA and client certs inlined as base64). */
export function renderKubeconfig(i: RenderKubeconfigInput): string {
  const b64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');
  const user: Record<string, string> = {};
  if (i.token !== undefined) user['token'] = i.token;
  if (i.clientCertPem !== undefined) user['client-certificate-data'] = b64(i.clientCertPem);
  if (i.clientKeyPem !== undefined) user['client-key-data'] = b64(i.clientKeyPem);
  const context: Record<string, string> = { cluster: i.cluster, user: i.user };
  if (i.namespace !== undefined) context['namespace'] = i.namespace;
  return stringifyYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: i.cluster, cluster: { server: i.server, 'certificate-authority-data': b64(i.caPem) } }],
    users: [{ name: i.user, user }],
    contexts: [{ name: i.context, context }],
    'current-context': i.context,
    preferences: {},
  });
}
