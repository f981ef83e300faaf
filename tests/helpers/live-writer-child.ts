/**
 * A live capture stand-in for crash and visibility tests, run as a child process:
 *   node --import tsx tests/helpers/live-writer-child.ts STORE SEED COUNT PORTBASE T0 [PACE_MS] [SEGMENT_BYTES]
 * Writes the deterministic liveTraffic stream through a LiveWriter in batches of 100 packets.
 * After every 5th batch it awaits flush() and prints "flushed N" (N packets of this stream are
 * on disk and indexed). With PACE_MS it sleeps between batches (a slow, steady source) and prints
 * "sent N" after each batch. Prints "closed N" after a clean close.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openLiveWriter } from '../../node/store/live/index.js';
import { liveTraffic } from './live-traffic.js';

const [store, seed, count, portBase, t0, pace, segmentBytes] = process.argv.slice(2);
const w = await openLiveWriter(store, { flushIntervalMs: 1000, segmentBytes: segmentBytes ? Number(segmentBytes) : undefined });
w.link({ id: 0, linkType: 1, snapLen: 262144, name: 'child' });
const gen = liveTraffic({ seed: Number(seed), count: Number(count), flows: 25, portBase: Number(portBase), t0: Number(t0), maxPayload: 900 });
let n = 0;
let batch = 0;
for (;;) {
  let done = false;
  for (let i = 0; i < 100; i++) {
    const p = gen.next();
    if (p.done) {
      done = true;
      break;
    }
    w.packet(p.value);
    n++;
  }
  batch++;
  if (pace && pace !== '0') {
    process.stdout.write(`sent ${n}\n`);
    await sleep(Number(pace));
  } else if (batch % 5 === 0) {
    await w.flush();
    process.stdout.write(`flushed ${n}\n`);
  } else await new Promise((r) => setImmediate(r));
  if (done) break;
}
await w.close();
process.stdout.write(`closed ${n}\n`);
