/**
 * Does a rule's list of content/pcre matches hold on one buffer? Contents are searched in order;
 * relative ones (distance/within, pcre R) anchor on where the previous match ended, and when a
 * later one fails the earlier one is retried at its next occurrence (as Snort and Suricata do),
 * within a fixed step budget so a hostile payload cannot make it slow. Environment-free.
 */
import { evalBase64Decode, evalByteExtract, evalByteJump, evalByteTest, evalIsDataAt, type ByteVars } from './byte-keywords.js';
import type { ContentMatch, PatternMatch, PcreMatch } from './rule-types.js';

/** Search steps (candidate positions tried) allowed per rule and buffer. */
const STEP_BUDGET = 4096;
/** pcre sees at most this many bytes of a buffer: bounds the cost of polynomial patterns. */
export const PCRE_MAX_SUBJECT = 16 * 1024;

export class BufferText {
  private latin: string | null = null;
  constructor(readonly bytes: Uint8Array) {}
  /** The bytes as a Latin-1 string (pcre subjects), built once. */
  text(): string {
    if (this.latin === null) {
      const b = this.bytes.length > PCRE_MAX_SUBJECT ? this.bytes.subarray(0, PCRE_MAX_SUBJECT) : this.bytes;
      let s = '';
      for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, Array.from(b.subarray(i, i + 8192)));
      this.latin = s;
    }
    return this.latin;
  }
}

/** First index ≥ from where pat occurs in buf (case-folded when nocase), within [from, limit). */
export function findBytes(buf: Uint8Array, pat: Uint8Array, nocase: boolean, from: number, limit: number): number {
  const n = pat.length;
  const last = Math.min(limit, buf.length) - n;
  if (n === 0) return from <= last ? from : -1;
  const p0 = pat[0];
  const p0Upper = nocase && p0 >= 0x61 && p0 <= 0x7a ? p0 - 0x20 : p0;
  outer: for (let i = Math.max(0, from); i <= last; i++) {
    const c = buf[i];
    if (c !== p0 && c !== p0Upper) continue;
    for (let j = 1; j < n; j++) {
      let b = buf[i + j];
      if (nocase && b >= 0x41 && b <= 0x5a) b |= 0x20;
      if (b !== pat[j]) continue outer;
    }
    return i;
  }
  return -1;
}

interface Budget {
  steps: number;
  /** byte_extract variables of the rule being evaluated. */
  vars: ByteVars;
}

/**
 * True when every pattern in `list` (all for one buffer, in rule order) holds on buf. `vars`
 * carries byte_extract values across the rule's buffers (one map per rule evaluation).
 */
export function matchBuffer(list: readonly PatternMatch[], buf: BufferText, vars: ByteVars = new Map()): boolean {
  return step(list, 0, buf, 0, { steps: STEP_BUDGET, vars });
}

function step(list: readonly PatternMatch[], i: number, buf: BufferText, prevEnd: number, budget: Budget): boolean {
  if (i === list.length) return true;
  const m = list[i];
  if (m.negated && (m.kind === 'content' || m.kind === 'pcre')) {
    // a negated pattern holds when it has no match in its window; it moves nothing
    const hit = m.kind === 'content' ? firstContent(m, buf.bytes, prevEnd, budget) >= 0 : pcreAt(m, buf, prevEnd) !== null;
    return hit ? false : step(list, i + 1, buf, prevEnd, budget);
  }
  switch (m.kind) {
    case 'pcre': {
      const end = pcreAt(m, buf, prevEnd);
      if (end === null) return false;
      // pcre positions are not retried (its own engine already searched)
      return step(list, i + 1, buf, end, budget);
    }
    // the cursor keywords hold or not at this cursor; a failure sends an earlier content to its
    // next occurrence, as for contents
    case 'byte_test':
      return evalByteTest(m, buf.bytes, prevEnd, budget.vars) && step(list, i + 1, buf, prevEnd, budget);
    case 'isdataat':
      return evalIsDataAt(m, buf.bytes, prevEnd, budget.vars) && step(list, i + 1, buf, prevEnd, budget);
    case 'byte_jump': {
      const to = evalByteJump(m, buf.bytes, prevEnd, budget.vars);
      return to >= 0 && step(list, i + 1, buf, to, budget);
    }
    case 'byte_extract': {
      const to = evalByteExtract(m, buf.bytes, prevEnd, budget.vars);
      return to >= 0 && step(list, i + 1, buf, to, budget);
    }
    case 'base64_decode': {
      // decoding costs budget in proportion to its input, so retried contents cannot make it slow
      budget.steps -= 1 + (Math.min(m.bytes, buf.bytes.length) >> 6);
      if (budget.steps <= 0) return false;
      const decoded = evalBase64Decode(m, buf.bytes, prevEnd);
      if (!decoded) return false;
      if (m.then.length && !step(m.then, 0, new BufferText(decoded), 0, budget)) return false;
      return step(list, i + 1, buf, prevEnd, budget);
    }
    default:
      break;
  }
  const { lo, hi } = window(m, buf.bytes.length, prevEnd, budget.vars);
  let from = lo;
  while (budget.steps-- > 0) {
    const at = findBytes(buf.bytes, m.bytes, m.nocase, from, hi);
    if (at < 0) return false;
    const end = at + m.bytes.length;
    if (!(m.endswith && end !== buf.bytes.length) && step(list, i + 1, buf, end, budget)) return true;
    if (m.startswith) return false;
    from = at + 1;
  }
  return false;
}

/** The [lo, hi) range a content may occupy, from offset/depth or distance/within. */
function window(m: ContentMatch, len: number, prevEnd: number, vars: ByteVars): { lo: number; hi: number } {
  let lo = 0;
  let hi = len;
  let { offset, depth, distance, within } = m;
  if (m.vars) {
    // byte_extract values (a variable not set on this path leaves the window empty)
    const get = (n: string | undefined, d: number | null): number | null => {
      if (n === undefined) return d;
      const v = vars.get(n);
      return v === undefined ? NaN : v > 0xffffn ? 0xffff : Number(v);
    };
    offset = get(m.vars.offset, offset);
    depth = get(m.vars.depth, depth);
    distance = get(m.vars.distance, distance);
    within = get(m.vars.within, within);
    if ([offset, depth, distance, within].some((x) => Number.isNaN(x))) return { lo: 0, hi: -1 };
  }
  if (m.startswith) hi = Math.min(hi, m.bytes.length);
  if (distance !== null || within !== null) {
    lo = prevEnd + (distance ?? 0);
    if (within !== null) hi = Math.min(hi, lo + within);
    if (lo < 0) lo = 0;
  } else {
    if (offset !== null) lo = offset;
    if (depth !== null) hi = Math.min(hi, lo + depth);
  }
  return { lo, hi };
}

function firstContent(m: ContentMatch, buf: Uint8Array, prevEnd: number, budget: Budget): number {
  budget.steps--;
  const { lo, hi } = window(m, buf.length, prevEnd, budget.vars);
  if (m.endswith) {
    const at = buf.length - m.bytes.length;
    return at >= lo && at + m.bytes.length <= hi && findBytes(buf, m.bytes, m.nocase, at, buf.length) === at ? at : -1;
  }
  return findBytes(buf, m.bytes, m.nocase, lo, hi);
}

/** End of the first pcre match at or after `from` (relative) or anywhere, else null. */
function pcreAt(m: PcreMatch, buf: BufferText, prevEnd: number): number | null {
  const s = buf.text();
  m.re.lastIndex = m.relative ? Math.min(prevEnd, s.length) : 0;
  const r = m.re.exec(s);
  if (!r) return null;
  return r.index + r[0].length;
}
