/** The parse thread's pool of batch buffers given back by the main thread (node/logs/batch-buffer-pool.ts): bounded, and a buffer is reused only for a batch that fills at least about half of it. */
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { BufferPool } from '../../../node/logs/batch-buffer-pool.js';

test('takes back the most recent buffer that fits, else makes one rounded up to 64 KiB', () => {
  const p = new BufferPool(4, 1 << 30);
  const a = new ArrayBuffer(100_000);
  const b = new ArrayBuffer(300_000);
  p.give(a);
  p.give(b);
  assert.equal(p.take(90_000), a, 'fits a (b is more than twice as big)');
  assert.equal(p.take(200_000), b);
  const fresh = p.take(70_000);
  assert.equal(fresh.byteLength, 131_072);
  assert.equal(p.size, 0);
  // too big for every pooled buffer: a new one
  p.give(new ArrayBuffer(65_536));
  assert.equal(p.take(65_537).byteLength, 131_072);
  assert.equal(p.size, 1);
});

test('holds at most its buffer count and bytes; empty buffers (detached) are not kept', () => {
  const p = new BufferPool(2, 250_000);
  p.give(new ArrayBuffer(100_000));
  p.give(new ArrayBuffer(100_000));
  p.give(new ArrayBuffer(10));
  assert.equal(p.size, 2);
  const q = new BufferPool(10, 250_000);
  q.give(new ArrayBuffer(200_000));
  q.give(new ArrayBuffer(100_000));
  assert.equal(q.size, 1, 'bytes bound');
  q.give(new ArrayBuffer(0));
  assert.equal(q.size, 1);
});
