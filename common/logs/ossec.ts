/**
 * OSSEC and Wazuh alerts as their managers send them over syslog (ossec-csyslogd, src/os_csyslogd/
 * alert.c in ossec-hids) and as alerts.log writes them:
 * - default: "Alert Level: N; Rule: ID - description; Location: loc; srcip: ip; user: u; <log>"
 * - JSON:    "{ "crit": N, "id": ID, "description": ..., "component": ..., "src_ip": ... }", and
 *   Wazuh's alert JSON ({"rule":{"level","id","description"},"agent":{...},"data":{"srcip"...}})
 * - alerts.log: "** Alert 1540000000.1234: - groups\n<date> host->location\nRule: ID (level N) -> 'desc'\nSrc IP: ip\n..."
 * CEF output of OSSEC is plain CEF and parsed as such.
 */
import { isIp } from './ip-text.js';
import { emptyEndpoints, portNumber, setField, type NamedEndpoints } from './parsed-log.js';

export interface OssecAlert {
  level: number | null;
  rule: string | null;
  description: string;
  location: string | null;
  /** The log line that fired the rule, when given. */
  log: string | null;
  fields: Record<string, string>;
  endpoints: NamedEndpoints;
}

/** Syslog app names (lower case) whose messages are OSSEC/Wazuh alerts. */
export const OSSEC_APP_NAMES: readonly string[] = ['ossec', 'wazuh', 'ossec-alert', 'ossec-csyslogd'];

/** The keys of OSSEC's default alert format (lower case) and the field each becomes. */
export const DEFAULT_KEYS: Readonly<Record<string, string>> = {
  srcip: 'srcip',
  srccity: 'srccity',
  dstcity: 'dstcity',
  dstip: 'dstip',
  user: 'user',
  'previous md5': 'md5_old',
  'current md5': 'md5_new',
  'previous sha1': 'sha1_old',
  'current sha1': 'sha1_new',
};

function endpointsOf(f: Record<string, string>): NamedEndpoints {
  const e = emptyEndpoints();
  const s = f.srcip ?? f.src_ip ?? f['data.srcip'];
  const d = f.dstip ?? f.dst_ip ?? f['data.dstip'];
  if (s && isIp(s)) e.srcIp = s;
  if (d && isIp(d)) e.dstIp = d;
  e.srcPort = portNumber(f.src_port ?? f.srcport ?? f['data.srcport']);
  e.dstPort = portNumber(f.dst_port ?? f.dstport ?? f['data.dstport']);
  return e;
}

function parseDefault(body: string): OssecAlert | null {
  const m = /^Alert Level: (\d{1,2}); Rule: (\d{1,10}) - (.*?); Location: (.*?);(?: |$)/.exec(body);
  if (!m) return null;
  const fields: Record<string, string> = { 'ossec.level': m[1], 'ossec.rule': m[2], 'ossec.location': m[4] };
  let rest = body.slice(m[0].length);
  for (;;) {
    const kv = /^([A-Za-z][A-Za-z0-9 ]{1,20}): ([^;]*);(?: |$)/.exec(rest);
    if (!kv) break;
    const key = DEFAULT_KEYS[kv[1].toLowerCase()];
    if (!key) break;
    setField(fields, key, kv[2]);
    rest = rest.slice(kv[0].length);
  }
  return { level: Number(m[1]), rule: m[2], description: m[3], location: m[4], log: rest === '' ? null : rest, fields, endpoints: endpointsOf(fields) };
}

function flatten(v: unknown, prefix: string, out: Record<string, string>, depth: number): void {
  if (v === null || v === undefined) return;
  if (typeof v === 'object' && depth < 6) {
    if (Array.isArray(v)) {
      setField(out, prefix, v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(','));
      return;
    }
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) flatten(x, prefix ? `${prefix}.${k}` : k, out, depth + 1);
    return;
  }
  setField(out, prefix, typeof v === 'object' ? JSON.stringify(v) : String(v));
}

function parseJson(body: string): OssecAlert | null {
  const t = body.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return null;
  let obj: unknown;
  try {
    obj = JSON.parse(t);
  } catch {
    return null;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return null;
  const fields: Record<string, string> = {};
  flatten(obj, '', fields, 0);
  // ossec-csyslogd JSON: crit/id/description/component; Wazuh: rule.level/rule.id/rule.description
  const level = fields.crit ?? fields['rule.level'];
  const rule = fields.id !== undefined && fields.crit !== undefined ? fields.id : fields['rule.id'];
  const description = fields.description ?? fields['rule.description'];
  if (level === undefined || description === undefined) return null;
  const location = fields.component ?? fields.location ?? null;
  const log = fields.message ?? fields.full_log ?? null;
  return { level: /^\d{1,2}$/.test(level) ? Number(level) : null, rule: rule ?? null, description, location, log, fields, endpoints: endpointsOf(fields) };
}

function parseAlertsLog(body: string): OssecAlert | null {
  if (!body.startsWith('** Alert ')) return null;
  const lines = body.split(/\r?\n/);
  const fields: Record<string, string> = {};
  const head = /^\*\* Alert (\d+\.\d+):(?: (\w+))? - (.*)$/.exec(lines[0]);
  if (!head) return null;
  setField(fields, 'ossec.alert_id', head[1]);
  if (head[3]) setField(fields, 'ossec.groups', head[3].replace(/,$/, ''));
  let level: number | null = null;
  let rule: string | null = null;
  let description = '';
  let location: string | null = null;
  const logLines: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    const loc = i === 1 ? /^\d{4} \w{3} \d{2} \d{2}:\d{2}:\d{2} (.+)$/.exec(l) : null;
    const r = /^Rule: (\d+) \(level (\d+)\) -> '(.*)'$/.exec(l);
    const kv = /^(Src IP|Dst IP|Src Port|Dst Port|User): (.*)$/.exec(l);
    if (loc) location = loc[1];
    else if (r) {
      rule = r[1];
      level = Number(r[2]);
      description = r[3];
    } else if (kv) setField(fields, kv[1].toLowerCase().replace(' ', '_'), kv[2]);
    else if (l !== '') logLines.push(l);
  }
  if (rule === null) return null;
  setField(fields, 'ossec.rule', rule);
  setField(fields, 'ossec.level', String(level));
  if (location) setField(fields, 'ossec.location', location);
  return { level, rule, description, location, log: logLines.length ? logLines.join('\n') : null, fields, endpoints: endpointsOf(fields) };
}

/** An OSSEC/Wazuh alert body (after the syslog tag), or null when it is not one. */
export function parseOssec(body: string): OssecAlert | null {
  return parseDefault(body) ?? parseAlertsLog(body) ?? parseJson(body);
}
