/**
 * The serve certificate: generated once into STORE/tls/{cert.pem,key.pem} (key mode 0600) and
 * reused on every start, so the fingerprint a client pinned stays valid.
 */
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selfSignedCertificate } from './x509.js';

export interface ServeCertificate {
  cert: string;
  key: string;
  /** SHA-256 of the DER certificate, colon-separated upper-case hex (as openssl prints it). */
  fingerprint: string;
  /** The names the certificate covers (subjectAltName). */
  altNames: string;
  created: boolean;
}

const TEN_YEARS_MS = 3652 * 24 * 3600 * 1000;

export async function ensureCertificate(storeDir: string, listenHost: string, extraHosts: string[] = []): Promise<ServeCertificate> {
  const dir = join(storeDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const existing = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]).catch(() => null);
  if (existing) {
    const [cert, key] = existing;
    let x: X509Certificate;
    try {
      x = new X509Certificate(cert);
      if (!x.checkPrivateKey(createPrivateKey(key))) throw new Error('the key does not belong to the certificate');
    } catch (e) {
      throw new Error(`${dir} holds an unusable certificate or key (${(e as Error).message}); move the folder away to generate a new one (clients must then pin the new fingerprint)`);
    }
    // never regenerate silently: clients pinned this fingerprint
    await chmod(keyPath, 0o600).catch(() => undefined);
    return { cert, key, fingerprint: x.fingerprint256, altNames: x.subjectAltName ?? '', created: false };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const hosts = [listenHost, ...extraHosts, 'localhost', '127.0.0.1', '::1'].filter((h) => h !== '' && h !== '0.0.0.0' && h !== '::');
  const cert = selfSignedCertificate({
    commonName: 'tapline serve',
    hosts,
    // a day of slack for clients whose clock is behind
    notBefore: new Date(now - 24 * 3600 * 1000),
    notAfter: new Date(now + TEN_YEARS_MS),
    privateKey,
  });
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // the key first, created 0600 from the start (never briefly world-readable)
  try {
    await writeFile(keyPath, key, { mode: 0o600, flag: 'wx' });
    await writeFile(certPath, cert, { mode: 0o644, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`${dir} holds only part of a certificate (cert.pem or key.pem is missing); move the folder away to generate a new one`);
    throw e;
  }
  const x = new X509Certificate(cert);
  return { cert, key, fingerprint: x.fingerprint256, altNames: x.subjectAltName ?? '', created: true };
}

// the sensor registry (services) normalizes the fingerprints users type; serve prints the same form
export { normalizeFingerprint } from '../services/remote-client.js';
