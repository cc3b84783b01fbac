import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { connectionFrom, inClusterConnection, KubeconfigError, loadKubeconfig, renderKubeconfig } from './kubeconfig.js';

// Stand-in PEM text: the loader passes PEM through, it does not parse certificates.
const CA = '-----BEGIN CERTIFICATE-----\nQ0EK\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nQ0VSVAo=\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nS0VZCg==\n-----END PRIVATE KEY-----\n';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netkube-kubeconfig-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await mkdir(join(p, '..'), { recursive: true });
  await writeFile(p, text);
  return p;
}

const twoContexts = (user: string, cluster: string): string => `
apiVersion: v1
kind: Config
current-context: admin@lab
clusters:
- name: other
  cluster:
    server: https://10.0.0.1:443
- name: lab
  cluster:
${cluster}
contexts:
- name: other
  context: { cluster: other, user: nobody }
- name: admin@lab
  context:
    cluster: lab
    user: admin
    namespace: kube-system
users:
- name: nobody
  user: { token: wrong }
- name: admin
  user:
${user}
`;

describe('loadKubeconfig', () => {
  it('follows current-context to an inline CA and token', async () => {
    const p = await write('config', twoContexts(`    token: abc123`, `    server: https://172.18.0.1:6443/\n    certificate-authority-data: ${b64(CA)}`));
    expect(await loadKubeconfig(p)).toEqual({
      server: 'https://172.18.0.1:6443',
      caPem: CA,
      token: 'abc123',
      namespace: 'kube-system',
    });
  });

  it('reads CA, client certificate and key files relative to the kubeconfig folder', async () => {
    await write('sub/pki/ca.crt', CA);
    await write('sub/pki/admin.crt', CERT);
    await write('sub/pki/admin.key', KEY);
    const p = await write(
      'sub/config',
      twoContexts(
        `    client-certificate: pki/admin.crt\n    client-key: ${join(dir, 'sub/pki/admin.key')}`,
        `    server: https://127.0.0.1:6443\n    certificate-authority: pki/ca.crt`,
      ),
    );
    const conn = await loadKubeconfig(p);
    expect(conn.caPem).toBe(CA);
    expect(conn.clientCertPem).toBe(CERT);
    expect(conn.clientKeyPem).toBe(KEY);
    expect(conn.token).toBeUndefined();
  });

  it('reads tokenFile and remembers it so the client can re-read a rotated token', async () => {
    await write('token', 'from-file\n');
    const p = await write('config', twoContexts(`    tokenFile: token`, `    server: https://h:6443\n    insecure-skip-tls-verify: true`));
    const conn = await loadKubeconfig(p);
    expect(conn.token).toBe('from-file');
    expect(conn.tokenFile).toBe(join(dir, 'token'));
    expect(conn.insecureSkipTLSVerify).toBe(true);
  });

  it('an inline token wins over tokenFile, as with kubectl', async () => {
    const p = await write('config', twoContexts(`    token: inline\n    tokenFile: does-not-exist`, `    server: https://h:6443`));
    const conn = await loadKubeconfig(p);
    expect(conn.token).toBe('inline');
    expect(conn.tokenFile).toBeUndefined();
  });

  it('an explicit context overrides current-context', async () => {
    const p = await write('config', twoContexts(`    token: t`, `    server: https://h:6443`));
    expect(await loadKubeconfig(p, { context: 'other' })).toEqual({ server: 'https://10.0.0.1:443', token: 'wrong' });
  });

  it('merges several files: the first to set an entry or current-context wins', async () => {
    const a = await write('a', 'current-context: ctx\nusers:\n- name: u\n  user: { token: from-a }\n');
    const b = await write(
      'b',
      'current-context: ignored\nclusters:\n- name: c\n  cluster: { server: "https://b:6443" }\ncontexts:\n- name: ctx\n  context: { cluster: c, user: u }\nusers:\n- name: u\n  user: { token: from-b }\n',
    );
    expect(await loadKubeconfig([a, b])).toEqual({ server: 'https://b:6443', token: 'from-a' });
  });

  it('uses the only context when current-context is unset', async () => {
    const p = await write('config', 'clusters:\n- name: c\n  cluster: { server: "http://127.0.0.1:8080" }\ncontexts:\n- name: only\n  context: { cluster: c }\n');
    expect(await loadKubeconfig(p)).toEqual({ server: 'http://127.0.0.1:8080' });
  });

  const cluster = '    server: https://h:6443';
  it.each([
    { name: 'missing file', text: undefined, error: /kubeconfig .*missing-file: cannot read/ },
    { name: 'invalid YAML', text: 'clusters: [\n', error: /invalid YAML/ },
    { name: 'top level not a mapping', text: '- a\n- b\n', error: /expected a YAML mapping/ },
    { name: 'no current-context with two contexts', text: twoContexts('    token: t', cluster).replace('current-context: admin@lab', ''), error: /current-context is not set/ },
    { name: 'current-context naming no context', text: twoContexts('    token: t', cluster).replace('current-context: admin@lab', 'current-context: gone'), error: /context "gone" is not in contexts/ },
    { name: 'cluster without server', text: twoContexts('    token: t', '    insecure-skip-tls-verify: true'), error: /clusters\["lab"\]\.cluster\.server is missing/ },
    { name: 'server that is not a URL', text: twoContexts('    token: t', '    server: 127.0.0.1:6443'), error: /server "127.0.0.1:6443" is not an http\(s\) URL/ },
    { name: 'context naming an unknown user', text: twoContexts('    token: t', cluster).replace('user: admin\n', 'user: ghost\n'), error: /user "ghost" \(from context "admin@lab"\) is not in users/ },
    { name: 'certificate without key', text: twoContexts(`    client-certificate-data: ${b64(CERT)}`, cluster), error: /users\["admin"\]\.user\.client-key\(-data\) is missing/ },
    { name: 'CA data that is not PEM', text: twoContexts('    token: t', `${cluster}\n    certificate-authority-data: ${b64('junk')}`), error: /certificate-authority-data is not base64-encoded PEM/ },
    { name: 'CA file that does not exist', text: twoContexts('    token: t', `${cluster}\n    certificate-authority: nope/ca.crt`), error: /certificate-authority .*nope\/ca\.crt: cannot read/ },
    { name: 'exec credential plugin', text: twoContexts('    exec: { command: gke-gcloud-auth-plugin }', cluster), error: /users\["admin"\]\.user\.exec is not supported/ },
    { name: 'a list entry without a name', text: 'clusters:\n- cluster: { server: "https://h" }\n', error: /clusters\[0\]\.name is missing/ },
  ])('explains $name, naming the file', async ({ text, error }) => {
    const p = text === undefined ? join(dir, 'missing-file') : await write('config', text);
    const err: unknown = await loadKubeconfig(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeconfigError);
    expect((err as Error).message).toMatch(error);
    expect((err as Error).message).toContain(p);
  });
});

describe('inClusterConnection', () => {
  const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };

  it('builds the connection from the service account mount', async () => {
    await write('sa/token', 'sa-token\n');
    await write('sa/ca.crt', CA);
    await write('sa/namespace', 'kube-system');
    expect(await inClusterConnection(env, join(dir, 'sa'))).toEqual({
      server: 'https://10.96.0.1:443',
      token: 'sa-token',
      tokenFile: join(dir, 'sa/token'),
      caPem: CA,
      namespace: 'kube-system',
    });
  });

  it('brackets an IPv6 service host', async () => {
    await write('sa/token', 't');
    const conn = await inClusterConnection({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, join(dir, 'sa'));
    expect(conn?.server).toBe('https://[fd00::1]:443');
  });

  it.each([
    { name: 'the service variables are absent', env: {}, token: true },
    { name: 'only the host is set', env: { KUBERNETES_SERVICE_HOST: '10.96.0.1' }, token: true },
    { name: 'no token is mounted', env, token: false },
  ])('is undefined when $name', async ({ env: e, token }) => {
    if (token) await write('sa/token', 't');
    expect(await inClusterConnection(e, join(dir, 'sa'))).toBeUndefined();
  });
});

describe('connectionFrom', () => {
  const minimal = (server: string): string =>
    `current-context: c\nclusters:\n- name: c\n  cluster: { server: "${server}" }\ncontexts:\n- name: c\n  context: { cluster: c }\n`;

  it('prefers an explicit kubeconfig over in-cluster and $KUBECONFIG', async () => {
    await write('sa/token', 't');
    const explicit = await write('explicit', minimal('https://explicit:6443'));
    const fromEnv = await write('env', minimal('https://env:6443'));
    const conn = await connectionFrom({
      kubeconfig: explicit,
      env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: fromEnv },
      inClusterRoot: join(dir, 'sa'),
    });
    expect(conn.server).toBe('https://explicit:6443');
  });

  it('uses in-cluster before $KUBECONFIG', async () => {
    await write('sa/token', 't');
    const fromEnv = await write('env', minimal('https://env:6443'));
    const conn = await connectionFrom({
      env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: fromEnv },
      inClusterRoot: join(dir, 'sa'),
    });
    expect(conn.server).toBe('https://10.96.0.1:443');
  });

  it('uses $KUBECONFIG (a path list, missing files skipped) when not in a pod', async () => {
    const first = await write('first', minimal('https://first:6443'));
    const conn = await connectionFrom({
      env: { KUBECONFIG: `${join(dir, 'absent-but-listed')}:${first}` },
      inClusterRoot: join(dir, 'sa'),
    });
    expect(conn.server).toBe('https://first:6443');
  });

  it('names $KUBECONFIG when none of its files exists', async () => {
    await expect(connectionFrom({ env: { KUBECONFIG: join(dir, 'nope') }, inClusterRoot: join(dir, 'sa') })).rejects.toThrow(
      /\$KUBECONFIG=.*nope: none of these files exists/,
    );
  });

  it('falls back to ~/.kube/config', async () => {
    await write('home/.kube/config', minimal('https://home:6443'));
    const conn = await connectionFrom({ env: {}, inClusterRoot: join(dir, 'sa'), homeDir: join(dir, 'home') });
    expect(conn.server).toBe('https://home:6443');
  });

  it('says where it looked when nothing is configured', async () => {
    await expect(connectionFrom({ env: {}, inClusterRoot: join(dir, 'sa'), homeDir: join(dir, 'home') })).rejects.toThrow(
      /no API server configured: .*home\/\.kube\/config/,
    );
  });
});

describe('renderKubeconfig', () => {
  it('writes a kubeconfig that loadKubeconfig reads back', async () => {
    const text = renderKubeconfig({
      server: 'https://172.18.0.1:6443',
      caPem: CA,
      token: 'admin-token',
      user: 'admin',
      cluster: 'netkube',
      context: 'admin@netkube',
      namespace: 'default',
    });
    const doc = parseYaml(text) as Record<string, unknown>;
    expect(doc['current-context']).toBe('admin@netkube');
    expect(JSON.stringify(doc['clusters'])).toContain(b64(CA));
    const p = await write('kubeconfig', text);
    expect(await loadKubeconfig(p)).toEqual({
      server: 'https://172.18.0.1:6443',
      caPem: CA,
      token: 'admin-token',
      namespace: 'default',
    });
  });

  it('inlines a client certificate and key when given instead of a token', async () => {
    const text = renderKubeconfig({
      server: 'https://127.0.0.1:6443', caPem: CA, clientCertPem: CERT, clientKeyPem: KEY,
      user: 'admin', cluster: 'c', context: 'ctx',
    });
    const conn = await loadKubeconfig(await write('kubeconfig', text));
    expect(conn).toEqual({ server: 'https://127.0.0.1:6443', caPem: CA, clientCertPem: CERT, clientKeyPem: KEY });
  });
});
