/**
 * RFC 3164 ("BSD") syslog after the PRI, with the variants real devices send:
 * - the BSD timestamp "Mmm dd hh:mm:ss", or an ISO 8601 one (rsyslog's RFC3339 template);
 * - Cisco: a sequence number "123: ", "*" or "." before the time (unsynchronised clock), the year
 *   and milliseconds in the time, a ":" after it, and "%FAC-SEV-MNEMONIC:" instead of a tag;
 * - no hostname (the first word after the time is a tag "name:" or "name[pid]:");
 * - no timestamp at all (the whole rest is the message).
 */
import { setField, type LogTime } from './parsed-log.js';
import { matchBsdTime, matchIsoTime } from './syslog-time.js';

export interface Rfc3164Header {
  time: LogTime | null;
  host: string | null;
  app: string | null;
  /** Text after the header (after the tag when there is one). */
  message: string;
  /** Text after the host (the tag and message), for payload formats with their own prefix. */
  afterHost: string;
  fields: Record<string, string>;
}

const CISCO_SEQ = /^(\d{1,10}): /;
const TAG = /^([^\s:[\]]{1,64})(?:\[([^\]\s]{0,32})\])?: ?/;
const CISCO_MNEMONIC = /^%([A-Z0-9_-]{1,32})-(\d)-([A-Z0-9_-]{1,48}): ?/;
const HOST = /^[^\s]{1,255}(?= )/;
const ZONE = /^ (?!CEF:)([A-Z]{2,5})(?=[: ])/;

export function parseRfc3164(text: string, refSec: number): Rfc3164Header {
  const fields: Record<string, string> = {};
  let pos = 0;
  // each pattern tried only when its first character is there (the common line has none of them)
  const c0 = text.charCodeAt(0);
  const seq = c0 >= 48 && c0 <= 57 ? CISCO_SEQ.exec(text) : null;
  if (seq) {
    setField(fields, 'cisco.seq', seq[1]);
    pos += seq[0].length;
  }
  if (text[pos] === '*' || text[pos] === '.') {
    // Cisco: "*" = clock not synchronised, "." = synchronised once but lost since
    setField(fields, 'cisco.clock', text[pos] === '*' ? 'unsynchronised' : 'lost-sync');
    pos++;
  }
  let time: LogTime | null = null;
  const rest0 = text.slice(pos);
  const tm = matchBsdTime(rest0, refSec) ?? matchIsoTime(rest0);
  let host: string | null = null;
  if (tm) {
    time = tm.time;
    pos += tm.length;
    // Cisco time zone names ("UTC", "CET") after the time, and Cisco's colon
    const z1 = text.charCodeAt(pos + 1);
    const zone = text.charCodeAt(pos) === 0x20 && z1 >= 65 && z1 <= 90 ? ZONE.exec(text.slice(pos)) : null;
    if (zone) {
      setField(fields, 'time.zone', zone[1]);
      pos += zone[0].length;
    }
    if (text[pos] === ':') pos++;
    if (text[pos] === ' ') pos++;
    const rest = text.slice(pos);
    // a hostname unless the next word is a tag, a Cisco mnemonic or a payload prefix
    const h = HOST.exec(rest);
    if (h && !h[0].endsWith(':') && !h[0].startsWith('%') && !h[0].startsWith('CEF:') && !h[0].startsWith('{') && !TAG.exec(rest)?.[0].includes('[')) {
      host = h[0];
      pos += h[0].length + 1;
    }
  } else if (pos > 0 && text[pos] === ' ') pos++;
  const afterHost = text.slice(pos);
  let app: string | null = null;
  let message = afterHost;
  const cisco = afterHost.charCodeAt(0) === 0x25 ? CISCO_MNEMONIC.exec(afterHost) : null;
  if (cisco) {
    app = cisco[1];
    setField(fields, 'cisco.facility', cisco[1]);
    setField(fields, 'cisco.severity', cisco[2]);
    setField(fields, 'cisco.mnemonic', cisco[3]);
    message = afterHost.slice(cisco[0].length);
  } else if (!afterHost.startsWith('CEF:')) {
    const tag = TAG.exec(afterHost);
    // a tag ends with ":" (and a space, or the end); "word word" is message text
    if (tag && (tag[0].endsWith(' ') || tag[0].length === afterHost.length || tag[0].endsWith(':'))) {
      app = tag[1];
      if (tag[2] !== undefined && tag[2] !== '') setField(fields, 'procid', tag[2]);
      message = afterHost.slice(tag[0].length);
    }
  }
  return { time, host, app, message, afterHost, fields };
}
