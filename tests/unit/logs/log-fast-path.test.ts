/**
 * The native parse fast path (native/udp-intake/src/log_fast_path.c, run by the receive thread
 * over each batch) gives exactly what the TypeScript path gives: the parse thread's output for a
 * batch — journal line bytes, line ends (bytes and characters), facts table — is byte for byte
 * the same with the fast path's results as with every message parsed in full and as with the
 * TypeScript fact extractor, on generated lines of every shape, mutated lines, real samples,
 * the bench mix, corpus syslog lines, random text and random bytes. Messages it is not sure of
 * are left to the TypeScript path (offset -1), in order, nothing lost. The TypeScript path alone
 * (TAPLINE_NATIVE=0: no addon) is what the other logs tests run; here the addon is required.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { extractLogFacts, LogFacts } from '../../../common/logs/log-facts.js';
import { compactLineTexts, exactTime } from '../../../common/logs/log-journal-line.js';
import { loadNativeUdpIntake } from '../../../node/logs/native-udp-intake.js';
import { UdpBatchReader, type UdpBatch } from '../../../node/logs/udp-batch.js';
import { packedBatch, UdpBatchParser } from '../../../node/logs/udp-batch-parser.js';
import type { ParsedLogBatch } from '../../../node/logs/parsed-batch.js';
import { benchMessage } from '../../bench/suites/logs.js';
import { corpusSkipReason, corpusSyslogLines } from '../../helpers/corpus.js';
import { batchOf, enc, generated, SAMPLES, text, withInsertedBytes } from '../../helpers/log-line-arbitraries.js';
import { mutatedLogText } from '../../helpers/mutated-log-lines.js';

const load = loadNativeUdpIntake();
const skip = load.ok ? undefined : `native addon not loaded: ${load.reason}`;

function fastPre(b: UdpBatch): ArrayBuffer {
  if (!load.ok) throw new Error(load.reason);
  return load.addon.fastParseBatch(b.data, b.used, b.count);
}

/** Which records the fast path handled. */
function handled(b: UdpBatch, pre: ArrayBuffer): boolean[] {
  return Array.from(new Int32Array(pre, 0, b.count), (o) => o >= 0);
}

/**
 * The whole batch the receiver hands over when the fast path handled every record (line_pack.h,
 * callback kind 2), ids after lastId; null when the batch takes the per-record path.
 */
function fastPacked(b: UdpBatch, lastId: number, idPrefix: string, sensor: string): ParsedLogBatch | null {
  if (!load.ok) throw new Error(load.reason);
  const t = compactLineTexts(idPrefix, sensor, 'udp');
  const p = load.addon.fastPackBatch(b.data, b.used, b.count, b.ips, lastId, { prefix: t.prefix.bytes, prefixChars: t.prefix.chars, origin: t.origin.bytes, originChars: t.origin.chars });
  return p === undefined ? null : packedBatch(p.data, p.used, b.count, 3);
}

let packedSeen = 0;

/**
 * The parse thread's output for a batch: with the fast path's results, with the TypeScript
 * extractor, with every message parsed in full, and (when every record was handled) the whole
 * batch written in C; all the same.
 */
function sameOutput(b: UdpBatch, pre: ArrayBuffer, lastId = 0, idPrefix = 't:log:', sensor = 'sensor"1'): void {
  const parser = (): UdpBatchParser => {
    const p = new UdpBatchParser(idPrefix, sensor);
    p.state[0] = lastId;
    return p;
  };
  const native = parser();
  const ts = parser();
  const full = parser();
  full.useFacts = false;
  const a = native.parse({ ...b, pre }, 3);
  const outs = [ts.parse(b, 3), full.parse(b, 3)];
  const packed = fastPacked(b, lastId, idPrefix, sensor);
  const all = new Int32Array(pre, 0, b.count).every((o) => o >= 0);
  // packed exactly when every record was handled (sender texts here never need escaping)
  assert.equal(packed !== null, all && b.count > 0, 'packed when every record has a result');
  if (packed) {
    outs.push(packed);
    packedSeen++;
  }
  assert.equal(native.state[0], lastId + b.count);
  for (const r of outs) {
    assert.equal(a.count, r.count);
    assert.equal(a.used, r.used);
    assert.equal(a.dropped, r.dropped);
    const ab = Buffer.from(a.data, 0, a.used);
    const rb = Buffer.from(r.data, 0, r.used);
    if (!ab.equals(rb)) {
      const al = ab.toString('latin1').split('\n');
      const rl = rb.toString('latin1').split('\n');
      const i = al.findIndex((l, k) => l !== rl[k]);
      assert.equal(al[i], rl[i], `line ${i}`);
    }
    assert.deepEqual(a.ends, r.ends);
    assert.equal(a.facts.length, r.facts.length);
    for (let i = 0; i < a.facts.length; i++) assert.ok(Object.is(a.facts[i], r.facts[i]), `fact ${i % 13} of message ${Math.floor(i / 13)}: ${a.facts[i]} vs ${r.facts[i]}`);
  }
}

const T0 = 1_795_000_000_123;

describe('native parse fast path', { skip }, () => {
  it('handles every bench message, and its output is byte for byte the TypeScript path\'s', () => {
    const b = batchOf(
      Array.from({ length: 2000 }, (_, i) => enc.encode(benchMessage(i))),
      T0,
    );
    const pre = fastPre(b);
    assert.ok(handled(b, pre).every(Boolean), 'every bench message on the fast path');
    sameOutput(b, pre);
  });

  it('leaves to TypeScript what it documents (OSSEC, the seed\'s format, IPv6 addresses, non-ASCII, backslashes, no PRI), in order', () => {
    const lines = [
      '<38>Nov 22 10:00:40 web6 sshd[2000]: Failed password for invalid user admin from 10.0.3.232 port 2024 ssh2',
      '<132>Jul 10 10:11:23 ossec-server ossec: Alert Level: 5; Rule: 5716 - SSHD authentication failed.; Location: x; srcip: 192.168.1.50; log',
      '<14>Feb 29 17:12:09 S-0.tcovel: {1,0} [1:2009375:3] ET CHAT {TCP} 10.0.0.1:5 -> 10.0.0.2:6',
      '<13>Nov 22 10:00:00 h k: SRC=2001:db8::1 DST=10.0.0.2',
      '<13>Nov 22 10:00:00 h k: caf\u00e9 SRC=10.0.0.1',
      '<13>Nov 22 10:00:00 h k: a\\b SRC=10.0.0.1',
      'free text without any syslog header',
      '<4>Nov 22 10:00:00 gw kernel: IN=eth0 SRC=10.0.3.235 DST=192.0.2.10 PROTO=UDP SPT=1003 DPT=53',
    ];
    const b = batchOf(lines.map((l) => enc.encode(l)), T0);
    const pre = fastPre(b);
    assert.deepEqual(handled(b, pre), [true, false, false, false, false, false, false, true]);
    sameOutput(b, pre);
  });

  it('equals the TypeScript path on the samples of every format and on generated, mutated and random lines and bytes', () => {
    sameOutput(batchOf(SAMPLES.map((s) => enc.encode(s)), T0), fastPre(batchOf(SAMPLES.map((s) => enc.encode(s)), T0)));
    const bytes = fc.oneof(
      generated.map((t) => enc.encode(t)),
      text.map((t) => enc.encode(t)),
      fc.uint8Array({ maxLength: 200 }),
      withInsertedBytes,
    );
    let fast = 0;
    let tsSure = 0;
    const f = new LogFacts();
    fc.assert(
      fc.property(fc.array(bytes, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 4_000_000_000_000 }), (dgs, t0) => {
        const b = batchOf(dgs, t0);
        const pre = fastPre(b);
        const h = handled(b, pre);
        const r = new UdpBatchReader(b);
        for (let i = 0; r.next(); i++) {
          const sure = exactTime(r.timeSec, r.timeNsec) && extractLogFacts(r.bytes, r.start, r.end, r.timeSec, f);
          if (sure) tsSure++;
          if (h[i]) fast++;
        }
        sameOutput(b, pre);
      }),
      { numRuns: 2000 },
    );
    // the generators reach the fast path (not a test of "not handled" only): most of what the
    // TypeScript extractor is sure of (the rest: OSSEC, the seed's format, IPv6 addresses)
    assert.ok(fast > tsSure / 2, `fast path took ${fast}, the TypeScript extractor ${tsSure}`);
  });

  it('reads BSD times around the year the reference second infers (Dec 31 / Jan 1, Feb 29, leap seconds) as the TypeScript path does', () => {
    const times = ['Dec 31 23:59:59', 'Jan  1 00:00:00', 'Feb 29 12:00:00', 'Feb 29 23:59:60', 'Mar  1 00:00:00.123456789', 'Jun 30 23:59:60', 'Jan  1 2026 00:00:00.5'];
    for (const ref of [951_782_400, 1_709_164_800, 1_709_251_200, 1_767_225_599, 1_767_225_600, 1_767_398_400, 4_107_542_400]) {
      const b = batchOf(times.map((t) => enc.encode(`<13>${t} host app: from 10.0.0.1 port 22 tcp`)), ref * 1000);
      sameOutput(b, fastPre(b));
    }
  });

  it('equals the TypeScript path on the corpus captures\' syslog lines (tcpdump -v, PRI put back) and their mutations', { skip: corpusSkipReason }, () => {
    const lines = corpusSyslogLines();
    assert.ok(lines.length >= 4, `${lines.length} corpus lines`);
    const b = batchOf(lines.map((l) => enc.encode(l)), T0);
    sameOutput(b, fastPre(b));
    fc.assert(
      fc.property(fc.array(mutatedLogText(lines, /^[|=\\[\]"{}<>:/(),;. 0-9a-zA-Z%*-]{0,6}$/, 4), { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 4_000_000_000_000 }), (ls, t0) => {
        const bb = batchOf(ls.map((l) => enc.encode(l)), t0);
        sameOutput(bb, fastPre(bb));
      }),
      { numRuns: 500 },
    );
  });

  it('writes whole batches in C with the parser\'s ids (any digit count), any id prefix and sensor (escaped, non-ASCII): the same bytes, ends and facts', () => {
    const b = batchOf(
      Array.from({ length: 300 }, (_, i) => enc.encode(benchMessage(i))),
      T0,
    );
    const pre = fastPre(b);
    const before = packedSeen;
    for (const lastId of [0, 8, 99_999_999_9 - 100, 2 ** 40]) {
      sameOutput(b, pre, lastId);
      sameOutput(b, pre, lastId, 'h\u00e9te "x":log:', 's\u00e9nsor\\\u2028\u{1f600}');
    }
    assert.equal(packedSeen - before, 8, 'every one of these batches packed');
    const one = batchOf([enc.encode(benchMessage(0))], 1);
    sameOutput(one, fastPre(one), 41);
  });

  it('a batch without results, or the parser told to ignore them, is parsed by TypeScript alone with the same output', () => {
    const b = batchOf(Array.from({ length: 50 }, (_, i) => enc.encode(benchMessage(i))), T0);
    const pre = fastPre(b);
    const off = new UdpBatchParser('t:log:', 's');
    off.usePre = false;
    const on = new UdpBatchParser('t:log:', 's');
    const x = off.parse({ ...b, pre }, 0);
    const y = on.parse({ ...b, pre }, 0);
    assert.deepEqual(new Uint8Array(x.data, 0, x.used), new Uint8Array(y.data, 0, y.used));
    assert.deepEqual(x.facts, y.facts);
  });
});
