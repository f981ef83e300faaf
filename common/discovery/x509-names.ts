/**
 * Subject and issuer of a DER X.509 certificate, rendered as RFC 4514 strings (most specific
 * RDN first, like Zeek's x509.log and openssl -nameopt RFC2253). Only the DER walk needed for the
 * two names; never throws (null when the structure is not what a certificate looks like).
 * Environment-free.
 */

interface Tlv {
  tag: number;
  start: number;
  end: number;
}

function tlv(b: Uint8Array, p: number, limit: number): Tlv | null {
  if (p + 2 > limit) return null;
  const tag = b[p];
  let len = b[p + 1];
  let q = p + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || q + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | b[q + i];
    q += n;
  }
  if (q + len > limit) return null;
  return { tag, start: q, end: q + len };
}

const ATTR: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.5': 'serialNumber', '1.2.840.113549.1.9.1': 'emailAddress', '0.9.2342.19200300.100.1.25': 'DC', '2.5.4.9': 'street', '2.5.4.17': 'postalCode' };

function oid(b: Uint8Array, s: number, e: number): string {
  if (s >= e) return '';
  const parts = [Math.floor(b[s] / 40), b[s] % 40];
  let v = 0;
  for (let i = s + 1; i < e; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

function text(b: Uint8Array, t: Tlv): string {
  const bytes = b.subarray(t.start, t.end);
  if (t.tag === 0x0c) return new TextDecoder().decode(bytes);
  if (t.tag === 0x1e) {
    let s = '';
    for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
    return s;
  }
  return String.fromCharCode(...bytes);
}

function escape(v: string): string {
  return v.replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

function name(b: Uint8Array, n: Tlv): string | null {
  const rdns: string[] = [];
  for (let p = n.start; p < n.end; ) {
    const set = tlv(b, p, n.end);
    if (!set || set.tag !== 0x31) return null;
    const parts: string[] = [];
    for (let q = set.start; q < set.end; ) {
      const seq = tlv(b, q, set.end);
      if (!seq || seq.tag !== 0x30) return null;
      const o = tlv(b, seq.start, seq.end);
      if (!o || o.tag !== 0x06) return null;
      const v = tlv(b, o.end, seq.end);
      if (!v) return null;
      const id = oid(b, o.start, o.end);
      parts.push(`${ATTR[id] ?? id}=${escape(text(b, v))}`);
      q = seq.end;
    }
    rdns.push(parts.join('+'));
    p = set.end;
  }
  return rdns.reverse().join(',');
}

export function certificateNames(der: Uint8Array): { subject: string; issuer: string } | null {
  const cert = tlv(der, 0, der.length);
  if (!cert || cert.tag !== 0x30) return null;
  const tbs = tlv(der, cert.start, cert.end);
  if (!tbs || tbs.tag !== 0x30) return null;
  let p = tbs.start;
  let f = tlv(der, p, tbs.end);
  if (f && f.tag === 0xa0) {
    p = f.end; // explicit version
    f = tlv(der, p, tbs.end);
  }
  const fields: Tlv[] = [];
  while (f && fields.length < 5) {
    fields.push(f);
    f = tlv(der, f.end, tbs.end);
  }
  // serial, signature, issuer, validity, subject
  if (fields.length < 5 || fields[2].tag !== 0x30 || fields[4].tag !== 0x30) return null;
  const issuer = name(der, fields[2]);
  const subject = name(der, fields[4]);
  return issuer !== null && subject !== null ? { subject, issuer } : null;
}
