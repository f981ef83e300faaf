/**
 * Times as the analyst asked to see them: in the zone chosen in Settings ('local' = this
 * machine's zone, or an IANA name). Formatters are cached per zone because building an
 * Intl.DateTimeFormat costs far more than using one.
 */

/** The preference value meaning "this machine's time zone". */
export const LOCAL_ZONE = 'local';

const gridFormats = new Map<string, Intl.DateTimeFormat>();
const fullFormats = new Map<string, Intl.DateTimeFormat>();

/** The IANA zone to pass to Intl, or undefined for the machine's zone. */
export function intlZone(pref: string): string | undefined {
  return pref === LOCAL_ZONE ? undefined : pref;
}

/** The IANA name of the machine's zone (e.g. "Europe/Paris"). */
export function localZoneName(): string {
  return new Intl.DateTimeFormat('en-US').resolvedOptions().timeZone;
}

export function isValidZone(zone: string): boolean {
  if (zone === LOCAL_ZONE) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Every IANA zone this runtime knows, UTC first. */
export function listTimeZones(): string[] {
  let zones: string[] = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}

function formatter(cache: Map<string, Intl.DateTimeFormat>, zone: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let f = cache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { ...opts, timeZone: intlZone(zone), hourCycle: 'h23' });
    cache.set(zone, f);
  }
  return f;
}

type PartMap = Partial<Record<Intl.DateTimeFormatPartTypes, string>>;

function parts(f: Intl.DateTimeFormat, ms: number): PartMap {
  const out: PartMap = {};
  for (const p of f.formatToParts(ms)) out[p.type] = p.value;
  return out;
}

/** Grid times already formatted, per zone and second: formatToParts costs microseconds a call,
 * and the grids ask for the same seconds again on every scroll step and live frame. */
const gridTexts = new Map<string, Map<number, string>>();
const GRID_TEXTS_MAX = 20_000;

/** "MM/DD HH:MM:SS" of whole epoch seconds in the zone: the grid's Time column. */
export function formatGridTime(epochSec: number, zone: string): string {
  const sec = Math.floor(epochSec);
  let texts = gridTexts.get(zone);
  if (!texts) {
    texts = new Map();
    gridTexts.set(zone, texts);
  }
  const hit = texts.get(sec);
  if (hit !== undefined) return hit;
  const f = formatter(gridFormats, zone, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const p = parts(f, sec * 1000);
  const text = `${p.month}/${p.day} ${p.hour}:${p.minute}:${p.second}`;
  // bounded: a long scroll through years of rows must not grow this without end
  if (texts.size >= GRID_TEXTS_MAX) texts.clear();
  texts.set(sec, text);
  return text;
}

/** The zone's UTC offset at that instant, as "+01:00" / "-05:30" / "+00:00". */
export function zoneOffset(epochMs: number, zone: string): string {
  const f = formatter(fullFormats, zone, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  });
  const name = parts(f, epochMs).timeZoneName ?? 'GMT';
  const m = /GMT([+-]\d{2}:\d{2})/.exec(name);
  return m ? m[1] : '+00:00';
}

/**
 * The full-precision time for the detail pane: "2013-03-07 22:42:06.869344000 +01:00".
 * Nanoseconds come from the flow's decimal timestamp, never from a float.
 */
export function formatFullTime(sec: number, nsec: number, zone: string): string {
  const f = formatter(fullFormats, zone, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  });
  const ms = sec * 1000;
  const p = parts(f, ms);
  const off = /GMT([+-]\d{2}:\d{2})/.exec(p.timeZoneName ?? '');
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}.${String(nsec).padStart(9, '0')} ${off ? off[1] : '+00:00'}`;
}

/** Milliseconds the zone is ahead of UTC at that instant. */
function offsetMs(epochMs: number, zone: string): number {
  const f = formatter(fullFormats, zone, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'longOffset',
  });
  const p = parts(f, epochMs);
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/**
 * The epoch seconds of a wall-clock time in the zone. A repeated hour (DST ends) resolves to its
 * first occurrence; a skipped one (DST starts) to the instant the clock read with the offset in
 * force before the jump (02:30 becomes 03:30), as most tools do.
 */
export function wallTimeToEpoch(w: WallTime, zone: string): number {
  const DAY = 86_400_000;
  const guess = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  // Offsets a day either side cover both sides of any transition near this time.
  const offsets = [offsetMs(guess - DAY, zone), offsetMs(guess, zone), offsetMs(guess + DAY, zone)];
  const valid = offsets.map((o) => guess - o).filter((t) => t + offsetMs(t, zone) === guess);
  const t = valid.length ? Math.min(...valid) : guess - offsets[0];
  return Math.floor(t / 1000);
}
