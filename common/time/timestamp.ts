/**
 * Timestamps at full precision: whole seconds plus nanoseconds, never a float of both (a double
 * cannot hold epoch nanoseconds exactly).
 */
export interface Timestamp {
  sec: number;
  nsec: number;
}

export function compareTs(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return aSec !== bSec ? aSec - bSec : aNsec - bNsec;
}

/** "1362692526.869344000": decimal epoch seconds with 9 fractional digits. */
export function formatTs(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}

const DECIMAL = /^(\d{1,15})(?:\.(\d{1,9}))?$/;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses decimal epoch seconds (up to 9 fractional digits) or ISO 8601 (date, optional time with
 * up to 9 fractional digits, optional zone; no zone means UTC). Returns null when invalid.
 */
export function parseTimestamp(text: string): Timestamp | null {
  const s = text.trim();
  const d = DECIMAL.exec(s);
  if (d) {
    const sec = Number(d[1]);
    const nsec = d[2] ? Number(d[2].padEnd(9, '0')) : 0;
    return Number.isSafeInteger(sec) ? { sec, nsec } : null;
  }
  const m = ISO.exec(s);
  if (!m) return null;
  const [, y, mo, da, h = '0', mi = '0', se = '0', frac, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(da);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(se);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return null;
  let offsetSec = 0;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const zh = Number(digits.slice(0, 2));
    const zm = Number(digits.slice(2, 4));
    if (zh > 23 || zm > 59) return null;
    offsetSec = sign * (zh * 3600 + zm * 60);
  }
  const sec = Math.floor(ms / 1000) - offsetSec;
  if (sec < 0) return null;
  return { sec, nsec: frac ? Number(frac.padEnd(9, '0')) : 0 };
}
