/**
 * Zeek logs → LogRecords: the TSV format (`#separator`, `#fields`, `-` unset, `(empty)`, sets
 * split on `#set_separator`) and the JSON format (one object per line). The log's kind comes
 * from `#path` (TSV) or the caller (JSON: the file name, e.g. conn.log → conn).
 */
import { parseTimestamp } from '../../common/time/timestamp.js';
import { portOf, protoNumber, type ParsedLine } from './log-record.js';

export class ZeekTsvReader {
  private sep = '\t';
  private setSep = ',';
  private empty = '(empty)';
  private unset = '-';
  private fields: string[] | null = null;
  path: string;

  constructor(defaultPath: string) {
    this.path = defaultPath;
  }

  line(text: string, line: number): ParsedLine {
    if (!text) return { skip: true };
    if (text.startsWith('#')) {
      const [key, ...rest] = text.split(text.startsWith('#separator') ? ' ' : this.sep);
      const v = rest.join(this.sep);
      if (key === '#separator') this.sep = v.replace(/\\x([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
      else if (key === '#set_separator') this.setSep = v;
      else if (key === '#empty_field') this.empty = v;
      else if (key === '#unset_field') this.unset = v;
      else if (key === '#path') this.path = v;
      else if (key === '#fields') this.fields = rest;
      return { skip: true };
    }
    if (!this.fields) return { error: 'data line before the #fields header', line };
    const vals = text.split(this.sep);
    if (vals.length !== this.fields.length) return { error: `${vals.length} columns, #fields names ${this.fields.length}`, line };
    const o: Record<string, string | string[] | null> = {};
    this.fields.forEach((f, i) => {
      const v = vals[i];
      o[f] = v === this.unset ? null : v === this.empty ? [] : v.includes(this.setSep) && f !== 'ts' ? v.split(this.setSep) : v;
    });
    return zeekRecord(o, this.path, line);
  }
}

export function parseZeekJsonLine(text: string, path: string, line: number): ParsedLine {
  const t = text.trim();
  if (!t) return { skip: true };
  let o: unknown;
  try {
    o = JSON.parse(t);
  } catch {
    return { error: 'not JSON', line };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { error: 'not a JSON object', line };
  const flat: Record<string, string | string[] | null> = {};
  for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
    if (v === null || v === undefined) flat[k] = null;
    else if (Array.isArray(v)) flat[k] = v.map((x) => String(x));
    else if (typeof v === 'object') flat[k] = JSON.stringify(v);
    else flat[k] = String(v);
  }
  if (typeof (o as Record<string, unknown>)._path === 'string') path = String((o as Record<string, unknown>)._path);
  return zeekRecord(flat, path, line);
}

function zeekRecord(o: Record<string, string | string[] | null>, path: string, line: number): ParsedLine {
  const str = (k: string): string | null => {
    const v = o[k];
    return typeof v === 'string' ? v : null;
  };
  const tsText = str('ts');
  const ts = tsText ? parseTimestamp(tsText) : null;
  const fields: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === null || k === 'ts' || k.startsWith('id.')) continue;
    if (Object.keys(fields).length >= 128) break;
    fields[k.slice(0, 64)] = Array.isArray(v) ? v.slice(0, 256).map((x) => x.slice(0, 1024)) : v.slice(0, 4096);
  }
  const protoName = str('proto');
  const dur = str('duration');
  return {
    record: {
      source: 'zeek',
      log: path.slice(0, 32),
      line,
      ts,
      duration: dur && /^\d+(\.\d+)?$/.test(dur) ? Number(dur) : null,
      srcIp: str('id.orig_h'),
      srcPort: portOf(str('id.orig_p')),
      dstIp: str('id.resp_h'),
      dstPort: portOf(str('id.resp_p')),
      proto: protoNumber(protoName ?? str('ip_proto')),
      protoName,
      communityId: str('community_id'),
      fields,
      alert: null,
    },
  };
}
