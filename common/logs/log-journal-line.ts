/**
 * The compact journal line of a `log` event (journal line format 2): only what the reader cannot
 * rebuild. A received message's event is a function of its raw text, its reception time and its
 * origin (toLogEvent(raw, parseLog(raw, receivedSec), origin)), so the line keeps those, plus
 * the values a journal query filters on without re-parsing (ts, src_ip, dst_ip) and any value
 * that differs from the rebuilt event (flow_ids linked at intake); the reader parses the raw text
 * again and fills the rest back. A ~150-byte datagram's line falls from ~700-900 bytes (the full
 * event: 27 keys, mostly defaults and nulls, the message twice, the fields a third time) to
 * ~250, and the UDP parse thread's line writer costs what it writes.
 *
 *   {"kind":"log","v":2,"id":…,"sensor":…,"transport":…,"received_ts":…[,"sender_ip":…][,"sender_port":…]
 *    [,"capture_flow":…][,"ts":…][,"src_ip":…][,"dst_ip":…],"raw":…[,"flow_ids":[…]]}
 *
 * Absent keys: sender_ip, sender_port, capture_flow, src_ip, dst_ip are null, ts is received_ts,
 * flow_ids is empty; every other key is the rebuilt event's. The query keys are authoritative as
 * written (a parser that later reads more from the same text does not change what a stored
 * line's queries match). An event that changed otherwise after parsing (a resolved name, a rank)
 * is written whole.
 * Lines without "v" are format 1, the whole event as JSON.stringify writes it; readers take both
 * (journals written before format 2 read as before). The writer falls back to format 1 for a
 * line it cannot promise to rebuild (a reception time the text form would not give back, a
 * parser error).
 */
import { z } from 'zod';
import { LogEventSchema, type LogEvent } from '../bridge/messages.js';
import { keptTime, toLogEvent } from './log-event.js';
import { ascii, JsonLineWriter, MARK_DST_IP, MARK_MESSAGE, MARK_SRC_IP, textOf, writeLineMarked, writeParsedLogLine, type CachedText } from './log-line-encoder.js';
import { parseLog } from './parse-log.js';
import type { LogFacts } from './log-facts.js';
import type { ParsedLog } from './parsed-log.js';

export const COMPACT_LOG_LINE_VERSION = 2;

/** Every compact line starts with these bytes (the intake recognises its own lines by them). */
export const COMPACT_PREFIX = ascii('{"kind":"log","v":2,"id":');
const K_SENDER_IP = ascii(',"sender_ip":');
const K_SENDER_PORT = ascii(',"sender_port":');
const K_CAPTURE_FLOW = ascii(',"capture_flow":');
const K_TS = ascii(',"ts":');
const K_SRC_IP = ascii(',"src_ip":');
const K_DST_IP = ascii(',"dst_ip":');
const K_RAW = ascii(',"raw":');

/** A compact line as read: its origin and query keys, and the flows linked at intake (the only value the intake writes into it). */
export const CompactLogLineSchema = z.object({
  kind: z.literal('log'),
  v: z.literal(COMPACT_LOG_LINE_VERSION),
  id: LogEventSchema.shape.id,
  sensor: LogEventSchema.shape.sensor,
  transport: LogEventSchema.shape.transport,
  received_ts: LogEventSchema.shape.received_ts,
  sender_ip: LogEventSchema.shape.sender_ip.optional(),
  sender_port: LogEventSchema.shape.sender_port.optional(),
  capture_flow: LogEventSchema.shape.capture_flow.optional(),
  ts: LogEventSchema.shape.ts.optional(),
  src_ip: LogEventSchema.shape.src_ip.optional(),
  dst_ip: LogEventSchema.shape.dst_ip.optional(),
  raw: LogEventSchema.shape.raw,
  flow_ids: LogEventSchema.shape.flow_ids.optional(),
});
export type CompactLogLine = z.infer<typeof CompactLogLineSchema>;

/** Whether a journal line's JSON value is a compact log line (to be expanded), not a whole event. */
export function isCompactLogLine(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { v?: unknown }).v === COMPACT_LOG_LINE_VERSION && (v as { kind?: unknown }).kind === 'log';
}

/** A time whose text form gives it back exactly (formatTs ⇄ parseTimestamp). */
export function exactTime(sec: number, nsec: number): boolean {
  return Number.isSafeInteger(sec) && sec >= 0 && sec <= 99_999_999_999 && Number.isInteger(nsec) && nsec >= 0 && nsec < 1e9;
}

/**
 * Whether the reader can rebuild this event from a compact line: its reception time's text gives
 * it back, and parseLog did not catch a parser bug (such a result may depend on more than the
 * text: a stack overflow). Otherwise the whole line is written, with the parse result's fields.
 */
export function compactLineFits(receivedSec: number, receivedNsec: number, p: ParsedLog): boolean {
  return exactTime(receivedSec, receivedNsec) && !(p.problem !== null && p.problem.startsWith('parser error'));
}

/**
 * Writes the compact line of the event toLogEvent(raw, p, origin) would build (without the final
 * LF; its id is idPrefix followed by idSeq's digits, or idPrefix alone when idSeq < 0), or its whole line (writeParsedLogLine) when the reader could not rebuild it. Marks (for the
 * facts table): src_ip and dst_ip as in writeParsedLogLine; the message as a range of the raw
 * value's bytes when it is plain text inside raw, else -2 (read it from the event).
 */
export function writeCompactLogLine(
  w: JsonLineWriter,
  raw: string,
  p: ParsedLog,
  idPrefix: string,
  idSeq: number,
  sensor: string,
  receivedSec: number,
  receivedNsec: number,
  transport: LogEvent['transport'],
  senderIp: string | null,
  senderPort: number | null,
  captureFlow: string | null,
): void {
  if (!compactLineFits(receivedSec, receivedNsec, p)) {
    writeParsedLogLine(w, raw, p, idSeq < 0 ? idPrefix : idPrefix + idSeq, sensor, receivedSec, receivedNsec, transport, senderIp, senderPort, captureFlow);
    return;
  }
  writeCompactLineStart(w, idPrefix, idSeq, sensor, transport, receivedSec, receivedNsec, senderIp, senderPort);
  if (captureFlow !== null) {
    w.lit(K_CAPTURE_FLOW);
    w.str(captureFlow);
  }
  if (keptTime(p.time)) {
    w.lit(K_TS);
    w.ts(p.time.sec, p.time.nsec);
  }
  const e = p.endpoints;
  writeLineMarked(w, K_SRC_IP, e.srcIp, MARK_SRC_IP);
  writeLineMarked(w, K_DST_IP, e.dstIp, MARK_DST_IP);
  w.lit(K_RAW);
  const start = w.at;
  w.str(raw);
  markMessageInRaw(w, raw, p.message, start);
  w.byte(0x7d);
}

/**
 * A compact line's start: its id (idSeq < 0: idPrefix is the whole id) and origin, up to the
 * sender's port. Exported for a writer that has the rest of the line's bytes from elsewhere (the
 * native receiver's parse fast path, node/logs/udp-batch-parser.ts), which checked
 * exactTime(receivedSec, receivedNsec).
 */
export function writeCompactLineStart(
  w: JsonLineWriter,
  idPrefix: string,
  idSeq: number,
  sensor: string,
  transport: LogEvent['transport'],
  receivedSec: number,
  receivedNsec: number,
  senderIp: string | null,
  senderPort: number | null,
): void {
  if (idSeq < 0) {
    w.lit(COMPACT_PREFIX);
    w.str(idPrefix);
  } else {
    if (senderIp !== null && senderPort !== null && writeOriginTemplate(w, idPrefix, idSeq, sensor, transport, receivedSec, receivedNsec, senderIp)) {
      w.num(senderPort);
      return;
    }
    // the id's prefix written once (with the line's start), then the sequence number's digits
    // (digits need no escaping): no id string built per message
    w.text(idPrefixText(idPrefix));
    w.num(idSeq);
    // the id's closing quote and the origin's keys: one cached text
    w.text(originText(sensor, transport, true));
    w.ts(receivedSec, receivedNsec);
    writeSender(w, senderIp, senderPort);
    return;
  }
  w.text(originText(sensor, transport, false));
  w.ts(receivedSec, receivedNsec);
  writeSender(w, senderIp, senderPort);
}

/**
 * A received message's line start up to its sender's port — `{"kind":"log","v":2,"id":"PREFIX`,
 * the id's digits, the origin's keys, received_ts, `,"sender_ip":"IP","sender_port":` — as one
 * cached text with two digit slots (the id's, the received time's nanoseconds) filled in place:
 * the same bytes as the pieces written one by one, in one copy. The text is kept per id prefix,
 * sensor, transport, sender address, the id's digit count and the received second (a receiver's
 * messages share them for a second at a time). False (nothing written) for what it does not
 * cover: ids of more than 9 digits, a received second outside 10 digits, nanoseconds not an integer below 1e9.
 */
function writeOriginTemplate(w: JsonLineWriter, idPrefix: string, idSeq: number, sensor: string, transport: string, sec: number, nsec: number, ip: string): boolean {
  if (!(idSeq >= 0 && idSeq < 1e9 && Number.isInteger(idSeq) && sec >= 1e9 && sec < 1e10 && Number.isInteger(sec) && nsec >= 0 && nsec < 1e9 && Number.isInteger(nsec))) return false;
  const width = idSeq < 10 ? 1 : idSeq < 100 ? 2 : idSeq < 1e3 ? 3 : idSeq < 1e4 ? 4 : idSeq < 1e5 ? 5 : idSeq < 1e6 ? 6 : idSeq < 1e7 ? 7 : idSeq < 1e8 ? 8 : 9;
  let t = lastTemplate;
  if (t === null || t.sec !== sec || t.width !== width || t.ip !== ip || t.prefix !== idPrefix || t.sensor !== sensor || t.transport !== transport) {
    let idAt = 0;
    let nsecAt = 0;
    const text = textOf((x) => {
      x.text(idPrefixText(idPrefix));
      idAt = x.at;
      x.num(10 ** (width - 1));
      x.text(originText(sensor, transport, true));
      x.ts(sec, 0);
      nsecAt = x.at - 10;
      x.text(senderText(ip));
    });
    t = { prefix: idPrefix, sensor, transport, ip, width, sec, text, idAt, nsecAt };
    lastTemplate = t;
  }
  w.textWithDigits(t.text, t.idAt, idSeq, width, t.nsecAt, nsec, 9);
  return true;
}

let lastTemplate: { prefix: string; sensor: string; transport: string; ip: string; width: number; sec: number; text: CachedText; idAt: number; nsecAt: number } | null = null;

/** `,"sender_ip":IP` and `,"sender_port":N`, each when not null (the IP's part cached per address: a receiver hears few senders). */
function writeSender(w: JsonLineWriter, senderIp: string | null, senderPort: number | null): void {
  if (senderIp !== null) {
    if (senderPort !== null) {
      w.text(senderText(senderIp));
      w.num(senderPort);
      return;
    }
    w.lit(K_SENDER_IP);
    w.str(senderIp);
  } else if (senderPort !== null) {
    w.lit(K_SENDER_PORT);
    w.num(senderPort);
  }
}

// `,"sender_ip":"IP","sender_port":` by address: the last one, and a bounded map of the others
let lastSender: { ip: string; text: CachedText } | null = null;
const senderTexts = new Map<string, CachedText>();

function senderText(ip: string): CachedText {
  if (lastSender !== null && lastSender.ip === ip) return lastSender.text;
  let text = senderTexts.get(ip);
  if (text === undefined) {
    text = textOf((t) => {
      t.lit(K_SENDER_IP);
      t.str(ip);
      t.lit(K_SENDER_PORT);
    });
    if (senderTexts.size >= 256) senderTexts.clear();
    senderTexts.set(ip, text);
  }
  lastSender = { ip, text };
  return text;
}

/**
 * writeCompactLogLine for a message whose facts log-facts.ts read from its bytes b[start, end)
 * (printable ASCII without backslashes: its text is its bytes): the same bytes and marks,
 * without the text, its parse or the event. The caller checked exactTime(receivedSec,
 * receivedNsec) (the compact line's condition; the extractor is sure only where parseLog
 * reports no parser error).
 */
export function writeCompactLogLineFromFacts(
  w: JsonLineWriter,
  b: Uint8Array,
  start: number,
  end: number,
  f: LogFacts,
  idPrefix: string,
  idSeq: number,
  sensor: string,
  receivedSec: number,
  receivedNsec: number,
  transport: LogEvent['transport'],
  senderIp: string | null,
  senderPort: number | null,
): void {
  writeCompactLineStart(w, idPrefix, idSeq, sensor, transport, receivedSec, receivedNsec, senderIp, senderPort);
  if (f.timeKept) {
    w.lit(K_TS);
    w.ts(f.timeSec, f.timeNsec);
  }
  markedBytes(w, K_SRC_IP, b, f.srcStart, f.srcEnd, MARK_SRC_IP);
  markedBytes(w, K_DST_IP, b, f.dstStart, f.dstEnd, MARK_DST_IP);
  w.lit(K_RAW);
  const rawStart = w.at;
  if (f.quotes === 0) w.asciiStr(b, start, end, 0);
  else w.asciiStrQuoted(b, start, end, f.quoteAt, f.quotes);
  // markMessageInRaw on bytes: the raw value is its bytes when nothing was escaped
  let at = -1;
  let len = f.msgEnd - f.msgStart;
  if (f.quotes === 0 && f.msgAt !== -3) {
    at = f.msgAt;
    len = f.msgLen;
  } else if (f.quotes === 0) {
    const n = len;
    if (n === 0 || sameRange(b, end - n, f.msgStart, n)) at = end - n - start;
    else for (let i = start; i + n <= end; i++) if (sameRange(b, i, f.msgStart, n)) {
      at = i - start;
      break;
    }
  }
  if (at < 0) {
    w.marks[MARK_MESSAGE] = -2;
    w.marks[MARK_MESSAGE + 1] = -2;
  } else {
    w.marks[MARK_MESSAGE] = rawStart + 1 + at;
    w.marks[MARK_MESSAGE + 1] = rawStart + 1 + at + len;
  }
  w.byte(0x7d);
}

function sameRange(b: Uint8Array, a: number, c: number, n: number): boolean {
  if (a === c) return true;
  for (let i = 0; i < n; i++) if (b[a + i] !== b[c + i]) return false;
  return true;
}

/** `key` and the address bytes b[s, e) as a JSON string, marked, when s >= 0; only the mark (-1) when not. */
function markedBytes(w: JsonLineWriter, key: Uint8Array, b: Uint8Array, s: number, e: number, mark: number): void {
  if (s < 0) {
    w.marks[mark] = -1;
    w.marks[mark + 1] = -1;
    return;
  }
  w.lit(key);
  w.marks[mark] = w.at;
  w.asciiStr(b, s, e, 0);
  w.marks[mark + 1] = w.at;
}

/**
 * The message's bytes inside raw's JSON value: when raw was written byte for byte (printable
 * ASCII without escapes) and holds the message (most parsers slice it from the line).
 */
function markMessageInRaw(w: JsonLineWriter, raw: string, message: string, rawStart: number): void {
  let at = -1;
  if (w.at - rawStart === raw.length + 2) {
    at = raw.endsWith(message) ? raw.length - message.length : raw.indexOf(message);
  }
  if (at < 0) {
    w.marks[MARK_MESSAGE] = -2;
    w.marks[MARK_MESSAGE + 1] = -2;
    return;
  }
  w.marks[MARK_MESSAGE] = rawStart + 1 + at;
  w.marks[MARK_MESSAGE + 1] = rawStart + 1 + at + message.length;
}

// a receiver's lines share their sensor, transport and id prefix: the last ones' text is kept
let lastOrigin: { sensor: string; transport: string; quoted: boolean; text: CachedText } | null = null;
let lastIdPrefix: { prefix: string; text: CachedText } | null = null;

/** `,"sensor":S,"transport":T,"received_ts":` for a receiver (quoted: after the id's closing quote). */
function originText(sensor: string, transport: string, quoted: boolean): CachedText {
  if (lastOrigin === null || lastOrigin.sensor !== sensor || lastOrigin.transport !== transport || lastOrigin.quoted !== quoted) {
    const text = textOf((t) => {
      if (quoted) t.byte(0x22);
      t.lit(ascii(',"sensor":'));
      t.str(sensor);
      t.lit(ascii(',"transport":'));
      t.str(transport);
      t.lit(ascii(',"received_ts":'));
    });
    lastOrigin = { sensor, transport, quoted, text };
  }
  return lastOrigin.text;
}

/**
 * The two cached texts of a received message's line start (writeCompactLineStart) that depend on
 * the receiver: `{"kind":"log","v":2,"id":"PREFIX` (before the id's digits) and the id's closing
 * quote with the origin's keys up to received_ts's value. The native receiver writes whole lines
 * from them (native/udp-intake/src/line_pack.h): these bytes, so nothing is escaped twice.
 */
export function compactLineTexts(idPrefix: string, sensor: string, transport: string): { prefix: CachedText; origin: CachedText } {
  return { prefix: idPrefixText(idPrefix), origin: originText(sensor, transport, true) };
}

/** The line's start up to its id's digits: `{"kind":"log","v":2,"id":"PREFIX` (JSON.stringify's escapes, no closing quote). */
function idPrefixText(prefix: string): CachedText {
  if (lastIdPrefix === null || lastIdPrefix.prefix !== prefix) {
    const text = textOf((t) => {
      t.lit(COMPACT_PREFIX);
      t.str(prefix);
      t.at--; // the closing quote comes after the digits
      t.chars--;
    });
    lastIdPrefix = { prefix, text };
  }
  return lastIdPrefix.text;
}

/** received_ts's seconds and nanoseconds (the schema checked its form: digits, optionally a dot and 1-9 digits). */
function splitTs(t: string): { sec: number; nsec: number } {
  const dot = t.indexOf('.');
  if (dot < 0) return { sec: Number(t), nsec: 0 };
  return { sec: Number(t.slice(0, dot)), nsec: Number(t.slice(dot + 1).padEnd(9, '0')) };
}

/** The event a compact line stands for: rebuilt from its raw text and origin, then its written keys. */
export function expandCompactLogLine(rec: CompactLogLine): LogEvent {
  const t = splitTs(rec.received_ts);
  const p = parseLog(rec.raw, t.sec);
  const e = toLogEvent(rec.raw, p, {
    id: rec.id,
    sensor: rec.sensor,
    receivedSec: t.sec,
    receivedNsec: t.nsec,
    transport: rec.transport,
    senderIp: rec.sender_ip ?? null,
    senderPort: rec.sender_port ?? null,
    captureFlow: rec.capture_flow ?? null,
  });
  e.received_ts = rec.received_ts;
  e.ts = rec.ts ?? rec.received_ts;
  e.src_ip = rec.src_ip ?? null;
  e.dst_ip = rec.dst_ip ?? null;
  if (rec.flow_ids !== undefined) e.flow_ids = rec.flow_ids;
  return e;
}

/**
 * A journal line's JSON value as an event, for readers that trust the line (the intake's own
 * batches): a compact line expanded, a whole event as it is.
 */
export function logEventOfLine(v: unknown): LogEvent {
  return isCompactLogLine(v) ? expandCompactLogLine(v as CompactLogLine) : (v as LogEvent);
}
