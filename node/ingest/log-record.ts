/**
 * One record of an external log, normalised from Suricata eve.json or Zeek (TSV or JSON): who
 * talked to whom, when, and the record's own fields as strings. Parsing never throws: a
 * malformed line becomes an `error` with its line number.
 */
import type { Timestamp } from '../../common/time/timestamp.js';

export interface LogRecord {
  source: 'suricata' | 'zeek';
  /** eve event_type or the Zeek log path. */
  log: string;
  line: number;
  ts: Timestamp | null;
  /** Seconds the connection lasted (Zeek conn duration), when known. */
  duration: number | null;
  srcIp: string | null;
  srcPort: number | null;
  dstIp: string | null;
  dstPort: number | null;
  /** IP protocol number when known. */
  proto: number | null;
  protoName: string | null;
  communityId: string | null;
  fields: Record<string, string | string[]>;
  /** eve alerts: the alert object. */
  alert: EveAlert | null;
}

export interface EveAlert {
  action: string;
  gid: number;
  sid: number;
  rev: number;
  signature: string;
  category: string | null;
  severity: number;
}

export type ParsedLine = { record: LogRecord } | { error: string; line: number } | { skip: true };

const PROTO_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, 'ipv6-icmp': 58, icmp6: 58, sctp: 132, gre: 47 };

export function protoNumber(name: string | null | undefined): number | null {
  if (!name) return null;
  const n = PROTO_NUMBERS[name.toLowerCase()];
  if (n !== undefined) return n;
  return /^\d{1,3}$/.test(name) && Number(name) < 256 ? Number(name) : null;
}

export function portOf(v: unknown): number | null {
  const n = typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

/** Flattens a JSON value's leaves into dotted string fields (bounded). */
export function flatten(v: unknown, prefix: string, out: Record<string, string | string[]>, depth = 0): void {
  if (Object.keys(out).length >= 128 || depth > 6) return;
  if (v === null || v === undefined) return;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x !== 'object' || x === null)) out[prefix] = v.slice(0, 256).map((x) => String(x).slice(0, 1024));
    else v.slice(0, 16).forEach((x, i) => flatten(x, `${prefix}.${i}`, out, depth + 1));
    return;
  }
  if (typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out, depth + 1);
    return;
  }
  out[prefix.slice(0, 64)] = String(v).slice(0, 4096);
}
