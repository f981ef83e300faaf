import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { LogEventSchema, type LogEvent } from '../../../common/bridge/messages.js';
import { toLogEvent } from '../../../common/logs/log-event.js';
import { decodeLogBytes, parseLog } from '../../../common/logs/parse-log.js';
import { batchBytes, decodeLogBatch, encodeLogBatch, lineRange, ParseThreadMessageSchema } from '../../../node/logs/parsed-batch.js';
import { prng } from '../../helpers/prng.js';

function randomEvents(seed: number, n: number): LogEvent[] {
  const rnd = prng(seed);
  const out: LogEvent[] = [];
  for (let i = 0; i < n; i++) {
    const bytes = new Uint8Array(1 + Math.floor(rnd() * 200));
    for (let j = 0; j < bytes.length; j++) bytes[j] = rnd() < 0.7 ? 32 + Math.floor(rnd() * 95) : Math.floor(rnd() * 256);
    let text = decodeLogBytes(bytes);
    if (i % 7 === 0) text += '\ud83d\ude00 é \ud800 "q" \\ \n\t\u0000';
    const line = i % 3 === 0 ? `<134>Nov 22 10:00:00 fw CEF:0|A|B|1|9|x ${text}|5|src=10.0.0.${i % 250} dst=192.0.2.1 spt=${i} dpt=53` : `<13>Nov 22 10:00:00 host app: ${text}`;
    out.push(toLogEvent(line, parseLog(line, 1795000000), { id: `t:u1-${i}`, sensor: 't', receivedSec: 1795000000, receivedNsec: i, transport: 'udp', senderIp: '127.0.0.1', senderPort: 9, captureFlow: null }));
  }
  return out;
}

describe('parsed UDP batches (parse thread → intake)', () => {
  it('every line is JSON.stringify of its event, valid under LogEventSchema, and decodes back equal', () => {
    const events = randomEvents(11, 400);
    const b = encodeLogBatch(events, 3);
    assert.equal(b.count, 400);
    assert.equal(b.dropped, 3);
    const expected = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''), 'utf8');
    assert.ok(Buffer.from(batchBytes(b)).equals(expected));
    const decoded = decodeLogBatch(b);
    assert.deepEqual(decoded, events);
    for (let i = 0; i < events.length; i++) {
      const [start, end] = lineRange(b, i);
      const line = Buffer.from(batchBytes(b).subarray(start, end)).toString('utf8');
      assert.equal(line, `${JSON.stringify(events[i])}\n`);
      assert.deepEqual(LogEventSchema.parse(JSON.parse(line)), events[i]);
    }
  });

  it('the main thread accepts a batch frame whose sizes agree, and refuses one whose do not', () => {
    const b = encodeLogBatch(randomEvents(3, 5), 0);
    assert.ok(ParseThreadMessageSchema.safeParse({ kind: 'parsed', seq: 0, ...b }).success);
    assert.ok(ParseThreadMessageSchema.safeParse({ kind: 'end' }).success);
    assert.ok(!ParseThreadMessageSchema.safeParse({ kind: 'parsed', seq: 0, ...b, count: 6 }).success);
    assert.ok(!ParseThreadMessageSchema.safeParse({ kind: 'parsed', seq: 0, ...b, used: b.used - 1 }).success);
    assert.ok(!ParseThreadMessageSchema.safeParse({ kind: 'parsed', seq: 0, ...b, data: 'x' }).success);
  });

  it('a batch of nothing but drops carries the count and no lines', () => {
    const b = encodeLogBatch([], 17);
    assert.equal(b.count, 0);
    assert.equal(b.used, 0);
    assert.deepEqual(decodeLogBatch(b), []);
  });
});
