/**
 * Live batches checked off the main thread (renderer/src/bridge/worker-intake.ts): the page
 * posts a batch (JSON text or object) to the live-check worker and takes back the events that
 * passed the same EventSchema, delivered in order in bounded slices; a worker that fails hands
 * what it had not answered back to the page, in order. The "worker" here runs the worker's own
 * check (live-check.ts) and answers through a queue run by hand, as a real one answers later.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventBatch, TaplineEvent } from '../../../common/bridge/messages.js';
import { LiveCheckRequestSchema } from '../../../renderer/src/bridge/live-check-messages.js';
import { checkLiveBatch } from '../../../renderer/src/bridge/live-check.js';
import { SlicedBatchIntake, type IntakeEnv } from '../../../renderer/src/bridge/sliced-intake.js';
import { WorkerLiveIntake, seqOfText, type WorkerLike } from '../../../renderer/src/bridge/worker-intake.js';
import { HTTP_V4 } from './fixtures.js';

const flowEvent = (i: number): TaplineEvent => ({ kind: 'flow', id: `e${i}`, sensor: 'lab', ts: '1362692526.869344000', rank: 0, flow: { ...HTTP_V4, id: `ddc7da321d65-${i}` } });

function manualEnv(step: number): IntakeEnv & { runAll(): void } {
  let t = 0;
  const tasks: (() => void)[] = [];
  return {
    now: () => (t += step),
    later: (fn) => void tasks.push(fn),
    runAll() {
      while (tasks.length) tasks.shift()?.();
    },
  };
}

/** A worker running the real check; its answers wait in `outbox` until delivered by hand. */
function fakeWorker(): WorkerLike & { inbox: unknown[]; outbox: unknown[]; terminated: boolean; answer(intake: WorkerLiveIntake): void } {
  const w = {
    inbox: [] as unknown[],
    outbox: [] as unknown[],
    terminated: false,
    postMessage(m: unknown) {
      if (w.terminated) throw new Error('terminated');
      // a structured clone would copy; what matters is that the worker sees the request schema
      const req = LiveCheckRequestSchema.parse(m);
      w.inbox.push(req);
      w.outbox.push(req.type === 'text' ? checkLiveBatch(req.id, { text: req.text }) : checkLiveBatch(req.id, { batch: req.batch }));
    },
    terminate() {
      w.terminated = true;
    },
    answer(intake: WorkerLiveIntake) {
      while (w.outbox.length) intake.handleReply(w.outbox.shift());
    },
  };
  return w;
}

test('socket text is parsed and checked by the worker; the page gets the valid events, in order, with seq and rejections', () => {
  const env = manualEnv(0.01);
  const got: EventBatch[] = [];
  const rejected: string[] = [];
  const seqs: number[] = [];
  const worker = fakeWorker();
  const intake = new WorkerLiveIntake(worker, { deliver: (b) => got.push(b), onRejected: (d) => rejected.push(d), onSeq: (s) => seqs.push(s) }, env);
  const t1 = JSON.stringify({ seq: 10, events: [flowEvent(1), { kind: 'flow', id: 'bad' }, flowEvent(2)], missed: 4 });
  const t2 = JSON.stringify({ seq: 12, events: [flowEvent(3)], missed: 0 });
  assert.equal(intake.pushText(t1), 10, 'the seq is read from the text at once (for a reconnect)');
  assert.equal(intake.pushText(t2), 12);
  assert.equal(intake.pushText('not json'), null);
  assert.equal(got.length, 0, 'nothing is delivered before the worker answers');
  worker.answer(intake);
  env.runAll();
  assert.deepEqual(got.flatMap((b) => b.events.map((e) => e.id)), ['e1', 'e2', 'e3']);
  assert.equal(got[0].missed, 4);
  assert.deepEqual(seqs, [10, 12]);
  assert.equal(rejected.length, 2);
  assert.match(rejected[0], /^1 event\(s\) failed validation \(/);
  assert.equal(rejected[1], 'a message that is not JSON');
});

test('a big checked batch is delivered in slices of at most 100 events', () => {
  const env = manualEnv(0.01);
  const got: EventBatch[] = [];
  const worker = fakeWorker();
  const intake = new WorkerLiveIntake(worker, { deliver: (b) => got.push(b), onRejected: () => assert.fail('all valid') }, env);
  intake.push({ seq: 1, missed: 0, events: Array.from({ length: 450 }, (_, i) => flowEvent(i)) });
  worker.answer(intake);
  env.runAll();
  assert.ok(got.every((b) => b.events.length <= 100), `sub-batches of ${got.map((b) => b.events.length).join(', ')}`);
  assert.equal(got.reduce((n, b) => n + b.events.length, 0), 450);
});

test('a failing worker: unanswered batches and everything after are checked in the page, in order', () => {
  const env = manualEnv(0.01);
  const got: EventBatch[] = [];
  const worker = fakeWorker();
  const intake = new WorkerLiveIntake(worker, { deliver: (b) => got.push(b), onRejected: () => undefined }, env);
  intake.pushText(JSON.stringify({ seq: 1, events: [flowEvent(1)], missed: 0 }));
  intake.push({ seq: 2, events: [flowEvent(2), { kind: 'nope' }], missed: 0 });
  worker.outbox.length = 0; // it died before answering
  intake.handleFailure();
  assert.ok(worker.terminated);
  assert.ok(intake.inPageFallback);
  assert.equal(intake.push({ seq: 3, events: [flowEvent(3)], missed: 0 }), 3);
  env.runAll();
  assert.deepEqual(got.flatMap((b) => b.events.map((e) => e.id)), ['e1', 'e2', 'e3']);
});

test('answers for batches sent before clear() are dropped', () => {
  const env = manualEnv(0.01);
  const got: EventBatch[] = [];
  const worker = fakeWorker();
  const intake = new WorkerLiveIntake(worker, { deliver: (b) => got.push(b), onRejected: () => undefined }, env);
  intake.push({ seq: 1, events: [flowEvent(1)], missed: 0 });
  intake.clear();
  worker.answer(intake);
  env.runAll();
  assert.deepEqual(got, []);
});

test('the same events pass the worker path and the in-page path', () => {
  const events = [flowEvent(1), { kind: 'flow', id: 'x' }, flowEvent(2), { kind: 'notice', id: 'n1', sensor: 'lab', ts: '1.5', level: 'info', message: 'hi' }];
  const viaWorker: EventBatch[] = [];
  const inPage: EventBatch[] = [];
  const env = manualEnv(0.01);
  const worker = fakeWorker();
  const w = new WorkerLiveIntake(worker, { deliver: (b) => viaWorker.push(b), onRejected: () => undefined }, env);
  w.push({ seq: 5, events, missed: 0 });
  worker.answer(w);
  new SlicedBatchIntake((b) => inPage.push(b), () => undefined, env).push({ seq: 5, events, missed: 0 });
  env.runAll();
  assert.deepEqual(viaWorker, inPage);
});

test('seqOfText reads how the server writes a batch, and nothing else', () => {
  assert.equal(seqOfText('{"seq":42,"events":[],"missed":0}'), 42);
  assert.equal(seqOfText('{"events":[],"seq":42}'), null);
  assert.equal(seqOfText('{"seq":"42"}'), null);
});
