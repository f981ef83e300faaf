import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { EventSchema, type TaplineEvent } from '../../../common/bridge/messages.js';
import { toLogEvent } from '../../../common/logs/log-event.js';
import { decodeLogBytes, parseLog } from '../../../common/logs/parse-log.js';
import { encodeLines } from '../../../node/store/event-journal.js';
import { prng } from '../../helpers/prng.js';

describe('journal line encoding (one buffer per batch)', () => {
  it('is the UTF-8 of JSON.stringify per line, for any text (non-ASCII, astral, lone surrogates, U+FFFD)', () => {
    const rnd = prng(7);
    const events: TaplineEvent[] = [];
    for (let i = 0; i < 300; i++) {
      const bytes = new Uint8Array(1 + Math.floor(rnd() * 300));
      for (let j = 0; j < bytes.length; j++) bytes[j] = rnd() < 0.7 ? 32 + Math.floor(rnd() * 95) : Math.floor(rnd() * 256);
      let text = decodeLogBytes(bytes);
      if (i % 10 === 0) text += '\ud83d\ude00 é \ud800 "quoted" \\ \n';
      const line = `<13>Nov 22 10:00:00 host app: ${text}`;
      events.push(toLogEvent(line, parseLog(line, 1795000000), { id: `t:${i}`, sensor: 't', receivedSec: 1795000000, receivedNsec: 5, transport: 'udp', senderIp: '127.0.0.1', senderPort: 9, captureFlow: null }));
    }
    const buf = encodeLines(events);
    const expected = Buffer.from(events.map((e) => `${JSON.stringify(e)}\n`).join(''), 'utf8');
    assert.ok(buf.equals(expected));
    const lines = buf.toString('utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, events.length);
    for (let i = 0; i < lines.length; i++) assert.deepEqual(EventSchema.parse(JSON.parse(lines[i])), events[i]);
  });

  it('an empty batch is empty', () => {
    assert.equal(encodeLines([]).length, 0);
  });
});
