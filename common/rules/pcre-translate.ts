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
  // per open group: does it contain an unbounded quantifier? and where its body starts in `out`
  const stack: boolean[] = [];
  const starts: number[] = [];
  let lastAtomUnbounded = false; // the atom just closed was a group containing an unbounded quantifier
  let lastGroupBody: string | null = null; // body of the group just closed (null: last atom not a group)
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
      lastGroupBody = null;
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
      lastGroupBody = null;
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
      if (p[i + 1] === '?') {
        out += p.slice(i + 1, i + 3);
        i += 2;
        if (out.endsWith('<')) {
          out += p[++i];
        }
      }
      starts.push(out.length);
      lastAtomUnbounded = false;
      lastGroupBody = null;
      continue;
    }
    if (c === ')') {
      if (!stack.length) return { pattern: '', error: 'unbalanced ")" in pcre' };
      const inner = stack.pop() as boolean;
      lastGroupBody = out.slice(starts.pop() as number);
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
      if (unbounded && lastGroupBody !== null && !disjointBranches(lastGroupBody))
        return { pattern: '', error: 'repeated alternation whose branches may overlap (e.g. (a|ab)+) refused: backtracking could not be bounded' };
      if (unbounded && stack.length) stack[stack.length - 1] = true;
      out += q;
      if (p[i + 1] === '?') out += p[++i];
      lastAtomUnbounded = false;
      continue;
    }
    lastAtomUnbounded = false;
    lastGroupBody = null;
    out += c;
  }
  if (stack.length) return { pattern: '', error: 'unbalanced "(" in pcre' };
  return { pattern: out };
}

/**
 * A repeated group with alternatives is safe from exponential backtracking when each input
 * byte can start at most one alternative: here, when every top-level branch begins with a
 * literal byte and those bytes differ (compared case-insensitively, the safe side for `i`).
 */
function disjointBranches(body: string): boolean {
  const branches: string[] = [];
  let depth = 0;
  let cls = false;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') i++;
    else if (cls) cls = c !== ']';
    else if (c === '[') cls = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      branches.push(body.slice(start, i));
      start = i + 1;
    }
  }
  branches.push(body.slice(start));
  if (branches.length === 1) return true;
  const seen = new Uint8Array(256);
  for (const b of branches) {
    const f = firstBytes(b);
    if (f === null) return false;
    for (const x of f) {
      if (seen[x]) return false;
      seen[x] = 1;
    }
  }
  return true;
}

const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);
const DIGIT = range(0x30, 0x39);
const SPACE = [9, 10, 11, 12, 13, 32];
const WORD = [...DIGIT, ...range(0x41, 0x5a), ...range(0x61, 0x7a), 0x5f];
const complement = (l: number[]): number[] => range(0, 255).filter((x) => !l.includes(x));
const CLASSES: Record<string, number[]> = { d: DIGIT, s: SPACE, w: WORD, D: complement(DIGIT), S: complement(SPACE), W: complement(WORD) };

/** The bytes a branch can start with (both cases of letters), or null when unknown. */
function firstBytes(b: string): number[] | null {
  if (!b) return null;
  const c = b[0];
  let set: number[] | null = null;
  let len = 1;
  if (c === '\\') {
    const n = b[1] ?? '';
    const hex = /^x([0-9a-fA-F]{2})/.exec(b.slice(1));
    if (hex) {
      set = [parseInt(hex[1], 16)];
      len = 4;
    } else if (CLASSES[n]) {
      set = CLASSES[n];
      len = 2;
    } else if (n && !/[A-Za-z0-9]/.test(n)) {
      set = [n.charCodeAt(0)];
      len = 2;
    }
  } else if (!'.[()^$|*+?{'.includes(c) && c.charCodeAt(0) < 256) set = [c.charCodeAt(0)];
  if (set === null) return null;
  // an atom that may repeat zero times does not fix the branch's first byte
  const next = b[len];
  if (next !== undefined && '*?{'.includes(next)) return null;
  const out = new Set<number>();
  for (const x of set) {
    out.add(x);
    if (x >= 0x41 && x <= 0x5a) out.add(x | 0x20);
    if (x >= 0x61 && x <= 0x7a) out.add(x & ~0x20);
  }
  return [...out];
}
