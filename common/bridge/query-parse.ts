/**
 * Turns the wire forms of searches and slice targets (strings from URLs, the UI, NDJSON) into the
 * store's query types, with one message per problem naming the field.
 */
import type { FlowQuery, TupleQuery } from '../index/index-reader.js';
import { parseAddressRange } from '../net/address-range.js';
import { parseTimestamp, type Timestamp } from '../time/timestamp.js';
import type { FlowSearch, SliceTarget } from './messages.js';

export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

const PROTOS: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmp6: 58, icmpv6: 58, sctp: 132 };

export function parseProto(v: string | number, field = 'proto'): number {
  if (typeof v === 'number') return v;
  const n = PROTOS[v.toLowerCase()] ?? (/^\d{1,3}$/.test(v) && Number(v) <= 255 ? Number(v) : undefined);
  if (n === undefined) throw new QueryError(`${field} "${v}" is not a protocol (tcp, udp, icmp, icmp6, sctp, gre, or 0-255)`);
  return n;
}

export function parseTime(v: string, field: string): Timestamp {
  const t = parseTimestamp(v);
  if (!t) throw new QueryError(`${field} "${v}" is not a time (decimal epoch seconds or ISO 8601)`);
  return t;
}

function host(v: string, field: string, single = false) {
  const r = parseAddressRange(v);
  if (!r || (single && v.includes('/'))) throw new QueryError(`${field} "${v}" is not an IP address${single ? '' : ' or CIDR block'}`);
  return r;
}

export const DEFAULT_FLOW_LIMIT = 1000;

export function parseFlowSearch(q: FlowSearch): { query: FlowQuery; limit: number } {
  return {
    query: {
      hosts: (q.hosts ?? []).map((h) => host(h, 'host')),
      port: q.port,
      proto: q.proto !== undefined ? parseProto(q.proto) : undefined,
      since: q.since ? parseTime(q.since, 'since') : undefined,
      until: q.until ? parseTime(q.until, 'until') : undefined,
      communityId: q.community_id || undefined,
    },
    limit: q.limit ?? DEFAULT_FLOW_LIMIT,
  };
}

export function parseTupleTarget(t: Extract<SliceTarget, { sip: string }>): TupleQuery {
  const q: TupleQuery = {
    sip: host(t.sip, 'sip', true),
    dip: host(t.dip, 'dip', true),
    spt: t.spt,
    dpt: t.dpt,
    proto: t.proto !== undefined ? parseProto(t.proto) : undefined,
    stime: t.stime ? parseTime(t.stime, 'stime') : undefined,
    etime: t.etime ? parseTime(t.etime, 'etime') : undefined,
  };
  if (q.stime && q.etime && (q.stime.sec > q.etime.sec || (q.stime.sec === q.etime.sec && q.stime.nsec > q.etime.nsec)))
    throw new QueryError('stime is after etime');
  return q;
}
