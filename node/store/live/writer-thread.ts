/**
 * The store writer's thread: runs a LiveWriter (decode, index, segment writes, index flushes,
 * retention) off the capture's thread, so that however long a flush or a rotation takes, the
 * capture thread keeps draining the kernel's buffer. Packets arrive in batches (packet-batch.ts)
 * in shared-memory slots, named by id, that go back to the capture thread once written.
 *
 * Started by ThreadedLiveWriter (threaded-writer.ts); talks only through writer-thread-messages.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { payloadContainsTrigger, type AlertTrigger } from '../../../common/capture/alert-trigger.js';
import { RuleTrigger } from '../../../common/rules/rule-trigger.js';
import { nodeBodyDecoder } from '../../rules/body-decoder.js';
import { loadRuleFiles } from '../../rules/rule-files.js';
import type { LiveWriterStats } from './live-writer-options.js';
import { LiveWriter, type SpareIndexer } from './live-writer.js';
import { SlotReturnWriter } from './slot-returns.js';
import { writeBatch } from './write-batch.js';
import { warmUpFromEnv, warmUpLiveWriter } from './writer-warm-up.js';
import { ToWriterThreadSchema, WriterThreadInitSchema, type FromWriterThread, type ToWriterThread, type WriterThreadInit } from './writer-thread-messages.js';

/** How often the capture thread gets fresh counters (its stats() is synchronous). */
const STATS_MS = 200;
/** Batches replayed per turn of the event loop, so disk-write completions and timers get their turn. */
const BATCHES_PER_TURN = 4;

const port = parentPort;
if (port === null) throw new Error('writer-thread.ts runs only as a worker thread');

function send(m: FromWriterThread): void {
  port!.postMessage(m);
}

function sendStats(w: LiveWriter): void {
  const st: LiveWriterStats = w.stats();
  send({ kind: 'stats', stats: st });
}

/** The conditional mode's alert source: a payload string, rule files, or either of both. */
async function conditionalTrigger(init: WriterThreadInit): Promise<AlertTrigger | undefined> {
  const triggers: AlertTrigger[] = [];
  if (init.triggerPayload !== undefined) triggers.push(payloadContainsTrigger(init.triggerPayload));
  if (init.triggerRules !== undefined) {
    const { set, report } = await loadRuleFiles(init.triggerRules, { classificationPath: init.ruleClassification });
    if (report.loaded === 0) {
      const why = report.skipped[0] ? `; first skipped: ${report.skipped[0].reason}` : '';
      throw new Error(`the trigger rule files hold no usable rule (${report.skipped.length} skipped${why})`);
    }
    send({ kind: 'log', line: `conditional capture: ${set.rules.length} trigger rules loaded, ${report.skipped.length} skipped` });
    // HTTP bodies decoded as offline detect decodes them, so file.data rules fire on gzip bodies too
    triggers.push(new RuleTrigger(set, { decodeBody: nodeBodyDecoder }));
  }
  if (triggers.length <= 1) return triggers[0];
  // every trigger sees every packet: a rule engine's per-flow state must not skip any
  return { inspect: (key, p) => triggers.reduce((hit, t) => t.inspect(key, p) || hit, false) };
}

async function main(): Promise<void> {
  const init = WriterThreadInitSchema.parse(workerData);
  let writer: LiveWriter;
  try {
    // before the store is opened and before the capture side hears `opened` (and starts its
    // source): the capture's first packets then meet compiled code (writer-warm-up.ts)
    const warm = init.warmUp === false ? null : (warmUpFromEnv(process.env) ?? (init.warmUp === true ? {} : null));
    let spares: SpareIndexer[] = [];
    if (warm) {
      const r = await warmUpLiveWriter({ ...warm, summaries: init.wantFlows });
      spares = r.spares;
      send({ kind: 'log', line: `live store writer warmed up on ${r.packets} generated packets (${r.snapshots} snapshots) in ${Math.round(r.wallMs)} ms` });
    }
    const trigger = await conditionalTrigger(init);
    writer = await LiveWriter.open(init.storeDir, {
      segmentBytes: init.segmentBytes,
      segmentSeconds: init.segmentSeconds,
      maxStoreBytes: init.maxStoreBytes,
      maxAgeSeconds: init.maxAgeSeconds,
      mode: init.mode,
      preAlertPackets: init.preAlertPackets,
      trigger,
      flushIntervalMs: init.flushIntervalMs,
      directIo: init.directIo,
      nativeFlows: init.nativeFlows,
      // counters first: whoever sees a flow summary has stats at least as new as it
      onFlows: init.wantFlows
        ? (batch) => {
            sendStats(writer);
            send({ kind: 'flows', batch });
          }
        : undefined,
      onError: (e) => send({ kind: 'error', message: e.message }),
      log: (line) => send({ kind: 'log', line }),
    });
    // the warm-up's indexers serve the first segments: no fresh object of the hot path's classes
    // mid-capture (a second instance made V8 drop and recompile code compiled for the first)
    writer.adoptSpares(spares);
  } catch (e) {
    send({ kind: 'open-failed', message: e instanceof Error ? e.message : String(e) });
    port!.close();
    return;
  }
  const statsTimer = setInterval(() => sendStats(writer), STATS_MS);
  let closing = false;
  // Messages are handled in order from a queue of our own rather than in the port's handler: the
  // port delivers every queued message in one go, and a backlog of batches replayed back to back
  // left no turn of the event loop for timers (snapshots, stats) and the chain's completions. Here
  // the loop turns every few batches. Segment data is written synchronously as each batch is
  // replayed (LiveWriter.writeChunk), so a slow disk holds this thread up; a batch not yet
  // replayed is not given back, so the capture side's hand-off bound (and behind it the kernel's
  // ring, whose drops are counted exactly) absorbs a slow disk.
  const queue: ToWriterThread[] = [];
  /** Batch slots (shared memory) by id. */
  const slots = new Map<number, Uint8Array>();
  const returns = init.returns === undefined ? null : new SlotReturnWriter(init.returns);
  /** A written batch's slot back to the capture side: through the ring, by message when it is full. */
  const giveBack = (slot: number, packets: number, bytes: number): void => {
    const r = returns?.put(slot);
    if (r === undefined || !r.put) send({ kind: 'returned', slot, packets, bytes });
    else if (r.wake) send({ kind: 'returns-ready' });
  };
  let scheduled = false;
  const schedule = (delayMs: number): void => {
    if (scheduled) return;
    scheduled = true;
    if (delayMs > 0) setTimeout(pump, delayMs);
    else setImmediate(pump);
  };
  function pump(): void {
    scheduled = false;
    let batches = 0;
    while (queue.length > 0) {
      const m = queue[0];
      if (m.kind === 'packets') {
        if (batches === BATCHES_PER_TURN) return schedule(0);
        batches++;
      }
      queue.shift();
      handle(m);
    }
  }
  function handle(m: ToWriterThread): void {
    switch (m.kind) {
      case 'link':
        writer.link(m.link);
        return;
      case 'slot':
        slots.set(m.slot, new Uint8Array(m.buf));
        return;
      case 'drop-slot':
        slots.delete(m.slot);
        return;
      case 'packets': {
        // the batch's records are written from the batch itself (no copy into segment buffers);
        // it goes back to the capture side once its last run is on disk
        const batch = slots.get(m.slot);
        if (batch === undefined) throw new Error(`packet batch in unknown slot ${m.slot}`);
        const { packets, bytes, writes } = writeBatch(writer, batch, m.len);
        const slot = m.slot;
        if (writes.length === 0) giveBack(slot, packets, bytes);
        else void Promise.all(writes).then(() => giveBack(slot, packets, bytes));
        return;
      }
      case 'gap':
        writer.gap(m.gap);
        return;
      case 'alert':
        writer.alert(m.flowKey);
        return;
      case 'flush':
        void writer
          .flush()
          .catch((e: unknown) => send({ kind: 'error', message: `flush failed: ${e instanceof Error ? e.message : String(e)}` }))
          .then(() => {
            sendStats(writer);
            send({ kind: 'flushed', id: m.id });
          });
        return;
      case 'close':
        if (closing) return;
        closing = true;
        void writer
          .close()
          .catch((e: unknown) => send({ kind: 'error', message: `closing the live store failed: ${e instanceof Error ? e.message : String(e)}` }))
          .then(() => {
            clearInterval(statsTimer);
            sendStats(writer);
            send({ kind: 'closed' });
            port!.close();
          });
        return;
    }
  }
  port!.on('message', (raw: unknown) => {
    queue.push(ToWriterThreadSchema.parse(raw));
    schedule(0);
  });
  send({ kind: 'opened' });
}

void main();
