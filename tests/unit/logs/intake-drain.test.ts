import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { LogEvent } from '../../../common/bridge/messages.js';
import { LogIntake } from '../../../node/logs/log-intake.js';

describe('log intake drain', () => {
  it('a message offered while the last write is awaited is still stored, without another offer', async () => {
    const stored: LogEvent[] = [];
    let intake: LogIntake | null = null;
    let offeredLate = false;
    intake = new LogIntake({
      sensor: 's',
      persist: async (events) => {
        await new Promise((r) => setTimeout(r, 20));
        // the queue is empty and drain() is awaiting this, its last write: a sender's next frame lands now
        if (!offeredLate) {
          offeredLate = true;
          intake?.offer(new TextEncoder().encode('<13>Nov 22 10:00:00 h app: second'), { transport: 'tcp', senderIp: '127.0.0.1', senderPort: 9 });
        }
        stored.push(...events);
      },
    });
    intake.offer(new TextEncoder().encode('<13>Nov 22 10:00:00 h app: first'), { transport: 'tcp', senderIp: '127.0.0.1', senderPort: 9 });
    // no flush(): it would start a drain itself; wait for the stored count instead (bounded)
    for (let i = 0; i < 200 && stored.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(stored.map((e) => e.message), ['first', 'second']);
    assert.equal(intake.queued, 0);
  });
});
