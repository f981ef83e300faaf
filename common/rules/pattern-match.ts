/**
 * Does a rule's list of content/pcre matches hold on one buffer? Contents are searched in order;
 * relative ones (distance/within, pcre R) anchor on where the previous match ended, and when a
 * later one fails the earlier one is retried at its next occurrence (as Snort and Suricata do),
 * within a fixed step budget so a hostile payload cannot make it slow. Environment-free.
 */
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
}

/** True when every pattern in `list` (all for one buffer, in rule order) holds on buf. */
export function matchBuffer(list: readonly PatternMatch[], buf: BufferText): boolean {
  return step(list, 0, buf, 0, { steps: STEP_BUDGET });
}

function step(list: readonly PatternMatch[], i: number, buf: BufferText, prevEnd: number, budget: Budget): boolean {
  if (i === list.length) return true;
  const m = list[i];
  if (m.negated) {
    // a negated pattern holds when it has no match in its window; it moves nothing
    const hit = m.kind === 'content' ? firstContent(m, buf.bytes, prevEnd, budget) >= 0 : pcreAt(m, buf, prevEnd) !== null;
    return hit ? false : step(list, i + 1, buf, prevEnd, budget);
  }
  if (m.kind === 'pcre') {
    const end = pcreAt(m, buf, prevEnd);
    if (end === null) return false;
    // pcre positions are not retried (its own engine already searched)
    return step(list, i + 1, buf, end, budget);
  }
  const { lo, hi } = window(m, buf.bytes.length, prevEnd);
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
function window(m: ContentMatch, len: number, prevEnd: number): { lo: number; hi: number } {
  let lo = 0;
  let hi = len;
  if (m.startswith) hi = Math.min(hi, m.bytes.length);
  if (m.distance !== null || m.within !== null) {
    lo = prevEnd + (m.distance ?? 0);
    if (m.within !== null) hi = Math.min(hi, lo + m.within);
    if (lo < 0) lo = 0;
  } else {
    if (m.offset !== null) lo = m.offset;
    if (m.depth !== null) hi = Math.min(hi, lo + m.depth);
  }
  return { lo, hi };
}

function firstContent(m: ContentMatch, buf: Uint8Array, prevEnd: number, budget: Budget): number {
  budget.steps--;
  const { lo, hi } = window(m, buf.length, prevEnd);
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
