/**
 * A self-signed X.509 v3 certificate for `tapline serve`, DER-encoded by hand: Node can sign but
 * has no API to issue certificates, and the one job here (one ECDSA P-256 leaf with a SAN list)
 * does not justify a dependency that needs a global Reflect polyfill or a JS RSA stack.
 * Node's own X509Certificate parses the result back, and the tests check it with a TLS handshake.
 */
import { createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { parseIp } from '../../common/packet/ip-address.js';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
}

const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c);
const explicit = (n: number, ...c: Buffer[]): Buffer => tlv(0xa0 + n, ...c);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer): Buffer => tlv(0x03, Buffer.from([0]), b);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));

function uint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  // a set high bit would make the integer negative: prefix a zero byte
  return tlv(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(text: string): Buffer {
  const parts = text.split('.').map(Number);
  const out: number[] = [parts[0] * 40 + parts[1]];
  for (const p of parts.slice(2)) {
    const b: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) b.unshift(0x80 | (v & 0x7f));
    out.push(...b);
  }
  return tlv(0x06, Buffer.from(out));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime after. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');
  const y = d.getUTCFullYear();
  return y >= 1950 && y < 2050 ? tlv(0x17, Buffer.from(iso.slice(2), 'ascii')) : tlv(0x18, Buffer.from(iso, 'ascii'));
}

const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));

function generalName(host: string): Buffer {
  const ip = isIP(host) ? parseIp(host) : null;
  // iPAddress [7] and dNSName [2], both IMPLICIT
  return ip ? tlv(0x87, Buffer.from(ip.bytes)) : tlv(0x82, Buffer.from(host, 'ascii'));
}

const ext = (id: string, critical: boolean, value: Buffer): Buffer => (critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value)));

export interface CertificateRequest {
  commonName: string;
  /** DNS names and IP addresses for the subjectAltName extension. */
  hosts: string[];
  notBefore: Date;
  notAfter: Date;
  /** An EC P-256 private key (the certificate is signed with ECDSA-SHA256). */
  privateKey: KeyObject;
}

/** Returns the certificate as PEM. */
export function selfSignedCertificate(r: CertificateRequest): string {
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const spki = createPublicKey(r.privateKey).export({ type: 'spki', format: 'der' });
  const subject = name(r.commonName);
  const tbs = seq(
    explicit(0, uint(Buffer.from([2]))), // v3
    uint(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])), // positive, 16 bytes
    ecdsaSha256,
    subject,
    seq(time(r.notBefore), time(r.notAfter)),
    subject,
    spki,
    explicit(
      3,
      seq(
        ext('2.5.29.19', true, seq()), // basicConstraints: not a CA
        ext('2.5.29.15', true, bits(Buffer.from([0x80]))), // keyUsage: digitalSignature
        ext('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
        ext('2.5.29.17', false, seq(...[...new Set(r.hosts)].map(generalName))), // subjectAltName
      ),
    ),
  );
  const signature = sign('sha256', tbs, { key: r.privateKey, dsaEncoding: 'der' });
  const der = seq(tbs, ecdsaSha256, bits(signature));
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}
