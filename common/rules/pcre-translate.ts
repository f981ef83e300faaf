/**
 * Translates a rule's `pcre:"/…/flags"` to a JS RegExp where the meaning is the same, and refuses
 * (with the reason) where it is not: PCRE-only syntax (possessive quantifiers, atomic groups,
 * inline flags, \Q…\E, recursion, conditionals, \K…) and patterns whose backtracking cannot be
 * bounded (a quantified group that itself contains an unbounded quantifier, e.g. `(a+)+`, and
 * backreferences). Subjects are Latin-1 strings of the buffer's bytes, so `.` and classes see
 * bytes. Environment-free.
 */
import type { BufferName } from './rule-types.js';

export interface PcreTranslation {
  re: RegExp;
  negated: boolean;
  relative: boolean;
  /** A buffer named by a Snort modifier flag (U, H, P, C, M, I, D, S, Y), else null. */
  buffer: BufferName | null;
}

const MAX_PATTERN = 4096;

const BUFFER_FLAGS: Record<string, BufferName> = {
  U: 'http.uri',
  I: 'http.uri.raw',
  H: 'http.header',
  D: 'http.header.raw',
  P: 'http.client_body',
  C: 'http.cookie',
  M: 'http.method',
  S: 'http.stat_code',
  Y: 'http.header',
};

export function translatePcre(raw: string): PcreTranslation | { error: string } {
  let s = raw.trim();
  let negated = false;
  if (s.startsWith('!')) {
    negated = true;
    s = s.slice(1).trim();
  }
  if (!s.startsWith('"') || !s.endsWith('"') || s.length < 2) return { error: 'pcre must be a quoted string' };
  s = s.slice(1, -1).replace(/\\([";])/g, '$1');
  let body: string;
  let flags: string;
  if (s.startsWith('/')) {
    const end = s.lastIndexOf('/');
    if (end <= 0) return { error: 'pcre is missing its closing /' };
    body = s.slice(1, end);
    flags = s.slice(end + 1);
  } else if (s.startsWith('m') && s.length > 2) {
    const d = s[1];
    const end = s.lastIndexOf(d);
    if (end <= 1) return { error: 'pcre is missing its closing delimiter' };
    body = s.slice(2, end);
    flags = s.slice(end + 1);
  } else return { error: 'pcre must look like "/pattern/flags"' };
  if (body.length > MAX_PATTERN) return { error: `pcre longer than ${MAX_PATTERN} characters` };
  let js = '';
  let relative = false;
  let anchored = false;
  let extended = false;
  let buffer: BufferName | null = null;
  for (const f of flags) {
    if (f === 'i' || f === 's' || f === 'm') {
      if (!js.includes(f)) js += f;
    } else if (f === 'x') extended = true;
    else if (f === 'R') relative = true;
    else if (f === 'A') anchored = true;
    else if (f === 'B' || f === 'O' || f === 'E' || f === 'G') {
      // B rawbytes, O override match limits: no-ops here; E: JS `$` already means end only;
      // G: ungreedy (handled below by refusing, since it inverts every quantifier)
      if (f === 'G') return { error: 'pcre flag G (ungreedy) is not supported' };
    } else if (BUFFER_FLAGS[f]) buffer = BUFFER_FLAGS[f];
    else return { error: `pcre flag "${f}" is not supported` };
  }
  if (extended) body = stripExtended(body);
  const checked = checkSyntax(body);
  if (checked.error) return { error: checked.error };
  let pattern = checked.pattern;
  if (anchored) pattern = `^(?:${pattern})`;
  let re: RegExp;
  try {
    re = new RegExp(pattern, `${js}g`);
  } catch (e) {
    return { error: `pcre is not a valid pattern: ${(e as Error).message}` };
  }
  return { re, negated, relative, buffer };
}

/** Removes whitespace and #-comments outside character classes (the x flag). */
function stripExtended(p: string): string {
  let out = '';
  let cls = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      out += c + (p[i + 1] ?? '');
      i++;
    } else if (cls) {
      if (c === ']') cls = false;
      out += c;
    } else if (c === '[') {
      cls = true;
      out += c;
    } else if (c === '#') {
      while (i < p.length && p[i] !== '\n') i++;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

/**
 * Walks the pattern once: rewrites \A, \z, \Z, \h; refuses PCRE-only constructs; tracks per
 * group whether it holds an unbounded quantifier to refuse nested ones.
 */
function checkSyntax(p: string): { pattern: string; error?: string } {
  let out = '';
  // per open group: does it contain an unbounded quantifier?
  const stack: boolean[] = [];
  let lastAtomUnbounded = false; // the atom just closed was a group containing an unbounded quantifier
  let cls = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) return { pattern: '', error: 'pcre ends with a backslash' };
      i++;
      if (cls) {
        out += c + n;
        continue;
      }
      lastAtomUnbounded = false;
      if (n === 'A') out += '^';
      else if (n === 'z') out += '$(?![\\s\\S])';
      else if (n === 'Z') out += '(?=\\n?$(?![\\s\\S]))';
      else if (n === 'h') out += '[ \\t]';
      else if (n === 'Q' || n === 'E' || n === 'K' || n === 'G' || n === 'R' || n === 'X' || n === 'C' || n === 'g' || n === 'k' || n === 'p' || n === 'P')
        return { pattern: '', error: `pcre escape \\${n} has no JavaScript equivalent` };
      else if (n >= '1' && n <= '9') return { pattern: '', error: 'pcre backreferences are refused (unbounded backtracking)' };
      else out += c + n;
      continue;
    }
    if (cls) {
      if (c === ']') cls = false;
      out += c;
      continue;
    }
    if (c === '[') {
      cls = true;
      out += c;
      if (p[i + 1] === '^') out += p[++i];
      if (p[i + 1] === ']') out += p[++i];
      if (p.startsWith('[:', i + 1)) return { pattern: '', error: 'POSIX classes ([:alpha:]) are not supported in JavaScript' };
      lastAtomUnbounded = false;
      continue;
    }
    if (c === '(') {
      if (p[i + 1] === '?') {
        const n = p[i + 2];
        if (n !== ':' && n !== '=' && n !== '!' && !(n === '<' && (p[i + 3] === '=' || p[i + 3] === '!')))
          return { pattern: '', error: `pcre group "(?${n ?? ''}" (atomic, named, inline flags, conditional or recursion) is not supported` };
      }
      stack.push(false);
      out += c;
      lastAtomUnbounded = false;
      continue;
    }
    if (c === ')') {
      if (!stack.length) return { pattern: '', error: 'unbalanced ")" in pcre' };
      const inner = stack.pop() as boolean;
      lastAtomUnbounded = inner;
      if (inner && stack.length) stack[stack.length - 1] = true;
      out += c;
      continue;
    }
    if (c === '*' || c === '+' || c === '?' || c === '{') {
      let unbounded = c === '*' || c === '+';
      let q = c;
      if (c === '{') {
        const m = /^\{(\d*)(,?)(\d*)\}/.exec(p.slice(i));
        if (!m) {
          out += '\\{';
          continue;
        }
        q = m[0];
        unbounded = m[2] === ',' && m[3] === '';
        if ((m[1] && Number(m[1]) > 1000) || (m[3] && Number(m[3]) > 1000)) return { pattern: '', error: 'pcre repeat count above 1000' };
        i += m[0].length - 1;
      }
      if (p[i + 1] === '+') return { pattern: '', error: 'possessive quantifiers are not supported in JavaScript' };
      if (lastAtomUnbounded && (unbounded || c === '{')) return { pattern: '', error: 'nested quantifier (e.g. (a+)+) refused: backtracking could not be bounded' };
      if (unbounded && stack.length) stack[stack.length - 1] = true;
      out += q;
      if (p[i + 1] === '?') out += p[++i];
      lastAtomUnbounded = false;
      continue;
    }
    lastAtomUnbounded = false;
    out += c;
  }
  if (stack.length) return { pattern: '', error: 'unbalanced "(" in pcre' };
  return { pattern: out };
}
