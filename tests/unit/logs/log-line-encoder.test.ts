/**
 * The hand-written journal line encoder (common/logs/log-line-encoder.ts) must write exactly
 * JSON.stringify's bytes for the event toLogEvent builds: on generated parse results (any UTF-16,
 * lone surrogates, control characters, long names, integer-like field names, absurd times), on
 * real and mutated lines through the parsers, and for events after the intake linked flows and
 * resolved names. Its character count must be the string's length (the intake cuts by it).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LogEventSchema, type LogEvent } from '../../../common/bridge/messages.js';
import { formatTs } from '../../../common/time/timestamp.js';
import { toLogEvent } from '../../../common/logs/log-event.js';
import { JsonLineWriter, writeLogEventLine, writeParsedLogLine } from '../../../common/logs/log-line-encoder.js';
import { decodeLogBytes, parseLog } from '../../../common/logs/parse-log.js';
import { LOG_FORMATS, type ParsedLog } from '../../../common/logs/parsed-log.js';
import { benchMessage } from '../../bench/suites/logs.js';

const utf8 = new TextDecoder();

/** Any UTF-16 text, lone surrogates and control characters included, or mostly-ASCII text. */
const anyText = fc.oneof(
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }).map((c) => String.fromCharCode(...c)),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', '"', '\\', '\u2028', '\u0000\u001f\u007f', '\ud83d\ude00', '\udc00x\ud800', 'x'.repeat(300)),
);
const nullable = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null });
const port = fc.integer({ min: 0, max: 65535 });

const parsedLog: fc.Arbitrary<ParsedLog> = fc.record({
  format: fc.constantFrom(...LOG_FORMATS),
  envelope: fc.constantFrom('rfc3164' as const, 'rfc5424' as const, null),
  facility: nullable(fc.integer({ min: 0, max: 23 })),
  severity: nullable(fc.integer({ min: 0, max: 7 })),
  time: nullable(
    fc.record(
      {
        sec: fc.oneof(fc.integer({ min: 0, max: 4_000_000_000 }), fc.integer({ min: -5_000_000_000, max: 200_000_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER + 2)),
        nsec: fc.integer({ min: 0, max: 999_999_999 }),
        zoned: fc.constant(true as const),
      },
      { requiredKeys: ['sec', 'nsec'] },
    ),
  ),
  host: nullable(fc.oneof(anyText, fc.string({ minLength: 250, maxLength: 300 }))),
  app: nullable(anyText),
  message: anyText,
  fields: fc.dictionary(fc.oneof(anyText, fc.constantFrom('0', '7', '12', '01', 'k'.repeat(130), `${'k'.repeat(128)}a`, `${'k'.repeat(128)}b`)), anyText, { maxKeys: 8 }),
  endpoints: fc.record({ srcIp: nullable(fc.ipV4()), srcPort: nullable(port), dstIp: nullable(fc.ipV6()), dstPort: nullable(port), proto: nullable(fc.integer({ min: 0, max: 255 })) }),
  problem: nullable(anyText),
});

const origin = fc.record({
  id: anyText,
  sensor: fc.string({ maxLength: 20 }),
  receivedSec: fc.integer({ min: 0, max: 4_000_000_000 }),
  receivedNsec: fc.integer({ min: 0, max: 999_999_999 }),
  transport: fc.constantFrom('udp' as const, 'tcp' as const, 'tls' as const, 'capture' as const),
  senderIp: nullable(fc.ipV4()),
  senderPort: nullable(port),
  captureFlow: nullable(fc.string({ maxLength: 64 })),
});

function viaWriter(raw: string, p: ParsedLog, o: Parameters<typeof toLogEvent>[2]): { text: string; chars: number } {
  const w = new JsonLineWriter(16); // small: growth is exercised
  writeParsedLogLine(w, raw, p, o.id, o.sensor, o.receivedSec, o.receivedNsec, o.transport, o.senderIp, o.senderPort, o.captureFlow);
  return { text: utf8.decode(w.buf.subarray(0, w.at)), chars: w.chars };
}

describe('journal line encoder', () => {
  it('writes JSON.stringify(toLogEvent(...)) byte for byte for any parse result and origin', () => {
    fc.assert(
      fc.property(anyText, parsedLog, origin, (raw, p, o) => {
        const expected = JSON.stringify(toLogEvent(raw, p, o));
        const got = viaWriter(raw, p, o);
        assert.equal(got.text, expected);
        assert.equal(got.chars, expected.length);
        assert.deepEqual(JSON.parse(got.text), JSON.parse(expected));
      }),
      { numRuns: 3000 },
    );
  });

  it('equals JSON.stringify on real lines through the parsers, and on mutated bytes of them', () => {
    const o = { id: 'x:log:1', sensor: 'bench', receivedSec: 1795329000, receivedNsec: 5, transport: 'udp' as const, senderIp: '127.0.0.1', senderPort: 514, captureFlow: null };
    for (let i = 0; i < 500; i++) {
      const raw = benchMessage(i);
      const expected = JSON.stringify(toLogEvent(raw, parseLog(raw, o.receivedSec), o));
      assert.equal(viaWriter(raw, parseLog(raw, o.receivedSec), o).text, expected);
    }
    fc.assert(
      fc.property(fc.nat(999), fc.array(fc.tuple(fc.nat(300), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (i, edits) => {
        const bytes = Buffer.from(benchMessage(i));
        for (const [at, b] of edits) bytes[at % bytes.length] = b;
        const raw = decodeLogBytes(bytes);
        const expected = JSON.stringify(toLogEvent(raw, parseLog(raw, o.receivedSec), o));
        const got = viaWriter(raw, parseLog(raw, o.receivedSec), o);
        assert.equal(got.text, expected);
        assert.equal(got.chars, expected.length);
        LogEventSchema.parse(JSON.parse(got.text));
      }),
      { numRuns: 1000 },
    );
  });

  it('one writer reused for many lines (seconds repeating and changing, sensors and transports alternating) writes each exactly', () => {
    // the writer keeps the last second's text and the per-sensor/transport/format literals: a stale one would show here
    fc.assert(
      fc.property(fc.array(fc.tuple(anyText, parsedLog, origin, fc.boolean()), { minLength: 1, maxLength: 40 }), (lines) => {
        const w = new JsonLineWriter(8);
        let prevSec = 0;
        let expected = '';
        for (const [raw, p, o0, sameSec] of lines) {
          const o = sameSec ? { ...o0, receivedSec: prevSec } : o0;
          prevSec = o.receivedSec;
          writeParsedLogLine(w, raw, p, o.id, o.sensor, o.receivedSec, o.receivedNsec, o.transport, o.senderIp, o.senderPort, o.captureFlow);
          w.byte(0x0a);
          expected += `${JSON.stringify(toLogEvent(raw, p, o))}\n`;
        }
        assert.equal(utf8.decode(w.buf.subarray(0, w.at)), expected);
        assert.equal(w.chars, expected.length);
      }),
      { numRuns: 500 },
    );
  });

  it('writes a whole event (flows linked, names resolved afterwards) as JSON.stringify does', () => {
    fc.assert(
      fc.property(
        anyText,
        parsedLog,
        origin,
        fc.array(fc.string({ maxLength: 64 }), { maxLength: 16 }),
        fc.option(fc.array(fc.record({ side: fc.constantFrom('src' as const, 'dst' as const), name: anyText, address: fc.ipV4(), via: fc.constantFrom('discovery' as const, 'dns' as const) }), { maxLength: 2 }), { nil: undefined }),
        fc.integer({ min: 0, max: 255 }),
        (raw, p, o, flows, resolved, rank) => {
          const e: LogEvent = toLogEvent(raw, p, o);
          e.flow_ids = flows;
          e.rank = rank;
          if (resolved) e.resolved = resolved;
          const w = new JsonLineWriter(8);
          writeLogEventLine(w, e);
          const expected = JSON.stringify(e);
          assert.equal(utf8.decode(w.buf.subarray(0, w.at)), expected);
          assert.equal(w.chars, expected.length);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('numbers and timestamps: the digits of every width, at the 9-digit and 1e15 edges, as String() and formatTs write them', () => {
    const w = new JsonLineWriter(64);
    const edges = [0, 1, 9, 10, 99, 100, 999_999_999, 1_000_000_000, 1_000_000_001, 2_147_483_647, 2_147_483_648, 4_294_967_296, 99_999_999_999, 123_456_789_012_345, 999_999_999_999_999];
    const text = (): string => Buffer.from(w.buf.subarray(0, w.at)).toString('utf8');
    for (const n of [...edges, ...Array.from({ length: 15 }, (_, d) => 10 ** d - 1), ...Array.from({ length: 15 }, (_, d) => 10 ** d)]) {
      w.reset();
      w.num(n);
      assert.equal(text(), JSON.stringify(n));
      assert.equal(w.chars, text().length);
      for (const nsec of [0, 1, 10, 999_999_999, 123_000_000]) {
        w.reset();
        w.ts(n, nsec);
        assert.equal(text(), JSON.stringify(formatTs(n, nsec)), `${n} ${nsec}`);
        assert.equal(w.chars, text().length);
      }
    }
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), fc.integer({ min: 0, max: 999_999_999 }), (n, nsec) => {
        w.reset();
        w.num(n);
        w.ts(n, nsec);
        assert.equal(text(), JSON.stringify(n) + JSON.stringify(formatTs(n, nsec)));
      }),
      { numRuns: 5000 },
    );
  });
});
