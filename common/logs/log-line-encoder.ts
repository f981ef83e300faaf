/**
 * The journal line of a `log` event, written straight into bytes: exactly the UTF-8 of
 * `JSON.stringify(event)` for the fixed shape toLogEvent builds (same keys, same order, same
 * escapes), without building the event object or a JSON string first. The UDP parse thread writes
 * a whole batch of lines with it; tests/unit/logs/log-line-encoder.test.ts proves the equality on
 * generated events and parsed lines (fast-check).
 *
 * Why by hand: JSON.stringify of a 27-key object plus its UTF-8 copy was the parse thread's
 * largest cost after parsing, and the event objects were most of its garbage.
 */
import type { LogEvent } from '../bridge/messages.js';
import { formatTs } from '../time/timestamp.js';
import { capHeaderText, fieldsOf, keptTime } from './log-event.js';
import type { ParsedLog } from './parsed-log.js';

const HEX = '0123456789abcdef';

/**
 * JsonLineWriter.marks: [2k] start and [2k+1] end of src_ip (k 0), dst_ip (1): the JSON string
 * value, quotes included, -1 for null; message (2): the message's own bytes when they are plain
 * text (printable ASCII, nothing escaped: the bytes are the string), else -2 (read it from the event).
 */
export const MARK_SRC_IP = 0;
export const MARK_DST_IP = 2;
export const MARK_MESSAGE = 4;

function markedStrOrNull(w: JsonLineWriter, s: string | null, mark: number): void {
  if (s === null) {
    w.marks[mark] = -1;
    w.marks[mark + 1] = -1;
    w.lit(NULL);
    return;
  }
  w.marks[mark] = w.at;
  w.str(s);
  w.marks[mark + 1] = w.at;
}

/** The message as a JSON string, marked as its plain bytes (MARK_MESSAGE above). */
function markedMessage(w: JsonLineWriter, s: string): void {
  const start = w.at;
  w.str(s);
  const plain = w.at - start === s.length + 2;
  w.marks[MARK_MESSAGE] = plain ? start + 1 : -2;
  w.marks[MARK_MESSAGE + 1] = plain ? w.at - 1 : -2;
}

/** `key` and the string s, marked (as src_ip/dst_ip are), when s is not null; nothing but the mark (-1) when it is. */
export function writeLineMarked(w: JsonLineWriter, key: Uint8Array, s: string | null, mark: number): void {
  if (s === null) {
    w.marks[mark] = -1;
    w.marks[mark + 1] = -1;
    return;
  }
  w.lit(key);
  w.marks[mark] = w.at;
  w.str(s);
  w.marks[mark + 1] = w.at;
}

/** Longer strings are checked with a regular expression and copied by the runtime's encoder; shorter ones by the loop below (the calls cost more than the loop). */
const LONG = 64;

/** Bytes kept free after every checked write, so the short key literals between them need no check. */
const SLACK = 256;

/** Text that JSON.stringify writes unchanged and UTF-8 encodes byte for byte: printable ASCII but `"` and `\`. */
const NEEDS_CARE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/** TextEncoder.encodeInto (every runtime Tapline targets has it; common/'s globals declare only encode). */
const encoder = new TextEncoder() as unknown as { encodeInto(s: string, into: Uint8Array): { read: number; written: number } };

/** An ASCII literal's bytes. */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

// the keys with their punctuation, in toLogEvent's order
const K_KIND_ID = ascii('{"kind":"log","id":');
const K_SENSOR = ascii(',"sensor":');
const K_TS = ascii(',"ts":');
const K_RANK = ascii(',"rank":');
const K_RECEIVED = ascii(',"received_ts":');
const K_EVENT_TS = ascii(',"event_ts":');
const K_ZONED = ascii(',"event_ts_zoned":');
const K_TRANSPORT = ascii(',"transport":');
const K_SENDER_IP = ascii(',"sender_ip":');
const K_SENDER_PORT = ascii(',"sender_port":');
const K_CAPTURE_FLOW = ascii(',"capture_flow":');
const K_FORMAT = ascii(',"format":');
const K_FACILITY = ascii(',"facility":');
const K_SEVERITY = ascii(',"severity":');
const K_HOST = ascii(',"host":');
const K_APP = ascii(',"app":');
const K_MESSAGE = ascii(',"message":');
const K_RAW = ascii(',"raw":');
const K_FIELDS = ascii(',"fields":{');
const K_SRC_IP = ascii('},"src_ip":');
const K_SRC_PORT = ascii(',"src_port":');
const K_DST_IP = ascii(',"dst_ip":');
const K_DST_PORT = ascii(',"dst_port":');
const K_PROTO = ascii(',"proto":');
const K_PROBLEM = ascii(',"problem":');
const K_FLOW_IDS = ascii(',"flow_ids":[');
const K_RESOLVED = ascii('],"resolved":');
const K_SIDE = ascii('{"side":');
const K_NAME = ascii(',"name":');
const K_ADDRESS = ascii(',"address":');
const K_VIA = ascii(',"via":');
// merged literals for the parse thread's line (fewer calls per line)
const K_RANK0_RECEIVED = ascii(',"rank":0,"received_ts":');
const K_ZONED_TRUE_TRANSPORT = ascii(',"event_ts_zoned":true,"transport":');
const K_ZONED_FALSE_TRANSPORT = ascii(',"event_ts_zoned":false,"transport":');
const K_EMPTY_FLOWS_END = ascii(',"flow_ids":[]}');
const NULL = ascii('null');
const TRUE = ascii('true');
const FALSE = ascii('false');

/**
 * A growing byte buffer of JSON text that also counts the UTF-16 length of what it wrote (the
 * intake cuts the decoded batch text by characters).
 */
export class JsonLineWriter {
  buf: Uint8Array;
  /** Bytes written. */
  at = 0;
  /** UTF-16 code units of the text written. */
  chars = 0;
  /**
   * Where the last line's src_ip, dst_ip and message values were written: byte offsets [start,
   * end) of each JSON value (quotes included; start -1 for null), in MARK_* order. The parse
   * thread passes them to the main thread (parsed-batch.ts), which then reads those values
   * without decoding the line.
   */
  readonly marks = new Int32Array(6);

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
  }

  /** Room for n more bytes (and SLACK after them). */
  ensure(n: number): void {
    if (this.at + n + SLACK <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.at + n + SLACK) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  reset(): void {
    this.at = 0;
    this.chars = 0;
  }

  /** An ASCII literal of at most a few dozen bytes (the slack left by the previous write holds it). */
  lit(b: Uint8Array): void {
    if (this.at + b.length > this.buf.length) this.ensure(b.length);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < b.length; i++) buf[at++] = b[i];
    this.at = at;
    this.chars += b.length;
  }

  /** Cached JSON text (its bytes and UTF-16 length). */
  text(t: CachedText): void {
    const b = t.bytes;
    if (this.at + b.length > this.buf.length) this.ensure(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
    this.chars += t.chars;
  }

  /** Cached text with two runs of digits written over its bytes at offsets a1 and a2 (v1 and v2, n1 and n2 digits, zero-padded; each below 2^31). */
  textWithDigits(t: CachedText, a1: number, v1: number, n1: number, a2: number, v2: number, n2: number): void {
    const b = t.bytes;
    if (this.at + b.length > this.buf.length) this.ensure(b.length);
    const at = this.at;
    this.buf.set(b, at);
    writeDigits(this.buf, at + a1, v1, n1);
    writeDigits(this.buf, at + a2, v2, n2);
    this.at = at + b.length;
    this.chars += t.chars;
  }

  byte(c: number): void {
    if (this.at >= this.buf.length) this.ensure(1);
    this.buf[this.at++] = c;
    this.chars++;
  }

  /** A JSON number as JSON.stringify writes it (integers in practice; non-finite is null). */
  num(n: number): void {
    if (!Number.isFinite(n)) return this.lit(NULL);
    if (Number.isInteger(n) && n >= 0 && n < 1e15) {
      if (this.at + 16 > this.buf.length) this.ensure(16);
      const at = writeUint(this.buf, this.at, n);
      this.chars += at - this.at;
      this.at = at;
      return;
    }
    this.asciiText(JSON.stringify(n));
  }

  numOrNull(n: number | null): void {
    if (n === null) this.lit(NULL);
    else this.num(n);
  }

  bool(b: boolean): void {
    this.lit(b ? TRUE : FALSE);
  }

  /** A timestamp's text form (formatTs: seconds, a dot, nine digits) as a JSON string. */
  ts(sec: number, nsec: number): void {
    if (!(Number.isInteger(nsec) && nsec >= 0 && nsec < 1e9 && Number.isInteger(sec) && sec >= 0 && sec < 1e15)) return this.str(formatTs(sec, nsec));
    if (this.at + 28 > this.buf.length) this.ensure(28);
    const buf = this.buf;
    const start = this.at;
    buf[start] = 0x22;
    let at = writeUint(buf, start + 1, sec);
    buf[at] = 0x2e;
    writeDigits(buf, at + 1, nsec, 9);
    at += 10;
    buf[at++] = 0x22;
    this.chars += at - start;
    this.at = at;
  }

  /** Text known to be ASCII without anything to escape. */
  private asciiText(s: string): void {
    this.ensure(s.length);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i);
    this.at = at;
    this.chars += s.length;
  }

  strOrNull(s: string | null): void {
    if (s === null) this.lit(NULL);
    else this.str(s);
  }

  /** A JSON string exactly as JSON.stringify writes it (well-formed: lone surrogates as \udxxx), in UTF-8. */
  str(s: string): void {
    // worst case per UTF-16 unit: 6 bytes (\u001f, \udxxx); a pair takes 4 bytes for 2 units
    this.ensure(s.length * 6 + 2);
    if (s.length > LONG && !NEEDS_CARE.test(s)) {
      // the common case, printable ASCII: the runtime's encoder copies it at memory speed
      this.buf[this.at] = 0x22;
      const { written } = encoder.encodeInto(s, this.buf.subarray(this.at + 1));
      this.at += written + 1;
      this.buf[this.at++] = 0x22;
      this.chars += s.length + 2;
      return;
    }
    const buf = this.buf;
    let at = this.at;
    let chars = this.chars + 2; // the quotes
    buf[at++] = 0x22;
    const n = s.length;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c !== 0x22 && c !== 0x5c) {
          buf[at++] = c;
          chars++;
          continue;
        }
        buf[at++] = 0x5c;
        if (c === 0x22 || c === 0x5c) {
          buf[at++] = c;
          chars += 2;
        } else if (c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) {
          buf[at++] = c === 0x08 ? 0x62 : c === 0x09 ? 0x74 : c === 0x0a ? 0x6e : c === 0x0c ? 0x66 : 0x72;
          chars += 2;
        } else {
          buf[at++] = 0x75;
          buf[at++] = 0x30;
          buf[at++] = 0x30;
          buf[at++] = HEX.charCodeAt(c >> 4);
          buf[at++] = HEX.charCodeAt(c & 15);
          chars += 6;
        }
      } else if (c < 0x800) {
        buf[at++] = 0xc0 | (c >> 6);
        buf[at++] = 0x80 | (c & 63);
        chars++;
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          buf[at++] = 0xf0 | (cp >> 18);
          buf[at++] = 0x80 | ((cp >> 12) & 63);
          buf[at++] = 0x80 | ((cp >> 6) & 63);
          buf[at++] = 0x80 | (cp & 63);
          chars += 2;
          i++;
        } else {
          // a lone surrogate: JSON.stringify writes it escaped, in lowercase hex
          buf[at++] = 0x5c;
          buf[at++] = 0x75;
          buf[at++] = HEX.charCodeAt(c >> 12);
          buf[at++] = HEX.charCodeAt((c >> 8) & 15);
          buf[at++] = HEX.charCodeAt((c >> 4) & 15);
          buf[at++] = HEX.charCodeAt(c & 15);
          chars += 6;
        }
      } else {
        buf[at++] = 0xe0 | (c >> 12);
        buf[at++] = 0x80 | ((c >> 6) & 63);
        buf[at++] = 0x80 | (c & 63);
        chars++;
      }
    }
    buf[at++] = 0x22;
    this.at = at;
    this.chars = chars;
  }

  /**
   * Printable ASCII bytes b[s, e) without `\\` (log-facts.ts checked them) as a JSON string:
   * copied as they are, `"` escaped — what str() writes for the same text, without the string.
   */
  asciiStr(b: Uint8Array, s: number, e: number, quotes: number): void {
    const n = e - s;
    this.ensure(n + quotes + 2);
    const buf = this.buf;
    let at = this.at;
    buf[at++] = 0x22;
    if (quotes === 0) {
      if (n > LONG) buf.set(b.subarray(s, e), at);
      else for (let i = s; i < e; i++) buf[at + i - s] = b[i];
      at += n;
    } else {
      for (let i = s; i < e; i++) {
        const c = b[i];
        if (c === 0x22) buf[at++] = 0x5c;
        buf[at++] = c;
      }
    }
    buf[at++] = 0x22;
    this.at = at;
    this.chars += n + quotes + 2;
  }

  /**
   * asciiStr for bytes holding `"`, with their positions known (quoteAt[0, quotes), ascending,
   * inside [s, e)): the runs between them copied as they are, each `"` escaped.
   */
  asciiStrQuoted(b: Uint8Array, s: number, e: number, quoteAt: Int32Array, quotes: number): void {
    const n = e - s;
    this.ensure(n + quotes + 2);
    const buf = this.buf;
    let at = this.at;
    buf[at++] = 0x22;
    let p = s;
    for (let k = 0; k <= quotes; k++) {
      const q = k < quotes ? quoteAt[k] : e;
      const len = q - p;
      if (len > LONG) buf.set(b.subarray(p, q), at);
      else for (let i = 0; i < len; i++) buf[at + i] = b[p + i];
      at += len;
      if (k < quotes) {
        buf[at++] = 0x5c;
        buf[at++] = 0x22;
      }
      p = q + 1;
    }
    buf[at++] = 0x22;
    this.at = at;
    this.chars += n + quotes + 2;
  }

  /** JSON text already encoded as ASCII bytes b[s, s + n) (one character a byte). */
  asciiJson(b: Uint8Array, s: number, n: number): void {
    this.ensure(n);
    this.buf.set(b.subarray(s, s + n), this.at);
    this.at += n;
    this.chars += n;
  }

  /** Bytes already encoded (a journal line kept as it was); `chars` is not advanced (unknown). */
  copy(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** A copy of the bytes written (an ArrayBuffer of its own, transferable). */
  take(): ArrayBuffer {
    return this.buf.slice(0, this.at).buffer as ArrayBuffer;
  }
}

/**
 * Writes v (an integer, 0 <= v < 1e15) in decimal at `at`; returns the end. Integer arithmetic
 * (| 0) on 9-digit parts: the digit loop on doubles (% 10, Math.floor) cost as much as the rest
 * of a timestamp's writing.
 */
function writeUint(buf: Uint8Array, at: number, v: number): number {
  if (v < 1e9) return at + writeSmall(buf, at, v);
  const hi = Math.floor(v / 1e9);
  at += writeSmall(buf, at, hi);
  writeDigits(buf, at, v - hi * 1e9, 9);
  return at + 9;
}

/** v (0 <= v < 1e9) in decimal at `at`, without leading zeros; returns the digits written. */
function writeSmall(buf: Uint8Array, at: number, v: number): number {
  let n = 1;
  for (let p = 10; p <= v && n < 9; p *= 10) n++;
  writeDigits(buf, at, v, n);
  return n;
}

/** The last n decimal digits of v (0 <= v < 2^31), zero-padded, at [at, at + n). */
function writeDigits(buf: Uint8Array, at: number, v: number, n: number): void {
  let x = v | 0;
  for (let i = at + n - 1; i >= at; i--) {
    const q = (x / 10) | 0;
    buf[i] = 48 + x - q * 10;
    x = q;
  }
}

/** JSON text written once and kept (a literal with a variable part that rarely varies). */
export interface CachedText {
  bytes: Uint8Array;
  chars: number;
}

/** The text `build` writes, as CachedText (JsonLineWriter.text writes it). */
export function textOf(build: (t: JsonLineWriter) => void): CachedText {
  const t = new JsonLineWriter(256);
  build(t);
  return { bytes: t.buf.slice(0, t.at), chars: t.chars };
}

const textCache = new Map<string, CachedText>();

/** The text `build` writes, built on first use per key and kept (bounded: a sensor or transport name is not per message). */
function cached(key: string, build: (t: JsonLineWriter) => void): CachedText {
  let c = textCache.get(key);
  if (c === undefined) {
    c = textOf(build);
    if (textCache.size >= 64) textCache.clear();
    textCache.set(key, c);
  }
  return c;
}

function writeFields(w: JsonLineWriter, fields: Record<string, string>): void {
  let first = true;
  // Object.keys: the order JSON.stringify uses (integer-like keys first, then insertion order)
  for (const k of Object.keys(fields)) {
    if (!first) w.byte(0x2c);
    first = false;
    w.str(k);
    w.byte(0x3a);
    w.str(fields[k]);
  }
}

/**
 * Writes the line of the event toLogEvent(raw, p, origin) would build (without the final LF),
 * byte for byte JSON.stringify's. Origin fields are passed one by one: no object per message.
 */
export function writeParsedLogLine(
  w: JsonLineWriter,
  raw: string,
  p: ParsedLog,
  id: string,
  sensor: string,
  receivedSec: number,
  receivedNsec: number,
  transport: LogEvent['transport'],
  senderIp: string | null,
  senderPort: number | null,
  captureFlow: string | null,
): void {
  const eventTime = keptTime(p.time) ? p.time : null;
  w.lit(K_KIND_ID);
  w.str(id);
  // the parts that are the same for every line of a receiver come as one literal each (fewer calls per line)
  w.text(cached(`s${sensor}`, (t) => (t.lit(K_SENSOR), t.str(sensor), t.lit(K_TS))));
  if (eventTime) w.ts(eventTime.sec, eventTime.nsec);
  else w.ts(receivedSec, receivedNsec);
  w.lit(K_RANK0_RECEIVED);
  w.ts(receivedSec, receivedNsec);
  const zoned = eventTime !== null && eventTime.zoned === true;
  if (eventTime) {
    w.lit(K_EVENT_TS);
    w.ts(eventTime.sec, eventTime.nsec);
    w.text(cached(`${zoned ? 'z' : 'u'}${transport}`, (t) => (t.lit(zoned ? K_ZONED_TRUE_TRANSPORT : K_ZONED_FALSE_TRANSPORT), t.str(transport), t.lit(K_SENDER_IP))));
  } else {
    w.text(cached(`n${transport}`, (t) => (t.lit(K_EVENT_TS), t.lit(NULL), t.lit(K_ZONED_FALSE_TRANSPORT), t.str(transport), t.lit(K_SENDER_IP))));
  }
  w.strOrNull(senderIp);
  w.lit(K_SENDER_PORT);
  w.numOrNull(senderPort);
  if (captureFlow === null) {
    w.text(cached(`f${p.format}`, (t) => (t.lit(K_CAPTURE_FLOW), t.lit(NULL), t.lit(K_FORMAT), t.str(p.format), t.lit(K_FACILITY))));
  } else {
    w.lit(K_CAPTURE_FLOW);
    w.str(captureFlow);
    w.lit(K_FORMAT);
    w.str(p.format);
    w.lit(K_FACILITY);
  }
  w.numOrNull(p.facility);
  w.lit(K_SEVERITY);
  w.numOrNull(p.severity);
  w.lit(K_HOST);
  w.strOrNull(capHeaderText(p.host));
  w.lit(K_APP);
  w.strOrNull(capHeaderText(p.app));
  w.lit(K_MESSAGE);
  markedMessage(w, p.message);
  w.lit(K_RAW);
  w.str(raw);
  w.lit(K_FIELDS);
  writeFields(w, fieldsOf(p.fields));
  const e = p.endpoints;
  writeEndpointsAndProblem(w, e.srcIp, e.srcPort, e.dstIp, e.dstPort, e.proto, p.problem);
  w.lit(K_EMPTY_FLOWS_END);
}

/** The endpoint fields and `problem`, as both line writers end (before the flow ids). */
function writeEndpointsAndProblem(w: JsonLineWriter, srcIp: string | null, srcPort: number | null, dstIp: string | null, dstPort: number | null, proto: number | null, problem: string | null): void {
  w.lit(K_SRC_IP);
  markedStrOrNull(w, srcIp, MARK_SRC_IP);
  w.lit(K_SRC_PORT);
  w.numOrNull(srcPort);
  w.lit(K_DST_IP);
  markedStrOrNull(w, dstIp, MARK_DST_IP);
  w.lit(K_DST_PORT);
  w.numOrNull(dstPort);
  w.lit(K_PROTO);
  w.numOrNull(proto);
  w.lit(K_PROBLEM);
  w.strOrNull(problem);
}

/**
 * Writes a `log` event's line (without the final LF): JSON.stringify(e) for an event with
 * toLogEvent's key order, `resolved` (when present) last — the shape the intake holds after it
 * resolved names and linked flows.
 */
export function writeLogEventLine(w: JsonLineWriter, e: LogEvent): void {
  w.lit(K_KIND_ID);
  w.str(e.id);
  w.lit(K_SENSOR);
  w.str(e.sensor);
  w.lit(K_TS);
  w.str(e.ts);
  w.lit(K_RANK);
  w.num(e.rank);
  w.lit(K_RECEIVED);
  w.str(e.received_ts);
  w.lit(K_EVENT_TS);
  w.strOrNull(e.event_ts);
  w.lit(K_ZONED);
  w.bool(e.event_ts_zoned);
  w.lit(K_TRANSPORT);
  w.str(e.transport);
  w.lit(K_SENDER_IP);
  w.strOrNull(e.sender_ip);
  w.lit(K_SENDER_PORT);
  w.numOrNull(e.sender_port);
  w.lit(K_CAPTURE_FLOW);
  w.strOrNull(e.capture_flow);
  w.lit(K_FORMAT);
  w.str(e.format);
  w.lit(K_FACILITY);
  w.numOrNull(e.facility);
  w.lit(K_SEVERITY);
  w.numOrNull(e.severity);
  w.lit(K_HOST);
  w.strOrNull(e.host);
  w.lit(K_APP);
  w.strOrNull(e.app);
  w.lit(K_MESSAGE);
  markedMessage(w, e.message);
  w.lit(K_RAW);
  w.str(e.raw);
  w.lit(K_FIELDS);
  writeFields(w, e.fields);
  writeEndpointsAndProblem(w, e.src_ip, e.src_port, e.dst_ip, e.dst_port, e.proto, e.problem);
  w.lit(K_FLOW_IDS);
  for (let i = 0; i < e.flow_ids.length; i++) {
    if (i > 0) w.byte(0x2c);
    w.str(e.flow_ids[i]);
  }
  if (e.resolved === undefined) {
    w.byte(0x5d);
    w.byte(0x7d);
    return;
  }
  w.lit(K_RESOLVED);
  w.byte(0x5b);
  for (let i = 0; i < e.resolved.length; i++) {
    const r = e.resolved[i];
    if (i > 0) w.byte(0x2c);
    w.lit(K_SIDE);
    w.str(r.side);
    w.lit(K_NAME);
    w.str(r.name);
    w.lit(K_ADDRESS);
    w.str(r.address);
    w.lit(K_VIA);
    w.str(r.via);
    w.byte(0x7d);
  }
  w.byte(0x5d);
  w.byte(0x7d);
}
