/**
 * TcpReassemblerOptions.reuseChunks (what carving uses): each direction hands its sink one chunk
 * object, updated, and the chunks' contents are exactly those of the default (a new object per
 * chunk), through in-order data, out-of-order data held and released, a retransmission and a gap.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StreamChunk } from '../../../common/reassembly/stream-types.js';
import { ACK, Driver, FIN, SYN, text } from './reassembly-helpers.js';

function run(reuseChunks: boolean): { d: Driver; seen: StreamChunk[] } {
  const d = new Driver({ reuseChunks });
  const seen: StreamChunk[] = [];
  const record = d.rec.onData;
  d.rec.onData = (c) => {
    seen.push(c);
    record(c);
  };
  d.seg(0, 1000, '', SYN).seg(1, 5000, '', SYN | ACK, 1001).seg(0, 1001, '', ACK, 5001);
  d.seg(0, 1001, 'GET /a HTTP/1.1\r\n\r\n', ACK, 5001);
  d.seg(1, 5001, text(100), ACK, 1020);
  d.seg(1, 5201, text(100, 200), ACK, 1020); // out of order: held
  d.seg(1, 5101, text(100, 100), ACK, 1020); // fills the hole: both delivered
  d.seg(1, 5101, text(100, 100), ACK, 1020); // retransmission
  d.seg(1, 5401, text(50, 400), ACK, 1020); // 100 bytes missing before it
  d.seg(1, 5451, '', ACK | FIN, 1020).seg(0, 1020, '', ACK | FIN, 5452);
  d.finish();
  return { d, seen };
}

test('reused chunks carry what new chunks carry', () => {
  const fresh = run(false);
  const reused = run(true);
  assert.deepEqual(reused.d.rec.chunks, fresh.d.rec.chunks);
  assert.deepEqual(reused.d.rec.ends, fresh.d.rec.ends);
  assert.ok(fresh.d.rec.chunks.some((c) => c.gapBefore === 100));
});

test('with reuseChunks each direction passes one object; by default every chunk is new', () => {
  const fresh = run(false);
  assert.equal(new Set(fresh.seen).size, fresh.seen.length);
  const reused = run(true);
  const objects = new Set(reused.seen);
  assert.equal(objects.size, 2);
  for (const c of objects) assert.equal(c.data.length, 0, 'the delivered view is not kept after the call');
});
