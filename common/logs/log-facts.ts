/**
 * The facts of a received log message, read from its bytes without parsing it into an event:
 * what the UDP intake's compact journal line (log-journal-line.ts, format 2) and its facts table
 * (node/logs/parsed-batch.ts) need — the format, the stated time, the named addresses, ports and
 * protocol, and where the message lies in the raw text — and nothing else: no fields object, no
 * message string, no per-field slices. The journal's reader rebuilds the rest of the event by
 * parsing the raw text (parseLog), so every value here must be exactly what
 * `toLogEvent(raw, parseLog(raw, refSec), origin)` holds; tests/unit/logs/log-facts.test.ts proves
 * it on generated, mutated, corpus-like, bench and fuzzed lines.
 *
 * The extractor is sure only of a strict subset of what parseLog reads, and answers false
 * ("ask the full parser") for everything else:
 * - bytes that are not printable ASCII (0x20-0x7e: any UTF-8, control character, line end, NUL),
 *   a backslash anywhere, lines over 4096 bytes;
 * - no PRI; a PRI followed by another RFC 5424 version or a Cisco sequence number; Cisco
 *   clock marks `*`/`.`;
 * - RFC 3164: a BSD or ISO time the calendar rejects after the pattern matched (Feb 30, no
 *   year fits, hour 24, zone +24:00),
 *   `"` anywhere (quoted key=value values), a `{` where parseLog looks for the seed's format
 *   (after the host, or " {" in the body) whose head does not match (parseLog then goes on);
 * - RFC 5424: a header or structured data parseLog would report as a problem, an ISO time that
 *   does not fit the token or gives no time, `"` in the message part;
 * - OSSEC/Wazuh bodies in JSON (or alerts.log's, which needs lines), a pair key named like
 *   Object.prototype's ("constructor"); bare CEF/OSSEC/seed lines (no envelope);
 * - CEF whose header does not split into 8 fields with a 1-3 digit version, or whose time key
 *   (rt, receiptTime, start, startTime, end) holds anything but 10-15 digits;
 * - prose with "->" (Cisco IOS pairs), more than 255 key=value pairs.
 * Each rule mirrors a regular expression or branch of parse-log.ts, rfc3164.ts, rfc5424.ts,
 * cef.ts, message-endpoints.ts, seed-format.ts, ossec.ts and syslog-time.ts; a change there must change this file (the
 * equivalence tests fail otherwise).
 */
import { DST_KEYS as CEF_DST_KEYS, SRC_KEYS as CEF_SRC_KEYS } from './cef.js';
import { isIp } from './ip-text.js';
import { ROLE_NAMES } from './message-endpoints.js';
import { DEFAULT_KEYS as OSSEC_DEFAULT_KEYS, OSSEC_APP_NAMES } from './ossec.js';
import { LOG_FORMATS, PROTO_NUMBERS } from './parsed-log.js';
import { bsdTimeSec, civilSec, MONTH_NAMES } from './syslog-time.js';

export const FORMAT_RFC3164 = LOG_FORMATS.indexOf('rfc3164');
export const FORMAT_RFC5424 = LOG_FORMATS.indexOf('rfc5424');
export const FORMAT_CEF = LOG_FORMATS.indexOf('cef');
export const FORMAT_SEED = LOG_FORMATS.indexOf('seed');
export const FORMAT_OSSEC = LOG_FORMATS.indexOf('ossec');

/** Longest line the extractor reads (parseLog's quoted key=value values stop at 4096 characters). */
const MAX_BYTES = 4096;

/** One message's facts, filled by extractLogFacts (one object reused for every message). Offsets are into the bytes given. */
export class LogFacts {
  /** Index into LOG_FORMATS. */
  format = 0;
  /** Whether the event has an event time (keptTime), and that time. */
  timeKept = false;
  timeSec = 0;
  timeNsec = 0;
  /** The stated time named its zone (correlation then uses it). */
  zoned = false;
  /** [start, end) of the src_ip / dst_ip text; start -1: null. */
  srcStart = -1;
  srcEnd = -1;
  dstStart = -1;
  dstEnd = -1;
  /** -1: null. */
  srcPort = -1;
  dstPort = -1;
  proto = -1;
  /** The event's message: [start, end) of the bytes. */
  msgStart = 0;
  msgEnd = 0;
  /** `"` bytes in the line (the raw value then needs escapes), and where they are (quoteAt[0, quotes)). */
  quotes = 0;
  readonly quoteAt = new Int32Array(MAX_BYTES);
  /**
   * A message that is not one range of the bytes (OSSEC's "description: log"): where it first
   * lies in the raw text (markMessageInRaw's answer, -1 nowhere) and its length; msgAt -3: the
   * message is [msgStart, msgEnd).
   */
  msgAt = -3;
  msgLen = 0;
  /** With msgAt set: the log's start (the message is [msgStart, msgEnd), ": ", then [msgTail, the line's end)). */
  msgTail = -1;

  reset(): void {
    this.timeKept = false;
    this.timeSec = 0;
    this.timeNsec = 0;
    this.zoned = false;
    this.srcStart = this.srcEnd = this.dstStart = this.dstEnd = -1;
    this.srcPort = this.dstPort = this.proto = -1;
    this.msgAt = -3;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Character classes by byte, one bit each (a table load instead of a chain of range checks in the hot scans). */
const CC_ALPHA = 1;
const CC_WORD = 2; // \w
const CC_WORD_DOT_DASH = 4; // [\w.-]
const CC_CEF_KEY = 8; // cef.ts isKeyChar: [\w.\-[\]]
const CC_KV_SEP = 16; // [\s,;] on printable ASCII
const CHAR_CLASS = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  const word = alpha || (c >= 0x30 && c <= 0x39) || c === 0x5f;
  const wdd = word || c === 0x2e || c === 0x2d;
  CHAR_CLASS[c] = (alpha ? CC_ALPHA : 0) | (word ? CC_WORD : 0) | (wdd ? CC_WORD_DOT_DASH : 0) | (wdd || c === 0x5b || c === 0x5d ? CC_CEF_KEY : 0) | (c === 0x20 || c === 0x2c || c === 0x3b ? CC_KV_SEP : 0);
}

function isAlpha(c: number): boolean {
  return (CHAR_CLASS[c] & CC_ALPHA) !== 0;
}

/** \w */
function isWord(c: number): boolean {
  return (CHAR_CLASS[c] & CC_WORD) !== 0;
}

/** [\w.-] */
function isWordDotDash(c: number): boolean {
  return (CHAR_CLASS[c] & CC_WORD_DOT_DASH) !== 0;
}

/** Digits [s, e) as a number (callers bound the length). */
function digits(b: Uint8Array, s: number, e: number): number {
  let v = 0;
  for (let i = s; i < e; i++) v = v * 10 + b[i] - 48;
  return v;
}

/** End of the run of digits from s (at most to e). */
function digitRun(b: Uint8Array, s: number, e: number): number {
  while (s < e && isDigit(b[s])) s++;
  return s;
}

function startsWith(b: Uint8Array, s: number, e: number, lit: string): boolean {
  if (e - s < lit.length) return false;
  for (let i = 0; i < lit.length; i++) if (b[s + i] !== lit.charCodeAt(i)) return false;
  return true;
}

/** Bytes [s, e) equal lit, letters compared case-insensitively (lit lower-case). */
function equalsLower(b: Uint8Array, s: number, e: number, lit: string): boolean {
  if (e - s !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) {
    let c = b[s + i];
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lit.charCodeAt(i)) return false;
  }
  return true;
}

function equalsExact(b: Uint8Array, s: number, e: number, lit: string): boolean {
  return e - s === lit.length && startsWith(b, s, e, lit);
}

function sameBytes(b: Uint8Array, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let i = 0; i < e1 - s1; i++) if (b[s1 + i] !== b[s2 + i]) return false;
  return true;
}

/** ip-text.ts isIpv4 on bytes (the store's parseIpv4: four dec-octets 0-255 without leading zeros). */
function isIpv4Bytes(b: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (n < 7 || n > 15) return false;
  let part = 0;
  let val = 0;
  let nd = 0;
  let first = 0;
  for (let i = s; i <= e; i++) {
    const c = i < e ? b[i] : 0x2e;
    if (c === 0x2e) {
      if (nd === 0 || part > 3 || val > 255 || (nd > 1 && first === 0x30)) return false;
      part++;
      val = 0;
      nd = 0;
    } else if (isDigit(c)) {
      if (nd === 0) first = c;
      if (++nd > 3) return false;
      val = val * 10 + (c - 0x30);
    } else return false;
  }
  return part === 4;
}

/** isIp on bytes: IPv4 here; text with a colon (IPv6) through the string checker (rare: one short string). */
function isIpBytes(b: Uint8Array, s: number, e: number): boolean {
  let colons = 0;
  for (let i = s; i < e; i++) if (b[i] === 0x3a) colons++;
  if (colons === 0) return isIpv4Bytes(b, s, e);
  // IPv6 text holds at least two colons ("::"); one colon ("ip:port") is no address
  if (colons === 1 || e - s > 45) return false;
  return isIp(String.fromCharCode.apply(null, Array.from(b.subarray(s, e))));
}

/** parsed-log.ts portNumber on [s, e): 1-5 digits up to 65535, else -1. */
function portOf(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n < 1 || n > 5) return -1;
  for (let i = s; i < e; i++) if (!isDigit(b[i])) return -1;
  const v = digits(b, s, e);
  return v <= 65535 ? v : -1;
}

/** String.prototype.trim on ASCII printable text: spaces only. */
function trimStart(b: Uint8Array, s: number, e: number): number {
  while (s < e && b[s] === 0x20) s++;
  return s;
}
function trimEnd(b: Uint8Array, s: number, e: number): number {
  while (e > s && b[e - 1] === 0x20) e--;
  return e;
}

const PROTO_NAMES: readonly [string, number][] = Object.entries(PROTO_NUMBERS);

/** parsed-log.ts protoNumber on [s, e), -1 for null. */
function protoOf(b: Uint8Array, s: number, e: number): number {
  s = trimStart(b, s, e);
  e = trimEnd(b, s, e);
  const n = e - s;
  if (n >= 1 && n <= 3 && digitRun(b, s, e) === e) {
    const v = digits(b, s, e);
    return v <= 255 ? v : -1;
  }
  for (let k = 0; k < PROTO_NAMES.length; k++) if (equalsLower(b, s, e, PROTO_NAMES[k][0])) return PROTO_NAMES[k][1];
  return -1;
}

const MONTHS = MONTH_NAMES.map((m) => m.toLowerCase());

function monthOf(b: Uint8Array, s: number): number {
  const a = b[s] | 0x20;
  const c1 = b[s + 1] | 0x20;
  const c2 = b[s + 2] | 0x20;
  for (let m = 0; m < 12; m++) {
    const n = MONTHS[m];
    if (a === n.charCodeAt(0) && c1 === n.charCodeAt(1) && c2 === n.charCodeAt(2)) return m;
  }
  return -1;
}

// the last BSD date's start of day, for the reference second and year it was computed with: a
// sender's times share their day, and within a day the time only adds seconds — unless the
// year bsdTimeSec infers changes within that day (the day straddles the reference time's
// limit), which dayStart NaN sends back to bsdTimeSec for every time
let dayMo = -1;
let dayD = -1;
let dayYear = -2;
let dayRef = NaN;
/** Epoch seconds of the day's 00:00:00, -1: no time on that day (the calendar rejects it), NaN: depends on the time. */
let dayStart = NaN;

/** Result of reading a BSD time: where it ends (-1: no time, -2: not sure). */
let bsdSec = 0;
let bsdNsec = 0;

/**
 * syslog-time.ts matchBsdTime at s: `^([A-Za-z]{3}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?`
 * and its checks. Returns the match's end (time in bsdSec/bsdNsec), -1 when parseRfc3164 finds
 * no time there, -2 when the pattern matched but the calendar gave no time (tm with time null).
 */
function bsdTimeAt(b: Uint8Array, s: number, e: number, refSec: number): number {
  if (e - s < 14 || !isAlpha(b[s]) || !isAlpha(b[s + 1]) || !isAlpha(b[s + 2]) || b[s + 3] !== 0x20) return -1;
  let p = s + 4;
  if (b[p] === 0x20) p++;
  const dEnd = digitRun(b, p, e);
  if (dEnd === p || dEnd - p > 2) return -1;
  const d = digits(b, p, dEnd);
  p = dEnd;
  let year: number | null = null;
  // " yyyy " then the time, else " " then the time (the two cannot both fit, see the pattern)
  if (p + 5 < e && b[p] === 0x20 && digitRun(b, p + 1, e) === p + 5 && b[p + 5] === 0x20) {
    year = digits(b, p + 1, p + 5);
    p += 5;
  }
  if (p + 9 > e || b[p] !== 0x20 || !isDigit(b[p + 1]) || !isDigit(b[p + 2]) || b[p + 3] !== 0x3a || !isDigit(b[p + 4]) || !isDigit(b[p + 5]) || b[p + 6] !== 0x3a || !isDigit(b[p + 7]) || !isDigit(b[p + 8])) return -1;
  const h = digits(b, p + 1, p + 3);
  const mi = digits(b, p + 4, p + 6);
  const sec = digits(b, p + 7, p + 9);
  p += 9;
  let nsec = 0;
  if (b[p] === 0x2e && p + 1 < e && isDigit(b[p + 1])) {
    let fEnd = digitRun(b, p + 1, e);
    if (fEnd - (p + 1) > 9) fEnd = p + 10;
    let f = digits(b, p + 1, fEnd);
    for (let k = fEnd - (p + 1); k < 9; k++) f *= 10;
    nsec = f;
    p = fEnd;
  }
  const mo = monthOf(b, s);
  if (mo < 0 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1;
  const y = year ?? -1;
  if (mo !== dayMo || d !== dayD || y !== dayYear || refSec !== dayRef) {
    // the year is the same at 00:00:00 and 23:59:59 only when it is the same all day (the year
    // inferred for a later time is never later than for an earlier one)
    const t0 = bsdTimeSec(mo, d, year, 0, 0, 0, refSec);
    const t1 = t0 === null ? null : bsdTimeSec(mo, d, year, 23, 59, 59, refSec);
    dayStart = t0 === null ? -1 : t1 !== null && t1 - t0 === 86399 ? t0 : NaN;
    dayMo = mo;
    dayD = d;
    dayYear = y;
    dayRef = refSec;
  }
  const t = dayStart === -1 ? null : dayStart === dayStart ? dayStart + h * 3600 + mi * 60 + Math.min(sec, 59) : bsdTimeSec(mo, d, year, h, mi, sec, refSec);
  if (t === null) return -2;
  bsdSec = t;
  bsdNsec = nsec;
  return p;
}

let isoZoned = false;
/** d: a digit; other characters as they are. */
const ISO_SHAPE = 'dddd-dd-ddTdd:dd:dd';

/**
 * syslog-time.ts matchIsoTime at s (a prefix match, as parseRfc3164 uses it):
 * `^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9})\d*)?(Z|z|[+-]\d{2}:?\d{2})?`.
 * Returns the match's end (time in bsdSec/bsdNsec/isoZoned), -1 without a match, -2 when it
 * matched but gives no time (an invalid date, hour or zone).
 */
function isoPrefixAt(b: Uint8Array, s: number, e: number): number {
  if (e - s < 19) return -1;
  for (let i = 0; i < 19; i++) {
    const c = b[s + i];
    const want = ISO_SHAPE.charCodeAt(i);
    if (want === 0x64 ? !isDigit(c) : want === 0x54 ? c !== 0x54 && c !== 0x20 : c !== want) return -1;
  }
  const y = digits(b, s, s + 4);
  const mo = digits(b, s + 5, s + 7) - 1;
  const d = digits(b, s + 8, s + 10);
  const h = digits(b, s + 11, s + 13);
  const mi = digits(b, s + 14, s + 16);
  const sec = digits(b, s + 17, s + 19);
  let p = s + 19;
  let nsec = 0;
  if (p + 1 < e && (b[p] === 0x2e || b[p] === 0x2c) && isDigit(b[p + 1])) {
    const fEnd = digitRun(b, p + 1, e);
    const cut = Math.min(fEnd, p + 10);
    let f = digits(b, p + 1, cut);
    for (let k = cut - (p + 1); k < 9; k++) f *= 10;
    nsec = f;
    p = fEnd;
  }
  let offset = 0;
  let zoned = false;
  let badZone = false;
  if (p < e && (b[p] === 0x5a || b[p] === 0x7a)) {
    zoned = true;
    p++;
  } else if (p + 3 <= e && (b[p] === 0x2b || b[p] === 0x2d) && isDigit(b[p + 1]) && isDigit(b[p + 2])) {
    // `:?` then two digits (with the colon first, as the greedy pattern tries)
    const q = p + 3 < e && b[p + 3] === 0x3a ? p + 4 : p + 3;
    if (q + 2 <= e && isDigit(b[q]) && isDigit(b[q + 1])) {
      const zh = digits(b, p + 1, p + 3);
      const zm = digits(b, q, q + 2);
      badZone = zh > 23 || zm > 59;
      offset = (b[p] === 0x2d ? -1 : 1) * (zh * 3600 + zm * 60);
      zoned = true;
      p = q + 2;
    }
  }
  if (h > 23 || mi > 59 || sec > 60 || badZone) return -2;
  const t = civilSec(y, mo, d, h, mi, sec);
  if (t === null) return -2;
  bsdSec = t - offset;
  bsdNsec = nsec;
  isoZoned = zoned;
  return p;
}

/** RFC 5424's timestamp token [s, e): matchIsoTime must take all of it and give a time (else the extractor is not sure). */
function isoToken(b: Uint8Array, s: number, e: number): boolean {
  return isoPrefixAt(b, s, e) === e;
}

/** End of a token (the next space, or e). */
function tokenEnd(b: Uint8Array, s: number, e: number): number {
  while (s < e && b[s] !== 0x20) s++;
  return s;
}


/** parse-log.ts OSSEC_APPS.has(app.toLowerCase()) on [s, e) (s < 0: no app). */
function isOssecApp(b: Uint8Array, s: number, e: number): boolean {
  if (s < 0) return false;
  for (let k = 0; k < OSSEC_APP_NAMES.length; k++) if (equalsLower(b, s, e, OSSEC_APP_NAMES[k])) return true;
  return false;
}

// where the raw text starts in the bytes (extractLogFacts sets it): OSSEC's message is searched there
let rawStart = 0;

/**
 * parseLog's OSSEC branch (after CEF and the seed's format) on the message [ms, e): 1 when it
 * yields an OSSEC alert (facts filled), 0 when parseLog goes on to the plain message, -1 when
 * the extractor is not sure (a JSON or alerts.log body, a key named like Object.prototype's).
 */
function ossecFacts(b: Uint8Array, appS: number, appE: number, ms: number, e: number, f: LogFacts): number {
  if (!isOssecApp(b, appS, appE) && !ossecMessage(b, ms, e)) return 0;
  const r = ossecDefault(b, ms, e, f);
  if (r !== 0) return r;
  // parseAlertsLog needs a "Rule:" line (a one-line message has none); parseJson a "{…}" body
  const ts = trimStart(b, ms, e);
  return ts < e && b[ts] === 0x7b ? -1 : 0;
}

const OSSEC_KEYS = Object.keys(OSSEC_DEFAULT_KEYS);
const OSSEC_SRCIP = OSSEC_KEYS.indexOf('srcip');
const OSSEC_DSTIP = OSSEC_KEYS.indexOf('dstip');

/**
 * ossec.ts parseDefault: `^Alert Level: (\d{1,2}); Rule: (\d{1,10}) - (.*?); Location: (.*?);(?: |$)`,
 * then `^([A-Za-z][A-Za-z0-9 ]{1,20}): ([^;]*);(?: |$)` pairs while their key is known; the rest
 * is the log. 1: facts filled, 0: no match, -1: not sure.
 */
function ossecDefault(b: Uint8Array, s: number, e: number, f: LogFacts): number {
  if (!startsWith(b, s, e, 'Alert Level: ')) return 0;
  let p = s + 13;
  let d = digitRun(b, p, e);
  if (d === p || d - p > 2 || !startsWith(b, d, e, '; Rule: ')) return 0;
  p = d + 8;
  d = digitRun(b, p, e);
  if (d === p || d - p > 10 || !startsWith(b, d, e, ' - ')) return 0;
  const descS = d + 3;
  // the description runs to the first "; Location: " (lazy; a later one cannot succeed where the first fails)
  let descE = -1;
  for (let i = descS; i + 12 <= e; i++) {
    if (b[i] === 0x3b && startsWith(b, i, e, '; Location: ')) {
      descE = i;
      break;
    }
  }
  if (descE < 0) return 0;
  let locE = -1;
  for (let i = descE + 12; i < e; i++) {
    if (b[i] === 0x3b && (i + 1 === e || b[i + 1] === 0x20)) {
      locE = i;
      break;
    }
  }
  if (locE < 0) return 0;
  let rest = locE + 1 < e ? locE + 2 : locE + 1;
  let srcS = -1;
  let srcE = -1;
  let dstS = -1;
  let dstE = -1;
  for (;;) {
    if (rest >= e || !isAlpha(b[rest])) break;
    let k = rest + 1;
    while (k < e && (isAlpha(b[k]) || isDigit(b[k]) || b[k] === 0x20)) k++;
    const kl = k - rest;
    if (kl < 2 || kl > 21 || k + 1 >= e || b[k] !== 0x3a || b[k + 1] !== 0x20) break;
    const vS = k + 2;
    let semi = vS;
    while (semi < e && b[semi] !== 0x3b) semi++;
    if (semi >= e || !(semi + 1 === e || b[semi + 1] === 0x20)) break;
    // DEFAULT_KEYS is a plain object: "constructor" would find Object.prototype's
    if (equalsLower(b, rest, k, 'constructor')) return -1;
    let key = -1;
    for (let j = 0; j < OSSEC_KEYS.length && key < 0; j++) if (equalsLower(b, rest, k, OSSEC_KEYS[j])) key = j;
    if (key < 0) break;
    if (key === OSSEC_SRCIP) {
      srcS = vS;
      srcE = semi;
    } else if (key === OSSEC_DSTIP) {
      dstS = vS;
      dstE = semi;
    }
    rest = semi + 1 < e ? semi + 2 : semi + 1;
  }
  f.format = FORMAT_OSSEC;
  if (srcE > srcS && isIpBytes(b, srcS, srcE)) {
    f.srcStart = srcS;
    f.srcEnd = srcE;
  }
  if (dstE > dstS && isIpBytes(b, dstS, dstE)) {
    f.dstStart = dstS;
    f.dstEnd = dstE;
  }
  f.msgStart = descS;
  f.msgEnd = descE;
  if (rest < e) {
    // the message is "description: log": where it first lies in the raw text (markMessageInRaw)
    const dl = descE - descS;
    const n = dl + 2 + (e - rest);
    f.msgLen = n;
    f.msgTail = rest;
    f.msgAt = -1;
    if (e - n >= rawStart && ossecMessageAt(b, e - n, descS, dl, rest, n)) f.msgAt = e - n - rawStart;
    else {
      // only where the message's first byte is
      const first = dl > 0 ? b[descS] : 0x3a;
      for (let i = rawStart; i + n <= e; i++) {
        if (b[i] === first && ossecMessageAt(b, i, descS, dl, rest, n)) {
          f.msgAt = i - rawStart;
          break;
        }
      }
    }
  }
  return 1;
}

/** Whether bytes at i are "description: log" (the description [descS, descS + dl), the log from logS, n bytes in all). */
function ossecMessageAt(b: Uint8Array, i: number, descS: number, dl: number, logS: number, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const c = j < dl ? b[descS + j] : j === dl ? 0x3a : j === dl + 1 ? 0x20 : b[logS + j - dl - 2];
    if (b[i + j] !== c) return false;
  }
  return true;
}

let tagEnd = 0;
let tagNameEnd = 0;

/**
 * rfc3164.ts TAG at s: `^([^\s:[\]]{1,64})(?:\[([^\]\s]{0,32})\])?: ?`. Returns 0 no match, 1 a
 * match without brackets, 2 with (tagEnd: the match's end; tagNameEnd: the name's).
 */
function tagAt(b: Uint8Array, s: number, e: number): number {
  let q = s;
  while (q < e) {
    const c = b[q];
    if (c === 0x20 || c === 0x3a || c === 0x5b || c === 0x5d) break;
    q++;
  }
  if (q === s || q - s > 64) return 0;
  tagNameEnd = q;
  let kind = 1;
  if (q < e && b[q] === 0x5b) {
    let r = q + 1;
    while (r < e && b[r] !== 0x5d && b[r] !== 0x20) r++;
    if (r < e && b[r] === 0x5d && r - (q + 1) <= 32 && b[r + 1] === 0x3a && r + 1 < e) {
      q = r + 1;
      kind = 2;
    } else return 0;
  }
  if (q >= e || b[q] !== 0x3a) return 0;
  q++;
  if (q < e && b[q] === 0x20) q++;
  tagEnd = q;
  return kind;
}

let ciscoEnd = 0;
let ciscoAppEnd = 0;

/** rfc3164.ts CISCO_MNEMONIC at s (b[s] is "%"): `^%([A-Z0-9_-]{1,32})-(\d)-([A-Z0-9_-]{1,48}): ?`, the longest first group (greedy). */
function ciscoAt(b: Uint8Array, s: number, e: number): boolean {
  let r = s + 1;
  while (r < e) {
    const c = b[r];
    if ((c >= 0x41 && c <= 0x5a) || isDigit(c) || c === 0x5f || c === 0x2d) r++;
    else break;
  }
  if (r >= e || b[r] !== 0x3a) return false;
  // the split "-d-" with the longest first group that leaves both groups within their bounds
  for (let k = r - 4; k >= s + 2; k--) {
    if (b[k] === 0x2d && isDigit(b[k + 1]) && b[k + 2] === 0x2d) {
      const g1 = k - (s + 1);
      const g3 = r - (k + 3);
      if (g1 >= 1 && g1 <= 32 && g3 >= 1 && g3 <= 48) {
        ciscoAppEnd = k;
        ciscoEnd = r + 1 < e && b[r + 1] === 0x20 ? r + 2 : r + 1;
        return true;
      }
    }
  }
  return false;
}

// CEF keys the facts need, and the last value range of each in the extension
// (the address keys are cef.ts's lists; ports, protocol and times as cefEndpoints and cefTime read them)
const CEF_KEYS = [...CEF_SRC_KEYS, ...CEF_DST_KEYS, 'spt', 'sourcePort', 'dpt', 'destinationPort', 'proto', 'transportProtocol', 'rt', 'receiptTime', 'start', 'startTime', 'end'];
const K_DST_FIRST = CEF_SRC_KEYS.length;
const K_SPT = CEF_KEYS.indexOf('spt');
const K_SOURCE_PORT = K_SPT + 1;
const K_DPT = K_SPT + 2;
const K_DESTINATION_PORT = K_SPT + 3;
const K_PROTO = K_SPT + 4;
const K_TRANSPORT_PROTOCOL = K_SPT + 5;
const K_TIME_FIRST = K_SPT + 6;
const cefVal = new Int32Array(CEF_KEYS.length * 2);

/** CEF_KEYS by length: [the key's bytes, its index] (a key is compared only with names of its length). */
const CEF_KEYS_BY_LENGTH: [Uint8Array, number][][] = Array.from({ length: 23 }, () => []);
CEF_KEYS.forEach((k, i) => CEF_KEYS_BY_LENGTH[k.length].push([Uint8Array.from(k, (c) => c.charCodeAt(0)), i]));

function cefKeyIndex(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n < 2 || n > 22) return -1;
  const names = CEF_KEYS_BY_LENGTH[n];
  for (let k = 0; k < names.length; k++) {
    const name = names[k][0];
    let i = 0;
    while (i < n && b[s + i] === name[i]) i++;
    if (i === n) return names[k][1];
  }
  return -1;
}

/** cef.ts isKeyChar */
function isCefKeyChar(c: number): boolean {
  return (CHAR_CLASS[c] & CC_CEF_KEY) !== 0;
}

/** cef.ts cefEndpoints' firstIp: the first of keys [k0, k1) whose trimmed value is an address. */
function cefFirstIp(b: Uint8Array, k0: number, k1: number, f: LogFacts, src: boolean): void {
  for (let k = k0; k < k1; k++) {
    if (cefVal[2 * k] < 0) continue;
    const s = trimStart(b, cefVal[2 * k], cefVal[2 * k + 1]);
    const e = trimEnd(b, s, cefVal[2 * k + 1]);
    if (e > s && isIpBytes(b, s, e)) {
      if (src) {
        f.srcStart = s;
        f.srcEnd = e;
      } else {
        f.dstStart = s;
        f.dstEnd = e;
      }
      return;
    }
  }
}

/**
 * parseCef + cefEndpoints + cefTime on [s, e) (b[s..] is "CEF:"); false when parseLog would not
 * take it as CEF or the extractor is not sure. Fills endpoints, the message (the header's name)
 * and, when the extension states one, the time.
 */
function cefFacts(b: Uint8Array, s: number, e: number, f: LogFacts): boolean {
  let bars = 0;
  let nameStart = 0;
  let nameEnd = 0;
  let verEnd = 0;
  let i = s + 4;
  for (; i < e && bars < 7; i++) {
    if (b[i] !== 0x7c) continue;
    bars++;
    if (bars === 1) verEnd = i;
    else if (bars === 5) nameStart = i + 1;
    else if (bars === 6) nameEnd = i;
  }
  if (bars < 7) return false;
  const vn = verEnd - (s + 4);
  if (vn < 1 || vn > 3 || digitRun(b, s + 4, verEnd) !== verEnd) return false;
  f.msgStart = nameStart;
  f.msgEnd = nameEnd;
  // the extension: keys where an "=" follows a key that starts the text or follows a space
  cefVal.fill(-1);
  const x = i;
  let prevKey = -1;
  let prevEq = -1;
  // the extension's "=" (the first pass's positions), then the end
  let xi = 0;
  while (xi < eqCount && eqAt[xi] < x) xi++;
  for (; ; xi++) {
    const last = xi >= eqCount || eqAt[xi] >= e;
    const j = last ? e : eqAt[xi];
    let ks = -1;
    if (!last) {
      ks = j;
      while (ks > x && isCefKeyChar(b[ks - 1])) ks--;
      if (ks === j || (ks > x && b[ks - 1] !== 0x20)) continue;
    }
    if (prevKey >= 0) {
      let ve = j < e ? ks : e;
      // the separator before the next key is not the value's (the last keeps its spaces)
      if (j < e) while (ve > prevEq + 1 && b[ve - 1] === 0x20) ve--;
      const k = cefKeyIndex(b, prevKey, prevEq);
      if (k >= 0) {
        cefVal[2 * k] = prevEq + 1;
        cefVal[2 * k + 1] = ve;
      }
    }
    if (last) break;
    prevKey = ks;
    prevEq = j;
  }
  cefFirstIp(b, 0, K_DST_FIRST, f, true);
  cefFirstIp(b, K_DST_FIRST, K_SPT, f, false);
  const spt = cefVal[2 * K_SPT] >= 0 ? K_SPT : K_SOURCE_PORT;
  if (cefVal[2 * spt] >= 0) f.srcPort = portOf(b, cefVal[2 * spt], cefVal[2 * spt + 1]);
  const dpt = cefVal[2 * K_DPT] >= 0 ? K_DPT : K_DESTINATION_PORT;
  if (cefVal[2 * dpt] >= 0) f.dstPort = portOf(b, cefVal[2 * dpt], cefVal[2 * dpt + 1]);
  const pk = cefVal[2 * K_PROTO] >= 0 ? K_PROTO : K_TRANSPORT_PROTOCOL;
  if (cefVal[2 * pk] >= 0) f.proto = protoOf(b, cefVal[2 * pk], cefVal[2 * pk + 1]);
  for (let k = K_TIME_FIRST; k < CEF_KEYS.length; k++) {
    if (cefVal[2 * k] < 0) continue;
    const ts = trimStart(b, cefVal[2 * k], cefVal[2 * k + 1]);
    const te = trimEnd(b, ts, cefVal[2 * k + 1]);
    if (te === ts) break; // an empty value: no CEF time, the envelope's stands
    const n = te - ts;
    if (n < 10 || n > 15 || digitRun(b, ts, te) !== te) return false;
    const ms = digits(b, ts, te);
    const sec = Math.floor(ms / 1000);
    setTime(f, sec, (ms % 1000) * 1e6, true);
    break;
  }
  return true;
}

function setTime(f: LogFacts, sec: number, nsec: number, zoned: boolean): void {
  // log-event.ts keptTime, without an object per message
  f.timeKept = Number.isSafeInteger(sec) && sec >= 0 && sec <= 99_999_999_999;
  f.timeSec = sec;
  f.timeNsec = nsec;
  f.zoned = zoned;
}

// key=value pairs of the message: key and value ranges
const MAX_PAIRS = 256;
const pairKs = new Int32Array(MAX_PAIRS);
const pairKe = new Int32Array(MAX_PAIRS);
const pairVs = new Int32Array(MAX_PAIRS);
const pairVe = new Int32Array(MAX_PAIRS);
const pairRole = new Int8Array(MAX_PAIRS);


/** The role names by length: [name, role] pairs (a key is compared only with names of its length). */
const ROLES_BY_LENGTH: [string, number][][] = Array.from({ length: 17 }, () => []);
ROLE_NAMES.forEach((names, role) => names.forEach((name) => ROLES_BY_LENGTH[name.length].push([name, role])));

/** message-endpoints.ts's role of a key (names matched ignoring ASCII case), -1 for none. */
function roleOf(b: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n < 3 || n > 16) return -1;
  const c = b[s] | 0x20;
  if (c !== 0x73 && c !== 0x64 && c !== 0x70 && c !== 0x69) return -1;
  const names = ROLES_BY_LENGTH[n];
  for (let k = 0; k < names.length; k++) if (equalsLower(b, s, e, names[k][0])) return names[k][1];
  return -1;
}

/** The last of the n pairs whose key is pair j's (a repeated key keeps its last value). */
function lastPair(b: Uint8Array, j: number, n: number): number {
  let at = j;
  for (let k = j + 1; k < n; k++) if (sameBytes(b, pairKs[j], pairKe[j], pairKs[k], pairKe[k])) at = k;
  return at;
}

/** [\s,;] */
function isKvSep(c: number): boolean {
  return (CHAR_CLASS[c] & CC_KV_SEP) !== 0;
}

/**
 * keyValues + endpointsFromKeyValues on the message [s, e): true when they name an address
 * (endpoints filled), false when parseLog goes on to the prose; -1 (as a number) when not sure.
 *
 * KV `(?:^|[\s,;])([A-Za-z_][\w.-]{0,63})=([^\s,;]*)` (no quotes here) read from the line's "="
 * positions (the first pass's) instead of trying the pattern at every separator: a pair's key
 * is the run of [\w.-] before its "=", which must start the message or follow a separator. That
 * finds exactly the pattern's matches: a match holds no separator but the one before its key
 * (keys and values hold none), so the scan that resumes after a value never skips a separator
 * another match starts at, and an "=" inside a value (`a=b=c`, `x=y:z=w`) has no separator
 * right before its [\w.-] run.
 */
function kvFacts(b: Uint8Array, s: number, e: number, f: LogFacts): number {
  let n = 0;
  for (let x = 0; x < eqCount; x++) {
    const q = eqAt[x];
    if (q < s) continue;
    if (q >= e) break;
    let k = q;
    while (k > s && isWordDotDash(b[k - 1])) k--;
    if (k === q || q - k > 64 || !(isAlpha(b[k]) || b[k] === 0x5f) || (k > s && !isKvSep(b[k - 1]))) continue;
    let v = q + 1;
    while (v < e && !isKvSep(b[v])) v++;
    pairKs[n] = k;
    pairKe[n] = q;
    pairVs[n] = q + 1;
    pairVe[n] = v;
    if (++n >= MAX_PAIRS) return -1;
  }
  if (n === 0) return 0;
  // per role, the first key (in the object's key order: first appearance), with that key's last value
  let sv = -1;
  let dv = -1;
  let sptv = -1;
  let dptv = -1;
  let pv = -1;
  for (let j = 0; j < n; j++) {
    const r = roleOf(b, pairKs[j], pairKe[j]);
    pairRole[j] = r;
    if (r < 0) continue;
    if (r === 0 && sv < 0) sv = j;
    else if (r === 1 && dv < 0) dv = j;
    else if (r === 2 && sptv < 0) sptv = j;
    else if (r === 3 && dptv < 0) dptv = j;
    else if (r === 4 && pv < 0) pv = j;
  }
  let srcS = -1;
  let srcE = -1;
  let dstS = -1;
  let dstE = -1;
  if (sv >= 0) {
    const j = lastPair(b, sv, n);
    if (pairVe[j] > pairVs[j] && isIpBytes(b, pairVs[j], pairVe[j])) {
      srcS = pairVs[j];
      srcE = pairVe[j];
    }
  }
  if (dv >= 0) {
    const j = lastPair(b, dv, n);
    if (pairVe[j] > pairVs[j] && isIpBytes(b, pairVs[j], pairVe[j])) {
      dstS = pairVs[j];
      dstE = pairVe[j];
    }
  }
  if (srcS < 0 && dstS < 0) return 0;
  f.srcStart = srcS;
  f.srcEnd = srcE;
  f.dstStart = dstS;
  f.dstEnd = dstE;
  if (sptv >= 0) {
    const j = lastPair(b, sptv, n);
    f.srcPort = portOf(b, pairVs[j], pairVe[j]);
  }
  if (dptv >= 0) {
    const j = lastPair(b, dptv, n);
    f.dstPort = portOf(b, pairVs[j], pairVe[j]);
  }
  if (pv >= 0) {
    const j = lastPair(b, pv, n);
    f.proto = protoOf(b, pairVs[j], pairVe[j]);
  }
  return 1;
}

let quadEnd = 0;
let quadPortEnd = 0;

/** ASA_PAIR's `(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,5})\b` at q: true with quadEnd (the address's end, at "/") and quadPortEnd. */
function quadPortAt(b: Uint8Array, q: number, e: number): boolean {
  let p = q;
  for (let part = 0; part < 4; part++) {
    const d = digitRun(b, p, e);
    if (d === p || d - p > 3) return false;
    p = d;
    if (part < 3) {
      if (p >= e || b[p] !== 0x2e) return false;
      p++;
    }
  }
  if (p >= e || b[p] !== 0x2f) return false;
  const d = digitRun(b, p + 1, e);
  if (d === p + 1 || d - (p + 1) > 5) return false;
  if (d < e && isWord(b[d])) return false;
  quadEnd = p;
  quadPortEnd = d;
  return true;
}

/** ASA_PAIR's `(?:[\w.-]{1,64}:)?` then the address and port at k (greedy: with the interface first). */
function asaRestAt(b: Uint8Array, k: number, e: number): number {
  let r = k;
  while (r < e && isWordDotDash(b[r])) r++;
  if (r > k && r - k <= 64 && r < e && b[r] === 0x3a && quadPortAt(b, r + 1, e)) return r + 1;
  if (quadPortAt(b, k, e)) return k;
  return -1;
}

/** \b before position i (a word character there): the start, or a non-word character before it. */
function wordStart(b: Uint8Array, s: number, i: number): boolean {
  return i === s || !isWord(b[i - 1]);
}

/**
 * PROTO_WORD's alternatives (TCP|UDP|ICMP|tcp|udp|icmp|SCTP|sctp|GRE|gre) by first byte: each
 * first byte starts exactly one of them (the case of the first letter is the word's case), so a
 * candidate is one table load and no loop over the list.
 */
const PROTO_WORD_AT = new Array<[Uint8Array, number] | null>(256).fill(null);
for (const [w, num] of [['TCP', 6], ['UDP', 17], ['ICMP', 1], ['SCTP', 132], ['GRE', 47]] as const) {
  for (const v of [w, w.toLowerCase()]) PROTO_WORD_AT[v.charCodeAt(0)] = [Uint8Array.from(v, (c) => c.charCodeAt(0)), num];
}

/** endpointsFromProse on the message [s, e): false when not sure. */
function proseFacts(b: Uint8Array, s: number, e: number, f: LogFacts): boolean {
  if (lineHasArrow) return false; // Cisco IOS pairs (IOS_PAIR), not read here
  let pairs = 0;
  // ASA_PAIR's matches, from the line's "/" (the first pass's positions): a match is its
  // prefix (^, a space or "("), then [\w.:-] only up to its "/", so the one place it can start
  // for a "/" is right after the run of [\w.:-] before it; those runs are disjoint and hold no
  // prefix character, so taking the "/"s in order finds the pattern's matches in order (a
  // match's port is digits after its "/": no later run starts inside it)
  for (let x = 0; x < slashCount && pairs < 2; x++) {
    const q = slashAt[x];
    if (q < s) continue;
    if (q >= e) break;
    let t = q;
    while (t > s && (isWordDotDash(b[t - 1]) || b[t - 1] === 0x3a)) t--;
    let paren = false;
    if (t > s) {
      const c = b[t - 1];
      if (c !== 0x20 && c !== 0x28) continue;
      paren = c === 0x28;
    }
    const at = asaRestAt(b, t, e);
    if (at < 0) continue;
    const ipEnd = quadEnd;
    const portEnd = quadPortEnd;
    if (!isIpv4Bytes(b, at, ipEnd) || paren) continue;
    if (pairs === 0) {
      f.srcStart = at;
      f.srcEnd = ipEnd;
      f.srcPort = portOf(b, ipEnd + 1, portEnd);
    } else {
      f.dstStart = at;
      f.dstEnd = ipEnd;
      f.dstPort = portOf(b, ipEnd + 1, portEnd);
    }
    pairs++;
  }
  if (pairs === 0) sshdFrom(b, s, e, f);
  if (f.srcStart >= 0 || f.dstStart >= 0) {
    for (let i = s; i < e; i++) {
      const cand = PROTO_WORD_AT[b[i]];
      if (cand === null || !wordStart(b, s, i)) continue;
      const w = cand[0];
      const we = i + w.length;
      if (we > e || (we < e && isWord(b[we]))) continue;
      let k = 1;
      while (k < w.length && b[i + k] === w[k]) k++;
      if (k === w.length) {
        f.proto = cand[1];
        return true;
      }
    }
  }
  return true;
}

/** SSHD_FROM `\bfrom (\S{2,45}) port (\d{1,5})\b`, the first match, when the message holds " port ". */
function sshdFrom(b: Uint8Array, s: number, e: number, f: LogFacts): void {
  // (parseLog first asks for " port " in the message: only an early exit, a match holds one)
  for (let i = s; i + 5 <= e; i++) {
    if (b[i] !== 0x66 || !startsWith(b, i, e, 'from ') || !wordStart(b, s, i)) continue;
    const ts = i + 5;
    const te = tokenEnd(b, ts, e);
    const n = te - ts;
    if (n < 2 || n > 45 || !startsWith(b, te, e, ' port ')) continue;
    const ps = te + 6;
    const pe = digitRun(b, ps, e);
    if (pe === ps || pe - ps > 5 || (pe < e && isWord(b[pe]))) continue;
    if (isIpBytes(b, ts, te)) {
      f.srcStart = ts;
      f.srcEnd = te;
      f.srcPort = portOf(b, ps, pe);
    }
    return;
  }
}

/** The plain message's endpoints (key=value pairs, else prose); false when not sure. */
function plainFacts(b: Uint8Array, s: number, e: number, f: LogFacts): boolean {
  const kv = kvFacts(b, s, e, f);
  if (kv < 0) return false;
  if (kv > 0) return true;
  return proseFacts(b, s, e, f);
}

/** "Alert Level: " or "** Alert " at s: parseLog tries OSSEC. */
function ossecMessage(b: Uint8Array, s: number, e: number): boolean {
  return startsWith(b, s, e, 'Alert Level: ') || startsWith(b, s, e, '** Alert ');
}

// from extractLogFacts's first pass: whether the line holds "/", "->" or "{" at all, and where its "=" are
let lineHasArrow = false;
/** Positions of the line's "/" bytes, in order. */
const slashAt = new Int32Array(MAX_BYTES);
let slashCount = 0;
let lineHasBrace = false;
/** Positions of the line's "=" bytes, in order (eqCount of them; a line has at most MAX_BYTES). */
const eqAt = new Int32Array(MAX_BYTES);
let eqCount = 0;

/** The first pass's byte classes: one table load per byte instead of a chain of comparisons. */
const C_PLAIN = 0;
const C_REJECT = 1; // control characters, DEL and above (UTF-8), backslash: the parser's
const C_QUOTE = 2;
const C_SLASH = 3;
const C_DASH = 4; // "->" when a ">" follows
const C_BRACE = 5;
const C_EQ = 6;
const BYTE_CLASS = new Uint8Array(256).fill(C_REJECT);
BYTE_CLASS.fill(C_PLAIN, 0x20, 0x7f);
BYTE_CLASS[0x5c] = C_REJECT;
BYTE_CLASS[0x22] = C_QUOTE;
BYTE_CLASS[0x2f] = C_SLASH;
BYTE_CLASS[0x2d] = C_DASH;
BYTE_CLASS[0x7b] = C_BRACE;
BYTE_CLASS[0x3d] = C_EQ;

/**
 * Fills f with the facts of the message in b[start, end) received at refSec (the reference for
 * a BSD time's year), as parseLog + toLogEvent would give them; false when not sure (the
 * caller then parses the message in full).
 */
export function extractLogFacts(b: Uint8Array, start: number, end: number, refSec: number, f: LogFacts): boolean {
  const n = end - start;
  if (n < 4 || n > MAX_BYTES) return false;
  let quotes = 0;
  // one pass over the bytes: what disqualifies the line, and which later scans can be skipped
  let slashes = 0;
  let arrow = false;
  let brace = false;
  let eqs = 0;
  for (let i = start; i < end; i++) {
    const k = BYTE_CLASS[b[i]];
    if (k === C_PLAIN) continue;
    if (k === C_EQ) eqAt[eqs++] = i;
    else if (k === C_REJECT) return false;
    else if (k === C_QUOTE) f.quoteAt[quotes++] = i;
    else if (k === C_SLASH) slashAt[slashes++] = i;
    else if (k === C_BRACE) brace = true;
    // "->": Cisco IOS pairs in prose are not read here (proseFacts defers), the seed's direction is
    else if (i + 1 < end && b[i + 1] === 0x3e) arrow = true;
  }
  eqCount = eqs;
  slashCount = slashes;
  lineHasArrow = arrow;
  lineHasBrace = brace;
  f.reset();
  f.quotes = quotes;
  rawStart = start;
  // PRI: "<" 1-3 digits ">", at most 191, no leading zero
  if (b[start] !== 0x3c) return false;
  const dEnd = digitRun(b, start + 1, end);
  const nd = dEnd - (start + 1);
  if (nd < 1 || nd > 3 || b[dEnd] !== 0x3e || dEnd >= end) return false;
  if (digits(b, start + 1, dEnd) > 191 || (nd > 1 && b[start + 1] === 0x30)) return false;
  const p = dEnd + 1;
  if (p < end && isDigit(b[p])) {
    if (b[p] === 0x31 && b[p + 1] === 0x20 && p + 1 < end) return rfc5424Facts(b, p + 2, end, f);
    // another RFC 5424 version (`\d{1,2} `), or a Cisco sequence number (`\d{1,10}: `): not read here
    if ((p + 1 < end && b[p + 1] === 0x20) || (p + 2 < end && isDigit(b[p + 1]) && b[p + 2] === 0x20)) return false;
    const r = digitRun(b, p, end);
    if (r - p <= 10 && r + 1 < end && b[r] === 0x3a && b[r + 1] === 0x20) return false;
    // else RFC 3164 with an ISO time (rsyslog's forwarding format) or none
  }
  if (quotes > 0) return false;
  return rfc3164Facts(b, p, end, refSec, f);
}

function rfc5424Facts(b: Uint8Array, p: number, e: number, f: LogFacts): boolean {
  if (p >= e) return false;
  const tsEnd = tokenEnd(b, p, e);
  if (!(tsEnd - p === 1 && b[p] === 0x2d)) {
    if (!isoToken(b, p, tsEnd)) return false;
    setTime(f, bsdSec, bsdNsec, isoZoned);
  }
  if (tsEnd >= e) return false;
  // host, app, procid, msgid: each a token (possibly empty) that must start before the end
  let pos = tsEnd + 1;
  let appS = 0;
  let appE = 0;
  for (let k = 0; k < 4; k++) {
    if (pos >= e) return false;
    const te = tokenEnd(b, pos, e);
    if (k === 1) {
      appS = pos;
      appE = te;
    }
    pos = te < e ? te + 1 : e;
  }
  if (pos < e) {
    if (b[pos] === 0x2d) pos++;
    else if (b[pos] === 0x5b) {
      pos = sdEnd(b, pos, e);
      if (pos < 0) return false;
    } else return false;
  }
  if (pos < e && b[pos] === 0x20) pos++;
  f.msgStart = pos;
  f.msgEnd = e;
  if (startsWith(b, pos, e, 'CEF:')) {
    f.format = FORMAT_CEF;
    return cefFacts(b, pos, e, f);
  }
  for (let i = pos; i < e; i++) if (b[i] === 0x22) return false;
  // "-" is the nil app (no OSSEC name)
  const o = ossecFacts(b, appS, appE, pos, e, f);
  if (o !== 0) return o > 0;
  f.format = FORMAT_RFC5424;
  return plainFacts(b, pos, e, f);
}

/** SD_NAME `[^\s=\]"]{1,32}` at s: its end, or -1 (also when longer: the parser reports a problem then). */
function sdNameEnd(b: Uint8Array, s: number, e: number): number {
  let q = s;
  while (q < e) {
    const c = b[q];
    if (c === 0x20 || c === 0x3d || c === 0x5d || c === 0x22) break;
    q++;
  }
  return q === s || q - s > 32 ? -1 : q;
}

/** rfc5424.ts parseStructuredData from "[" at pos (no backslashes in the line): the end, or -1 for a problem. */
function sdEnd(b: Uint8Array, pos: number, e: number): number {
  while (pos < e && b[pos] === 0x5b) {
    pos = sdNameEnd(b, pos + 1, e);
    if (pos < 0) return -1;
    for (;;) {
      if (pos >= e) return -1;
      if (b[pos] === 0x5d) {
        pos++;
        break;
      }
      if (b[pos] !== 0x20) return -1;
      pos = sdNameEnd(b, pos + 1, e);
      if (pos < 0 || pos + 1 >= e || b[pos] !== 0x3d || b[pos + 1] !== 0x22) return -1;
      pos += 2;
      while (pos < e && b[pos] !== 0x22) pos++;
      if (pos >= e) return -1;
      pos++;
    }
  }
  return pos;
}

function rfc3164Facts(b: Uint8Array, p: number, e: number, refSec: number, f: LogFacts): boolean {
  if (p < e && (b[p] === 0x2a || b[p] === 0x2e)) return false;
  let pos = p;
  let hostStart = -1;
  let t = bsdTimeAt(b, p, e, refSec);
  let zoned = false;
  if (t === -1) {
    t = isoPrefixAt(b, p, e);
    zoned = isoZoned;
  }
  if (t === -2) return false;
  if (t >= 0) {
    setTime(f, bsdSec, bsdNsec, zoned);
    pos = t;
    // Cisco's time zone name: ZONE `^ (?!CEF:)([A-Z]{2,5})(?=[: ])`
    if (pos + 1 < e && b[pos] === 0x20) {
      let z = pos + 1;
      while (z < e && b[z] >= 0x41 && b[z] <= 0x5a && z - (pos + 1) < 6) z++;
      const zl = z - (pos + 1);
      if (zl >= 2 && zl <= 5 && z < e && (b[z] === 0x3a || b[z] === 0x20) && !startsWith(b, pos + 1, e, 'CEF:')) pos = z;
    }
    if (pos < e && b[pos] === 0x3a) pos++;
    if (pos < e && b[pos] === 0x20) pos++;
    // HOST `^[^\s]{1,255}(?= )`, unless it is a tag, a Cisco mnemonic or a payload's start
    const he = tokenEnd(b, pos, e);
    const hl = he - pos;
    if (hl >= 1 && hl <= 255 && he < e && b[he - 1] !== 0x3a && b[pos] !== 0x25 && !startsWith(b, pos, e, 'CEF:') && b[pos] !== 0x7b && tagAt(b, pos, e) !== 2) {
      hostStart = pos;
      pos = he + 1;
    }
  }
  const afterHost = pos;
  let msg = afterHost;
  let appS = -1;
  let appE = -1;
  if (b[afterHost] === 0x25 && afterHost < e && ciscoAt(b, afterHost, e)) {
    appS = afterHost + 1;
    appE = ciscoAppEnd;
    msg = ciscoEnd;
  } else if (!startsWith(b, afterHost, e, 'CEF:')) {
    if (tagAt(b, afterHost, e) !== 0) {
      appS = afterHost;
      appE = tagNameEnd;
      msg = tagEnd;
    }
  }
  f.msgStart = msg;
  f.msgEnd = e;
  if (startsWith(b, afterHost, e, 'CEF:')) {
    f.format = FORMAT_CEF;
    return cefFacts(b, afterHost, e, f);
  }
  if (startsWith(b, msg, e, 'CEF:')) {
    f.format = FORMAT_CEF;
    return cefFacts(b, msg, e, f);
  }
  // the seed's "{evtype,rank}" follows a space: parseSeedBody on the host and body, or the body
  if (lineHasBrace && ((hostStart >= 0 && b[afterHost] === 0x7b && afterHost < e) || hasSpaceBrace(b, afterHost, e))) return seedFacts(b, hostStart >= 0 ? hostStart : afterHost, e, f);
  const o = ossecFacts(b, appS, appE, msg, e, f);
  if (o !== 0) return o > 0;
  f.format = FORMAT_RFC3164;
  return plainFacts(b, msg, e, f);
}

/** " {" in [s, e). */
function hasSpaceBrace(b: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i + 1 < e; i++) if (b[i] === 0x20 && b[i + 1] === 0x7b) return true;
  return false;
}

/** seed-format.ts HEAD's rest after the sensor: ` \{(\d{1,3}),(-?\d{1,3})\} ` at q; its end, or -1. */
function seedHeadRest(b: Uint8Array, q: number, e: number): number {
  if (q + 1 >= e || b[q] !== 0x20 || b[q + 1] !== 0x7b) return -1;
  let p = q + 2;
  let d = digitRun(b, p, e);
  if (d === p || d - p > 3 || d >= e || b[d] !== 0x2c) return -1;
  p = d + 1;
  if (p < e && b[p] === 0x2d) p++;
  d = digitRun(b, p, e);
  if (d === p || d - p > 3 || d + 1 >= e || b[d] !== 0x7d || b[d + 1] !== 0x20) return -1;
  return d + 2;
}

const SEED_DIRS = ['->', '<-', '<->', '--'];
// the seed tail's tokens (at most three)
const tokS = new Int32Array(3);
const tokE = new Int32Array(3);

/** seed-format.ts splitHostPort on the token [s, e) (no spaces in it): fills the side, true when it names one. */
function seedEndpoint(b: Uint8Array, s: number, e: number, f: LogFacts, src: boolean): void {
  let ipS = -1;
  let ipE = -1;
  let port = -1;
  if (b[s] === 0x5b) {
    let c = s + 1;
    while (c < e && b[c] !== 0x5d) c++;
    if (c >= e || !isIpv6Bytes(b, s + 1, c)) return;
    if (c + 1 === e) {
      ipS = s + 1;
      ipE = c;
    } else {
      const d = digitRun(b, c + 2, e);
      if (b[c + 1] !== 0x3a || d !== e || e - (c + 2) < 1 || e - (c + 2) > 5) return;
      const v = digits(b, c + 2, e);
      if (v > 65535) return;
      ipS = s + 1;
      ipE = c;
      port = v;
    }
  } else if (isIpBytes(b, s, e)) {
    ipS = s;
    ipE = e;
  } else {
    let c = e - 1;
    while (c > s && b[c] !== 0x3a) c--;
    if (c <= s) return;
    const n = e - (c + 1);
    if (n < 1 || n > 5 || digitRun(b, c + 1, e) !== e) return;
    const v = digits(b, c + 1, e);
    if (v > 65535 || !isIpv4Bytes(b, s, c)) return;
    ipS = s;
    ipE = c;
    port = v;
  }
  if (src) {
    f.srcStart = ipS;
    f.srcEnd = ipE;
    f.srcPort = port;
  } else {
    f.dstStart = ipS;
    f.dstEnd = ipE;
    f.dstPort = port;
  }
}

/** isIpv6 on bytes (through the string checker: rare, one short string). */
function isIpv6Bytes(b: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (n < 2 || n > 45) return false;
  let colon = false;
  for (let i = s; i < e; i++) if (b[i] === 0x3a) colon = true;
  return colon && isIpBytes(b, s, e);
}

/**
 * parseSeedBody on [s, e) (the host and body, or the body) and seedResult's facts: false when
 * its HEAD does not match (parseLog then goes on to OSSEC and the plain message: not read here).
 */
function seedFacts(b: Uint8Array, s: number, e: number, f: LogFacts): boolean {
  // HEAD `^(\S+?):? ...`: the shortest sensor after which the rest matches (with the colon first)
  const sp = tokenEnd(b, s, e);
  let head = -1;
  for (let k = s + 1; k <= sp && head < 0; k++) {
    if (k < e && b[k] === 0x3a) head = seedHeadRest(b, k + 1, e);
    if (head < 0) head = seedHeadRest(b, k, e);
  }
  if (head < 0) return false;
  f.format = FORMAT_SEED;
  f.msgStart = head;
  f.msgEnd = e;
  // TAIL / \{([A-Za-z0-9-]{1,16})\}((?: \S+){0,3})$/: the leftmost " {proto}" followed by at most three tokens to the end
  for (let i = head; i + 1 < e; i++) {
    if (b[i] !== 0x20 || b[i + 1] !== 0x7b) continue;
    let q = i + 2;
    while (q < e && (isAlpha(b[q]) || isDigit(b[q]) || b[q] === 0x2d)) q++;
    if (q === i + 2 || q - (i + 2) > 16 || q >= e || b[q] !== 0x7d) continue;
    const protoS = i + 2;
    const protoE = q;
    // the tokens: each one space and a non-empty run of non-spaces, up to the end
    let n = 0;
    let r = q + 1;
    let fits = true;
    while (r < e) {
      if (n === 3 || b[r] !== 0x20 || r + 1 >= e || b[r + 1] === 0x20) {
        fits = false;
        break;
      }
      tokS[n] = r + 1;
      r = tokenEnd(b, r + 1, e);
      tokE[n++] = r;
    }
    if (!fits) continue;
    let di = -1;
    for (let k = 0; k < n && di < 0; k++) for (const dir of SEED_DIRS) if (equalsExact(b, tokS[k], tokE[k], dir)) di = k;
    const ok = n === 0 || (di >= 0 && di <= 1 && n - di - 1 <= 1);
    if (!ok) return true; // the braces were message text: no endpoints, the whole rest is the message
    f.msgEnd = i;
    if (di === 1) seedEndpoint(b, tokS[0], tokE[0], f, true);
    if (di >= 0 && n > di + 1) seedEndpoint(b, tokS[di + 1], tokE[di + 1], f, false);
    f.proto = protoOf(b, protoS, protoE);
    return true;
  }
  return true;
}
