/**
 * TLS fingerprints beyond JA3: JA3S (the ServerHello: legacy version, cipher, extensions, as
 * salesforce/ja3 and Wireshark's tls.handshake.ja3s_full define it) and JA4 (FoxIO's JA4 for the
 * ClientHello, technical_details/JA4.md): `a_b_c` where
 *   a = transport (t TCP, q QUIC, d DTLS) + version (highest non-GREASE supported_versions, else
 *       the hello's version: 13 12 11 10 s3 s2 d1 d2 d3, else 00) + d/i (SNI present or not) +
 *       cipher count + extension count (non-GREASE, two digits, at most 99) + the first and last
 *       characters of the first ALPN value (its hex form's when either is not alphanumeric;
 *       00 without ALPN);
 *   b = sha256 of the sorted non-GREASE cipher list (4-digit hex, comma-separated), 12 hex digits;
 *   c = sha256 of the sorted extension list without GREASE, SNI (0000) and ALPN (0010), then `_`
 *       and the signature algorithms in the order sent (the `_` only when there are some);
 *   b and c are 000000000000 when their list is empty. Environment-free (sha256 is injected).
 */
import type { ClientHello, ServerHello } from './tls-handshake.js';

const GREASE = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
const hex4 = (v: number): string => v.toString(16).padStart(4, '0');

/** JA3S string: version,cipher,extensions (decimal, extensions dash-separated, GREASE removed). */
export function ja3sString(s: ServerHello): string {
  return `${s.legacyVersion},${s.cipher},${s.extensions.filter((v) => !GREASE(v)).join('-')}`;
}

const JA4_VERSIONS: Record<number, string> = { 0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10', 0x0300: 's3', 0x0002: 's2', 0xfeff: 'd1', 0xfefd: 'd2', 0xfefc: 'd3' };

export interface Ja4 {
  ja4: string;
  /** The unhashed form (ja4_r): a_sortedciphers_sortedextensions_sigalgs. */
  raw: string;
}

export function ja4(h: ClientHello, sha256Hex: (text: string) => string, transport: 't' | 'q' | 'd' = 't'): Ja4 {
  const versions = h.supportedVersions.filter((v) => !GREASE(v));
  const v = versions.length ? Math.max(...versions) : h.version;
  const ciphers = h.ciphers.filter((c) => !GREASE(c));
  const exts = h.extensions.filter((e) => !GREASE(e));
  const two = (n: number): string => String(Math.min(n, 99)).padStart(2, '0');
  const a = `${transport}${JA4_VERSIONS[v] ?? '00'}${h.extensions.includes(0) ? 'd' : 'i'}${two(ciphers.length)}${two(exts.length)}${alpnChars(h.alpn[0])}`;
  const cipherList = ciphers.map(hex4).sort().join(',');
  const extList = exts.filter((e) => e !== 0x0000 && e !== 0x0010).map(hex4).sort().join(',');
  const sig = h.sigAlgs.filter((s) => !GREASE(s)).map(hex4).join(',');
  const cText = sig ? `${extList}_${sig}` : extList;
  const hash = (t: string, empty: boolean): string => (empty ? '000000000000' : sha256Hex(t).slice(0, 12));
  return { ja4: `${a}_${hash(cipherList, !ciphers.length)}_${hash(cText, !extList && !sig)}`, raw: `${a}_${cipherList}_${cText}` };
}

function alnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function alpnChars(alpn: string | undefined): string {
  if (!alpn) return '00';
  const first = alpn.charCodeAt(0);
  const last = alpn.charCodeAt(alpn.length - 1);
  if (alnum(first) && alnum(last)) return alpn[0] + alpn[alpn.length - 1];
  let hex = '';
  for (let i = 0; i < alpn.length; i++) hex += (alpn.charCodeAt(i) & 0xff).toString(16).padStart(2, '0');
  return hex[0] + hex[hex.length - 1];
}
