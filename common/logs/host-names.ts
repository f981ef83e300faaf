/**
 * Host names a log names where it would name an address: CEF `shost`/`dhost` (and their long
 * names), key=value `srchost=`/`dsthost=`/…, an address key holding a name (`src=web1.lab`),
 * sshd's "from NAME port N" (sshd with UseDNS). Only for a side whose address the parsers did
 * not find: the resolver (node/logs/host-resolver.ts) turns the name into an address.
 */
import type { LogEvent } from '../bridge/messages.js';
import { isIp } from './ip-text.js';
import { keyValues } from './message-endpoints.js';

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;

/** A DNS host name (RFC 1123 labels, `_` tolerated, 253 characters at most, not all digits). */
export function isHostName(text: string): boolean {
  const t = text.endsWith('.') ? text.slice(0, -1) : text;
  if (t.length === 0 || t.length > 253 || isIp(t)) return false;
  if (!/[A-Za-z]/.test(t)) return false;
  for (const l of t.split('.')) if (!LABEL.test(l)) return false;
  return true;
}

/** Field names (case-insensitive) that hold the source / destination host's name. */
const SRC_NAME_KEYS = ['shost', 'sourcehostname', 'srchost', 'src_host', 'source_host', 'srcname', 'src_name', 'sourcehost', 'src', 'srcip', 'source', 'saddr'];
const DST_NAME_KEYS = ['dhost', 'destinationhostname', 'dsthost', 'dst_host', 'dest_host', 'destination_host', 'dstname', 'dst_name', 'desthost', 'dst', 'dstip', 'destination', 'daddr'];

const SSHD_FROM_NAME = /\bfrom ([A-Za-z0-9][\w.-]{0,252}) port \d{1,5}\b/;

function nameIn(fields: Record<string, string>, keys: readonly string[]): string | null {
  let best: { rank: number; v: string } | null = null;
  for (const k of Object.keys(fields)) {
    const rank = keys.indexOf(k.toLowerCase());
    if (rank < 0 || (best && best.rank <= rank)) continue;
    const v = fields[k].trim();
    if (isHostName(v)) best = { rank, v };
  }
  return best ? best.v.replace(/\.$/, '').toLowerCase() : null;
}

export interface NamedHostNames {
  src: string | null;
  dst: string | null;
}

/** The names a log gives for its source and destination (lowercase), for sides without an address. */
export function namedHostNames(e: Pick<LogEvent, 'fields' | 'message' | 'src_ip' | 'dst_ip'>): NamedHostNames {
  let src = e.src_ip === null ? nameIn(e.fields, SRC_NAME_KEYS) : null;
  let dst = e.dst_ip === null ? nameIn(e.fields, DST_NAME_KEYS) : null;
  // plain syslog keeps key=value pairs as fields only when they name addresses: read the message's
  if ((e.src_ip === null && src === null) || (e.dst_ip === null && dst === null)) {
    const kv = keyValues(e.message);
    if (e.src_ip === null) src ??= nameIn(kv, SRC_NAME_KEYS);
    if (e.dst_ip === null) dst ??= nameIn(kv, DST_NAME_KEYS);
  }
  if (e.src_ip === null && src === null && e.message.includes(' port ')) {
    const m = SSHD_FROM_NAME.exec(e.message);
    if (m && isHostName(m[1])) src = m[1].replace(/\.$/, '').toLowerCase();
  }
  return { src, dst };
}
