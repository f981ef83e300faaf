/**
 * The main thread's view of a parsed UDP batch (node/logs/log-event-batch.ts): what it reads
 * from the facts table equals what the event says, flows linked into (compact) lines and events
 * changed after parsing give lines that read as the final event (a changed event: JSON.stringify's
 * line), and ranking from the table decides as rankEvent does on the event.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { LogEvent } from '../../../common/bridge/messages.js';
import { rankEvent } from '../../../common/ranking/event-ranking.js';
import { Ranker } from '../../../common/ranking/ranker.js';
import { parseTimestamp } from '../../../common/time/timestamp.js';
import { logEventOfLine } from '../../../common/logs/log-journal-line.js';
import { rankLogBatch } from '../../../node/logs/log-batch-ranking.js';
import { LogEventBatch } from '../../../node/logs/log-event-batch.js';
import { batchBytes, encodeLogBatch, type ParsedLogBatch } from '../../../node/logs/parsed-batch.js';
import { UDP_BATCH_WRITER_SOURCE, type UdpBatch } from '../../../node/logs/udp-batch.js';
import { UdpBatchParser } from '../../../node/logs/udp-batch-parser.js';
import { benchMessage } from '../../bench/suites/logs.js';
import { mutatedLogText } from '../../helpers/mutated-log-lines.js';

interface Writer {
  add(msg: Uint8Array, ip: string, port: number, timeMs: number): boolean;
  take(capacity: number): UdpBatch | null;
}
/** The socket thread's batch writer (the same source the worker evaluates). */
const makeWriter = new Function('capacity', `${UDP_BATCH_WRITER_SOURCE}\nreturn new UdpBatchWriter(capacity);`) as (capacity: number) => Writer;

const SAMPLES = [
  '<34>Oct 11 22:14:15 mymachine su[230]: \'su root\' failed for lonvick on /dev/pts/8',
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] \uFEFFAn application event',
  'Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 act=blocked a \\= dst=1.1.1.1',
  '<132>Jul 10 10:11:23 ossec-server ossec: Alert Level: 5; Rule: 5716 - SSHD authentication failed.; Location: x->/var/log/auth.log; srcip: 192.168.1.50; user: root; log',
  'Feb 29 17:12:09 S-0.tcovel: {1,0} [1:2009375:3] ET CHAT General MSN Chat Activity {TCP} 10.0.0.1:5 -> [2001:db8::1]:6',
  '<166>Jan 05 2012 08:08:08: %ASA-6-302013: Built outbound TCP connection 123 for outside:10.0.0.1/80 (10.0.0.1/80) to inside:192.168.1.2/1234',
  '<14>1 2026-11-22T10:00:00.5+02:00 fw - - - [x@1 src="10.9.9.9"] blocked SRC=10.1.1.1 DST=10.2.2.2 SPT=5 DPT=6 PROTO=UDP "quoted" \\ é \u{1F600}',
];

const mutated = mutatedLogText(SAMPLES, /^[|=\\[\]"{}<>: \n\r0-9a-zA-Z%.-]{0,6}$/, 8);

const message = fc.oneof(mutated, fc.string({ maxLength: 300 }), fc.nat(100_000).map((i) => benchMessage(i)));

/** The messages as the parse thread gets and parses them (udp-batch-parser.ts). */
function parsedBatch(texts: readonly string[], parser = new UdpBatchParser('t:u1a-', 'sensor-1')): ParsedLogBatch {
  const w = makeWriter(1 << 20);
  texts.forEach((t, i) => assert.ok(w.add(Buffer.from(t, 'utf8'), i % 2 ? '::1' : '127.0.0.1', 1000 + i, 1_795_000_000_000 + i * 1.5)));
  const b = w.take(1 << 20);
  assert.ok(b);
  return parser.parse(b, 0);
}

function lineEvents(bytes: Uint8Array, lineEnds: Uint32Array): LogEvent[] {
  const text = Buffer.from(bytes).toString('utf8');
  const out: LogEvent[] = [];
  let start = 0;
  for (const end of lineEnds) {
    const bytesLine = Buffer.from(bytes.subarray(start, end)).toString('utf8');
    assert.ok(bytesLine.endsWith('\n'));
    out.push(logEventOfLine(JSON.parse(bytesLine)));
    start = end;
  }
  assert.equal(start, bytes.length);
  assert.ok(text.length > 0 || out.length === 0);
  return out;
}

/** correlate.ts correlationInput, on the event. */
function expectedInput(e: LogEvent) {
  const time = parseTimestamp(e.event_ts !== null && e.event_ts_zoned ? e.event_ts : e.received_ts);
  return time ? { srcIp: e.src_ip, srcPort: e.src_port, dstIp: e.dst_ip, dstPort: e.dst_port, proto: e.proto, time } : null;
}

describe('a parsed UDP batch on the main thread (facts table, lazy events)', () => {
  it('the table gives each event its format, addresses, ports, message, rank and correlation time, equal to its line (generated and mutated real messages)', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 40 }), (texts) => {
        const parsed = parsedBatch(texts);
        const b = new LogEventBatch(parsed, 'sensor-1');
        const lines = b.lines();
        assert.equal(lines.bytes.buffer, parsed.data, 'nothing changed: the parse thread bytes as they are');
        const events = lineEvents(lines.bytes, lines.lineEnds);
        assert.equal(events.length, texts.length);
        for (let i = 0; i < b.count; i++) {
          const e = events[i];
          assert.equal(e.raw, Buffer.from(texts[i], 'utf8').toString('utf8'));
          assert.equal(b.format(i), e.format);
          assert.equal(b.srcIp(i), e.src_ip);
          assert.equal(b.dstIp(i), e.dst_ip);
          assert.equal(b.srcPort(i), e.src_port);
          assert.equal(b.dstPort(i), e.dst_port);
          assert.equal(b.proto(i), e.proto);
          assert.equal(b.message(i), e.message);
          assert.equal(b.rank(i), e.rank);
          assert.equal(b.namesAddress(i), e.src_ip !== null || e.dst_ip !== null);
          assert.equal(b.missesAddress(i), e.src_ip === null || e.dst_ip === null);
          assert.deepEqual(b.correlationInput(i), expectedInput(e));
        }
        // events built afterwards are the lines' JSON
        assert.deepEqual(b.events(), events);
      }),
      { numRuns: 150 },
    );
  });

  it('with whole lines on (a live subscriber): the journal bytes stay the compact lines, and each event built from its whole line equals its journal line read back, flows linked included (generated, mutated and bench messages)', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 40 }), fc.array(fc.array(fc.stringMatching(/^[a-z0-9:-]{1,12}$/), { maxLength: 2 }), { minLength: 40, maxLength: 40 }), (texts, ids) => {
        const plain = parsedBatch(texts, new UdpBatchParser('t:u1a-', 'sensor-1'));
        const wholeParser = new UdpBatchParser('t:u1a-', 'sensor-1');
        wholeParser.wholeLines = true;
        const parsed = parsedBatch(texts, wholeParser);
        assert.ok(parsed.wholeData && parsed.wholeEnds, 'whole lines sent');
        assert.equal(parsed.wholeEnds.length, parsed.count);
        // the journal gets the same compact bytes as without whole lines
        assert.deepEqual(Buffer.from(batchBytes(parsed)), Buffer.from(batchBytes(plain)));
        const b = new LogEventBatch(parsed, 'sensor-1');
        // some flows linked before the events are built, some after
        for (let i = 0; i < b.count; i += 2) b.setFlowIds(i, ids[i]);
        const built = b.events();
        for (let i = 1; i < b.count; i += 2) b.setFlowIds(i, ids[i]);
        const lines = b.lines();
        const journal = lineEvents(lines.bytes, lines.lineEnds);
        assert.deepEqual(built, journal);
        // and equal to what the same batch without whole lines builds (compact lines expanded)
        const c = new LogEventBatch(plain, 'sensor-1');
        for (let i = 0; i < c.count; i++) c.setFlowIds(i, ids[i]);
        assert.deepEqual(c.events(), journal);
      }),
      { numRuns: 150 },
    );
  });

  it('flows linked without building the event are written into its line: it reads as the event with them', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 30 }), fc.array(fc.array(fc.stringMatching(/^[a-z0-9:"\\-]{1,12}$/), { maxLength: 3 }), { minLength: 30, maxLength: 30 }), (texts, ids) => {
        const parsed = parsedBatch(texts);
        const before = lineEvents(batchBytes(parsed), new LogEventBatch(parsed, 's').lines().lineEnds);
        const b = new LogEventBatch(parsed, 's');
        for (let i = 0; i < b.count; i++) b.setFlowIds(i, ids[i]);
        const lines = b.lines();
        const got = lineEvents(lines.bytes, lines.lineEnds);
        assert.deepEqual(
          got,
          before.map((e, i) => ({ ...e, flow_ids: ids[i] })),
        );
        // the ids are written as given, in order, at the line's end
        const text = Buffer.from(lines.bytes).toString('utf8').split('\n');
        for (let i = 0; i < b.count; i++) if (ids[i].length) assert.ok(text[i].endsWith(`"flow_ids":${JSON.stringify(ids[i])}}`), text[i]);
        assert.deepEqual(b.events(), got);
        assert.equal(b.linkedCount, ids.slice(0, b.count).filter((x) => x.length > 0).length);
        assert.deepEqual(
          b.links().map((l) => l.flow_ids),
          ids.slice(0, b.count).filter((x) => x.length > 0),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('an event built and changed (a resolved name, a rank with classes) gets a line encoded again; the others keep theirs', () => {
    const parsed = parsedBatch(SAMPLES);
    const b = new LogEventBatch(parsed, 's');
    const e1 = b.event(1);
    e1.dst_ip = '192.0.2.77';
    (e1.resolved ??= []).push({ side: 'dst', name: 'db.lab', address: '192.0.2.77', via: 'discovery' });
    b.changed(1);
    b.setFlowIds(1, ['f1']);
    b.setFlowIds(2, ['f2', 'f3']);
    const ranked = { ...b.event(3), rank: 4, classes: ['c'] };
    b.replace(3, ranked);
    const lines = b.lines();
    const got = Buffer.from(lines.bytes).toString('utf8').split('\n').slice(0, -1);
    const originals = lineEvents(batchBytes(parsed), new LogEventBatch(parsed, 's').lines().lineEnds);
    assert.equal(got[1], JSON.stringify(e1));
    assert.deepEqual(logEventOfLine(JSON.parse(got[2])), { ...originals[2], flow_ids: ['f2', 'f3'] });
    assert.equal(got[3], JSON.stringify(ranked));
    // the others keep the parse thread's lines, byte for byte
    const plainLines = Buffer.from(batchBytes(parsed)).toString('utf8').split('\n');
    for (const i of [0, 4, 5, 6]) assert.equal(got[i], plainLines[i]);
    assert.deepEqual(b.events(), got.map((l) => logEventOfLine(JSON.parse(l))));
    assert.equal(b.srcIp(1), e1.src_ip);
    assert.equal(b.dstIp(1), '192.0.2.77');
  });

  it('a batch encoded from events (encodeLogBatch: whole lines) reads the same as the parse thread batch (compact lines)', () => {
    const parsed = parsedBatch(SAMPLES);
    const a = new LogEventBatch(parsed, 's');
    const events = a.events();
    const again = encodeLogBatch(events, 0);
    const b = new LogEventBatch(again, 's');
    assert.deepEqual(b.events(), events);
    const fresh = new LogEventBatch(parsed, 's');
    for (let i = 0; i < SAMPLES.length; i++) {
      for (const f of ['format', 'srcIp', 'dstIp', 'srcPort', 'dstPort', 'proto', 'message', 'rank', 'correlationInput'] as const) assert.deepEqual(new LogEventBatch(again, 's')[f](i), fresh[f](i), `${f} ${i}`);
    }
    // the compact lines are shorter than the whole ones
    assert.ok(parsed.used < again.used / 2, `${parsed.used} vs ${again.used}`);
  });

  it('ranking from the table changes exactly the events rankEvent changes, with the same derived events', () => {
    const texts = Array.from({ length: 60 }, (_, i) => benchMessage(i));
    const rankers = [
      new Ranker([]),
      new Ranker([], [{ id: 't', name: 'bad', rank: 5, entries: ['10.0.0.0/26'], enabled: true }]),
      new Ranker([{ id: 'c', name: 'ssh', match: { kind: 'log', message_contains: 'failed password' }, rank_delta: 2, enabled: true }]),
      new Ranker([{ id: 'p', name: 'dns', match: { kind: 'log', port: 53 }, rank_delta: 1, enabled: true }]),
    ];
    for (const ranker of rankers) {
      const parsed = parsedBatch(texts);
      const b = new LogEventBatch(parsed, 'sensor-1');
      const plain = new LogEventBatch(parsed, 'sensor-1').events();
      const derived = rankLogBatch(ranker, b);
      const lines = b.lines();
      const got = lineEvents(lines.bytes, lines.lineEnds);
      for (let i = 0; i < plain.length; i++) {
        const r = rankEvent(ranker, plain[i], true);
        assert.deepEqual(got[i], r.event);
        assert.deepEqual(derived.get(i) ?? [], r.derived);
      }
    }
  });
});
