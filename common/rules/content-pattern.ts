/**
 * The argument of `content:`: a quoted string with `|hex bytes|` runs and backslash escapes
 * (\" \; \\ \|), optionally preceded by `!` (negation). Environment-free.
 */

export interface ContentArg {
  bytes: Uint8Array;
  negated: boolean;
}

const MAX_CONTENT = 65535;

/** Returns the bytes or a reason the argument is malformed. */
export function parseContentArg(raw: string): ContentArg | { error: string } {
  let s = raw.trim();
  let negated = false;
  if (s.startsWith('!')) {
    negated = true;
    s = s.slice(1).trim();
  }
  if (s.length < 2 || !s.startsWith('"') || !s.endsWith('"')) return { error: 'content must be a quoted string' };
  s = s.slice(1, -1);
  const out: number[] = [];
  let hex = false;
  let nibble = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (hex) {
      if (c === '|') {
        if (nibble >= 0) return { error: 'odd number of hex digits in content' };
        hex = false;
      } else if (c === ' ' || c === '\t') {
        if (nibble >= 0) return { error: 'space inside a hex byte in content' };
      } else {
        const d = parseInt(c, 16);
        if (Number.isNaN(d)) return { error: `invalid hex digit "${c}" in content` };
        if (nibble < 0) nibble = d;
        else {
          out.push((nibble << 4) | d);
          nibble = -1;
        }
      }
      continue;
    }
    if (c === '|') {
      hex = true;
      continue;
    }
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '"' || n === ';' || n === '\\' || n === '|' || n === ':') {
        out.push(n.charCodeAt(0));
        i++;
        continue;
      }
      return { error: `invalid escape "\\${n ?? ''}" in content` };
    }
    if (c === '"') return { error: 'unescaped quote inside content' };
    const code = c.charCodeAt(0);
    if (code > 0xff) {
      // non-Latin-1 text: encode as UTF-8, as rule writers expect
      for (const b of new TextEncoder().encode(c)) out.push(b);
    } else out.push(code);
    if (out.length > MAX_CONTENT) return { error: 'content longer than 65535 bytes' };
  }
  if (hex) return { error: 'unterminated |hex| run in content' };
  if (out.length === 0) return { error: 'empty content' };
  return { bytes: Uint8Array.from(out), negated };
}

export function lowerAscii(b: Uint8Array): Uint8Array {
  const o = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    o[i] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
  }
  return o;
}
