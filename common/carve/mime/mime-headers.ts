/**
 * RFC 5322/2045 header blocks read from raw message bytes: where the header block ends, the
 * unfolded fields, Content-Type/Content-Disposition parameters (with RFC 2231 continuations and
 * charsets) and RFC 2047 encoded words. Lenient like mail readers are (a hostile message gets a
 * best-effort reading, never an exception). Environment-free.
 */
import { base64Decode } from '../../packet/base64.js';
import { latin1, reinterpretUtf8 } from '../text.js';

export interface HeaderField {
  /** Lowercase name. */
  name: string;
  /** Unfolded raw value (ISO-8859-1 reading of the octets), trimmed. */
  value: string;
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** Offset of the first body byte (after the empty line), or the end when there is none. */
  bodyStart: number;
  /** False when the block never ended with an empty line (a truncated message). */
  complete: boolean;
}

/** At most this many fields per block are kept (a hostile message may send millions). */
export const MAX_FIELDS = 1000;
const MAX_VALUE = 64 * 1024;

const NAME_CHAR = /^[\x21-\x39\x3b-\x7e]+$/;

/** End of the line starting at `at` (index of its LF, or of a lone CR/end): [lineEnd, nextLineStart]. */
export function lineBounds(data: Uint8Array, at: number, end: number): [number, number] {
  const lf = data.indexOf(0x0a, at);
  if (lf === -1 || lf >= end) return [end, end];
  return [lf > at && data[lf - 1] === 0x0d ? lf - 1 : lf, lf + 1];
}

/**
 * Reads the header block at data[start..end). Like Python's email parser, a first line that is not
 * a header field (and not a continuation) starts the body.
 */
export function readHeaderBlock(data: Uint8Array, start = 0, end = data.length): HeaderBlock {
  const fields: HeaderField[] = [];
  let at = start;
  let current: HeaderField | null = null;
  while (at < end) {
    const [lineEnd, next] = lineBounds(data, at, end);
    if (lineEnd === at) return done(fields, next, true);
    const first = data[at];
    if ((first === 0x20 || first === 0x09) && current) {
      if (current.value.length < MAX_VALUE) current.value += latin1(data, at, Math.min(lineEnd, at + MAX_VALUE));
      at = next;
      continue;
    }
    const colon = data.indexOf(0x3a, at);
    const name = colon !== -1 && colon < lineEnd ? latin1(data, at, colon).trimEnd() : '';
    if (!name || !NAME_CHAR.test(name)) {
      // not a field: the body starts here (a missing empty line)
      return done(fields, at, true);
    }
    current = { name: name.toLowerCase(), value: latin1(data, colon + 1, Math.min(lineEnd, colon + 1 + MAX_VALUE)) };
    if (fields.length < MAX_FIELDS) fields.push(current);
    at = next;
  }
  return done(fields, end, false);
}

function done(fields: HeaderField[], bodyStart: number, complete: boolean): HeaderBlock {
  for (const f of fields) f.value = f.value.trim();
  return { fields, bodyStart, complete };
}

export function field(fields: readonly HeaderField[], name: string): string | null {
  for (const f of fields) if (f.name === name) return f.value.trim();
  return null;
}

export function fieldsNamed(fields: readonly HeaderField[], name: string): string[] {
  return fields.filter((f) => f.name === name).map((f) => f.value.trim());
}

export interface ParameterizedValue {
  /** Lowercase value before the parameters (e.g. "multipart/mixed"), '' when absent. */
  value: string;
  /** Lowercase parameter names → decoded values. */
  params: Map<string, string>;
}

/** `type/subtype; a=b; c="d; e"; f*=utf-8''%E2%82%AC; g*0=..; g*1=..` */
export function parseParameterized(raw: string): ParameterizedValue {
  const params = new Map<string, string>();
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (quoted) {
      if (c === '\\' && i + 1 < raw.length) cur += raw[++i];
      else if (c === '"') quoted = false;
      else cur += c;
      continue;
    }
    if (c === '"') {
      quoted = true;
      // a marker keeps a quoted value from being read as an extended one
      cur += '\u0000';
    } else if (c === ';') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  const value = (parts[0] ?? '').replace(/\u0000/g, '').trim().toLowerCase();
  const continued = new Map<string, { n: number; v: string; ext: boolean }[]>();
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const v = p.slice(eq + 1).trim();
    const m = /^([^*]+)\*(\d+)?(\*)?$/.exec(name);
    if (m) {
      const list = continued.get(m[1]) ?? [];
      list.push({ n: m[2] === undefined ? 0 : Number(m[2]), v: v.replace(/\u0000/g, ''), ext: m[3] === '*' || (m[2] === undefined && !v.startsWith('\u0000')) });
      continued.set(m[1], list);
    } else if (!params.has(name)) {
      params.set(name, v.replace(/\u0000/g, ''));
    }
  }
  for (const [name, list] of continued) {
    list.sort((a, b) => a.n - b.n);
    let charset = '';
    let bytes = '';
    for (const [i, piece] of list.entries()) {
      let v = piece.v;
      if (piece.ext) {
        if (i === 0) {
          const q = /^([^']*)'[^']*'(.*)$/.exec(v);
          if (q) {
            charset = q[1].toLowerCase();
            v = q[2];
          }
        }
        v = v.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
      }
      bytes += v;
    }
    // an RFC 2231 value wins over a plain one of the same name
    params.set(name, decodeCharset(bytes, charset));
  }
  return { value, params };
}

/** Octets held as ISO-8859-1 chars decoded with a MIME charset (UTF-8 when unknown and valid). */
export function decodeCharset(octets: string, charset: string): string {
  const cs = charset.toLowerCase();
  if (cs === 'iso-8859-1' || cs === 'latin1' || cs === 'us-ascii' || cs === 'ascii') return octets;
  if (cs === '' || cs === 'utf-8' || cs === 'utf8') return reinterpretUtf8(octets);
  try {
    const b = new Uint8Array(octets.length);
    for (let i = 0; i < octets.length; i++) b[i] = octets.charCodeAt(i) & 0xff;
    return new TextDecoder(cs).decode(b);
  } catch {
    return reinterpretUtf8(octets);
  }
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/** RFC 2047 encoded words decoded (adjacent words joined without the whitespace between them). */
export function decodeEncodedWords(s: string): string {
  if (!s.includes('=?')) return reinterpretUtf8(s);
  const joined = s.replace(/(\?=)\s+(=\?)/g, '$1$2');
  return joined.replace(ENCODED_WORD, (_w, charset: string, enc: string, text: string) => {
    const cs = charset.split('*')[0];
    let octets: string;
    if (enc === 'b' || enc === 'B') {
      octets = latin1(decodeBase64(asciiOf(text)));
    } else {
      octets = text.replace(/_/g, ' ').replace(/=([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
    return decodeCharset(octets, cs);
  });
}

function asciiOf(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** Lenient base64 as mail readers decode it (common/packet/base64.ts). */
export const decodeBase64 = base64Decode;

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Quoted-printable body decoding with the rules of CPython's binascii.a2b_qp (what Python's email
 * package and so the corpus oracle use): "=" + line break is a soft break, "=XX" a byte, "=="
 * one "=", any other "=" kept literally; line breaks kept as sent.
 */
export function decodeQuotedPrintable(data: Uint8Array, start = 0, end = data.length): Uint8Array {
  const out = new Uint8Array(end - start);
  let n = 0;
  let i = start;
  while (i < end) {
    const c = data[i];
    if (c !== 0x3d) {
      out[n++] = c;
      i++;
      continue;
    }
    i++;
    if (i >= end) break;
    const d = data[i];
    if (d === 0x0a || d === 0x0d) {
      while (i < end && data[i] !== 0x0a) i++;
      if (i < end) i++;
    } else if (d === 0x3d) {
      out[n++] = 0x3d;
      i++;
    } else if (i + 1 < end && hexVal(d) >= 0 && hexVal(data[i + 1]) >= 0) {
      out[n++] = (hexVal(d) << 4) | hexVal(data[i + 1]);
      i += 2;
    } else {
      out[n++] = 0x3d;
    }
  }
  return out.subarray(0, n);
}
