/**
 * The parser's fast paths give exactly what the simple code they replaced gave (kept here as the
 * reference): endpoints picked from key=value pairs in one pass over the keys instead of one scan
 * per role, and CEF header fields sliced from the text instead of built character by character.
 * Generated inputs favour the cases that differ: keys in mixed case, repeated roles, empty values,
 * escapes ("\|", "\\", a lone "\") and lines cut anywhere.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCef } from '../../../common/logs/cef.js';
import { isIp } from '../../../common/logs/ip-text.js';
import { endpointsFromKeyValues, keyValues } from '../../../common/logs/message-endpoints.js';
import { emptyEndpoints, portNumber, protoNumber, type NamedEndpoints } from '../../../common/logs/parsed-log.js';
import { parseLog, parsePri } from '../../../common/logs/parse-log.js';
import { matchBsdTime, matchIsoTime } from '../../../common/logs/syslog-time.js';
import { parseRfc5424 } from '../../../common/logs/rfc5424.js';
import { setField, type LogTime } from '../../../common/logs/parsed-log.js';
import { benchMessage } from '../../bench/suites/logs.js';

const SRC = ['src', 'srcip', 'src_ip', 'source', 'sourceip', 'source_ip', 'saddr', 'ip.src'];
const DST = ['dst', 'dstip', 'dst_ip', 'destination', 'destip', 'dest_ip', 'daddr', 'ip.dst'];
const SPT = ['spt', 'srcport', 'src_port', 'sport', 'sourceport', 'source_port'];
const DPT = ['dpt', 'dstport', 'dst_port', 'dport', 'destport', 'dest_port', 'destination_port'];
const PROTO = ['proto', 'protocol', 'ip.proto'];

function pick(kv: Record<string, string>, names: string[]): string | undefined {
  for (const k of Object.keys(kv)) if (names.includes(k.toLowerCase())) return kv[k];
  return undefined;
}

function referenceEndpoints(kv: Record<string, string>): NamedEndpoints {
  const e = emptyEndpoints();
  const s = pick(kv, SRC);
  const d = pick(kv, DST);
  if (s && isIp(s)) e.srcIp = s;
  if (d && isIp(d)) e.dstIp = d;
  e.srcPort = portNumber(pick(kv, SPT));
  e.dstPort = portNumber(pick(kv, DPT));
  const p = pick(kv, PROTO);
  e.proto = p !== undefined ? protoNumber(p) : null;
  return e;
}

function referenceCefHeader(text: string): string[] | null {
  const parts: string[] = [];
  let cur = '';
  let i = 4;
  for (; i < text.length && parts.length < 7; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c && i + 1 < text.length) {
      const n = text[i + 1];
      if (n === '|' || n === '\\') {
        cur += n;
        i++;
        continue;
      }
      cur += '\\';
      continue;
    }
    if (c === 0x7c) {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += text[i];
  }
  return parts.length < 7 ? null : parts;
}

// non-ASCII keys whose case mapping is special (İ lower-cases to two characters, ſ upper-cases to S, the Kelvin sign lower-cases to k)
const KEYS = [...SRC, ...DST, ...SPT, ...DPT, ...PROTO, 'IN', 'OUT', 'len', 'seq', 'x.y', 'İp.src', 'ſrc', '\u212Aey', 'Ip.dst', '', 'TTL'];
// as written, all upper case, or mixed case character by character
const key = fc
  .tuple(fc.constantFrom(...KEYS), fc.nat(2), fc.array(fc.boolean(), { minLength: 16, maxLength: 16 }))
  .map(([k, mode, ups]) => (mode === 0 ? k : mode === 1 ? k.toUpperCase() : [...k].map((ch, i) => (ups[i % 16] ? ch.toUpperCase() : ch)).join('')));
const value = fc.oneof(fc.constantFrom('', '10.0.0.1', '::1', '2001:db8::7', '443', '65536', '0', 'TCP', 'udp', '17', '300', 'x'), fc.stringMatching(/^[0-9a-fA-F.:]{0,8}$/));

/** RFC 5424 as parsed before session 7 round 2 (SD names by a sliced pattern, values built character by character). */
function refNil(v: string): string | null {
  return v === '-' ? null : v;
}

/** Parses what follows "<PRI>"; text must start with the version ("1 "). */
function referenceRfc5424(text: string): ReturnType<typeof parseRfc5424> {
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
    const r = refStructuredData(text, pos, fields);
    if (typeof r === 'string') return r;
    pos = r;
  } else if (pos < text.length) return 'RFC 5424 structured data is neither "-" nor "["';
  if (text[pos] === ' ') pos++;
  let message = text.slice(pos);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  return { time, host: refNil(host), app: refNil(app), procid: refNil(procid), msgid: refNil(msgid), fields, message };
}

const REF_SD_NAME = /^[^\s=\]"]{1,32}/;

/** Parses SD-ELEMENTs starting at text[pos] === "["; returns the position after the last "]". */
function refStructuredData(text: string, pos: number, fields: Record<string, string>): number | string {
  while (text[pos] === '[') {
    pos++;
    const id = REF_SD_NAME.exec(text.slice(pos, pos + 33));
    if (!id) return 'RFC 5424 SD-ID missing';
    pos += id[0].length;
    for (;;) {
      if (text[pos] === ']') {
        pos++;
        break;
      }
      if (text[pos] !== ' ') return `RFC 5424 structured data: expected " " or "]" in [${id[0]}`;
      pos++;
      const name = REF_SD_NAME.exec(text.slice(pos, pos + 33));
      if (!name) return `RFC 5424 structured data: bad parameter name in [${id[0]}`;
      pos += name[0].length;
      if (text[pos] !== '=' || text[pos + 1] !== '"') return `RFC 5424 structured data: ${name[0]} has no ="value"`;
      pos += 2;
      let value = '';
      for (;;) {
        if (pos >= text.length) return `RFC 5424 structured data: value of ${name[0]} is not closed`;
        const c = text[pos];
        if (c === '\\' && (text[pos + 1] === '"' || text[pos + 1] === '\\' || text[pos + 1] === ']')) {
          value += text[pos + 1];
          pos += 2;
          continue;
        }
        if (c === '"') {
          pos++;
          break;
        }
        value += c;
        pos++;
      }
      setField(fields, `sd.${id[0]}.${name[0]}`, value);
    }
  }
  return pos;
}

describe('parser fast paths equal the reference code', () => {
  it('endpoints from key=value pairs (object and parsed text)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 14 }), (pairs) => {
        const kv: Record<string, string> = {};
        for (const [k, v] of pairs) kv[k] = v;
        assert.deepEqual(endpointsFromKeyValues(kv), referenceEndpoints(kv));
        const parsed = keyValues(pairs.map(([k, v]) => `${k}=${v}`).join(' '));
        assert.deepEqual(endpointsFromKeyValues(parsed), referenceEndpoints(parsed));
      }),
      { numRuns: 2000 },
    );
  });

  it('CEF header fields, escapes and cut lines included', () => {
    const piece = fc.oneof(fc.constantFrom('|', '\\', '\\|', '\\\\', '\\n', 'a', 'Acme', '0', ' ', '=', 'é', '\ud800'), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.constantFrom('', '0|', '1|', ' 0 |'), fc.array(piece, { maxLength: 24 }), fc.nat(), (version, pieces, cut) => {
        const whole = `CEF:${version}${pieces.join('')}`;
        const text = whole.slice(0, 4 + (cut % (whole.length - 3)));
        const ref = referenceCefHeader(text);
        const got = parseCef(text);
        if (ref === null || !/^\d{1,3}$/.test(ref[0].trim())) return assert.equal(typeof got, 'string');
        assert.notEqual(typeof got, 'string');
        const h = (got as Exclude<typeof got, string>).header;
        assert.deepEqual([h.version, h.vendor, h.product, h.deviceVersion, h.signatureId, h.name, h.severity], ref);
      }),
      { numRuns: 3000 },
    );
  });

  it('port numbers: digits up to 65535, as the pattern /^\\d{1,5}$/ took them', () => {
    fc.assert(
      fc.property(fc.oneof(fc.stringMatching(/^[0-9]{0,7}$/), fc.string({ maxLength: 6 }), fc.constantFrom('65535', '65536', '00080', ' 80', '80 ', '+1', '-1', '1e3', '٣')), (t) => {
        const ref = /^\d{1,5}$/.test(t) && Number(t) <= 65535 ? Number(t) : null;
        assert.equal(portNumber(t), ref);
      }),
      { numRuns: 3000 },
    );
    assert.equal(portNumber(undefined), null);
  });

  it('protocol numbers: digits as the pattern /^\\d{1,3}$/ took them, names in any case; a name of Object.prototype is none', () => {
    const NAMES: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, 'ipv6-icmp': 58, sctp: 132 };
    const reference = (text: string): number | null => {
      const t = text.trim().toLowerCase();
      if (/^\d{1,3}$/.test(t)) {
        const n = Number(t);
        return n <= 255 ? n : null;
      }
      return Object.prototype.hasOwnProperty.call(NAMES, t) ? NAMES[t] : null;
    };
    const texts = fc.oneof(
      fc.stringMatching(/^\s{0,2}[0-9a-zA-Z.-]{0,5}\s{0,2}$/),
      fc.constantFrom('TCP', ' udp ', 'Icmpv6', 'IPV6-ICMP', '255', '256', '006', '0', '', ' ', '1e2', '٣', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'İ'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(texts, (t) => {
        assert.equal(protoNumber(t), reference(t));
      }),
      { numRuns: 5000 },
    );
    for (const hostile of ['constructor', '__proto__', 'toString', 'valueOf']) assert.equal(protoNumber(hostile), null);
  });

  it('PRI: "<" 1-3 digits ">" up to 191 without a leading zero, as the pattern /^<(\\d{1,3})>/ took it', () => {
    const reference = (text: string) => {
      const m = /^<(\d{1,3})>/.exec(text);
      if (!m) return null;
      const v = Number(m[1]);
      if (v > 191 || (m[1].length > 1 && m[1][0] === '0')) return null;
      return { facility: v >> 3, severity: v & 7, length: m[0].length };
    };
    const texts = fc.oneof(fc.stringMatching(/^<?[0-9]{0,5}>?[ a-z<>]{0,3}$/), fc.constantFrom('<0>', '<00>', '<191>', '<192>', '<1234>', '<>', '<', '<12', '<٣>', '<1 >', ' <1>'), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(texts, (t) => {
        assert.deepEqual(parsePri(t), reference(t));
      }),
      { numRuns: 5000 },
    );
  });

  it('BSD timestamps: the remembered last result never leaks into another time or reference', () => {
    const stamp = fc.tuple(fc.constantFrom('Jan', 'Feb', 'feb', 'Dec', 'Xyz'), fc.integer({ min: 0, max: 32 }), fc.option(fc.integer({ min: 1999, max: 2031 }), { nil: undefined }), fc.integer({ min: 0, max: 24 }), fc.constantFrom('', '.5', '.123456789'))
      .map(([m, d, y, h, f]) => `${m} ${String(d).padStart(2, ' ')}${y === undefined ? '' : ` ${y}`} ${String(h).padStart(2, '0')}:07:09${f} host app: x`);
    const ref = fc.constantFrom(1_704_067_200, 1_709_164_800, 1_795_000_000, 1_735_689_599);
    fc.assert(
      fc.property(fc.array(fc.tuple(stamp, ref), { minLength: 1, maxLength: 12 }), (xs) => {
        // the same inputs read in order and in reverse (different remembered states) give the same results
        const forward = xs.map(([t, r]) => matchBsdTime(t, r));
        const backward = [...xs].reverse().map(([t, r]) => matchBsdTime(t, r)).reverse();
        assert.deepEqual(forward, backward);
        for (let i = 0; i < xs.length; i++) assert.deepEqual(matchBsdTime(xs[i][0], xs[i][1]), forward[i]);
      }),
      { numRuns: 1000 },
    );
  });
  it('RFC 5424: structured data (escapes, lone backslashes, long and bad names, unclosed values, cut lines) as the character-by-character code parsed it', () => {
    const sdChar = fc.constantFrom('a', 'Z', '0', ' ', '=', '"', '\\', ']', '[', '.', '@', 'é', '\u{1F600}', '\ud800', '-');
    const sdText = fc.array(sdChar, { maxLength: 40 }).map((a) => a.join(''));
    const name = fc.oneof(fc.stringMatching(/^[a-zA-Z0-9@._-]{1,40}$/), sdText);
    const element = fc.tuple(name, fc.array(fc.tuple(name, sdText), { maxLength: 4 })).map(([id, ps]) => `[${id}${ps.map(([n, v]) => ` ${n}="${v}"`).join('')}]`);
    const line = fc
      .tuple(fc.constantFrom('1', '2', '12'), fc.constantFrom('-', '2026-11-22T10:00:00.5+02:00', '2026-11-22T10:00:00Z'), fc.array(element, { maxLength: 3 }), sdText, fc.nat(200), fc.boolean())
      .map(([v, ts, els, msg, cut, doCut]) => {
        const t = `${v} ${ts} host app 42 ID7 ${els.length ? els.join('') : '-'} ${msg}`;
        return doCut ? t.slice(0, cut % (t.length + 1)) : t;
      });
    fc.assert(
      fc.property(line, (t) => {
        assert.deepEqual(parseRfc5424(t), referenceRfc5424(t));
      }),
      { numRuns: 20_000 },
    );
    for (let i = 0; i < 5000; i++) {
      const t = benchMessage(5 * i + 1).slice(4);
      assert.deepEqual(parseRfc5424(t), referenceRfc5424(t));
    }
  });
  it('CEF fields made as the extension object itself (no envelope fields) are the header fields then the extension, in order, as the key-by-key copy made them', () => {
    const extKey = fc.constantFrom('src', 'dst', 'spt', 'cs1', 'cs1Label', 'cef.vendor', 'cef.severity', '123', '7', 'dvchost', 'rt', '__proto__', 'constructor', 'msg');
    const extValue = fc.constantFrom('10.0.0.1', '', 'a b', '1795000000123', 'x\\=y', '65535', 'TCP');
    const line = fc
      .tuple(fc.constantFrom('<132>Nov 22 10:00:00 ids ', 'Nov 22 10:00:00 ids ', ''), fc.constantFrom('0', '1'), fc.array(fc.tuple(extKey, extValue), { maxLength: 10 }))
      .map(([envelope, v, ext]) => `${envelope}CEF:${v}|Acme|IDS|1.0|2001|Port scan|7|${ext.map(([k, x]) => `${k}=${x}`).join(' ')}`);
    fc.assert(
      fc.property(line, (t) => {
        const p = parseLog(t, 1_795_000_000);
        assert.equal(p.format, 'cef');
        const c = parseCef(t.slice(t.indexOf('CEF:')));
        assert.ok(typeof c !== 'string');
        // the previous code: the header's fields set one by one, then the extension's copied key by key
        const f: Record<string, string> = {};
        setField(f, 'cef.version', c.header.version);
        setField(f, 'cef.vendor', c.header.vendor);
        setField(f, 'cef.product', c.header.product);
        setField(f, 'cef.device_version', c.header.deviceVersion);
        setField(f, 'cef.signature', c.header.signatureId);
        setField(f, 'cef.severity', c.header.severity);
        for (const k in c.extension) setField(f, k, c.extension[k]);
        assert.equal(JSON.stringify(p.fields), JSON.stringify(f));
        assert.deepEqual(p.fields, f);
      }),
      { numRuns: 3000 },
    );
  });
});
