import { X509Certificate as NodeX509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
// Before '@peculiar/x509' (see the shim).
import './reflect-metadata-shim.js';
import * as x509 from '@peculiar/x509';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensurePki, planSans, type PkiFiles } from './pki.js';

// What the API server always asks for (bind/advertise = the lab's 172.18.0.1).
const API_SERVER_HOSTS = [
  '127.0.0.1',
  'localhost',
  '172.18.0.1',
  '10.96.0.1',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

const DAY_MS = 24 * 60 * 60 * 1000;
const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'netkube-pki-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('planSans', () => {
  it.each([
    { name: 'splits IPs from DNS names', hosts: ['127.0.0.1', 'localhost', '::1'], ips: ['127.0.0.1', '::1'], dns: ['localhost'] },
    { name: 'drops duplicates', hosts: ['10.96.0.1', '10.96.0.1', 'kubernetes', 'Kubernetes'], ips: ['10.96.0.1'], dns: ['kubernetes'] },
    { name: 'drops unspecified bind addresses', hosts: ['0.0.0.0', '::', '172.18.0.1'], ips: ['172.18.0.1'], dns: [] },
    { name: 'keeps multi-label service names', hosts: ['kubernetes.default.svc.cluster.local'], ips: [], dns: ['kubernetes.default.svc.cluster.local'] },
  ])('$name', ({ hosts, ips, dns }) => {
    expect(planSans(hosts)).toEqual({ ips, dnsNames: dns });
  });

  it.each(['bad host', '*.example.com', '-leading.dash', ''])('rejects %j as a host', (host) => {
    expect(() => planSans([host])).toThrow(/neither an IP address nor a DNS name/);
  });
});

describe('ensurePki on first start', () => {
  it('writes the CA and serving certificate with private keys readable only by the owner', async () => {
    const pki = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    expect(pki.created).toEqual({ ca: true, servingCert: true });
    expect(pki.caCertPath).toBe(join(dataDir, 'pki', 'ca.crt'));
    expect(pki.certPath).toBe(join(dataDir, 'pki', 'apiserver.crt'));
    expect(pki.keyPath).toBe(join(dataDir, 'pki', 'apiserver.key'));
    expect(await readFile(pki.caCertPath, 'utf8')).toBe(pki.caCertPem);
    expect(await readFile(pki.certPath, 'utf8')).toBe(pki.certPem);
    expect(await readFile(pki.keyPath, 'utf8')).toBe(pki.keyPem);
    for (const key of ['ca.key', 'apiserver.key']) {
      expect((await stat(join(dataDir, 'pki', key))).mode & 0o777).toBe(0o600);
    }
  });

  it('makes a CA that Go clients accept as an issuer: CA:true and keyCertSign, valid ten years', async () => {
    const pki = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    const ca = new x509.X509Certificate(pki.caCertPem);
    expect(ca.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    const usages = ca.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
    expect(usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    const years = (ca.notAfter.getTime() - ca.notBefore.getTime()) / (365 * DAY_MS);
    expect(years).toBeGreaterThan(9.9);
    expect(await ca.isSelfSigned()).toBe(true);
  });

  it('makes a serving certificate Go clients accept: digitalSignature + keyEncipherment, serverAuth, every SAN', async () => {
    const pki = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    const cert = new x509.X509Certificate(pki.certPem);
    expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    const usages = cert.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
    expect(usages & x509.KeyUsageFlags.digitalSignature).toBeTruthy();
    expect(usages & x509.KeyUsageFlags.keyEncipherment).toBeTruthy();
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toContain(OID_SERVER_AUTH);
    const sans = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON() ?? [];
    expect(sans).toEqual(
      expect.arrayContaining([
        { type: 'dns', value: 'kubernetes.default.svc.cluster.local' },
        { type: 'dns', value: 'localhost' },
        { type: 'ip', value: '10.96.0.1' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '172.18.0.1' },
      ]),
    );
    expect(sans).toHaveLength(API_SERVER_HOSTS.length);
    expect(await cert.verify({ publicKey: await new x509.X509Certificate(pki.caCertPem).publicKey.export() })).toBe(true);
    const days = (cert.notAfter.getTime() - Date.now()) / DAY_MS;
    expect(days).toBeGreaterThan(360);
    expect(days).toBeLessThanOrEqual(366);
  });
});

describe('serving certificate over TLS (loopback socket)', () => {
  let server: tls.Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  async function listen(pki: PkiFiles): Promise<number> {
    server = tls.createServer({ cert: pki.certPem, key: pki.keyPem }, (socket) => socket.end());
    // A client that rejects the certificate resets the handshake; that is the expected outcome here.
    server.on('tlsClientError', () => undefined);
    const s = server;
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return (s.address() as AddressInfo).port;
  }

  /** Dial 127.0.0.1 but verify the certificate as if the client had dialled `host` (as in-cluster clients do). */
  function connectAs(port: number, host: string, ca: string): Promise<{ authorized: boolean } | { error: string }> {
    return new Promise((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        ca,
        // SNI carries only DNS names, never IP literals.
        ...(/^[\d.]+$/.test(host) ? {} : { servername: host }),
        checkServerIdentity: (_hostname, cert) => tls.checkServerIdentity(host, cert),
      });
      socket.once('secureConnect', () => {
        resolve({ authorized: socket.authorized });
        socket.destroy();
      });
      socket.once('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });
  }

  it('is accepted for every name and address the API server is reached by', async () => {
    const pki = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    const port = await listen(pki);
    for (const host of API_SERVER_HOSTS) {
      expect({ host, result: await connectAs(port, host, pki.caCertPem) }).toEqual({ host, result: { authorized: true } });
    }
  });

  it.each([
    { name: 'a name not in the SANs', host: 'kubernetes.default.svc.cluster.example', error: 'ERR_TLS_CERT_ALTNAME_INVALID' },
    { name: 'an address not in the SANs', host: '10.96.0.2', error: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  ])('is rejected for $name', async ({ host, error }) => {
    const pki = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    const port = await listen(pki);
    expect(await connectAs(port, host, pki.caCertPem)).toEqual({ error });
  });

  it('is rejected by a client that trusts a different CA', async () => {
    const pki = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    const otherDir = await mkdtemp(join(tmpdir(), 'netkube-pki-other-'));
    try {
      const other = await ensurePki(otherDir, { hosts: API_SERVER_HOSTS });
      const port = await listen(pki);
      expect(await connectAs(port, 'kubernetes.default.svc', other.caCertPem)).toMatchObject({ error: expect.stringMatching(/SIGNATURE|UNABLE_TO_VERIFY/) });
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});

describe('ensurePki on later starts', () => {
  it('reuses the CA and the serving certificate when they still fit', async () => {
    const first = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    const second = await ensurePki(dataDir, { hosts: [...API_SERVER_HOSTS].reverse() });
    expect(second.created).toEqual({ ca: false, servingCert: false });
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.certPem).toBe(first.certPem);
    expect(second.keyPem).toBe(first.keyPem);
  });

  it('reissues the serving certificate, under the same CA, when a host is not covered', async () => {
    const first = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    const second = await ensurePki(dataDir, { hosts: [...API_SERVER_HOSTS, '172.18.0.99'] });
    expect(second.created).toEqual({ ca: false, servingCert: true });
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(new NodeX509Certificate(second.certPem).checkIP('172.18.0.99')).toBe('172.18.0.99');
    expect(new NodeX509Certificate(second.certPem).checkIssued(new NodeX509Certificate(first.caCertPem))).toBe(true);
  });

  it.each([
    { name: 'keeps it with 31 days left', daysLater: 365 - 31, reissued: false },
    { name: 'reissues it with 29 days left', daysLater: 365 - 29, reissued: true },
  ])('$name before expiry', async ({ daysLater, reissued }) => {
    const start = new Date();
    await ensurePki(dataDir, { hosts: API_SERVER_HOSTS, now: () => start });
    const later = new Date(start.getTime() + daysLater * DAY_MS);
    const again = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS, now: () => later });
    expect(again.created).toEqual({ ca: false, servingCert: reissued });
  });

  it('reissues the serving certificate when its key file does not belong to it', async () => {
    const first = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    const otherDir = await mkdtemp(join(tmpdir(), 'netkube-pki-other-'));
    try {
      const other = await ensurePki(otherDir, { hosts: API_SERVER_HOSTS });
      await writeFile(first.keyPath, other.keyPem);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
    const second = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    expect(second.created).toEqual({ ca: false, servingCert: true });
    expect(new NodeX509Certificate(second.certPem).checkPrivateKey(createPrivateKey(second.keyPem))).toBe(true);
  });

  it('makes a new CA when only an orphan CA key was left behind', async () => {
    const first = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    await unlink(first.caCertPath);
    const second = await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    expect(second.created).toEqual({ ca: true, servingCert: true });
    expect(second.caCertPem).not.toBe(first.caCertPem);
  });

  it.each([
    { name: 'its key is missing', damage: (dir: string) => unlink(join(dir, 'pki', 'ca.key')), error: /CA key .*ca\.key is missing/ },
    { name: 'its certificate is garbage', damage: (dir: string) => writeFile(join(dir, 'pki', 'ca.crt'), 'not a certificate'), error: /CA certificate .*ca\.crt cannot be parsed/ },
  ])('refuses to replace an existing CA silently when $name', async ({ damage, error }) => {
    await ensurePki(dataDir, { hosts: API_SERVER_HOSTS });
    await damage(dataDir);
    await expect(ensurePki(dataDir, { hosts: API_SERVER_HOSTS })).rejects.toThrow(error);
  });
});
