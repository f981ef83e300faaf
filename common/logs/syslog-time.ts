/**
 * Timestamps as syslog senders write them: the BSD form "Mmm dd hh:mm:ss" (no year, no zone),
 * Cisco's "Mmm dd yyyy hh:mm:ss(.mmm)", and RFC 3339 / ISO 8601 with a zone. A BSD time without a
 * year takes the year that puts it closest before the reference time (the time it was received
 * or captured), so "Dec 31" received on Jan 1 is last year's; Feb 29 takes the nearest leap year.
 * A time without a zone is read as UTC (the sender's zone is unknowable; docs/LOGS.md).
 */
import type { LogTime } from './parsed-log.js';

const MONTHS: Readonly<Record<string, number>> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

export const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** A time this far after the reference is still read as this year's (clock skew between hosts). */
const FUTURE_SLACK_SEC = 2 * 86400;

export interface TimeMatch {
  time: LogTime | null;
  /** Characters of the input the timestamp took (including nothing after it). */
  length: number;
}

function fracToNsec(frac: string | undefined): number {
  return frac ? Number(frac.slice(0, 9).padEnd(9, '0')) : 0;
}

// Calendar arithmetic in integers (H. Hinnant's days_from_civil / civil_from_days): Date
// objects cost ~0.4 µs each, and a BSD timestamp needed a dozen of them to find its year.
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** mo is 0-based. */
function validDate(y: number, mo: number, d: number): boolean {
  return mo >= 0 && mo <= 11 && d >= 1 && d <= (mo === 1 && isLeap(y) ? 29 : DAYS_IN_MONTH[mo]);
}

/** Days since 1970-01-01 of y-m-d (m 1-based, proleptic Gregorian). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The UTC year of epoch seconds. */
function yearOf(sec: number): number {
  const z = Math.floor(sec / 86400) + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const m = mp < 10 ? mp + 3 : mp - 9;
  return yoe + era * 400 + (m <= 2 ? 1 : 0);
}

/** mo is 0-based. */
function epoch(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  return daysFromCivil(y, mo + 1, d) * 86400 + h * 3600 + mi * 60 + s;
}

/** The year that puts month/day closest before refSec (within FUTURE_SLACK_SEC after it). */
export function inferYear(mo: number, d: number, h: number, mi: number, s: number, refSec: number): number | null {
  const refYear = yearOf(refSec);
  for (let y = refYear + 1; y >= refYear - 8; y--) {
    if (!validDate(y, mo, d)) continue;
    if (epoch(y, mo, d, h, mi, s) <= refSec + FUTURE_SLACK_SEC) return y;
  }
  return null;
}

const BSD = /^([A-Za-z]{3}) {1,2}(\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9})\d*)?(Z|z|[+-]\d{2}:?\d{2})?/;

// the last BSD timestamp read and its result: a busy sender repeats the same second many times
let lastBsd = '';
let lastRef = NaN;
let lastSec = 0;
let lastNsec = 0;

/** A BSD (or Cisco, with year) timestamp at the start of text. */
export function matchBsdTime(text: string, refSec: number): TimeMatch | null {
  const m = BSD.exec(text);
  if (!m) return null;
  // a fresh result object each time (callers own it); only the calendar arithmetic is skipped
  if (m[0] === lastBsd && refSec === lastRef) return { time: { sec: lastSec, nsec: lastNsec }, length: m[0].length };
  const r = matchBsdTimeOf(m, refSec);
  if (r?.time) {
    lastBsd = m[0];
    lastRef = refSec;
    lastSec = r.time.sec;
    lastNsec = r.time.nsec;
  }
  return r;
}

function matchBsdTimeOf(m: RegExpExecArray, refSec: number): TimeMatch | null {
  const mo = MONTHS[m[1].toLowerCase()];
  if (mo === undefined) return null;
  const d = Number(m[2]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  if (d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  const sec = bsdTimeSec(mo, d, m[3] !== undefined ? Number(m[3]) : null, h, mi, s, refSec);
  if (sec === null) return { time: null, length: m[0].length };
  return { time: { sec, nsec: fracToNsec(m[7]) }, length: m[0].length };
}

/**
 * A BSD timestamp's epoch seconds from its numbers (mo 0-based; year null when the text gives
 * none: inferred from refSec), or null when no valid date results. The fields' ranges (d 1-31,
 * h <= 23, mi <= 59, s <= 60) are the caller's to check. Shared with log-facts.ts, which reads
 * the numbers from bytes.
 */
export function bsdTimeSec(mo: number, d: number, year: number | null, h: number, mi: number, s: number, refSec: number): number | null {
  const y = year !== null ? year : inferYear(mo, d, h, mi, Math.min(s, 59), refSec);
  if (y === null || !validDate(y, mo, d)) return null;
  return epoch(y, mo, d, h, mi, Math.min(s, 59));
}

/** Epoch seconds of a calendar date and time (mo 0-based), or null when the date is not valid (log-facts.ts's ISO times). */
export function civilSec(y: number, mo: number, d: number, h: number, mi: number, s: number): number | null {
  if (mo < 0 || mo > 11 || !validDate(y, mo, d)) return null;
  return epoch(y, mo, d, h, mi, Math.min(s, 59));
}

/** An RFC 3339 / ISO 8601 timestamp at the start of text (zone optional: UTC when absent). */
export function matchIsoTime(text: string): TimeMatch | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  if (mo < 0 || mo > 11 || !validDate(y, mo, d) || h > 23 || mi > 59 || s > 60) return { time: null, length: m[0].length };
  let sec = epoch(y, mo, d, h, mi, Math.min(s, 59));
  const zone = m[8];
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const zh = Number(digits.slice(0, 2));
    const zm = Number(digits.slice(2, 4));
    if (zh > 23 || zm > 59) return { time: null, length: m[0].length };
    sec -= sign * (zh * 3600 + zm * 60);
  }
  return { time: zone ? { sec, nsec: fracToNsec(m[7]), zoned: true } : { sec, nsec: fracToNsec(m[7]) }, length: m[0].length };
}

/** "Feb 29 17:12:09": the BSD form of a time in UTC (the day space-padded, as RFC 3164 writes it). */
export function formatBsdTime(sec: number): string {
  const d = new Date(sec * 1000);
  const day = String(d.getUTCDate()).padStart(2, ' ');
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${MONTH_NAMES[d.getUTCMonth()]} ${day} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;
}
