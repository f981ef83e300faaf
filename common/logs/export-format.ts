/**
 * Tapline's events as the seed exported them to a SIEM: its syslog line
 * ("<date> <sensor>.<domain> {<evtype>,<rank>} <msg> {<proto>} <src>:<spt> <dir> <dst>:<dpt>") and
 * CEF (version 0, configurable Device Vendor/Product/Version, Signature ID = event type).
 *
 * Event types (the seed's numbering; docs/LOGS.md has the table): 1 IDS alert, 2 flow, 3 service
 * discovery, 5 host discovery, 6 file transmission, 7 syslog/external log, 8 sensor notice,
 * 9 capture import, 10 ranking change, 11 class match. Not produced: 12 and 13 (the issue lists
 * the numbers, but neither it nor the product brief says what the seed meant by them).
 */
import type { TaplineEvent } from '../bridge/messages.js';
import { formatCef } from './cef.js';
import type { SeedDirection } from './seed-format.js';
import { formatSeedLine } from './seed-format.js';
import { formatBsdTime } from './syslog-time.js';

export const EVENT_TYPES = {
  ids: 1,
  flow: 2,
  'service-discovery': 3,
  'host-discovery': 5,
  file: 6,
  log: 7,
  notice: 8,
  import: 9,
  ranking: 10,
  'class-match': 11,
} as const;

export interface ExportRecord {
  evtype: number;
  rank: number;
  /** The event's time (ms since the epoch). */
  timeMs: number;
  name: string;
  proto: string;
  protoNumber: number | null;
  src: string | null;
  spt: number | null;
  dst: string | null;
  dpt: number | null;
  dir: SeedDirection;
  /** Per-type CEF extension fields (keys: letters and digits). */
  extra: [string, string | number][];
}

const PROTO_NAMES: Readonly<Record<number, string>> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP' };

function protoName(p: number | null): string {
  return p === null ? 'IP' : (PROTO_NAMES[p] ?? String(p));
}

/** Facts as "k=v; k=a,b" (lists joined), bounded for a CEF string field (1023 characters). */
function factsText(fields: Record<string, string | string[]>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(`${k}=${Array.isArray(v) ? v.join(',') : v}`);
  const t = parts.join('; ').replace(/[\r\n]+/g, ' ');
  return t.length > 1023 ? `${t.slice(0, 1020)}...` : t;
}

function firstOf(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

function msOf(ts: string): number {
  const [s, f = '0'] = ts.split('.');
  return Number(s) * 1000 + Math.floor(Number(f.padEnd(9, '0')) / 1e6);
}

/** What a Tapline event exports as, or null for kinds that are not exported (import progress). */
export function exportRecord(e: TaplineEvent): ExportRecord | null {
  const base = { rank: e.rank, timeMs: msOf(e.ts), extra: [] as [string, string | number][] };
  const none = { proto: 'IP', protoNumber: null, src: null, spt: null, dst: null, dpt: null, dir: '--' as SeedDirection };
  switch (e.kind) {
    case 'flow': {
      const f = e.flow;
      return {
        ...base,
        evtype: EVENT_TYPES.flow,
        name: `Flow ${f.client_ip ?? '?'} -> ${f.server_ip ?? '?'}${f.note ? ` (${f.note})` : ''}`,
        proto: protoName(f.proto),
        protoNumber: f.proto,
        src: f.client_ip,
        spt: f.client_port,
        dst: f.server_ip,
        dpt: f.server_port,
        dir: '->',
        extra: [
          ['cn1Label', 'packets'],
          ['cn1', f.packets],
          ['out', f.client_bytes],
          ['in', f.server_bytes],
          ['end', msOf(f.last_ts)],
          ['cs2Label', 'flowId'],
          ['cs2', f.id],
        ],
      };
    }
    case 'file':
      return {
        ...base,
        ...none,
        evtype: EVENT_TYPES.file,
        name: `File ${e.file.name ?? e.file.sha256.slice(0, 12)} (${e.file.mime ?? 'unknown type'})`,
        proto: 'TCP',
        protoNumber: 6,
        dir: e.file.direction === 'download' ? '<-' : '->',
        extra: [
          ['fname', e.file.name ?? ''],
          ['fsize', e.file.size],
          ['fileHash', e.file.sha256],
          ['fileType', e.file.mime ?? ''],
          ['request', e.file.url ?? ''],
          ['cs2Label', 'flowId'],
          ['cs2', e.file.flowId],
        ],
      };
    case 'log':
      return {
        ...base,
        evtype: EVENT_TYPES.log,
        name: e.message.length > 512 ? `${e.message.slice(0, 509)}...` : e.message,
        proto: protoName(e.proto),
        protoNumber: e.proto,
        src: e.src_ip,
        spt: e.src_port,
        dst: e.dst_ip,
        dpt: e.dst_port,
        dir: e.src_ip !== null || e.dst_ip !== null ? '->' : '--',
        extra: [
          ['shost', e.host ?? ''],
          ['cs3Label', 'logFormat'],
          ['cs3', e.format],
          ['cs2Label', 'flowIds'],
          ['cs2', e.flow_ids.join(',')],
        ],
      };
    case 'ids': {
      const a = e.alert;
      return {
        ...base,
        evtype: EVENT_TYPES.ids,
        // the seed's alert text: "[gid:sid:rev] msg"
        name: `[${a.gid}:${a.sid}:${a.rev}] ${a.msg}`,
        proto: protoName(a.ip_proto),
        protoNumber: a.ip_proto,
        src: a.src_ip,
        spt: a.src_port,
        dst: a.dst_ip,
        dpt: a.dst_port,
        dir: '->',
        extra: [
          ['cs5Label', 'signature'],
          ['cs5', `${a.gid}:${a.sid}:${a.rev}`],
          ['cat', a.classtype ?? ''],
          ['act', a.action],
          ['app', a.app_proto],
          ['cn1Label', 'priority'],
          ['cn1', a.priority],
          ['cs6Label', 'engine'],
          ['cs6', a.source],
          ['cs2Label', 'flowId'],
          ['cs2', a.flow_id ?? ''],
        ],
      };
    }
    case 'discovery': {
      const d = e.discovery;
      if (d.type === 'service') {
        const port = d.port === null ? '' : `:${d.port}`;
        return {
          ...base,
          evtype: EVENT_TYPES['service-discovery'],
          name: `Service ${d.what} on ${d.host}${port}`,
          // the service's host is the destination; the peer that revealed it, the source
          proto: 'IP',
          protoNumber: null,
          src: d.peer,
          spt: null,
          dst: d.host,
          dpt: d.port,
          dir: d.peer !== null ? '->' : '--',
          extra: [
            ['app', d.what],
            ['cs5Label', 'details'],
            ['cs5', factsText(d.fields)],
            ['cs2Label', 'flowId'],
            ['cs2', d.flow_id ?? ''],
          ],
        };
      }
      const name = firstOf(d.fields.names);
      return {
        ...base,
        ...none,
        evtype: EVENT_TYPES['host-discovery'],
        name: `Host ${d.host}${name ? ` (${name})` : ''}`,
        src: d.host,
        extra: [
          ['shost', name ?? ''],
          ['cs5Label', 'details'],
          ['cs5', factsText(d.fields)],
        ],
      };
    }
    case 'notice':
      return { ...base, ...none, evtype: EVENT_TYPES.notice, name: `${e.level}: ${e.message}`, extra: [] };
    case 'import':
      return { ...base, ...none, evtype: EVENT_TYPES.import, name: `Import ${e.result.status} ${e.result.path}`, extra: [['cn1Label', 'packets'], ['cn1', e.result.packets]] };
    case 'ranking':
      return { ...base, ...none, evtype: EVENT_TYPES.ranking, name: `Rank of ${e.event_kind} ${e.event_id} changed from ${e.old_rank} to ${e.new_rank}`, extra: [['cn1Label', 'oldRank'], ['cn1', e.old_rank], ['cn2Label', 'newRank'], ['cn2', e.new_rank]] };
    case 'class-match':
      return { ...base, ...none, evtype: EVENT_TYPES['class-match'], name: `Class ${e.class_name} matched ${e.event_kind} ${e.event_id}`, extra: [['cs4Label', 'class'], ['cs4', e.class_name]] };
    default:
      return null;
  }
}

export interface SeedIdentity {
  sensor: string;
  domain: string;
}

export function toSeedLine(r: ExportRecord, id: SeedIdentity): string {
  return formatSeedLine({ timeSec: Math.floor(r.timeMs / 1000), sensor: id.sensor, domain: id.domain, evtype: r.evtype, rank: r.rank, message: r.name, proto: r.proto, src: r.src, spt: r.spt, dir: r.dir, dst: r.dst, dpt: r.dpt });
}

export interface CefIdentity {
  vendor: string;
  product: string;
  version: string;
  /** dvhost: the sensor's name. */
  host: string;
}

/** CEF severity 0-10 from the rank (−100..100): negative and zero ranks are 0..3, threats 4..10. */
export function cefSeverity(rank: number): number {
  if (rank <= 0) return rank < 0 ? 0 : 3;
  return Math.min(10, 3 + rank);
}

export function toCefLine(r: ExportRecord, id: CefIdentity): string {
  const ext: [string, string | number][] = [];
  if (r.src !== null) ext.push(['src', r.src]);
  if (r.dst !== null) ext.push(['dst', r.dst]);
  if (r.spt !== null) ext.push(['spt', r.spt]);
  if (r.dpt !== null) ext.push(['dpt', r.dpt]);
  if (r.protoNumber !== null) ext.push(['proto', r.proto]);
  ext.push(['dvhost', id.host], ['cs1Label', 'direction'], ['cs1', r.dir], ['start', r.timeMs], ['cn3Label', 'rank'], ['cn3', r.rank], ...r.extra);
  return formatCef({ version: '0', vendor: id.vendor, product: id.product, deviceVersion: id.version, signatureId: String(r.evtype), name: r.name, severity: String(cefSeverity(r.rank)) }, ext);
}

/** The syslog PRI an exported message carries: facility (default user = 1), severity from the rank. */
export function exportPri(rank: number, facility = 1): number {
  const severity = rank >= 5 ? 2 : rank > 0 ? 4 : 6;
  return facility * 8 + severity;
}

/** A CEF line as a syslog message: "<PRI>Mmm dd hh:mm:ss host CEF:...". */
export function cefSyslogMessage(r: ExportRecord, id: CefIdentity, facility = 1): string {
  return `<${exportPri(r.rank, facility)}>${formatBsdTime(Math.floor(r.timeMs / 1000))} ${id.host} ${toCefLine(r, id)}`;
}

export function seedSyslogMessage(r: ExportRecord, id: SeedIdentity, facility = 1): string {
  return `<${exportPri(r.rank, facility)}>${toSeedLine(r, id)}`;
}
