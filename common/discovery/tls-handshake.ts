/**
 * The cleartext start of a TLS session, read from one direction of a reassembled TCP stream:
 * ClientHello (SNI, ALPN, the JA3 fields), ServerHello (version, cipher, group) and, before TLS
 * 1.3, the server's Certificate message (the DER certificates). Records are buffered up to a cap
 * (a handshake message may span records and segments); parsing stops at the first encrypted
 * record or anything not TLS. Never throws. Environment-free.
 */

export interface ClientHello {
  /** legacy_version of the hello (0x0303 for TLS 1.2 and 1.3). */
  version: number;
  sni: string | null;
  alpn: string[];
  ciphers: number[];
  extensions: number[];
  groups: number[];
  pointFormats: number[];
  supportedVersions: number[];
  /** signature_algorithms (extension 13), in the order sent (JA4). */
  sigAlgs: number[];
  /** The whole handshake message (type + length + body): the `tls.sni`-less payload for rules. */
  raw: Uint8Array;
}

export interface ServerHello {
  /** The negotiated version (supported_versions extension, else legacy_version). */
  version: number;
  /** legacy_version as sent (JA3S). */
  legacyVersion: number;
  cipher: number;
  /** Extension types in the order sent (JA3S). */
  extensions: number[];
  /** key_share group (TLS 1.3) — the ServerKeyExchange curve of TLS 1.2 is filled in later. */
  group: number | null;
}

export interface TlsHandlers {
  clientHello?(h: ClientHello): void;
  serverHello?(h: ServerHello): void;
  /** ServerKeyExchange with a named curve (TLS 1.2 ECDHE). */
  curve?(group: number): void;
  certificates?(der: Uint8Array[]): void;
}

const MAX_BUFFER = 256 * 1024;
const GREASE = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);

export class TlsStreamParser {
  private buf: Uint8Array = new Uint8Array(0);
  private hs: Uint8Array = new Uint8Array(0);
  private done = false;
  private seen = 0;

  constructor(private readonly h: TlsHandlers) {}

  get finished(): boolean {
    return this.done;
  }

  push(data: Uint8Array): void {
    if (this.done) return;
    this.seen += data.length;
    this.buf = concat(this.buf, data);
    if (this.buf.length > MAX_BUFFER) return void (this.done = true);
    for (;;) {
      if (this.buf.length < 5) return;
      const type = this.buf[0];
      const ver = (this.buf[1] << 8) | this.buf[2];
      const len = (this.buf[3] << 8) | this.buf[4];
      if (type < 20 || type > 24 || (ver >> 8) !== 3 || len > 18432) return void (this.done = true);
      if (this.buf.length < 5 + len) return;
      const body = this.buf.subarray(5, 5 + len);
      this.buf = this.buf.slice(5 + len);
      if (type === 22) this.handshake(body);
      else if (type === 20 || type === 23) return void (this.done = true); // encrypted from here on
    }
  }

  private handshake(body: Uint8Array): void {
    this.hs = concat(this.hs, body);
    while (this.hs.length >= 4) {
      const t = this.hs[0];
      const len = (this.hs[1] << 16) | (this.hs[2] << 8) | this.hs[3];
      if (len > MAX_BUFFER) return void (this.done = true);
      if (this.hs.length < 4 + len) return;
      const msg = this.hs.slice(0, 4 + len);
      this.hs = this.hs.slice(4 + len);
      const m = msg.subarray(4);
      if (t === 1) {
        const c = parseClientHello(m, msg);
        if (c) this.h.clientHello?.(c);
      } else if (t === 2) {
        const s = parseServerHello(m);
        if (s) this.h.serverHello?.(s);
        if (s && s.version === 0x0304) return void (this.done = true); // the rest is encrypted
      } else if (t === 11) {
        const certs = parseCertificates(m);
        if (certs) this.h.certificates?.(certs);
      } else if (t === 12) {
        // ServerKeyExchange, ECDHE: curve_type 3 (named_curve) + group
        if (m.length >= 3 && m[0] === 3) this.h.curve?.((m[1] << 8) | m[2]);
      } else if (t === 14) return void (this.done = true);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b.slice();
  const o = new Uint8Array(a.length + b.length);
  o.set(a);
  o.set(b, a.length);
  return o;
}

const u16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];

function parseClientHello(m: Uint8Array, raw: Uint8Array): ClientHello | null {
  if (m.length < 38) return null;
  const version = u16(m, 0);
  let p = 34;
  p += 1 + m[p]; // session id
  if (p + 2 > m.length) return null;
  const cl = u16(m, p);
  p += 2;
  if (p + cl > m.length) return null;
  const ciphers: number[] = [];
  for (let i = 0; i + 1 < cl; i += 2) ciphers.push(u16(m, p + i));
  p += cl;
  if (p >= m.length) return null;
  p += 1 + m[p]; // compression methods
  const h: ClientHello = { version, sni: null, alpn: [], ciphers, extensions: [], groups: [], pointFormats: [], supportedVersions: [], sigAlgs: [], raw };
  if (p + 2 > m.length) return h;
  const end = Math.min(m.length, p + 2 + u16(m, p));
  p += 2;
  while (p + 4 <= end) {
    const type = u16(m, p);
    const len = u16(m, p + 2);
    const d = m.subarray(p + 4, Math.min(end, p + 4 + len));
    p += 4 + len;
    h.extensions.push(type);
    if (type === 0 && d.length >= 5 && d[2] === 0) {
      const n = u16(d, 3);
      h.sni = String.fromCharCode(...d.subarray(5, 5 + n));
    } else if (type === 10 && d.length >= 2) {
      for (let i = 2; i + 1 < Math.min(d.length, 2 + u16(d, 0)); i += 2) h.groups.push(u16(d, i));
    } else if (type === 11 && d.length >= 1) {
      for (let i = 1; i < Math.min(d.length, 1 + d[0]); i++) h.pointFormats.push(d[i]);
    } else if (type === 16 && d.length >= 2) {
      for (let i = 2; i < d.length; ) {
        const l = d[i];
        h.alpn.push(String.fromCharCode(...d.subarray(i + 1, i + 1 + l)));
        i += 1 + l;
      }
    } else if (type === 43 && d.length >= 1) {
      for (let i = 1; i + 1 < Math.min(d.length, 1 + d[0]); i += 2) h.supportedVersions.push(u16(d, i));
    } else if (type === 13 && d.length >= 2) {
      for (let i = 2; i + 1 < Math.min(d.length, 2 + u16(d, 0)); i += 2) h.sigAlgs.push(u16(d, i));
    }
  }
  return h;
}

function parseServerHello(m: Uint8Array): ServerHello | null {
  if (m.length < 38) return null;
  const legacyVersion = u16(m, 0);
  let version = legacyVersion;
  let p = 34;
  p += 1 + m[p];
  if (p + 3 > m.length) return null;
  const cipher = u16(m, p);
  p += 3;
  let group: number | null = null;
  const extensions: number[] = [];
  if (p + 2 <= m.length) {
    const end = Math.min(m.length, p + 2 + u16(m, p));
    p += 2;
    while (p + 4 <= end) {
      const type = u16(m, p);
      const len = u16(m, p + 2);
      extensions.push(type);
      if (type === 43 && len === 2) version = u16(m, p + 4);
      if (type === 51 && len >= 2) group = u16(m, p + 4);
      p += 4 + len;
    }
  }
  return { version, legacyVersion, cipher, extensions, group };
}

function parseCertificates(m: Uint8Array): Uint8Array[] | null {
  if (m.length < 3) return null;
  const total = (m[0] << 16) | (m[1] << 8) | m[2];
  const out: Uint8Array[] = [];
  for (let p = 3; p + 3 <= Math.min(m.length, 3 + total) && out.length < 16; ) {
    const l = (m[p] << 16) | (m[p + 1] << 8) | m[p + 2];
    if (p + 3 + l > m.length) break;
    out.push(m.slice(p + 3, p + 3 + l));
    p += 3 + l;
  }
  return out;
}

/** The JA3 string: version,ciphers,extensions,groups,point formats (GREASE values removed). */
export function ja3String(h: ClientHello): string {
  const f = (l: number[]): string => l.filter((v) => !GREASE(v)).join('-');
  return `${h.version},${f(h.ciphers)},${f(h.extensions)},${f(h.groups)},${h.pointFormats.join('-')}`;
}

export const TLS_VERSIONS: Record<number, string> = { 0x0300: 'SSLv3', 0x0301: 'TLSv10', 0x0302: 'TLSv11', 0x0303: 'TLSv12', 0x0304: 'TLSv13' };
export const TLS_GROUPS: Record<number, string> = { 23: 'secp256r1', 24: 'secp384r1', 25: 'secp521r1', 29: 'x25519', 30: 'x448' };
/** Names of common cipher suites (IANA), for display; others render as hex. */
export const TLS_CIPHERS: Record<number, string> = {
  0x0004: 'TLS_RSA_WITH_RC4_128_MD5',
  0x0005: 'TLS_RSA_WITH_RC4_128_SHA',
  0x000a: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA',
  0x002f: 'TLS_RSA_WITH_AES_128_CBC_SHA',
  0x0035: 'TLS_RSA_WITH_AES_256_CBC_SHA',
  0x003c: 'TLS_RSA_WITH_AES_128_CBC_SHA256',
  0x009c: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
  0x009d: 'TLS_RSA_WITH_AES_256_GCM_SHA384',
  0xc009: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  0xc00a: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  0xc011: 'TLS_ECDHE_RSA_WITH_RC4_128_SHA',
  0xc013: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  0xc014: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  0xc027: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  0xc02b: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  0xc02c: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  0xc02f: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  0xc030: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  0xcca8: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  0xcca9: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
};

export function cipherName(c: number): string {
  return TLS_CIPHERS[c] ?? `0x${c.toString(16).padStart(4, '0')}`;
}
