/**
 * RFC 5424 syslog after the PRI: VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
 * SP STRUCTURED-DATA [SP MSG]. "-" is the nil value. Structured data elements
 * [id name="value" ...] become fields "sd.<id>.<name>"; values unescape \" \\ and \].
 * A BOM at the start of MSG marks UTF-8 and is removed.
 */
import { setField, type LogTime } from './parsed-log.js';
import { matchIsoTime } from './syslog-time.js';

export interface Rfc5424Header {
  time: LogTime | null;
  host: string | null;
  app: string | null;
  procid: string | null;
  msgid: string | null;
  fields: Record<string, string>;
  message: string;
}

function nil(v: string): string | null {
  return v === '-' ? null : v;
}

/** Parses what follows "<PRI>"; text must start with the version ("1 "). */
export function parseRfc5424(text: string): Rfc5424Header | string {
  const v = /^(\d{1,2}) /.exec(text);
  if (!v) return 'no RFC 5424 version';
  let pos = v[0].length;
  const token = (): string | null => {
    if (pos >= text.length) return null;
    const sp = text.indexOf(' ', pos);
    const t = sp < 0 ? text.slice(pos) : text.slice(pos, sp);
    pos = sp < 0 ? text.length : sp + 1;
    return t;
  };
  const tsText = token();
  if (tsText === null) return 'RFC 5424 header ends before the timestamp';
  let time: LogTime | null = null;
  if (tsText !== '-') {
    const m = matchIsoTime(tsText);
    if (!m || m.length !== tsText.length) return `RFC 5424 timestamp "${tsText.slice(0, 40)}" is not RFC 3339`;
    time = m.time;
  }
  const host = token();
  const app = token();
  const procid = token();
  const msgid = token();
  if (msgid === null || host === null || app === null || procid === null) return 'RFC 5424 header is incomplete';
  const fields: Record<string, string> = {};
  if (v[1] !== '1') setField(fields, 'syslog.version', v[1]);
  if (procid !== '-') setField(fields, 'procid', procid);
  if (msgid !== '-') setField(fields, 'msgid', msgid);
  // structured data
  if (text[pos] === '-') pos++;
  else if (text[pos] === '[') {
    const r = parseStructuredData(text, pos, fields);
    if (typeof r === 'string') return r;
    pos = r;
  } else if (pos < text.length) return 'RFC 5424 structured data is neither "-" nor "["';
  if (text[pos] === ' ') pos++;
  let message = text.slice(pos);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  return { time, host: nil(host), app: nil(app), procid: nil(procid), msgid: nil(msgid), fields, message };
}

// sticky, matched in place at lastIndex (no slice of the text per name); at most 32 characters as before
const SD_NAME = /[^\s=\]"]{1,32}/y;

function sdName(text: string, pos: number): string | null {
  SD_NAME.lastIndex = pos;
  const m = SD_NAME.exec(text);
  return m ? m[0] : null;
}

/** Parses SD-ELEMENTs starting at text[pos] === "["; returns the position after the last "]". */
function parseStructuredData(text: string, pos: number, fields: Record<string, string>): number | string {
  while (text[pos] === '[') {
    pos++;
    const id = sdName(text, pos);
    if (id === null) return 'RFC 5424 SD-ID missing';
    pos += id.length;
    for (;;) {
      if (text[pos] === ']') {
        pos++;
        break;
      }
      if (text[pos] !== ' ') return `RFC 5424 structured data: expected " " or "]" in [${id}`;
      pos++;
      const name = sdName(text, pos);
      if (name === null) return `RFC 5424 structured data: bad parameter name in [${id}`;
      pos += name.length;
      if (text[pos] !== '=' || text[pos + 1] !== '"') return `RFC 5424 structured data: ${name} has no ="value"`;
      pos += 2;
      // the value in runs between escapes (sliced, not built character by character)
      let value = '';
      let run = pos;
      for (;;) {
        if (pos >= text.length) return `RFC 5424 structured data: value of ${name} is not closed`;
        const c = text.charCodeAt(pos);
        if (c === 0x5c) {
          const d = text.charCodeAt(pos + 1);
          if (d === 0x22 || d === 0x5c || d === 0x5d) {
            value += text.slice(run, pos) + text[pos + 1];
            pos += 2;
            run = pos;
            continue;
          }
        } else if (c === 0x22) {
          value += text.slice(run, pos);
          pos++;
          break;
        }
        pos++;
      }
      setField(fields, `sd.${id}.${name}`, value);
    }
  }
  return pos;
}
