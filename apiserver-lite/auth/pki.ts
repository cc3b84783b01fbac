import { X509Certificate as NodeX509Certificate, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
// Must come before '@peculiar/x509': its tsyringe dependency needs Reflect metadata at load time.
import './reflect-metadata-shim.js';
import * as x509 from '@peculiar/x509';
import { writeFileAtomic } from './atomic-write.js';

// Node's webcrypto implements everything @peculiar/x509 needs. The library is
// typed against the DOM's `Crypto`, which this project (lib without DOM) does
// not declare, hence the cast to the type the provider hands back.
type X509Crypto = ReturnType<typeof x509.cryptoProvider.get>;
x509.cryptoProvider.set(webcrypto as unknown as X509Crypto);

/** What ensurePki hands the server: PEM texts for tls.createServer and the kubeconfig, and where they live. */
export interface PkiFiles {
  caCertPem: string;
  certPem: string;
  keyPem: string;
  caCertPath: string;
  certPath: string;
  keyPath: string;
  /** What this call had to make: a new CA means every kubeconfig handed out before is stale. */
  created: { ca: boolean; servingCert: boolean };
}

export interface PkiOptions {
  /** IP addresses and DNS names the serving certificate must be valid for. */
  hosts: string[];
  /** Injectable clock for tests of expiry; defaults to the wall clock. */
  now?: () => Date;
}

/** The SANs a serving certificate needs, split by kind, deduplicated, in input order. */
export interface SanPlan {
  ips: string[];
  dnsNames: string[];
}

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_DAYS = 3650;
const SERVING_VALIDITY_DAYS = 365;
/** Renew the serving certificate once it has less than this left. */
const RENEW_BEFORE_DAYS = 30;
/** Backdate notBefore so a peer whose clock runs a little behind still accepts a fresh certificate. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

const CA_SUBJECT = 'CN=netkube-ca';
const SERVING_SUBJECT = 'CN=netkube-apiserver';
const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Split hosts into IP and DNS SANs. Unspecified addresses (0.0.0.0, ::) are
 * dropped: a bind address of "all interfaces" is nothing a client dials.
 */
export function planSans(hosts: readonly string[]): SanPlan {
  const ips: string[] = [];
  const dnsNames: string[] = [];
  for (const raw of hosts) {
    const host = raw.trim();
    if (isIP(host) !== 0) {
      if (isUnspecifiedAddress(host)) continue;
      if (!ips.includes(host)) ips.push(host);
      continue;
    }
    const name = host.toLowerCase();
    if (!DNS_NAME.test(name)) {
      throw new Error(`serving certificate host ${JSON.stringify(raw)} is neither an IP address nor a DNS name`);
    }
    if (!dnsNames.includes(name)) dnsNames.push(name);
  }
  return { ips, dnsNames };
}

function isUnspecifiedAddress(ip: string): boolean {
  return ip === '0.0.0.0' || /^[0:]+$/.test(ip);
}

/**
 * Make (first start) or reuse the cluster CA and the API server's serving
 * certificate under `<dataDir>/pki/`. The CA is made once and never replaced
 * behind the user's back (every kubeconfig trusts it); the serving
 * certificate is reissued whenever it no longer fits: SANs missing, expiring
 * within 30 days, not signed by the current CA, or key and certificate apart.
 */
export async function ensurePki(dataDir: string, opts: PkiOptions): Promise<PkiFiles> {
  const now = (opts.now ?? (() => new Date()))();
  const sans = planSans(opts.hosts);
  const dir = join(dataDir, 'pki');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    cert: join(dir, 'apiserver.crt'),
    key: join(dir, 'apiserver.key'),
  };

  let ca = await loadCa(paths.caCert, paths.caKey, now);
  const createdCa = ca === undefined;
  if (ca === undefined) {
    ca = await createCa(now);
    // The key goes first: the certificate's presence is what marks the CA as
    // made, so a crash in between leaves only an orphan key that the next
    // start overwrites.
    await writeFileAtomic(paths.caKey, ca.keyPem, 0o600);
    await writeFileAtomic(paths.caCert, ca.certPem, 0o644);
  }

  let serving = createdCa ? undefined : await loadServingIfFit(paths.cert, paths.key, ca, sans, now);
  const createdServing = serving === undefined;
  if (serving === undefined) {
    serving = await createServingCert(ca, sans, now);
    await writeFileAtomic(paths.key, serving.keyPem, 0o600);
    await writeFileAtomic(paths.cert, serving.certPem, 0o644);
  }

  return {
    caCertPem: ca.certPem,
    certPem: serving.certPem,
    keyPem: serving.keyPem,
    caCertPath: paths.caCert,
    certPath: paths.cert,
    keyPath: paths.key,
    created: { ca: createdCa, servingCert: createdServing },
  };
}

interface LoadedCa {
  certPem: string;
  keyPem: string;
  cert: x509.X509Certificate;
  signingKey: webcrypto.CryptoKey;
}

interface PemPair {
  certPem: string;
  keyPem: string;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The existing CA, or undefined when none was made yet. A CA certificate that
 * exists but cannot be used is an error, not a reason to make a new one: that
 * would silently invalidate every kubeconfig and node credential in the lab.
 */
async function loadCa(certPath: string, keyPath: string, now: Date): Promise<LoadedCa | undefined> {
  const certPem = await readIfExists(certPath);
  if (certPem === undefined) return undefined;
  const fix = `remove ${certPath} and ${keyPath} to make a new CA (clients must then get the new kubeconfig)`;
  const keyPem = await readIfExists(keyPath);
  if (keyPem === undefined) throw new Error(`CA key ${keyPath} is missing but ${certPath} exists; ${fix}`);
  let nodeCert: NodeX509Certificate;
  try {
    nodeCert = new NodeX509Certificate(certPem);
  } catch (err) {
    throw new Error(`CA certificate ${certPath} cannot be parsed (${(err as Error).message}); ${fix}`);
  }
  if (!nodeCert.ca) throw new Error(`CA certificate ${certPath} is not a CA certificate; ${fix}`);
  if (!keyMatches(nodeCert, keyPem)) throw new Error(`CA key ${keyPath} does not belong to ${certPath}; ${fix}`);
  if (new Date(nodeCert.validTo).getTime() <= now.getTime()) {
    throw new Error(`CA certificate ${certPath} expired on ${nodeCert.validTo}; ${fix}`);
  }
  return {
    certPem,
    keyPem,
    cert: new x509.X509Certificate(certPem),
    signingKey: await importSigningKey(keyPem),
  };
}

async function loadServingIfFit(
  certPath: string,
  keyPath: string,
  ca: LoadedCa,
  sans: SanPlan,
  now: Date,
): Promise<PemPair | undefined> {
  const certPem = await readIfExists(certPath);
  const keyPem = await readIfExists(keyPath);
  if (certPem === undefined || keyPem === undefined) return undefined;
  let cert: NodeX509Certificate;
  try {
    cert = new NodeX509Certificate(certPem);
  } catch {
    return undefined;
  }
  return servingCertFits(cert, keyPem, new NodeX509Certificate(ca.certPem), sans, now) ? { certPem, keyPem } : undefined;
}

/** Whether an existing serving certificate can stay: the reuse rule in one place. */
export function servingCertFits(
  cert: NodeX509Certificate,
  keyPem: string,
  ca: NodeX509Certificate,
  sans: SanPlan,
  now: Date,
): boolean {
  if (!keyMatches(cert, keyPem)) return false;
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
  if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return false;
  if (!sans.ips.every((ip) => cert.checkIP(ip) !== undefined)) return false;
  return sans.dnsNames.every((name) => cert.checkHost(name, { subject: 'never', wildcards: false }) !== undefined);
}

function keyMatches(cert: NodeX509Certificate, keyPem: string): boolean {
  try {
    return cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

async function importSigningKey(keyPem: string): Promise<webcrypto.CryptoKey> {
  const der = x509.PemConverter.decodeFirst(keyPem);
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
}

async function generateKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** 128 random bits; @peculiar/x509 adds a leading zero byte when needed so the DER integer stays positive. */
function randomSerial(): string {
  return randomBytes(16).toString('hex');
}

async function createCa(now: Date): Promise<LoadedCa> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: CA_SUBJECT,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      // pathLength 0: this CA signs only leaf certificates.
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey), cert, signingKey: keys.privateKey };
}

async function createServingCert(ca: LoadedCa, sans: SanPlan, now: Date): Promise<PemPair> {
  const keys = await generateKeys();
  const notAfter = Math.min(now.getTime() + SERVING_VALIDITY_DAYS * DAY_MS, ca.cert.notAfter.getTime());
  const names: x509.JsonGeneralName[] = [
    ...sans.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...sans.ips.map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: SERVING_SUBJECT,
    issuer: ca.cert.subject,
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      // keyEncipherment is meaningless for an EC key but harmless, and some
      // strict verifiers of RSA-era habits look for it.
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}
