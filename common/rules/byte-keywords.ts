/**
 * byte_test, byte_jump, byte_extract, isdataat and base64_decode: their parsing (never throws:
 * returns a reason) and their evaluation on a buffer at the detection cursor, following
 * Suricata 7's documented semantics (detect-bytetest.c, detect-bytejump.c,
 * detect-byte-extract.c, detect-isdataat.c, detect-base64-decode.c). Values are BigInt because
 * 8-byte fields exceed a double's integers. Environment-free.
 */
import type { Base64DecodeMatch, ByteExtractMatch, ByteJumpMatch, ByteTestMatch, IsDataAtMatch, NumRef } from './rule-types.js';

export type ParseResult<T> = T | { error: string };

/** Variables set by byte_extract while one rule is evaluated. */
export type ByteVars = Map<string, bigint>;

const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;
const MAX_STRING_BYTES = 23;
const MAX_BINARY_BYTES = 8;

function args(v: string | null): string[] {
  return (v ?? '').split(',').map((s) => s.trim());
}

function intIn(s: string, min: number, max: number): number | null {
  if (!/^[+-]?\d{1,10}$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

/** A number (decimal or 0x hex) or a byte_extract variable name. */
function numRef(s: string, min: number, max: number, allowVar: boolean): NumRef | null {
  if (allowVar && VAR_NAME.test(s) && !/^0x/i.test(s)) return { var: s };
  if (/^0x[0-9a-f]{1,16}$/i.test(s)) {
    const n = Number(BigInt(s));
    return n >= min && n <= max ? n : null;
  }
  return intIn(s, min, max);
}

function bigValue(s: string): bigint | null {
  if (/^0x[0-9a-f]{1,16}$/i.test(s)) return BigInt(s);
  if (/^\d{1,20}$/.test(s)) {
    const v = BigInt(s);
    return v <= 0xffffffffffffffffn ? v : null;
  }
  return null;
}

interface CommonFlags {
  relative: boolean;
  little: boolean;
  string: 'hex' | 'dec' | 'oct' | 'auto' | null;
  bitmask: bigint | null;
}

/** Flags shared by the byte keywords; returns the unknown ones for the caller to handle. */
function commonFlags(rest: string[], kw: string, defaultBase: 'dec' | 'auto' = 'dec'): ParseResult<{ flags: CommonFlags; other: string[] }> {
  const flags: CommonFlags = { relative: false, little: false, string: null, bitmask: null };
  let isString = false;
  let base: 'hex' | 'dec' | 'oct' | null = null;
  const other: string[] = [];
  for (const a of rest) {
    const l = a.toLowerCase();
    if (l === 'relative') flags.relative = true;
    else if (l === 'big') flags.little = false;
    else if (l === 'little') flags.little = true;
    else if (l === 'string') isString = true;
    else if (l === 'hex' || l === 'dec' || l === 'oct') base = l;
    else if (l === 'dce' || l === 'endian dce') return { error: `${kw} dce: the DCE/RPC byte order needs DCE/RPC parsing (not supported)` };
    else if (l === 'endian big') flags.little = false;
    else if (l === 'endian little') flags.little = true;
    else if (/^string\s+(hex|dec|oct)$/.test(l)) {
      isString = true;
      base = l.split(/\s+/)[1] as 'hex' | 'dec' | 'oct';
    } else if (l.startsWith('bitmask')) {
      const m = /^bitmask\s+(0x[0-9a-f]{1,16}|\d{1,20})$/i.exec(a);
      const v = m ? bigValue(m[1]) : null;
      if (v === null || v === 0n) return { error: `${kw} bitmask "${a}" is not a non-zero number` };
      flags.bitmask = v;
    } else other.push(a);
  }
  if (base && !isString) return { error: `${kw}: a base (hex/dec/oct) needs "string"` };
  if (isString) flags.string = base ?? defaultBase;
  return { flags, other };
}

function nbytesOk(n: NumRef, isString: boolean, kw: string, allowZero: boolean): string | null {
  if (typeof n !== 'number') return null;
  const max = isString ? MAX_STRING_BYTES : MAX_BINARY_BYTES;
  if (n > max || n < (allowZero ? 0 : 1)) return `${kw} cannot convert ${n} bytes${isString ? ' with string' : ' without string'} (1..${max})`;
  return null;
}

export function parseByteTest(v: string | null): ParseResult<Omit<ByteTestMatch, 'buffer'>> {
  const a = args(v);
  if (a.length < 4) return { error: 'byte_test needs bytes, operator, value and offset' };
  const nbytes = numRef(a[0], 0, 64, true);
  if (nbytes === null) return { error: `byte_test bytes "${a[0]}" is invalid` };
  let op = a[1].replace(/\s+/g, '');
  let negated = false;
  if (op.startsWith('!')) {
    negated = true;
    op = op.slice(1) || '=';
  }
  if (!['<', '>', '=', '<=', '>=', '&', '^'].includes(op)) return { error: `byte_test operator "${a[1]}" is not one of < > = <= >= & ^ (optionally with !)` };
  let value: bigint | { var: string } | null;
  if (VAR_NAME.test(a[2]) && !/^0x/i.test(a[2])) value = { var: a[2] };
  else value = bigValue(a[2]);
  if (value === null) return { error: `byte_test value "${a[2]}" is invalid` };
  const offset = numRef(a[3], -65535, 65535, true);
  if (offset === null) return { error: `byte_test offset "${a[3]}" is invalid` };
  // an unset base is strtoull's base 0 (auto-detection), as in byte_jump; byte_extract defaults to dec
  const f = commonFlags(a.slice(4), 'byte_test', 'auto');
  if ('error' in f) return f;
  if (f.other.length) return { error: `byte_test option "${f.other[0]}" is not supported` };
  const bad = nbytesOk(nbytes, f.flags.string !== null, 'byte_test', false);
  if (bad) return { error: bad };
  return { kind: 'byte_test', negated: false, nbytes, op: op as ByteTestMatch['op'], not: negated, value, offset, ...f.flags };
}

export function parseByteJump(v: string | null): ParseResult<Omit<ByteJumpMatch, 'buffer'>> {
  const a = args(v);
  if (a.length < 2) return { error: 'byte_jump needs bytes and offset' };
  const nbytes = numRef(a[0], 0, 64, true);
  if (nbytes === null) return { error: `byte_jump bytes "${a[0]}" is invalid` };
  const offset = numRef(a[1], -65535, 65535, true);
  if (offset === null) return { error: `byte_jump offset "${a[1]}" is invalid` };
  // byte_jump's unset base is strtoull's auto-detection (0x → hex, 0 → octal)
  const f = commonFlags(a.slice(2), 'byte_jump', 'auto');
  if ('error' in f) return f;
  let multiplier = 1;
  let postOffset = 0;
  let align = false;
  let from: 'cursor' | 'beginning' | 'end' = 'cursor';
  let froms = 0;
  for (const o of f.other) {
    const l = o.toLowerCase();
    let m: RegExpExecArray | null;
    if (l === 'align') align = true;
    else if (l === 'from_beginning' || l === 'from_end') {
      from = l === 'from_end' ? 'end' : 'beginning';
      froms++;
    }
    else if ((m = /^multiplier\s+(\d{1,5})$/.exec(l)) && Number(m[1]) >= 1 && Number(m[1]) <= 65535) multiplier = Number(m[1]);
    else if ((m = /^post_offset\s+([+-]?\d{1,5})$/.exec(l)) && Math.abs(Number(m[1])) <= 65535) postOffset = Number(m[1]);
    else return { error: `byte_jump option "${o}" is not supported` };
  }
  if (froms > 1) return { error: 'byte_jump: from_end and from_beginning together' };
  const bad = nbytesOk(nbytes, f.flags.string !== null, 'byte_jump', from !== 'cursor');
  if (bad) return { error: bad };
  return { kind: 'byte_jump', negated: false, nbytes, offset, ...f.flags, multiplier, postOffset, align, from };
}

export function parseByteExtract(v: string | null): ParseResult<Omit<ByteExtractMatch, 'buffer'>> {
  const a = args(v);
  if (a.length < 3) return { error: 'byte_extract needs bytes, offset and a variable name' };
  const nbytes = intIn(a[0], 1, 64);
  if (nbytes === null) return { error: `byte_extract bytes "${a[0]}" is invalid` };
  const offset = intIn(a[1], -65535, 65535);
  if (offset === null) return { error: `byte_extract offset "${a[1]}" is invalid` };
  if (!VAR_NAME.test(a[2])) return { error: `byte_extract variable name "${a[2]}" is invalid` };
  const f = commonFlags(a.slice(3), 'byte_extract');
  if ('error' in f) return f;
  let multiplier = 1;
  let align = 0;
  for (const o of f.other) {
    const l = o.toLowerCase();
    let m: RegExpExecArray | null;
    if ((m = /^multiplier\s+(\d{1,5})$/.exec(l)) && Number(m[1]) >= 1 && Number(m[1]) <= 65535) multiplier = Number(m[1]);
    else if ((m = /^align\s+([24])$/.exec(l))) align = Number(m[1]);
    else return { error: `byte_extract option "${o}" is not supported` };
  }
  if (f.flags.bitmask !== null) return { error: 'byte_extract takes no bitmask' };
  const bad = nbytesOk(nbytes, f.flags.string !== null, 'byte_extract', false);
  if (bad) return { error: bad };
  return { kind: 'byte_extract', negated: false, nbytes, offset, name: a[2], relative: f.flags.relative, little: f.flags.little, string: f.flags.string, multiplier, align };
}

export function parseIsDataAt(v: string | null): ParseResult<Omit<IsDataAtMatch, 'buffer'>> {
  const a = args(v);
  let first = a[0] ?? '';
  let not = false;
  if (first.startsWith('!')) {
    not = true;
    first = first.slice(1).trim();
  }
  const at = numRef(first, 0, 65535, true);
  if (at === null) return { error: `isdataat "${v ?? ''}" needs a non-negative offset` };
  let relative = false;
  for (const o of a.slice(1)) {
    const l = o.toLowerCase();
    if (l === 'relative') relative = true;
    else if (l === 'rawbytes') continue;
    else return { error: `isdataat option "${o}" is not supported` };
  }
  return { kind: 'isdataat', negated: false, not, at, relative };
}

export function parseBase64Decode(v: string | null): ParseResult<Omit<Base64DecodeMatch, 'buffer' | 'then'>> {
  let bytes = 65535;
  let offset = 0;
  let relative = false;
  for (const o of v === null || !v.trim() ? [] : args(v)) {
    const l = o.toLowerCase();
    let m: RegExpExecArray | null;
    if (l === 'relative') relative = true;
    else if ((m = /^bytes\s+(\d{1,5})$/.exec(l)) && Number(m[1]) >= 1 && Number(m[1]) <= 65535) bytes = Number(m[1]);
    else if ((m = /^offset\s+(\d{1,5})$/.exec(l)) && Number(m[1]) <= 65535) offset = Number(m[1]);
    else return { error: `base64_decode option "${o}" is not supported` };
  }
  return { kind: 'base64_decode', negated: false, bytes, offset, relative };
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export function resolve(n: NumRef, vars: ByteVars): number | null {
  if (typeof n === 'number') return n;
  const v = vars.get(n.var);
  if (v === undefined) return null;
  return v > 0x7fffffffn ? 0x7fffffff : Number(v);
}

/**
 * strtoull on at most n characters (ByteExtractStringUint64): leading blanks and a sign are
 * allowed, hex accepts a 0x prefix, 'auto' picks the base from the prefix; stops at the first
 * character outside the base. Returns the value and the characters used, or null without digits.
 */
export function parseStringNumber(b: Uint8Array, at: number, n: number, base: 'hex' | 'dec' | 'oct' | 'auto'): { value: bigint; used: number } | null {
  const end = Math.min(b.length, at + n);
  let i = at;
  while (i < end && (b[i] === 0x20 || (b[i] >= 0x09 && b[i] <= 0x0d))) i++;
  let neg = false;
  if (i < end && (b[i] === 0x2b || b[i] === 0x2d)) {
    neg = b[i] === 0x2d;
    i++;
  }
  let radix = base === 'hex' ? 16 : base === 'oct' ? 8 : 10;
  if ((base === 'hex' || base === 'auto') && i + 1 < end && b[i] === 0x30 && (b[i + 1] | 0x20) === 0x78 && i + 2 < end && digit(b[i + 2], 16) >= 0) {
    radix = 16;
    i += 2;
  } else if (base === 'auto' && i < end && b[i] === 0x30) radix = 8;
  let v = 0n;
  const start = i;
  for (; i < end; i++) {
    const d = digit(b[i], radix);
    if (d < 0) break;
    v = v * BigInt(radix) + BigInt(d);
  }
  if (i === start) return null;
  if (v > 0xffffffffffffffffn) return null; // ERANGE
  return { value: neg ? BigInt.asUintN(64, -v) : v, used: i - at };
}

function digit(c: number, radix: number): number {
  const d = c >= 0x30 && c <= 0x39 ? c - 0x30 : (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a ? (c | 0x20) - 0x61 + 10 : -1;
  return d >= 0 && d < radix ? d : -1;
}

function binary(b: Uint8Array, at: number, n: number, little: boolean): bigint {
  let v = 0n;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(b[little ? at + n - 1 - i : at + i]);
  return v;
}

function applyBitmask(v: bigint, mask: bigint | null): bigint {
  if (mask === null) return v;
  v &= mask;
  let shift = 0n;
  while (((mask >> shift) & 1n) === 0n) shift++;
  return v !== 0n ? v >> shift : v;
}

/** Start of the bytes a keyword reads: offset from the buffer start, or from the cursor. */
function startOf(relative: boolean, cursor: number, offset: number): number {
  return (relative ? cursor : 0) + offset;
}

/** byte_test: true when the comparison holds; the cursor does not move. */
export function evalByteTest(m: ByteTestMatch, b: Uint8Array, cursor: number, vars: ByteVars): boolean {
  if (b.length === 0) return false;
  const n = resolve(m.nbytes, vars);
  const off = resolve(m.offset, vars);
  if (n === null || off === null) return false;
  if (n < 1 || n > (m.string ? MAX_STRING_BYTES : MAX_BINARY_BYTES)) return false;
  const at = startOf(m.relative, cursor, off);
  if (m.relative && b.length - at <= 0) return false;
  if (at < 0 || n > b.length - at) return false;
  let val: bigint;
  if (m.string) {
    const s = parseStringNumber(b, at, n, m.string);
    if (!s) return false;
    val = s.value;
  } else val = binary(b, at, n, m.little);
  val = applyBitmask(val, m.bitmask);
  const want = typeof m.value === 'bigint' ? m.value : vars.get(m.value.var);
  if (want === undefined) return false;
  let ok: boolean;
  switch (m.op) {
    case '<':
      ok = val < want;
      break;
    case '>':
      ok = val > want;
      break;
    case '<=':
      ok = val <= want;
      break;
    case '>=':
      ok = val >= want;
      break;
    case '&':
      ok = (val & want) !== 0n;
      break;
    case '^':
      ok = (val ^ want) !== 0n;
      break;
    default:
      ok = val === want;
  }
  return m.not ? !ok : ok;
}

/** byte_jump: the new cursor, or -1 when the bytes are missing or the jump leaves the buffer. */
export function evalByteJump(m: ByteJumpMatch, b: Uint8Array, cursor: number, vars: ByteVars): number {
  if (b.length === 0) return -1;
  const n = resolve(m.nbytes, vars);
  const off = resolve(m.offset, vars);
  if (n === null || off === null) return -1;
  if (n < 0 || n > (m.string ? MAX_STRING_BYTES : MAX_BINARY_BYTES)) return -1;
  const at = startOf(m.relative, cursor, off);
  const len = b.length - at;
  if (m.relative && n > 0 && len <= 0) return -1;
  if (at < 0 || n > len) return -1;
  let val: bigint;
  let used: number;
  if (m.string) {
    const s = parseStringNumber(b, at, n, m.string);
    if (!s) return -1;
    val = s.value;
    used = s.used;
  } else {
    val = binary(b, at, n, m.little);
    used = n;
  }
  val = applyBitmask(val, m.bitmask);
  val *= BigInt(m.multiplier);
  if (m.align && val % 4n !== 0n) val += 4n - (val % 4n);
  val += BigInt(m.postOffset);
  let to = m.from === 'beginning' ? val : m.from === 'end' ? BigInt(b.length) + val : BigInt(at + used) + val;
  if (to < 0n) to = 0n;
  else if (to > BigInt(b.length)) return -1;
  return Number(to);
}

/** byte_extract: stores the value and returns the cursor after the bytes, or -1. */
export function evalByteExtract(m: ByteExtractMatch, b: Uint8Array, cursor: number, vars: ByteVars): number {
  if (b.length === 0) return -1;
  const at = startOf(m.relative, cursor, m.offset);
  if (at < 0 || m.nbytes > b.length - at) return -1;
  let val: bigint;
  let used: number;
  if (m.string) {
    const s = parseStringNumber(b, at, m.nbytes, m.string);
    if (!s) return -1;
    val = s.value;
    used = s.used;
  } else {
    val = binary(b, at, m.nbytes, m.little);
    used = m.nbytes;
  }
  val *= BigInt(m.multiplier);
  if (m.align && val % BigInt(m.align) !== 0n) val += BigInt(m.align) - (val % BigInt(m.align));
  vars.set(m.name, val);
  return at + used;
}

/** isdataat: absolute = a byte exists at that offset; relative = that many bytes remain after the cursor. */
export function evalIsDataAt(m: IsDataAtMatch, b: Uint8Array, cursor: number, vars: ByteVars): boolean {
  const at = resolve(m.at, vars);
  if (at === null) return false;
  const has = m.relative ? cursor + at <= b.length : at < b.length;
  return m.not ? !has : has;
}

const B64 = new Int16Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((c, i) => (B64[c.charCodeAt(0)] = i));

/**
 * base64_decode (RFC 4648 mode): decodes from the offset (after the cursor when relative) at
 * most `bytes` input bytes, stopping at the first byte outside the alphabet or at padding.
 * A trailing partial group yields the whole bytes it holds. Empty result: no match.
 */
export function evalBase64Decode(m: Base64DecodeMatch, b: Uint8Array, cursor: number): Uint8Array | null {
  let from = m.relative ? cursor : 0;
  if (m.offset) {
    if (m.offset >= b.length - from) return null;
    from += m.offset;
  }
  const end = Math.min(b.length, from + m.bytes);
  const out = new Uint8Array(Math.ceil(((end - from) * 3) / 4) + 3);
  let n = 0;
  let acc = 0;
  let bits = 0;
  for (let i = from; i < end; i++) {
    const d = B64[b[i]];
    if (d < 0) break;
    acc = ((acc << 6) | d) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  return n > 0 ? out.subarray(0, n) : null;
}
