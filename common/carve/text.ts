/** Byte ↔ text helpers for protocol headers (which are octets, not UTF-8). Environment-free. */

/** Header octets as a string, one char per byte (ISO-8859-1), exactly reversible. */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = '';
  // typed arrays are array-like: no intermediate Array; chunks keep the argument count small
  for (let i = start; i < end; i += 4096) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return out;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');

/**
 * A header string read as ISO-8859-1 that really carries UTF-8 (servers and browsers send raw
 * UTF-8 file names): re-decoded when it is valid UTF-8, else returned as it is.
 */
export function reinterpretUtf8(s: string): string {
  if (!/[\x80-\xff]/.test(s) || /[^\x00-\xff]/.test(s)) return s;
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return s;
  }
}

/** Percent-decoding of a URL component into UTF-8 text; malformed escapes stay literal. */
export function percentDecode(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      // a non-ASCII char in the (latin1-read) header: its own byte
      bytes.push(c & 0xff);
    }
  }
  return utf8Lenient.decode(new Uint8Array(bytes));
}

/** Index of `pattern` in `data` at or after `from`, or -1. Patterns are short (≤ a few hundred bytes). */
export function indexOfBytes(data: Uint8Array, pattern: Uint8Array, from = 0): number {
  const first = pattern[0];
  const last = data.length - pattern.length;
  for (let i = data.indexOf(first, from); i !== -1 && i <= last; i = data.indexOf(first, i + 1)) {
    let k = 1;
    while (k < pattern.length && data[i + k] === pattern[k]) k++;
    if (k === pattern.length) return i;
  }
  return -1;
}

export function asciiBytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}
