/**
 * The compact journal line (common/logs/log-journal-line.ts, format 2): every event read back
 * from the UDP parse thread's lines — by the intake (LogEventBatch, decodeLogBatch) and by the
 * journal's reader (EventJournal.search) — is deep-equal to the event the parser produced
 * (toLogEvent of parseLog of the datagram's text, computed here on its own), on generated and
 * mutated real lines of every format, random bytes (invalid UTF-8), huge lines; queries by kind,
 * time, host and text return the same events from a compact journal as from a journal of whole
 * lines (main's format 1, JSON.stringify), and a journal holding both reads both.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { LogEventSchema, type LogEvent, type TaplineEvent } from '../../../common/bridge/messages.js';
import { toLogEvent } from '../../../common/logs/log-event.js';
import { COMPACT_PREFIX, expandCompactLogLine, CompactLogLineSchema, isCompactLogLine, logEventOfLine, writeCompactLogLine } from '../../../common/logs/log-journal-line.js';
import { JsonLineWriter } from '../../../common/logs/log-line-encoder.js';
import { decodeLogBytes, parseLog } from '../../../common/logs/parse-log.js';
import type { ParsedLog } from '../../../common/logs/parsed-log.js';
import { LogEventBatch } from '../../../node/logs/log-event-batch.js';
import { batchBytes, decodeLogBatch, type ParsedLogBatch } from '../../../node/logs/parsed-batch.js';
import { UDP_BATCH_WRITER_SOURCE, UdpBatchReader, type UdpBatch } from '../../../node/logs/udp-batch.js';
import { UdpBatchParser } from '../../../node/logs/udp-batch-parser.js';
import { EventJournal, type JournalQuery } from '../../../node/store/event-journal.js';
import { benchMessage } from '../../bench/suites/logs.js';
import { mutatedLogLines } from '../../helpers/mutated-log-lines.js';

interface Writer {
  add(msg: Uint8Array, ip: string, port: number, timeMs: number): boolean;
  take(capacity: number): UdpBatch | null;
}
const makeWriter = new Function('capacity', `${UDP_BATCH_WRITER_SOURCE}\nreturn new UdpBatchWriter(capacity);`) as (capacity: number) => Writer;

/** One real line of each format and variant (RFC 3164 variants, 5424 with SD, CEF, OSSEC in both forms, seed, Cisco, firewall key=value, raw). */
const SAMPLES = [
  "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8",
  '<13>robin: Hello',
  '<13>2026-11-22T10:00:00.123456+01:00 host app[1]: iso time variant',
  '<189>29: *Mar  1 00:00:29.123 UTC: %SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.9)',
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] \uFEFFAn application event',
  '<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It\'s time to make the do-nuts.',
  'Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 act=blocked a \\= dst=1.1.1.1',
  'CEF:0|Vendor|Product|1|sig|name with \\\\ backslash|5|msg=line\\nbreak spt=1 dpt=2 shost=ws1.lab rt=1700000000000',
  '<132>Jul 10 10:11:23 ossec-server ossec: Alert Level: 5; Rule: 5716 - SSHD authentication failed.; Location: x->/var/log/auth.log; srcip: 192.168.1.50; user: root; log',
  '<132>Jul 10 10:11:23 wazuh-server wazuh: {"rule":{"level":5,"id":"5716","description":"sshd: authentication failed."},"data":{"srcip":"10.0.0.5","dstuser":"root"},"location":"/var/log/auth.log"}',
  'Feb 29 17:12:09 S-0.tcovel: {1,0} [1:2009375:3] ET CHAT General MSN Chat Activity {TCP} 10.0.0.1:5 -> [2001:db8::1]:6',
  '<166>Jan 05 2012 08:08:08: %ASA-6-302013: Built outbound TCP connection 123 for outside:10.0.0.1/80 (10.0.0.1/80) to inside:192.168.1.2/1234',
  '<4>Nov 22 10:00:00 gw kernel: [1.000] IN=eth0 OUT= SRC=10.0.3.235 DST=192.0.2.10 LEN=60 PROTO=UDP SPT=1003 DPT=53',
  '<38>Nov 22 10:00:40 web6 sshd[2000]: Failed password for invalid user admin from 10.0.3.232 port 2024 ssh2',
  '<14>1 2026-11-22T10:00:00.5+02:00 fw - - - [x@1 src="10.9.9.9"] blocked SRC=10.1.1.1 DST=10.2.2.2 SPT=5 DPT=6 PROTO=UDP "quoted" \\ é \u{1F600}',
  'free text without any syslog header',
  '',
  '<999>bad pri',
  'Αλφα ΣΊΣΥΦΟΣ ünïcödé message\twith tab',
  'CEF:0|a|b|c|d|e|1|src=10.0.0.1 proto=constructor',
  '<13>Nov 22 10:00:00 h k: SRC=10.0.0.1 DST=10.0.0.2 PROTO=__proto__',
];

const enc = new TextEncoder();

const mutated = mutatedLogLines(SAMPLES, /^[|=\\[\]"{}<>: \n\r0-9a-zA-Z%.;,*-]{0,6}$/, 8);

/** A real line with random bytes put in (invalid UTF-8 included). */
const mutatedBytes = fc.tuple(fc.constantFrom(...SAMPLES), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 6 })).map(([s, at, ins]) => {
  const b = enc.encode(s);
  const i = at % (b.length + 1);
  return Uint8Array.from([...b.subarray(0, i), ...ins, ...b.subarray(i)]);
});

const datagram = fc.oneof(
  mutated,
  mutatedBytes,
  fc.uint8Array({ maxLength: 200 }),
  fc.string({ maxLength: 300 }).map((s) => enc.encode(s)),
  fc.string({ unit: 'grapheme', maxLength: 80 }).map((s) => enc.encode(s)),
  fc.nat(100_000).map((i) => enc.encode(benchMessage(i))),
);

/** The datagrams as the parse thread gets them; times in ms with a fraction (the dgram path) and whole. */
function batchOf(datagrams: readonly Uint8Array[], t0 = 1_795_000_000_000): UdpBatch {
  const w = makeWriter(1 << 21);
  datagrams.forEach((d, i) => assert.ok(w.add(d, i % 3 === 0 ? '::1' : `127.0.0.${1 + (i % 5)}`, 1000 + i, t0 + i * 1.5)));
  const b = w.take(1 << 21);
  assert.ok(b);
  return b;
}

/** What the parser produced for each datagram of the batch: toLogEvent(text, parseLog(text, sec), origin), computed here. */
function expectedEvents(b: UdpBatch, idPrefix: string, firstId: number, sensor: string): LogEvent[] {
  const r = new UdpBatchReader(b);
  const out: LogEvent[] = [];
  let id = firstId;
  while (r.next()) {
    const text = decodeLogBytes(r.payload());
    out.push(toLogEvent(text, parseLog(text, r.timeSec), { id: idPrefix + ++id, sensor, receivedSec: r.timeSec, receivedNsec: r.timeNsec, transport: 'udp', senderIp: r.ip, senderPort: r.port, captureFlow: null }));
  }
  return out;
}

function linesOf(p: ParsedLogBatch): string[] {
  return Buffer.from(batchBytes(p)).toString('utf8').split('\n').slice(0, -1);
}

describe('compact journal lines (format 2)', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('every event read back from the parse thread lines is deep-equal to the event the parser produced (generated, mutated, invalid UTF-8)', () => {
    const parser = new UdpBatchParser('t:u1a-', 'sensor-1');
    let ids = 0;
    fc.assert(
      fc.property(fc.array(datagram, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 4_000_000_000_000 }), (dgs, t0) => {
        const b = batchOf(dgs, t0);
        const expected = expectedEvents(b, 't:u1a-', ids, 'sensor-1');
        const parsed = parser.parse(b, 0);
        ids += parsed.count;
        assert.equal(parsed.count, dgs.length);
        // the journal's reader: each line validated and expanded
        const viaSchema = linesOf(parsed).map((l) => {
          const v: unknown = JSON.parse(l);
          return isCompactLogLine(v) ? LogEventSchema.parse(expandCompactLogLine(CompactLogLineSchema.parse(v))) : LogEventSchema.parse(v);
        });
        assert.deepEqual(viaSchema, expected);
        // the intake's readers
        assert.deepEqual(decodeLogBatch(parsed), expected);
        assert.deepEqual(new LogEventBatch(parsed, 'sensor-1').events(), expected);
        const lb = new LogEventBatch(parsed, 'sensor-1');
        for (let i = 0; i < lb.count; i++) assert.equal(lb.message(i), expected[i].message);
      }),
      { numRuns: 300 },
    );
  });

  it('huge datagrams (up to 65,507 bytes, beyond the 64 Ki characters parsed) read back equal', () => {
    const big = [
      enc.encode(`<13>Nov 22 10:00:00 h app: ${'x'.repeat(65_000)}`),
      enc.encode(`<14>1 2026-11-22T10:00:00Z h app - - [a@1 k="${'v'.repeat(40_000)}"] ${'é'.repeat(10_000)}`),
      enc.encode(`CEF:0|V|P|1|s|n|5|msg=${'a\\= '.repeat(16_000)}`),
      Uint8Array.from({ length: 65_507 }, (_, i) => (i * 7919) % 256),
    ];
    const b = batchOf(big);
    const expected = expectedEvents(b, 'h-', 0, 's');
    const parsed = new UdpBatchParser('h-', 's').parse(b, 0);
    assert.deepEqual(decodeLogBatch(parsed), expected);
    for (const l of linesOf(parsed)) assert.ok(isCompactLogLine(JSON.parse(l)));
  });

  it('a line the reader could not promise to rebuild is written whole (format 1): a parser error, a receive time its text would not give back', () => {
    const w = new JsonLineWriter(1024);
    const p: ParsedLog = { ...parseLog('<13>Nov 22 10:00:00 h app: x', 1_795_000_000), problem: 'parser error: Maximum call stack size exceeded' };
    writeCompactLogLine(w, 'raw', p, 'id1', -1, 's', 1_795_000_000, 0, 'udp', null, null, null);
    const line = Buffer.from(w.buf.subarray(0, w.at)).toString('utf8');
    assert.ok(!isCompactLogLine(JSON.parse(line)));
    assert.deepEqual(JSON.parse(line), toLogEvent('raw', p, { id: 'id1', sensor: 's', receivedSec: 1_795_000_000, receivedNsec: 0, transport: 'udp', senderIp: null, senderPort: null, captureFlow: null }));
    for (const [sec, nsec] of [
      [1.5, 0],
      [-1, 0],
      [1_795_000_000, 1e9],
      [Number.MAX_SAFE_INTEGER + 2, 0],
    ]) {
      w.reset();
      const q = parseLog('<13>robin: Hello', 1);
      writeCompactLogLine(w, '<13>robin: Hello', q, 'id', 2, 's', sec, nsec, 'udp', '10.0.0.1', 5, null);
      assert.ok(!isCompactLogLine(JSON.parse(Buffer.from(w.buf.subarray(0, w.at)).toString('utf8'))), `${sec} ${nsec}`);
    }
  });

  it('the bench mix: a compact line is under half the whole line and starts with the format prefix', () => {
    const dgs = Array.from({ length: 1000 }, (_, i) => enc.encode(benchMessage(i)));
    const b = batchOf(dgs);
    const parsed = new UdpBatchParser('bench:log:x:u1a-', 'bench').parse(b, 0);
    const whole = expectedEvents(b, 'bench:log:x:u1a-', 0, 'bench').reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)) + 1, 0);
    assert.ok(parsed.used < whole * 0.5, `${parsed.used} vs ${whole}`);
    const bytes = batchBytes(parsed);
    for (let k = 0; k < COMPACT_PREFIX.length; k++) assert.equal(bytes[k], COMPACT_PREFIX[k]);
  });

  it('journal queries (kind, since/until, host, text, limit) return the same events from compact lines, whole lines and a journal holding both', async () => {
    const dgs: Uint8Array[] = [];
    for (let i = 0; i < 400; i++) dgs.push(enc.encode(i % 4 === 0 ? SAMPLES[i % SAMPLES.length] : benchMessage(i)));
    const b = batchOf(dgs, 1_795_000_000_000);
    const parsed = new UdpBatchParser('q-', 'sq').parse(b, 0);
    const events = expectedEvents(b, 'q-', 0, 'sq');
    // some linked flows, written into the compact lines by the intake
    const lb = new LogEventBatch(parsed, 'sq');
    for (let i = 0; i < lb.count; i += 7) lb.setFlowIds(i, [`flow-${i}`]);
    for (let i = 0; i < lb.count; i += 7) events[i].flow_ids = [`flow-${i}`];
    const compact = Buffer.from(lb.lines().bytes);
    const notice: TaplineEvent = { kind: 'notice', id: 'n1', sensor: 'sq', ts: '1795000000.100000000', rank: 0, level: 'info', message: 'Failed password notice' };
    const whole = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const half = compact.indexOf(0x0a, compact.length >> 1) + 1;
    const wholeHalf = Buffer.from(
      events
        .slice(compact.subarray(0, half).toString('utf8').split('\n').length - 1)
        .map((e) => `${JSON.stringify(e)}\n`)
        .join(''),
    );
    const journals: Record<string, Buffer[]> = {
      whole: [whole],
      compact: [compact],
      // main's format in the older file, compact in the newer one, and mixed within a file
      mixed: [Buffer.concat([compact.subarray(0, half), wholeHalf]), compact],
      mixedRef: [whole, whole],
    };
    const results: Record<string, TaplineEvent[][]> = {};
    const queries: JournalQuery[] = [
      { limit: 100_000 },
      { kind: 'log', limit: 100_000 },
      { kind: 'log', limit: 17 },
      { kind: 'notice', limit: 10 },
      { kind: 'log', since: { sec: 1_795_000_000, nsec: 300_000_000 }, limit: 100_000 },
      { kind: 'log', until: { sec: 1_763_805_610, nsec: 0 }, limit: 100_000 },
      { kind: 'log', host: '192.0.2.10', limit: 100_000 },
      { kind: 'log', host: '::1', limit: 100_000 },
      { kind: 'log', host: '10.0.0.1', limit: 100_000 },
      { host: '10.0.1.47', limit: 100_000 },
      { kind: 'log', text: 'FAILED password', limit: 100_000 },
      { text: 'σίσυφος', limit: 100_000 },
      { kind: 'log', text: 'port scan', host: '192.0.2.10', since: { sec: 1_763_805_600, nsec: 0 }, limit: 100_000 },
    ];
    for (const [name, files] of Object.entries(journals)) {
      const dir = mkdtempSync(join(tmpdir(), 'tl-logsix-journal-'));
      dirs.push(dir);
      mkdirSync(join(dir, 'events'));
      files.forEach((f, n) => writeFileSync(join(dir, 'events', `journal-${String(n).padStart(8, '0')}.ndjson`), Buffer.concat([f, Buffer.from(`${JSON.stringify(notice)}\n`)])));
      const j = await EventJournal.open(dir);
      results[name] = [];
      for (const q of queries) results[name].push(await j.search(q));
    }
    for (let k = 0; k < queries.length; k++) {
      assert.deepEqual(results.compact[k], results.whole[k], JSON.stringify(queries[k]));
      assert.ok(results.whole[k].length > 0 || queries[k].kind === 'notice', `query ${k} finds something`);
    }
    // two files, the older one half compact, half whole: read as two files of whole lines
    for (let k = 0; k < queries.length; k++) assert.deepEqual(results.mixed[k], results.mixedRef[k], JSON.stringify(queries[k]));
    assert.deepEqual(results.whole[0].slice(1).reverse(), events, 'the whole journal holds the expected events');
  });

  it('an id written as its prefix and sequence number reads back as their concatenation (escapes, lone surrogates, non-ASCII in the prefix)', () => {
    const w = new JsonLineWriter(1024);
    const text = '<13>Nov 22 10:00:00 h app: x';
    const p = parseLog(text, 1_795_000_000);
    for (const prefix of ['', 'a"b', '\\', '\ud800', 'é-', 'x'.repeat(70)]) {
      for (const seq of [0, 7, 123_456_789]) {
        w.reset();
        writeCompactLogLine(w, text, p, prefix, seq, 's', 1_795_000_000, 5, 'udp', null, null, null);
        assert.equal(w.chars, Buffer.from(w.buf.subarray(0, w.at)).toString('utf8').length);
        const e = logEventOfLine(JSON.parse(Buffer.from(w.buf.subarray(0, w.at)).toString('utf8')));
        assert.equal(e.id, prefix + seq);
      }
    }
  });

  it('a line start written from its cached template (id digits and nanoseconds filled in) equals the same start written piece by piece, across prefixes, sensors, senders, id widths and seconds', () => {
    const w = new JsonLineWriter(1024);
    const ref = new JsonLineWriter(1024);
    const text = '<13>Nov 22 10:00:00 h app: x';
    const arb = fc.array(
      fc.record({
        prefix: fc.constantFrom('t:log:', 'a"b', 'é-', '\ud800'),
        sensor: fc.constantFrom('s', 'sensor"1'),
        seq: fc.oneof(fc.integer({ min: 0, max: 999 }), fc.constantFrom(9, 10, 99_999_999, 100_000_000, 999_999_999, 1_000_000_000, 123_456_789_012)),
        sec: fc.oneof(fc.constantFrom(0, 999_999_999, 1_000_000_000, 1_795_000_000, 1_795_000_001, 9_999_999_999, 10_000_000_000), fc.integer({ min: 0, max: 20_000_000_000 })),
        nsec: fc.oneof(fc.constantFrom(0, 1, 999_999_999), fc.integer({ min: 0, max: 999_999_999 })),
        ip: fc.constantFrom(null, '127.0.0.1', '::1', '10.0.0.2'),
        port: fc.constantFrom(null, 0, 514, 65535),
      }),
      { minLength: 1, maxLength: 30 },
    );
    fc.assert(
      fc.property(arb, (lines) => {
        for (const l of lines) {
          const p = parseLog(text, l.sec);
          w.reset();
          writeCompactLogLine(w, text, p, l.prefix, l.seq, l.sensor, l.sec, l.nsec, 'udp', l.ip, l.port, null);
          // the id given whole (idSeq -1) takes the piece-by-piece path
          ref.reset();
          writeCompactLogLine(ref, text, p, l.prefix + l.seq, -1, l.sensor, l.sec, l.nsec, 'udp', l.ip, l.port, null);
          assert.deepEqual(w.buf.subarray(0, w.at), ref.buf.subarray(0, ref.at), JSON.stringify(l));
          assert.equal(w.chars, ref.chars);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the reader of the intake takes a whole line as it is and a compact one expanded', () => {
    const e = expectedEvents(batchOf([enc.encode(SAMPLES[0])]), 'x-', 0, 's')[0];
    assert.deepEqual(logEventOfLine(JSON.parse(JSON.stringify(e))), e);
  });
});
