/**
 * Suricata eve.json lines (one JSON object per line) → LogRecords. Alert, fileinfo, http, dns,
 * tls records are kept (and flow, anomaly, smtp, ftp, … as generic records); stats lines are
 * skipped (no flow).
 */
import { parseTimestamp } from '../../common/time/timestamp.js';
import { flatten, portOf, protoNumber, type ParsedLine } from './log-record.js';

const SKIP_TYPES = new Set(['stats']);

export function parseEveLine(text: string, line: number): ParsedLine {
  const t = text.trim();
  if (!t) return { skip: true };
  let o: unknown;
  try {
    o = JSON.parse(t);
  } catch {
    return { error: 'not JSON', line };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { error: 'not a JSON object', line };
  const r = o as Record<string, unknown>;
  const type = typeof r.event_type === 'string' ? r.event_type : null;
  if (!type) return { error: 'no event_type', line };
  if (SKIP_TYPES.has(type)) return { skip: true };
  const ts = typeof r.timestamp === 'string' ? parseTimestamp(r.timestamp) : null;
  const fields: Record<string, string | string[]> = {};
  const body = r[type];
  if (body !== undefined && type !== 'alert') flatten(body, '', fields);
  if (typeof r.app_proto === 'string') fields.app_proto = r.app_proto;
  let alert = null;
  if (type === 'alert') {
    const a = r.alert as Record<string, unknown> | undefined;
    const sid = typeof a?.signature_id === 'number' ? a.signature_id : NaN;
    if (!a || !Number.isInteger(sid) || sid < 0) return { error: 'alert without alert.signature_id', line };
    const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : d);
    alert = {
      action: typeof a.action === 'string' ? a.action.slice(0, 16) : 'allowed',
      gid: num(a.gid, 1),
      sid,
      rev: num(a.rev, 0),
      signature: typeof a.signature === 'string' ? a.signature : `sid ${sid}`,
      category: typeof a.category === 'string' ? a.category : null,
      severity: Math.min(255, Math.max(1, num(a.severity, 3))),
    };
  }
  const protoName = typeof r.proto === 'string' ? r.proto : typeof r.proto === 'number' ? String(r.proto) : null;
  return {
    record: {
      source: 'suricata',
      log: type.slice(0, 32),
      line,
      ts,
      duration: null,
      srcIp: typeof r.src_ip === 'string' ? r.src_ip : null,
      srcPort: portOf(r.src_port),
      dstIp: typeof r.dest_ip === 'string' ? r.dest_ip : null,
      dstPort: portOf(r.dest_port),
      proto: protoNumber(protoName),
      protoName: protoName ? protoName.toLowerCase() : null,
      communityId: typeof r.community_id === 'string' ? r.community_id : null,
      fields,
      alert,
    },
  };
}
