/**
 * The parse thread's work on one datagram batch (udp-batch.ts → parsed-batch.ts): parse each
 * message (common/logs, the same code the intake uses for TCP), write its `log` event's compact
 * journal line straight into bytes (log-journal-line.ts: the raw text, origin and query values;
 * the reader rebuilds the rest of the event toLogEvent would build) and its row of the facts table (what the main
 * thread needs to rank, resolve, correlate and count without decoding the line).
 * Environment-free apart from the batch layout; run by udp-parse-thread.ts, tested directly.
 */
import { keptTime } from '../../common/logs/log-event.js';
import { extractLogFacts, LogFacts } from '../../common/logs/log-facts.js';
import { exactTime, writeCompactLineStart, writeCompactLogLine, writeCompactLogLineFromFacts } from '../../common/logs/log-journal-line.js';
import { JsonLineWriter, MARK_SRC_IP, writeParsedLogLine } from '../../common/logs/log-line-encoder.js';
import { decodeLogBytes, parseLog } from '../../common/logs/parse-log.js';
import { FACT_STRIDE, writeFacts, writeFactsCoded, type ParsedLogBatch } from './parsed-batch.js';
import { UdpBatchReader, type UdpBatch } from './udp-batch.js';

/** log_fast_path.h LFP_HEADER_WORDS * 4: a result's header before its tail bytes. */
const PRE_HEADER_BYTES = 60;
const EMPTY_PRE = new Int32Array(0);

export class UdpBatchParser {
  // one writer for every batch: the lines are written straight into its bytes, then copied out exactly sized
  private readonly w = new JsonLineWriter(1 << 20);
  /**
   * [0] the last event id given (ids are idPrefix and a sequence number); [1] 1 while the native
   * receiver may hand over whole parsed batches (udp-parse-thread.ts: it writes them in C with ids
   * after [0] and advances it, native/udp-intake/src/line_pack.h).
   */
  readonly state = new Float64Array(2);
  private readonly logFacts = new LogFacts();
  private ends = new Uint32Array(0);
  private facts = new Float64Array(0);
  /** Off: every message parsed in full (the reference path; tests compare the two). */
  useFacts = true;
  /** Off: a batch's native fast path results (UdpBatch.pre) are ignored (tests compare the paths). */
  usePre = true;
  /**
   * Also write each event's whole line (ParsedLogBatch.wholeData) while the main thread builds
   * events (a live subscriber, an exporter): it then reads the parser's event instead of
   * parsing the raw text a second time (5.6 against 3.1-3.4 µs an event on that thread).
   */
  wholeLines = false;
  private whole: JsonLineWriter | null = null;

  constructor(
    /** Event ids are this prefix and a sequence number. */
    private readonly idPrefix: string,
    private readonly sensor: string,
  ) {}

  parse(b: UdpBatch, dropped: number): ParsedLogBatch {
    const w = this.w;
    w.reset();
    // ends and facts go to scratch arrays kept from batch to batch, then into the batch's one buffer (packBatch)
    if (this.ends.length < b.count * 2) {
      this.ends = new Uint32Array(b.count * 2);
      this.facts = new Float64Array(b.count * FACT_STRIDE);
    }
    const ends = this.ends;
    const facts = this.facts;
    const r = new UdpBatchReader(b);
    const ww = this.wholeLines ? (this.whole ??= new JsonLineWriter(1 << 20)) : null;
    const wholeEnds = ww ? new Uint32Array(b.count) : null;
    if (ww) ww.reset();
    let n = 0;
    const bytes = r.bytes;
    const f = this.logFacts;
    // the native receiver's fast path results (log_fast_path.h): per record an offset, -1 for "not handled"
    const usePre = b.pre !== undefined && this.usePre && ww === null && this.useFacts;
    const pre = usePre ? new Int32Array(b.pre as ArrayBuffer) : EMPTY_PRE;
    const preBytes = new Uint8Array(pre.buffer);
    const preCount = Math.min(b.count, pre.length);
    while (n < b.count && r.next()) {
      const sec = r.timeSec;
      const nsec = r.timeNsec;
      const off = n < preCount ? pre[n] : -1;
      if (off >= 0 && exactTime(sec, nsec)) {
        // done in C on the receive thread: the line's start here, then its tail's bytes as written there
        const h = off >> 2;
        writeCompactLineStart(w, this.idPrefix, ++this.state[0], this.sensor, 'udp', sec, nsec, r.ip, r.port);
        const base = w.at;
        w.asciiJson(preBytes, off + PRE_HEADER_BYTES, pre[h]);
        // the header's marks (src_ip, dst_ip, message: JsonLineWriter.marks's order), relative to the tail
        const m = w.marks;
        for (let k = 0; k < 6; k++) {
          const v = pre[h + 9 + k];
          m[MARK_SRC_IP + k] = v < 0 ? v : base + v;
        }
        w.byte(0x0a);
        ends[2 * n] = w.at;
        ends[2 * n + 1] = w.chars;
        const stated = pre[h + 5] === 1;
        const tSec = stated ? pre[h + 7] * 4294967296 + (pre[h + 6] >>> 0) : sec;
        writeFactsCoded(facts, n, m, pre[h + 1], pre[h + 2], pre[h + 3], pre[h + 4], tSec, stated ? pre[h + 8] : nsec, 0);
        n++;
        continue;
      }
      // the facts read from the bytes when the extractor is sure (log-facts.ts), else the full parse
      if (ww === null && this.useFacts && exactTime(sec, nsec) && extractLogFacts(bytes, r.start, r.end, sec, f)) {
        writeCompactLogLineFromFacts(w, bytes, r.start, r.end, f, this.idPrefix, ++this.state[0], this.sensor, sec, nsec, 'udp', r.ip, r.port);
        w.byte(0x0a);
        ends[2 * n] = w.at;
        ends[2 * n + 1] = w.chars;
        const stated = f.timeKept && f.zoned;
        writeFactsCoded(facts, n, w.marks, f.format, f.srcPort, f.dstPort, f.proto, stated ? f.timeSec : sec, stated ? f.timeNsec : nsec, 0);
        n++;
        continue;
      }
      const text = decodeLogBytes(r.payload());
      const p = parseLog(text, sec);
      writeCompactLogLine(w, text, p, this.idPrefix, ++this.state[0], this.sensor, sec, nsec, 'udp', r.ip, r.port, null);
      w.byte(0x0a);
      ends[2 * n] = w.at;
      ends[2 * n + 1] = w.chars;
      if (ww && wholeEnds) {
        writeParsedLogLine(ww, text, p, this.idPrefix + this.state[0], this.sensor, sec, nsec, 'udp', r.ip, r.port, null);
        ww.byte(0x0a);
        wholeEnds[n] = ww.at;
      }
      // correlation's time: the stated one when it stated its zone, else the reception's (correlate.ts)
      const t = p.time;
      const stated = t !== null && t.zoned === true && keptTime(t);
      const e = p.endpoints;
      writeFacts(facts, n, w.marks, p.format, e.srcPort, e.dstPort, e.proto, stated ? t.sec : sec, stated ? t.nsec : nsec, 0);
      n++;
    }
    const out = packBatch(w.buf, w.at, ends, facts, n, dropped);
    if (ww && wholeEnds) {
      out.wholeData = ww.take();
      out.wholeEnds = n === b.count ? wholeEnds : wholeEnds.slice(0, n);
    }
    return out;
  }
}

/**
 * A batch already in packBatch's layout (the native receiver's whole batches, line_pack.h): the
 * facts and ends as views into it.
 */
export function packedBatch(data: ArrayBuffer, used: number, count: number, dropped: number): ParsedLogBatch {
  const factsAt = (used + 7) & ~7;
  const endsAt = factsAt + count * FACT_STRIDE * 8;
  return { data, used, ends: new Uint32Array(data, endsAt, count * 2), facts: new Float64Array(data, factsAt, count * FACT_STRIDE), count, dropped };
}

/**
 * The batch as one buffer to transfer: the lines' bytes [0, used), then (8-byte aligned) the
 * facts table, then the line ends; `facts` and `ends` are views into it. One allocation and one
 * transferred buffer a batch instead of three.
 */
function packBatch(lines: Uint8Array, used: number, ends: Uint32Array, facts: Float64Array, count: number, dropped: number): ParsedLogBatch {
  const factsAt = (used + 7) & ~7;
  const endsAt = factsAt + count * FACT_STRIDE * 8;
  const data = new ArrayBuffer(endsAt + count * 2 * 4);
  new Uint8Array(data, 0, used).set(lines.subarray(0, used));
  const f = new Float64Array(data, factsAt, count * FACT_STRIDE);
  f.set(facts.subarray(0, count * FACT_STRIDE));
  const e = new Uint32Array(data, endsAt, count * 2);
  e.set(ends.subarray(0, count * 2));
  return { data, used, ends: e, facts: f, count, dropped };
}
