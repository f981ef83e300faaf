import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WriterRequestSchema, type WriterRequest } from '../../../renderer/src/archive/archive-writer-messages.js';
import { WorkerArchiveWriter, type ArchiveWriter, type WorkerPort } from '../../../renderer/src/archive/archive-writer.js';
import { toArchived, type ArchivedEvent } from '../../../renderer/src/archive/event-query.js';
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import { HTTP_V4 } from './fixtures.js';

class FakeWorker implements WorkerPort {
  sent: WriterRequest[] = [];
  terminated = false;
  postMessage(m: WriterRequest): void {
    // a worker gets a structured clone: a value that cannot be cloned throws here, as it would there
    this.sent.push(structuredClone(m));
  }
  terminate(): void {
    this.terminated = true;
  }
}

class InPage implements ArchiveWriter {
  written: string[][] = [];
  async write(batch: readonly ArchivedEvent[]): Promise<void> {
    this.written.push(batch.map((r) => r.uid));
  }
}

const flowEvent = (i: number): TaplineEvent => ({ id: `f-${i}`, sensor: 'lab', ts: `${1000 + i}.0`, rank: 0, kind: 'flow', flow: { ...HTTP_V4, id: `ddc7da321d65-${i}` } });
const records = (n: number, from = 0): ArchivedEvent[] => Array.from({ length: n }, (_, i) => toArchived(flowEvent(from + i)));

test('archive writer: batches go to the worker, in order, and settle on its answers', async () => {
  const w = new FakeWorker();
  const inPage = new InPage();
  const writer = new WorkerArchiveWriter(w, { dbName: 'db', maxEvents: 10 }, inPage);
  assert.deepEqual(w.sent[0], { type: 'open', dbName: 'db', maxEvents: 10 });
  const a = writer.write(records(2));
  const b = writer.write(records(1, 2));
  const writes = w.sent.filter((m) => m.type === 'write');
  assert.deepEqual(writes.map((m) => (m.type === 'write' ? m.records.map((r) => r.id) : [])), [['f-0', 'f-1'], ['f-2']]);
  writer.handleReply({ type: 'written', id: 1, count: 2, error: null });
  writer.handleReply({ type: 'written', id: 2, count: 0, error: 'QuotaExceededError' });
  await a;
  await assert.rejects(b, /QuotaExceededError/);
  assert.deepEqual(inPage.written, [], 'nothing was written in the page');
});

test('archive writer: a reply that does not fit the schema is counted and settles nothing', async () => {
  const w = new FakeWorker();
  const writer = new WorkerArchiveWriter(w, { dbName: 'db', maxEvents: 10 }, new InPage());
  let settled = false;
  void writer.write(records(1)).then(() => (settled = true));
  writer.handleReply({ type: 'written', id: '1', count: 1, error: null });
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(settled, false);
  assert.equal(writer.badReplies, 1);
});

test('archive writer: when the worker fails, unconfirmed batches and later ones are written in the page', async () => {
  const w = new FakeWorker();
  const inPage = new InPage();
  const writer = new WorkerArchiveWriter(w, { dbName: 'db', maxEvents: 10 }, inPage);
  const a = writer.write(records(2));
  const b = writer.write(records(1, 2));
  writer.handleReply({ type: 'written', id: 1, count: 2, error: null });
  writer.handleFailure();
  assert.equal(w.terminated, true);
  assert.equal(writer.inPage, true);
  await Promise.all([a, b]);
  await writer.write(records(1, 3));
  assert.deepEqual(inPage.written.map((u) => u.map((x) => x.split('\u0000')[1])), [['f-2'], ['f-3']], 'the confirmed batch is not written twice');
});

test('archive writer messages: real records pass the worker-side check, a record missing an indexed field does not', () => {
  const ok = WriterRequestSchema.safeParse({ type: 'write', id: 1, records: records(2) });
  assert.equal(ok.success, true);
  const { ips: _ips, ...noIps } = records(1)[0]!;
  assert.equal(WriterRequestSchema.safeParse({ type: 'write', id: 2, records: [noIps] }).success, false);
});
