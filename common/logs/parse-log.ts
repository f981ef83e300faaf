/**
 * One entry point for every log line: the syslog envelope (PRI, then RFC 5424 or RFC 3164 with
 * its variants), then the payload formats inside it (CEF, OSSEC/Wazuh, the seed's format), then
 * addresses named in the text. Never throws: a line nothing understands becomes a "raw" result
 * carrying the whole text and the reason.
 */
import { cefEndpoints, cefHeaderFields, cefTime, parseCef } from './cef.js';
import { endpointsFromKeyValues, endpointsFromProse, hasEndpoints, keyValues } from './message-endpoints.js';
import { OSSEC_APP_NAMES, parseOssec, type OssecAlert } from './ossec.js';
import { capFields, emptyEndpoints, setField, type LogTime, type ParsedLog } from './parsed-log.js';
import { parseRfc3164 } from './rfc3164.js';
import { parseRfc5424 } from './rfc5424.js';
import { parseSeedBody, parseSeedLine } from './seed-format.js';

/** Longest text parsed; the rest of a longer line is kept in the message but not examined. */
export const MAX_PARSE_CHARS = 64 * 1024;

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Bytes as received → text: invalid UTF-8 becomes U+FFFD, so nothing is refused for its encoding. */
export function decodeLogBytes(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export interface Pri {
  facility: number;
  severity: number;
  length: number;
}

/** `<` 1-3 ASCII digits `>` (by a loop: every line starts here), at most 191, no leading zero. */
export function parsePri(text: string): Pri | null {
  if (text.charCodeAt(0) !== 0x3c) return null;
  let v = 0;
  let i = 1;
  for (; i < text.length && i <= 4; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  const digits = i - 1;
  if (digits < 1 || digits > 3 || text.charCodeAt(i) !== 0x3e) return null;
  if (v > 191 || (digits > 1 && text.charCodeAt(1) === 48)) return null;
  return { facility: v >> 3, severity: v & 7, length: i + 1 };
}

/** `/^\d{1,2} /`: one or two ASCII digits, then a space (RFC 5424's version). */
function startsWithVersion(t: string): boolean {
  const a = t.charCodeAt(0) - 48;
  if (a < 0 || a > 9) return false;
  if (t.charCodeAt(1) === 0x20) return true;
  const b = t.charCodeAt(1) - 48;
  return b >= 0 && b <= 9 && t.charCodeAt(2) === 0x20;
}

function trimEnd(s: string): string {
  let e = s.length;
  while (e > 0) {
    const c = s.charCodeAt(e - 1);
    if (c === 0x0a || c === 0x0d || c === 0x00) e--;
    else break;
  }
  return e === s.length ? s : s.slice(0, e);
}

function result(partial: Partial<ParsedLog> & Pick<ParsedLog, 'format' | 'message'>): ParsedLog {
  // property by property, not a spread over defaults: one object of one shape per message (the
  // spread cost as much as some parsers); a part left undefined takes the default, as absent ones do
  return {
    format: partial.format,
    envelope: partial.envelope ?? null,
    facility: partial.facility ?? null,
    severity: partial.severity ?? null,
    time: partial.time ?? null,
    host: partial.host ?? null,
    app: partial.app ?? null,
    message: partial.message,
    fields: partial.fields ? capFields(partial.fields) : {},
    endpoints: partial.endpoints ?? emptyEndpoints(),
    problem: partial.problem ?? null,
  };
}

const OSSEC_APPS = new Set(OSSEC_APP_NAMES);

/**
 * Parses one log line (a syslog datagram, a TCP frame, a line of a file). refSec is when it was
 * received or captured: the year of a BSD timestamp is inferred from it.
 */
export function parseLog(line: string, refSec: number): ParsedLog {
  try {
    return parseUnchecked(line, refSec);
  } catch (e) {
    // a parser bug must not lose the line
    return result({ format: 'raw', message: trimEnd(line), problem: `parser error: ${(e as Error).message}` });
  }
}

function parseUnchecked(full: string, refSec: number): ParsedLog {
  const text = trimEnd(full.length > MAX_PARSE_CHARS ? full.slice(0, MAX_PARSE_CHARS) : full);
  const tooLong = full.length > MAX_PARSE_CHARS ? `only the first ${MAX_PARSE_CHARS} characters were parsed` : null;
  const pri = parsePri(text);
  const afterPri = pri ? text.slice(pri.length) : text;
  let envelope: ParsedLog['envelope'] = null;
  let time: LogTime | null = null;
  let host: string | null = null;
  let app: string | null = null;
  let message = afterPri;
  let body = afterPri;
  let fields: Record<string, string> = {};
  let problem: string | null = tooLong;

  if (pri && startsWithVersion(afterPri)) {
    const r = parseRfc5424(afterPri);
    if (typeof r === 'string') problem = r;
    else {
      envelope = 'rfc5424';
      ({ time, host, app, message } = r);
      body = message;
      fields = r.fields;
    }
  }
  if (envelope === null) {
    // no PRI: a bare seed-format, CEF or OSSEC line, else a BSD-looking line from a file or relay
    const seed = pri ? null : parseSeedLine(afterPri, refSec);
    if (seed) return seedResult(seed, null, null, null, tooLong);
    const h = parseRfc3164(afterPri, refSec);
    if (pri || h.time !== null) {
      envelope = 'rfc3164';
      ({ time, host, app, message } = h);
      body = h.afterHost;
      fields = h.fields;
    }
  }
  const facility = pri ? pri.facility : null;
  const severity = pri ? pri.severity : null;

  // payload formats
  const cefAt = body.startsWith('CEF:') ? 0 : message.startsWith('CEF:') ? -1 : afterPri.startsWith('CEF:') ? -2 : -3;
  if (cefAt > -3) {
    const cefText = cefAt === 0 ? body : cefAt === -1 ? message : afterPri;
    // without envelope fields (the common case) the fields are the extension's object itself,
    // made with the header's fields first (their names, "cef.*", are none the lookups below read)
    const bare = isEmpty(fields);
    const c = parseCef(cefText, bare);
    if (typeof c !== 'string') {
      let f: Record<string, string>;
      if (bare) f = c.extension;
      else {
        // envelope fields first, then the header's, then the extension's (for-in loops: no spread, no entry arrays per message)
        f = {};
        for (const k in fields) f[k] = fields[k];
        const h = cefHeaderFields(c.header);
        for (const k in h) setField(f, k, h[k]);
        const ext = c.extension;
        for (const k in ext) setField(f, k, ext[k]);
      }
      return result({
        format: 'cef',
        envelope,
        facility,
        severity,
        time: cefTime(c.extension, refSec) ?? time,
        host: c.extension.dvchost ?? host ?? c.extension.dvc ?? null,
        app: app ?? c.header.product,
        message: c.header.name,
        fields: f,
        endpoints: cefEndpoints(c.extension),
        problem,
      });
    }
    problem = c;
  }
  if (envelope !== null) {
    // the seed's "{evtype,rank}" follows a space (a host name holds none): without " {" there is
    // none, and the host and body are not joined and matched for nothing
    const maySeed = envelope === 'rfc3164' && ((host !== null && body.startsWith('{')) || body.includes(' {'));
    const seed = !maySeed ? null : (host === null ? parseSeedBody(body, time) : parseSeedBody(`${host} ${body}`, time));
    if (seed) return seedResult(seed, facility, severity, envelope, problem);
    // (the names are 5-14 characters; lower-casing keeps the length of any text that could equal one)
    if ((app !== null && app.length >= 5 && app.length <= 14 && OSSEC_APPS.has(app.toLowerCase())) || message.startsWith('Alert Level: ') || message.startsWith('** Alert ')) {
      const o = parseOssec(message);
      if (o) {
        const f: Record<string, string> = { ...fields, ...ossecFields(o) };
        return result({
          format: 'ossec',
          envelope,
          facility,
          severity,
          time,
          host,
          app,
          message: o.log !== null ? `${o.description}: ${o.log}` : o.description,
          fields: f,
          endpoints: o.endpoints,
          problem,
        });
      }
    }
  } else {
    const o = afterPri.startsWith('** Alert ') || afterPri.startsWith('{') ? parseOssec(afterPri) : null;
    if (o) return result({ format: 'ossec', message: o.log !== null ? `${o.description}: ${o.log}` : o.description, fields: ossecFields(o), endpoints: o.endpoints, problem });
    return result({ format: 'raw', message: afterPri, problem: problem ?? 'no syslog header, CEF, OSSEC or seed format found' });
  }

  // plain syslog: firewall key=value pairs and Cisco/sshd prose may still name endpoints
  const kv = keyValues(message);
  let endpoints = endpointsFromKeyValues(kv);
  if (hasEndpoints(endpoints)) {
    // no header fields (the common case): the pairs' object is the fields, not copied key by key
    if (isEmpty(fields)) fields = kv;
    else for (const [k, v] of Object.entries(kv)) setField(fields, k, v);
  }
  else endpoints = endpointsFromProse(message);
  return result({ format: envelope, envelope, facility, severity, time, host, app, message, fields, endpoints, problem });
}

function isEmpty(o: Record<string, string>): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return false;
  return true;
}

function seedResult(
  s: NonNullable<ReturnType<typeof parseSeedBody>>,
  facility: number | null,
  severity: number | null,
  envelope: ParsedLog['envelope'],
  problem: string | null,
): ParsedLog {
  const fields: Record<string, string> = { 'seed.evtype': String(s.evtype), 'seed.rank': String(s.rank) };
  if (s.proto !== null) fields['seed.proto'] = s.proto;
  if (s.dir !== null) fields['seed.dir'] = s.dir;
  if (s.signature) {
    fields['seed.gid'] = String(s.signature.gid);
    fields['seed.sid'] = String(s.signature.sid);
    fields['seed.rev'] = String(s.signature.rev);
  }
  return result({ format: 'seed', envelope, facility, severity, time: s.time, host: s.sensor, app: null, message: s.message, fields, endpoints: s.endpoints, problem });
}

/** The alert's fields plus the four every form has, under one set of names. */
function ossecFields(o: OssecAlert): Record<string, string> {
  const f: Record<string, string> = { ...o.fields };
  if (o.level !== null) setField(f, 'ossec.level', String(o.level));
  if (o.rule !== null) setField(f, 'ossec.rule', o.rule);
  setField(f, 'ossec.description', o.description);
  if (o.location !== null) setField(f, 'ossec.location', o.location);
  return f;
}
