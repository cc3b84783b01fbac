// The agent's HTTPS certificate for :10250, self-signed like the kubelet's
// default (<root-dir>/pki/kubelet.crt): the API server does not verify it,
// as kube-apiserver without --kubelet-certificate-authority does not.
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import '../apiserver-lite/auth/reflect-metadata-shim.js';
import * as x509 from '@peculiar/x509';
import { writeFileAtomic } from '../apiserver-lite/auth/atomic-write.js';

type X509Crypto = ReturnType<typeof x509.cryptoProvider.get>;
x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);

const DAY_MS = 86_400_000;

export async function ensureServingCert(rootDir: string, nodeName: string, hosts: string[]): Promise<{ certPem: string; keyPem: string }> {
  const dir = join(rootDir, 'pki');
  const certPath = join(dir, 'kubelet.crt');
  const keyPath = join(dir, 'kubelet.key');
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const cert = new x509.X509Certificate(certPem);
    if (cert.notAfter.getTime() > Date.now() + 30 * DAY_MS) return { certPem, keyPem };
  } catch {
    // missing or unreadable: make a new one
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const alg = { name: 'ECDSA', namedCurve: 'P-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names: x509.JsonGeneralName[] = [...new Set([nodeName, ...hosts])].map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomBytes(16).toString('hex'),
    name: `CN=${nodeName}@${Math.floor(now / 1000)}`,
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(now + 365 * DAY_MS),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  const certPem = cert.toString('pem');
  await writeFileAtomic(keyPath, keyPem, 0o600);
  await writeFileAtomic(certPath, certPem, 0o644);
  return { certPem, keyPem };
}
