/**
 * `tapline ingest`'s work: reads one log file line by line (streamed, any size), detects its
 * format (eve.json, Zeek JSON, Zeek TSV), links each record to its flow and turns it into an
 * event: eve alerts into `ids` events, everything else into `external` events. Event ids hash
 * the file's line content, so ingesting the same file twice yields the same ids.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { EventSchema, type TaplineEvent } from '../../common/bridge/messages.js';
import { priorityRank } from '../../common/ranking/ranker.js';
import { formatTs } from '../../common/time/timestamp.js';
import type { Store } from '../store/store.js';
import { parseEveLine } from './eve-reader.js';
import { FlowLinker } from './flow-linker.js';
import type { LogRecord, ParsedLine } from './log-record.js';
import { parseZeekJsonLine, ZeekTsvReader } from './zeek-reader.js';

export interface IngestSummary {
  file: string;
  format: 'eve' | 'zeek-json' | 'zeek-tsv' | 'unknown';
  records: number;
  linked: number;
  errors: { line: number; error: string }[];
  errorCount: number;
}

const MAX_LINE = 1024 * 1024;
const MAX_ERRORS_KEPT = 20;

export async function ingestFile(store: Store, path: string, sensor: string, onEvent: (e: TaplineEvent) => void, linker = new FlowLinker(store)): Promise<IngestSummary> {
  const s: IngestSummary = { file: path, format: 'unknown', records: 0, linked: 0, errors: [], errorCount: 0 };
  const zeekPath = basename(path).replace(/\.(log|json|ndjson)(\.gz)?$/, '').replace(/\..*$/, '');
  let tsv: ZeekTsvReader | null = null;
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  for await (const text of rl) {
    n++;
    if (text.length > MAX_LINE) {
      fail(s, n, `line longer than ${MAX_LINE} characters`);
      continue;
    }
    if (s.format === 'unknown') {
      const t = text.trim();
      if (!t) continue;
      if (t.startsWith('#')) s.format = 'zeek-tsv';
      else if (t.startsWith('{')) s.format = /"event_type"\s*:/.test(t) ? 'eve' : 'zeek-json';
      else {
        fail(s, n, 'neither JSON nor a Zeek TSV header: not an eve.json or Zeek log');
        break;
      }
      if (s.format === 'zeek-tsv') tsv = new ZeekTsvReader(zeekPath);
    }
    const p: ParsedLine = s.format === 'eve' ? parseEveLine(text, n) : s.format === 'zeek-json' ? parseZeekJsonLine(text, zeekPath, n) : (tsv as ZeekTsvReader).line(text, n);
    if ('skip' in p) continue;
    if ('error' in p) {
      fail(s, n, p.error);
      continue;
    }
    s.records++;
    const link = await linker.link(p.record);
    if (link) s.linked++;
    const e = toEvent(p.record, link, sensor, createHash('sha256').update(`${p.record.source}\n${text}`).digest('hex').slice(0, 24));
    const ok = EventSchema.safeParse(e);
    if (ok.success) onEvent(ok.data);
    else fail(s, n, `record does not fit the event schema: ${ok.error.issues[0]?.message ?? 'invalid'}`);
  }
  return s;
}

function fail(s: IngestSummary, line: number, error: string): void {
  s.errorCount++;
  if (s.errors.length < MAX_ERRORS_KEPT) s.errors.push({ line, error });
}

function toEvent(r: LogRecord, link: { flowId: string; link: 'community-id' | 'tuple-time' | 'tuple' } | null, sensor: string, hash: string): TaplineEvent {
  const ts = r.ts ? formatTs(r.ts.sec, r.ts.nsec) : '0';
  if (r.alert) {
    const a = r.alert;
    return {
      id: `eve-${hash}`,
      sensor,
      ts,
      rank: priorityRank(a.severity),
      kind: 'ids',
      alert: {
        source: 'suricata',
        gid: a.gid,
        sid: a.sid,
        rev: a.rev,
        msg: a.signature.slice(0, 1024),
        classtype: a.category ? a.category.slice(0, 100) : null,
        priority: a.severity,
        action: a.action,
        app_proto: typeof r.fields.app_proto === 'string' ? r.fields.app_proto.slice(0, 16) : (r.protoName ?? 'ip').slice(0, 16),
        ip_proto: r.proto ?? 0,
        src_ip: (r.srcIp ?? '').slice(0, 64),
        src_port: r.srcPort,
        dst_ip: (r.dstIp ?? '').slice(0, 64),
        dst_port: r.dstPort,
        flow_id: link?.flowId ?? null,
        community_id: r.communityId,
        packet: null,
      },
    };
  }
  return {
    id: `${r.source === 'zeek' ? 'zeek' : 'eve'}-${hash}`,
    sensor,
    ts,
    rank: 0,
    kind: 'external',
    external: {
      source: r.source,
      log: r.log,
      src_ip: r.srcIp?.slice(0, 64) ?? null,
      src_port: r.srcPort,
      dst_ip: r.dstIp?.slice(0, 64) ?? null,
      dst_port: r.dstPort,
      proto: r.protoName?.slice(0, 16) ?? null,
      community_id: r.communityId?.slice(0, 64) ?? null,
      flow_id: link?.flowId ?? null,
      link: link?.link ?? null,
      fields: r.fields,
    },
  };
}
