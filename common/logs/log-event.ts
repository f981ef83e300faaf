/** A parsed line → the `log` event of the Bridge (common/bridge/messages.ts LogEventSchema). */
import type { LogEvent } from '../bridge/messages.js';
import { formatTs } from '../time/timestamp.js';
import type { ParsedLog } from './parsed-log.js';

export interface LogOrigin {
  id: string;
  sensor: string;
  receivedSec: number;
  receivedNsec: number;
  transport: LogEvent['transport'];
  senderIp: string | null;
  senderPort: number | null;
  captureFlow: string | null;
}

/** Strings the schema bounds are cut to fit (the raw line keeps everything). */
function cap(s: string | null, n: number): string | null {
  return s === null || s.length <= n ? s : s.slice(0, n);
}

/** Host and app as the event keeps them (the schema's 255 characters). */
export function capHeaderText(s: string | null): string | null {
  return cap(s, 255);
}

/** The event's fields: the parser's object, or a copy with names cut to the schema's 128 characters. */
export function fieldsOf(f: Record<string, string>): Record<string, string> {
  let long = false;
  for (const k in f) if (k.length > 128) long = true;
  // the common case: every name fits, the parser's object is used as it is
  if (!long) return f;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) out[k.length <= 128 ? k : k.slice(0, 128)] = v;
  return out;
}

/** A time is kept only when it fits the timestamp text form (no negative or absurd years). */
export function keptTime(t: { sec: number; nsec: number } | null): t is { sec: number; nsec: number } {
  return t !== null && Number.isSafeInteger(t.sec) && t.sec >= 0 && t.sec <= 99_999_999_999;
}

function tsText(t: { sec: number; nsec: number } | null): string | null {
  return keptTime(t) ? formatTs(t.sec, t.nsec) : null;
}

export function toLogEvent(raw: string, p: ParsedLog, o: LogOrigin): LogEvent {
  const received = formatTs(o.receivedSec, o.receivedNsec);
  const eventTs = tsText(p.time);
  return {
    kind: 'log',
    id: o.id,
    sensor: o.sensor,
    ts: eventTs ?? received,
    rank: 0,
    received_ts: received,
    event_ts: eventTs,
    event_ts_zoned: eventTs !== null && p.time?.zoned === true,
    transport: o.transport,
    sender_ip: o.senderIp,
    sender_port: o.senderPort,
    capture_flow: o.captureFlow,
    format: p.format,
    facility: p.facility,
    severity: p.severity,
    host: capHeaderText(p.host),
    app: capHeaderText(p.app),
    message: p.message,
    raw,
    fields: fieldsOf(p.fields),
    src_ip: p.endpoints.srcIp,
    src_port: p.endpoints.srcPort,
    dst_ip: p.endpoints.dstIp,
    dst_port: p.endpoints.dstPort,
    proto: p.endpoints.proto,
    problem: p.problem,
    flow_ids: [],
  };
}
