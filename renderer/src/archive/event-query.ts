/**
 * The historical search over archived events (pure: unit-tested in Node): the record the archive
 * keeps per event, the "Search Events or Flows" form and its conversion, the predicate a query
 * compiles to, sorting, and CSV / JSON export.
 */
import type { FlowSearch, TaplineEvent } from '../../../common/bridge/messages.js';
import { parseProto } from '../../../common/bridge/query-parse.js';
import { parseAddressRange, rangeContains, type AddressRange } from '../../../common/net/address-range.js';
import { eventFacts, factAddresses, type EventFacts } from '../events/event-facts.js';
import { parseTimeInput } from '../flows/search-form.js';

/** One archived event: the facts as indexed fields, and the event as received. */
export interface ArchivedEvent {
  /** The primary key: sensor and event id (unique per sensor), so a replayed event is stored once. */
  uid: string;
  id: string;
  sensor: string;
  kind: string;
  ts: number;
  rank: number;
  /** Addresses on either side (multi-entry index). */
  ips: string[];
  /** Ports on either side (multi-entry index). */
  ports: number[];
  proto: number;
  sid: number;
  message: string;
  bytes: number;
  packets: number;
  flowId: string;
  event: TaplineEvent;
}

export function toArchived(e: TaplineEvent, facts: EventFacts = eventFacts(e)): ArchivedEvent {
  const ports: number[] = [];
  if (facts.srcPort !== null) ports.push(facts.srcPort);
  if (facts.dstPort !== null && facts.dstPort !== facts.srcPort) ports.push(facts.dstPort);
  return {
    uid: `${facts.sensor}\u0000${facts.id}`,
    id: facts.id,
    sensor: facts.sensor,
    kind: facts.kind,
    ts: facts.ts,
    rank: facts.rank,
    ips: factAddresses(facts),
    ports,
    proto: facts.proto ?? -1,
    sid: facts.sid ?? -1,
    message: facts.message,
    bytes: facts.bytes,
    packets: facts.packets,
    flowId: facts.flowId ?? '',
    event: e,
  };
}

// ---------------------------------------------------------------- the form

export interface HistoryForm {
  target: 'events' | 'flows';
  since: string;
  until: string;
  ip: string;
  port: string;
  proto: string;
  sid: string;
  text: string;
  /** Lowest rank shown ("" = any). */
  minRank: string;
  sensor: string;
  kind: string;
}

export type HistoryField = keyof HistoryForm;
export type HistoryErrors = Partial<Record<HistoryField, string>>;

export const EMPTY_HISTORY_FORM: HistoryForm = { target: 'events', since: '-24h', until: '', ip: '', port: '', proto: '', sid: '', text: '', minRank: '', sensor: '', kind: '' };

export interface EventQuery {
  since?: number;
  until?: number;
  /** Exact address or CIDR block, on either side. */
  ip?: string;
  port?: number;
  proto?: number;
  sid?: number;
  /** Case-insensitive text in the message. */
  text?: string;
  minRank?: number;
  sensor?: string;
  kind?: string;
  /** Every kind but this one (the detail pane's related events leave out flows). */
  notKind?: string;
}

/** Converts the form, or returns one message per wrong field. */
export function formToQuery(form: HistoryForm, zone: string, nowMs: number): { query: EventQuery } | { errors: HistoryErrors } {
  const errors: HistoryErrors = {};
  const q: EventQuery = {};
  for (const f of ['since', 'until'] as const) {
    if (!form[f].trim()) continue;
    const t = parseTimeInput(form[f], zone, nowMs);
    if ('error' in t) errors[f] = t.error;
    else q[f] = Number(t.value);
  }
  if (q.since !== undefined && q.until !== undefined && q.since > q.until) errors.until = 'Ends before the start';
  const ip = form.ip.trim();
  if (ip) {
    if (parseAddressRange(ip)) q.ip = ip;
    else errors.ip = 'Not an IP address or CIDR block (e.g. 10.0.0.5, 10.0.0.0/8, 2001:db8::/32)';
  }
  const int = (field: HistoryField, text: string, min: number, max: number): number | undefined => {
    const t = text.trim();
    if (!t) return undefined;
    if (!/^-?\d{1,10}$/.test(t) || Number(t) < min || Number(t) > max) {
      errors[field] = `A whole number from ${min} to ${max}`;
      return undefined;
    }
    return Number(t);
  };
  const port = int('port', form.port, 0, 65535);
  if (port !== undefined) q.port = port;
  if (form.proto.trim()) {
    try {
      q.proto = parseProto(form.proto.trim());
    } catch (e) {
      errors.proto = (e as Error).message.replace(/^proto /, '');
    }
  }
  const sid = int('sid', form.sid, 1, 4_294_967_295);
  if (sid !== undefined) q.sid = sid;
  const minRank = int('minRank', form.minRank, -100, 100);
  if (minRank !== undefined) q.minRank = minRank;
  if (form.text.trim()) q.text = form.text.trim().slice(0, 200);
  if (form.sensor.trim()) q.sensor = form.sensor.trim();
  if (form.kind.trim()) q.kind = form.kind.trim();
  if (form.target === 'flows') {
    for (const f of ['sid', 'text', 'kind'] as const) if (q[f] !== undefined) errors[f] = 'Flows have no such field: clear it or search events';
  }
  return Object.keys(errors).length ? { errors } : { query: q };
}

/** The back end's flow search for the same query (CIDR blocks are the back end's to expand). */
export function queryToFlowSearch(q: EventQuery, limit = 10_000): FlowSearch {
  return {
    ...(q.ip ? { hosts: [q.ip] } : {}),
    ...(q.port !== undefined ? { port: q.port } : {}),
    ...(q.proto !== undefined ? { proto: q.proto } : {}),
    ...(q.since !== undefined ? { since: String(q.since) } : {}),
    ...(q.until !== undefined ? { until: String(q.until) } : {}),
    ...(q.sensor ? { sensor: q.sensor } : {}),
    limit,
  };
}

/** Whether the query's address is one exact address (the archive's address index answers it). */
export function exactIp(q: EventQuery): string | null {
  return q.ip && !q.ip.includes('/') ? q.ip : null;
}

function ipKey(ip: string): Uint8Array | null {
  const r = parseAddressRange(ip);
  return r ? r.lo : null;
}

export type EventPredicate = (e: ArchivedEvent) => boolean;

export function compileEventQuery(q: EventQuery): EventPredicate {
  const range: AddressRange | null = q.ip ? parseAddressRange(q.ip) : null;
  const text = q.text?.toLowerCase();
  const ipMatch = (ips: readonly string[]): boolean => {
    if (!range) return true;
    for (const ip of ips) {
      const k = ipKey(ip);
      if (k && rangeContains(range, k)) return true;
    }
    return false;
  };
  return (e) =>
    (q.since === undefined || e.ts >= q.since) &&
    (q.until === undefined || e.ts <= q.until) &&
    (q.port === undefined || e.ports.includes(q.port)) &&
    (q.proto === undefined || e.proto === q.proto) &&
    (q.sid === undefined || e.sid === q.sid) &&
    (q.minRank === undefined || e.rank >= q.minRank) &&
    (q.sensor === undefined || e.sensor === q.sensor) &&
    (q.kind === undefined || e.kind === q.kind) &&
    (q.notKind === undefined || e.kind !== q.notKind) &&
    (text === undefined || e.message.toLowerCase().includes(text)) &&
    ipMatch(e.ips);
}

// ---------------------------------------------------------------- sorting and export

export type SortKey = 'ts' | 'sensor' | 'kind' | 'rank' | 'src' | 'dst' | 'ports' | 'proto' | 'sid' | 'message' | 'bytes';
export interface Sort {
  key: SortKey;
  dir: 'asc' | 'desc';
}

const sortValue = (e: ArchivedEvent, k: SortKey): string | number => {
  switch (k) {
    case 'src':
      return e.ips[0] ?? '';
    case 'dst':
      return e.ips[1] ?? '';
    case 'ports':
      return e.ports[0] ?? -1;
    default:
      return e[k];
  }
};

/** The archive's paging order: time, then the primary key. */
export function compareUid(a: ArchivedEvent, b: ArchivedEvent): number {
  return a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
}

export function compareKey(a: ArchivedEvent, b: ArchivedEvent): number {
  return a.ts - b.ts || compareUid(a, b);
}

export function sortEvents(rows: readonly ArchivedEvent[], s: Sort): ArchivedEvent[] {
  const sign = s.dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = sortValue(a, s.key);
    const y = sortValue(b, s.key);
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y), 'en', { numeric: true });
    return sign * (c || a.ts - b.ts || compareUid(a, b));
  });
}

export const CSV_COLUMNS = ['time', 'sensor', 'kind', 'rank', 'src_ip', 'dst_ip', 'ports', 'proto', 'sid', 'message', 'bytes', 'packets', 'flow_id', 'id'] as const;

/** A CSV field: quoted when needed; a leading = + - @ is neutralized so spreadsheets do not run it. */
export function csvField(v: string | number): string {
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly ArchivedEvent[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of rows) {
    lines.push(
      [
        new Date(e.ts * 1000).toISOString(),
        e.sensor,
        e.kind,
        e.rank,
        e.ips[0] ?? '',
        e.ips[1] ?? '',
        e.ports.join(' '),
        e.proto < 0 ? '' : e.proto,
        e.sid < 0 ? '' : e.sid,
        e.message,
        e.bytes,
        e.packets,
        e.flowId,
        e.id,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** JSON export: the events as received (one array). */
export function toJson(rows: readonly ArchivedEvent[]): string {
  return `${JSON.stringify(rows.map((r) => r.event), null, 1)}\n`;
}
