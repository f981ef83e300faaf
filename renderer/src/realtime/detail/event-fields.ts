/**
 * Every field of an event or flow as label/value lines for the detail pane (pure, unit-tested).
 *
 * Generic on purpose: the lines come from the record itself (nested records as dotted paths,
 * lists one item per line), so a field a later version adds (an alert's rule references, a new
 * log field) shows without this file learning it. A headline per known kind says what the event
 * is in one line (an alert's gid:sid:rev and message, a log's message, a file's name and type).
 */
import { FlowRowSchema, type FlowRow, type TaplineEvent } from '../../../../common/bridge/messages.js';
import { tcpFlagLetters } from '../../../../common/flow/flow-json.js';
import { formatBytes } from '../../format/numbers.js';
import { protoName } from '../../format/protocols.js';

export interface FieldLine {
  /** Dotted path in the record (alert.sid, fields.user, references[0]). */
  path: string;
  /** The path's last part in words. */
  label: string;
  value: string;
  /** A time (decimal epoch seconds): the pane shows it in the chosen zone, UTC and exact. */
  time: boolean;
}

const TS_TEXT = /^\d{1,15}(\.\d{1,9})?$/;
/** Keys holding a time: ts, received_ts, first_ts, firstTs, lastTs, … */
const TS_KEY = /(^|_)ts$|Ts$/;

const LABELS: Readonly<Record<string, string>> = {
  ts: 'time',
  sid: 'sid (signature id)',
  gid: 'gid (generator id)',
  rev: 'rev (revision)',
  msg: 'message',
  classtype: 'classtype',
  community_id: 'Community ID',
  flow_id: 'flow id',
  flowId: 'flow id',
  src_ip: 'source address',
  src_port: 'source port',
  dst_ip: 'destination address',
  dst_port: 'destination port',
  ip_proto: 'IP protocol',
  app_proto: 'app protocol',
  sha256: 'SHA-256',
  sha1: 'SHA-1',
  md5: 'MD5',
  mime: 'type (content)',
  declaredType: 'type (declared)',
};

function labelOf(key: string): string {
  if (LABELS[key]) return LABELS[key];
  // first_ts → first ts, userAgent → user agent
  return key
    .replace(/_/g, ' ')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Flattens a record: nested records become dotted paths, lists of values one value per line. */
export function flattenRecord(rec: Readonly<Record<string, unknown>>, prefix = '', out: FieldLine[] = []): FieldLine[] {
  for (const [key, v] of Object.entries(rec)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isRecord(v)) {
      if (Object.keys(v).length === 0) out.push({ path, label: labelOf(key), value: '—', time: false });
      else flattenRecord(v, path, out);
    } else if (Array.isArray(v)) {
      if (v.length === 0) out.push({ path, label: labelOf(key), value: '—', time: false });
      else if (v.every((x) => !isRecord(x) && !Array.isArray(x))) out.push({ path, label: labelOf(key), value: v.map(scalar).join('\n'), time: false });
      else v.forEach((x, i) => (isRecord(x) ? flattenRecord(x, `${path}[${i}]`, out) : out.push({ path: `${path}[${i}]`, label: `${labelOf(key)} ${i + 1}`, value: scalar(x), time: false })));
    } else {
      out.push({ path, label: labelOf(key), value: scalar(v), time: typeof v === 'string' && TS_KEY.test(key) && TS_TEXT.test(v) });
    }
  }
  return out;
}

const SEVERITIES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'];

function endpoint(ip: string | null, port: number | null): string {
  if (ip === null) return '?';
  if (port === null) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** One line saying what the event is. */
export function eventHeadline(e: TaplineEvent): string {
  switch (e.kind) {
    case 'ids': {
      const a = e.alert;
      return `[${a.gid}:${a.sid}:${a.rev}] ${a.msg}${a.classtype ? ` (${a.classtype}, priority ${a.priority})` : ` (priority ${a.priority})`}`;
    }
    case 'log':
      return `${e.severity !== null ? `${SEVERITIES[e.severity] ?? e.severity} ` : ''}${e.host ?? e.sender_ip ?? ''}${e.app ? ` ${e.app}` : ''}: ${e.message}`;
    case 'file':
      return `${e.file.name ?? e.file.sha256.slice(0, 16)} · ${e.file.mime ?? e.file.declaredType ?? 'unknown type'} · ${formatBytes(e.file.size)}`;
    case 'discovery':
      return `${e.discovery.type} ${e.discovery.what} ${endpoint(e.discovery.host, e.discovery.port)}`;
    case 'external':
      return `${e.external.source} ${e.external.log} ${endpoint(e.external.src_ip, e.external.src_port)} → ${endpoint(e.external.dst_ip, e.external.dst_port)}`;
    case 'flow':
      return flowHeadline(e.flow);
    case 'notice':
      return `${e.level}: ${e.message}`;
    default: {
      const r = e as unknown as Record<string, unknown>;
      return typeof r.message === 'string' ? r.message : typeof r.msg === 'string' ? r.msg : e.kind;
    }
  }
}

export function flowHeadline(f: FlowRow): string {
  const proto = f.proto === null ? f.kind : protoName(f.proto);
  return `${endpoint(f.client_ip, f.client_port)} → ${endpoint(f.server_ip, f.server_port)} ${proto}`;
}

/** The event's lines (every field; the flow of a flow event is shown as a flow instead). */
export function eventLines(e: TaplineEvent): FieldLine[] {
  return flattenRecord(e as unknown as Record<string, unknown>);
}

const FLOW_KEYS = Object.keys(FlowRowSchema.shape) as (keyof FlowRow)[];

/**
 * A flow's lines: exactly the API's fields (a grid row carries bookkeeping of its own, left out),
 * with protocol and TCP flags also in words.
 */
export function flowLines(f: FlowRow): FieldLine[] {
  const rec: Record<string, unknown> = {};
  for (const k of FLOW_KEYS) if (f[k] !== undefined) rec[k] = f[k];
  const lines = flattenRecord(rec);
  for (const l of lines) {
    if (l.path === 'proto' && f.proto !== null) l.value = `${protoName(f.proto)} (${f.proto})`;
    if (l.path === 'tcp_flags' && f.tcp_flags !== null) l.value = `${tcpFlagLetters(f.tcp_flags) || 'none'} (0x${f.tcp_flags.toString(16).padStart(2, '0')})`;
    if (l.path === 'log_count') l.label = 'log messages';
  }
  return lines;
}
