/**
 * The search bar's fields (text as typed) and their conversion to a FlowSearch, with one message
 * per field the analyst got wrong. Times without a zone are read in the zone chosen in Settings,
 * so what the analyst types matches what the grid shows.
 */
import type { FlowSearch } from '../../../common/bridge/messages.js';
import { parseProto, QueryError } from '../../../common/bridge/query-parse.js';
import { parseAddressRange } from '../../../common/net/address-range.js';
import { formatTs, parseTimestamp } from '../../../common/time/timestamp.js';
import { wallTimeToEpoch } from '../format/time.js';

export interface SearchForm {
  host1: string;
  host2: string;
  port: string;
  proto: string;
  since: string;
  until: string;
  communityId: string;
  limit: string;
  sensor: string;
}

export type SearchField = keyof SearchForm;
export type FieldErrors = Partial<Record<SearchField, string>>;

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 100_000;

export const EMPTY_FORM: SearchForm = {
  host1: '',
  host2: '',
  port: '',
  proto: '',
  since: '',
  until: '',
  communityId: '',
  limit: String(DEFAULT_LIMIT),
  sensor: '',
};

const WALL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;
const RELATIVE = /^-(\d{1,6})\s*([smhd])$/;
const UNIT_SEC: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export const TIME_HELP = 'e.g. 2024-03-01 14:30, -2h, -7d, an ISO time with zone, or epoch seconds';

/**
 * A time field as decimal epoch seconds: epoch seconds, ISO 8601 with a zone, a wall time
 * (read in `zone`), or "-N{s,m,h,d}" before `nowMs`. Returns an error message when it is none.
 */
export function parseTimeInput(text: string, zone: string, nowMs: number): { value: string } | { error: string } {
  const s = text.trim();
  const rel = RELATIVE.exec(s);
  if (rel) return { value: String(Math.floor(nowMs / 1000) - Number(rel[1]) * UNIT_SEC[rel[2]]) };
  const wall = WALL.exec(s);
  if (wall) {
    const [, y, mo, d, h = '0', mi = '0', se = '0', frac] = wall;
    const w = { year: Number(y), month: Number(mo), day: Number(d), hour: Number(h), minute: Number(mi), second: Number(se) };
    const check = new Date(Date.UTC(w.year, w.month - 1, w.day));
    if (w.month < 1 || w.month > 12 || check.getUTCDate() !== w.day || w.hour > 23 || w.minute > 59 || w.second > 59)
      return { error: `"${s}" is not a real date and time` };
    const sec = wallTimeToEpoch(w, zone);
    if (sec < 0) return { error: 'times before 1970 are not in any capture' };
    return { value: formatTs(sec, frac ? Number(frac.padEnd(9, '0')) : 0) };
  }
  const t = parseTimestamp(s);
  if (t) return { value: formatTs(t.sec, t.nsec) };
  return { error: `Not a time: ${TIME_HELP}` };
}

function checkHost(v: string): string | null {
  return parseAddressRange(v) ? null : 'Not an IP address or CIDR block (e.g. 10.0.0.5, 10.0.0.0/8, 2001:db8::/32)';
}

/** Converts the form, or returns the errors by field. */
export function formToSearch(form: SearchForm, zone: string, nowMs: number): { search: FlowSearch } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const search: FlowSearch = {};
  const hosts: string[] = [];
  for (const f of ['host1', 'host2'] as const) {
    const v = form[f].trim();
    if (!v) continue;
    const e = checkHost(v);
    if (e) errors[f] = e;
    else hosts.push(v);
  }
  if (hosts.length) search.hosts = hosts;

  const port = form.port.trim();
  if (port) {
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) errors.port = 'A port is a number from 0 to 65535';
    else search.port = Number(port);
  }

  const proto = form.proto.trim();
  if (proto) {
    try {
      search.proto = parseProto(proto);
    } catch (e) {
      errors.proto = e instanceof QueryError ? 'Use tcp, udp, icmp, icmp6, sctp, gre or a number 0-255' : String(e);
    }
  }

  for (const f of ['since', 'until'] as const) {
    const v = form[f].trim();
    if (!v) continue;
    const r = parseTimeInput(v, zone, nowMs);
    if ('error' in r) errors[f] = r.error;
    else search[f] = r.value;
  }
  if (search.since && search.until && !errors.since && !errors.until) {
    const a = parseTimestamp(search.since);
    const b = parseTimestamp(search.until);
    if (a && b && (a.sec > b.sec || (a.sec === b.sec && a.nsec > b.nsec))) errors.until = 'Until is before since';
  }

  const cid = form.communityId.trim();
  if (cid) {
    if (cid.length > 64) errors.communityId = 'A Community ID is at most 64 characters (e.g. 1:yvyB8h+3dnggTZW0UEITWCst97w=)';
    else search.community_id = cid;
  }

  const limit = form.limit.trim();
  if (limit) {
    if (!/^\d{1,6}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) errors.limit = `A limit is 1 to ${MAX_LIMIT.toLocaleString('en-US')}`;
    else search.limit = Number(limit);
  } else search.limit = DEFAULT_LIMIT;

  if (form.sensor) search.sensor = form.sensor;
  return Object.keys(errors).length ? { errors } : { search };
}

/** The form with a host added ("Filter by this value" on an address); null when both are taken. */
export function withHost(form: SearchForm, ip: string): SearchForm | null {
  if (form.host1.trim() === ip || form.host2.trim() === ip) return form;
  if (!form.host1.trim()) return { ...form, host1: ip };
  if (!form.host2.trim()) return { ...form, host2: ip };
  return null;
}
