import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { UDP_BATCH_WRITER_SOURCE, UdpBatchReader, type UdpBatch } from '../../../node/logs/udp-batch.js';

interface Writer {
  count: number;
  add(msg: Uint8Array, ip: string, port: number, timeMs: number): boolean;
  take(capacity: number): UdpBatch | null;
}
/** The socket thread's writer, built from the same source the worker evaluates. */
const makeWriter = new Function('capacity', `${UDP_BATCH_WRITER_SOURCE}\nreturn new UdpBatchWriter(capacity);`) as (capacity: number) => Writer;

function read(b: UdpBatch): { text: string; ip: string; port: number; timeMs: number }[] {
  const r = new UdpBatchReader(b);
  const out: { text: string; ip: string; port: number; timeMs: number }[] = [];
  while (r.next()) out.push({ text: Buffer.from(r.payload()).toString('latin1'), ip: r.ip, port: r.port, timeMs: r.timeSec * 1000 + r.timeNsec / 1e6 });
  return out;
}

describe('UDP batch layout (socket thread → intake)', () => {
  it('reads back every datagram with its sender and time, in order, across batches', () => {
    const w = makeWriter(4096);
    const sent: { text: string; ip: string; port: number; timeMs: number }[] = [];
    const got: typeof sent = [];
    for (let i = 0; i < 500; i++) {
      const m = { text: `<13>message ${i} ${'x'.repeat(i % 97)}`, ip: i % 3 === 0 ? '::1' : `10.0.0.${i % 5}`, port: 1024 + i * 7, timeMs: 1795000000000 + i * 0.5 };
      sent.push(m);
      const bytes = Buffer.from(m.text, 'latin1');
      if (!w.add(bytes, m.ip, m.port, m.timeMs)) {
        const b = w.take(4096);
        assert.ok(b);
        got.push(...read(b));
        assert.ok(w.add(bytes, m.ip, m.port, m.timeMs));
      }
    }
    const last = w.take(4096);
    assert.ok(last);
    got.push(...read(last));
    assert.deepEqual(got, sent);
    assert.equal(w.take(4096), null);
  });

  it('a datagram larger than the buffer gets a batch of its own, empty datagrams are kept', () => {
    const w = makeWriter(1024);
    assert.ok(w.add(new Uint8Array(0), '127.0.0.1', 9, 1));
    const big = new Uint8Array(65507).fill(65);
    assert.equal(w.add(big, '127.0.0.1', 10, 2), false);
    const first = w.take(1024);
    assert.ok(first);
    assert.deepEqual(read(first).map((m) => m.text.length), [0]);
    assert.ok(w.add(big, '127.0.0.1', 10, 2));
    const second = w.take(1024);
    assert.ok(second);
    const r = read(second);
    assert.equal(r.length, 1);
    assert.equal(r[0].text, 'A'.repeat(65507));
  });

  it('a record cut short (a corrupt batch) ends reading instead of reading past the data', () => {
    const w = makeWriter(1024);
    w.add(Buffer.from('one'), '127.0.0.1', 1, 1);
    w.add(Buffer.from('two'), '127.0.0.1', 2, 2);
    const b = w.take(1024);
    assert.ok(b);
    assert.deepEqual(read({ ...b, used: b.used - 1 }).map((m) => m.text), ['one']);
  });
});
