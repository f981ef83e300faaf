/**
 * TCP reassembly, case by case, with hand-built segments fed straight to the reassembler
 * (flow-follower.test.ts covers real frames). Client ISN 1000, server ISN 5000 unless said.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ReassemblyBudget } from '../../../common/reassembly/memory-budget.js';
import { ACK, Driver, FIN, RST, SYN, ascii, stream, text } from './reassembly-helpers.js';

/** Handshake: client SYN 1000, server SYN+ACK 5000; data then starts at 1001 / 5001. */
function handshake(d: Driver): Driver {
  return d.seg(0, 1000, '', SYN).seg(1, 5000, '', SYN | ACK, 1001).ack(0, 1001, 5001);
}

describe('in order', () => {
  test('both directions, offsets from the byte after the SYN, FIN ends each direction', () => {
    const d = handshake(new Driver());
    d.seg(0, 1001, 'GET / HTTP/1.1\r\n', ACK, 5001).seg(0, 1017, '\r\n', ACK, 5001);
    d.seg(1, 5001, 'HTTP/1.1 200 OK\r\n', ACK, 1019);
    d.seg(1, 5018, 'body', ACK | FIN, 1019).seg(0, 1019, '', ACK | FIN, 5023);
    assert.equal(d.text(0), 'GET / HTTP/1.1\r\n\r\n');
    assert.equal(d.text(1), 'HTTP/1.1 200 OK\r\nbody');
    assert.deepEqual(
      d.rec.chunks.map((c) => [c.dir, c.offset, c.gapBefore, c.packet]),
      [[0, 0, 0, 3], [0, 16, 0, 4], [1, 0, 0, 5], [1, 17, 0, 6]],
    );
    assert.deepEqual(d.rec.ends, [{ dir: 1, reason: 'fin', gapAtEnd: 0 }, { dir: 0, reason: 'fin', gapAtEnd: 0 }]);
    assert.equal(d.rec.chunks[0].tsSec, 1003);
    d.finish(); // already ended: nothing more
    assert.equal(d.rec.ends.length, 2);
  });

  test('an empty flow ends both directions at finish without data', () => {
    const d = new Driver().finish();
    assert.deepEqual(d.rec.chunks, []);
    assert.deepEqual(d.rec.ends.map((e) => [e.dir, e.reason, e.gapAtEnd]), [[0, 'end-of-capture', 0], [1, 'end-of-capture', 0]]);
  });
});

describe('out of order and retransmissions', () => {
  test('a segment ahead of a hole waits; the hole filling releases it', () => {
    const d = handshake(new Driver());
    d.seg(0, 1011, 'klmnopqrst').seg(0, 1021, 'uvwxyz');
    assert.equal(d.rec.chunks.length, 0);
    d.seg(0, 1001, 'abcdefghij');
    assert.equal(d.text(0), 'abcdefghijklmnopqrstuvwxyz');
    assert.deepEqual(d.rec.chunks.map((c) => [c.offset, c.packet]), [[0, 5], [10, 5], [20, 5]]);
    assert.equal(d.r.stats(0).outOfOrderSegments, 2);
    assert.equal(d.r.stats(0).gaps, 0);
  });

  test('a retransmission of delivered bytes is dropped and counted as duplicate', () => {
    const d = handshake(new Driver());
    d.seg(0, 1001, 'hello').seg(0, 1001, 'hello').seg(0, 1003, 'llo wor');
    assert.equal(d.text(0), 'hello wor');
    const s = d.r.stats(0);
    assert.equal(s.duplicateBytes, 5 + 3);
    assert.equal(s.conflicts, 0);
  });

  test('a duplicate of held data is dropped', () => {
    const d = handshake(new Driver());
    d.seg(0, 1006, 'world').seg(0, 1006, 'world').seg(0, 1001, 'hello');
    assert.equal(d.text(0), 'helloworld');
    assert.equal(d.r.stats(0).duplicateBytes, 5);
  });

  test('identical overlap around held data: new bytes fill around it', () => {
    const d = handshake(new Driver());
    const all = text(40);
    d.seg(0, 1011, all.subarray(10, 20)).seg(0, 1026, all.subarray(25, 30));
    d.seg(0, 1006, all.subarray(5, 35)); // covers both held pieces, starts after a hole
    assert.equal(d.rec.chunks.length, 0);
    d.seg(0, 1001, all.subarray(0, 5));
    assert.equal(ascii(stream(d.rec, 0)), ascii(all.subarray(0, 35)));
    assert.equal(d.r.stats(0).duplicateBytes, 15);
    assert.equal(d.r.stats(0).conflicts, 0);
  });

  test('conflicting overlap with held data: the first received bytes win, the conflict is counted', () => {
    const d = handshake(new Driver());
    d.seg(0, 1006, 'XXXXX'); // held
    d.seg(0, 1001, 'abcdefghijklmno'); // overlaps the held bytes with different ones
    assert.equal(d.text(0), 'abcdeXXXXXklmno');
    const s = d.r.stats(0);
    assert.equal(s.conflicts, 1);
    assert.equal(s.conflictBytes, 5);
  });

  test('conflicting retransmission of delivered bytes: delivered bytes stand, counted against history', () => {
    const d = handshake(new Driver());
    d.seg(0, 1001, 'hello world').seg(0, 1001, 'jello wurld!');
    assert.equal(d.text(0), 'hello world!');
    const s = d.r.stats(0);
    assert.equal(s.conflicts, 1);
    assert.equal(s.conflictBytes, 2);
    assert.equal(s.duplicateBytes, 9);
  });

  test('overlaps older than the history are counted as unchecked, not compared', () => {
    const d = handshake(new Driver({ historyBytes: 8 }));
    d.seg(0, 1001, 'abcdefghijklmnop').seg(0, 1001, 'ABCDEFGHijklmnop');
    const s = d.r.stats(0);
    assert.equal(s.uncheckedOverlapBytes, 8);
    assert.equal(s.duplicateBytes, 8);
    assert.equal(s.conflicts, 0);
  });

  test('held data is a copy: a caller reusing its (Node Buffer) packet memory does not corrupt it', () => {
    // Buffer#slice is a view, not a copy: the store's reader hands out Buffers it overwrites
    const d = handshake(new Driver());
    const mem = Buffer.alloc(64);
    mem.write('world');
    d.seg(0, 1006, mem.subarray(0, 5));
    mem.fill(0x58);
    mem.write('hello');
    d.seg(0, 1001, mem.subarray(0, 5));
    assert.equal(d.text(0), 'helloworld');
  });

  test('a one-byte keep-alive probe below the next byte is not a conflict', () => {
    const d = handshake(new Driver());
    d.seg(0, 1001, 'abc').seg(0, 1003, '\0');
    assert.equal(d.r.stats(0).keepAlives, 1);
    assert.equal(d.r.stats(0).conflicts, 0);
    assert.equal(d.text(0), 'abc');
  });
});

describe('gaps (never invented bytes)', () => {
  test('middle: the peer acking beyond held data gives up the hole (as tshark does)', () => {
    const d = handshake(new Driver());
    d.seg(0, 1001, 'aaaaaaaaaa').seg(0, 1021, 'cccccccccc');
    d.ack(1, 5001, 1021); // ack == start of held data: not yet beyond it
    assert.equal(d.rec.chunks.length, 1);
    d.ack(1, 5001, 1031);
    assert.deepEqual(d.rec.chunks.map((c) => [c.offset, c.gapBefore, ascii(c.data), c.packet]), [[0, 0, 'aaaaaaaaaa', 3], [20, 10, 'cccccccccc', 6]]);
    assert.equal(d.r.stats(0).gapBytes, 10);
    // the missing bytes arriving now are late: not delivered
    d.seg(0, 1011, 'bbbbbbbbbb');
    assert.equal(d.text(0), 'aaaaaaaaaacccccccccc');
    assert.equal(d.r.stats(0).lateBytes, 10);
  });

  test('held data is flushed across its hole at the end of the flow', () => {
    const d = handshake(new Driver());
    d.seg(0, 1001, 'abc').seg(0, 1011, 'xyz').finish();
    assert.deepEqual(d.rec.chunks.map((c) => [c.offset, c.gapBefore, ascii(c.data)]), [[0, 0, 'abc'], [10, 7, 'xyz']]);
    assert.deepEqual(d.rec.ends[0], { dir: 0, reason: 'end-of-capture', gapAtEnd: 0 });
  });

  test('start: the peer had acked a point before the first segment seen (mid-stream)', () => {
    const d = new Driver();
    d.ack(1, 9000, 700); // server acks client byte 700 before any client packet is seen
    d.seg(0, 750, 'later bytes');
    d.ack(1, 9000, 761);
    assert.deepEqual(d.rec.chunks.map((c) => [c.offset, c.gapBefore, ascii(c.data)]), [[50, 50, 'later bytes']]);
  });

  test('end: bytes up to the FIN never captured are gapAtEnd', () => {
    const d = handshake(new Driver());
    d.seg(0, 1001, 'abc').seg(0, 1014, '', ACK | FIN).finish();
    assert.equal(d.text(0), 'abc');
    assert.deepEqual(d.rec.ends.find((e) => e.dir === 0), { dir: 0, reason: 'end-of-capture', gapAtEnd: 10 });
  });

  test('end: bytes the peer acked but the capture lacks are gapAtEnd', () => {
    const d = handshake(new Driver());
    d.seg(0, 1001, 'abc').ack(1, 5001, 1104).finish();
    assert.deepEqual(d.rec.ends.find((e) => e.dir === 0), { dir: 0, reason: 'end-of-capture', gapAtEnd: 100 });
  });

  test('a segment cut by the snaplen: the captured bytes, then its missing tail as a gap', () => {
    const d = handshake(new Driver());
    d.seg(0, 1001, 'abcd', ACK, 5001, 10).seg(0, 1011, 'klm');
    assert.deepEqual(d.rec.chunks.map((c) => [c.offset, c.gapBefore, ascii(c.data)]), [[0, 0, 'abcd'], [10, 6, 'klm']]);
    d.seg(0, 1014, 'nop', ACK, 5001, 8).finish();
    assert.deepEqual(d.rec.ends.find((e) => e.dir === 0)?.gapAtEnd, 5);
  });
});

describe('sequence numbers', () => {
  test('wrap-around at 2^32, in and out of order', () => {
    const isn = 2 ** 32 - 6;
    const all = text(30);
    const d = new Driver();
    d.seg(0, isn, '', SYN); // data starts at 2^32 − 5
    d.seg(0, (isn + 11) >>> 0, all.subarray(10, 20)); // after the wrap, held
    d.seg(0, isn + 1, all.subarray(0, 10)); // spans the wrap
    d.seg(0, (isn + 21) >>> 0, all.subarray(20, 30), ACK | FIN);
    assert.equal(ascii(stream(d.rec, 0)), ascii(all));
    assert.deepEqual(d.rec.chunks.map((c) => c.offset), [0, 10, 20]);
    assert.equal(d.rec.ends[0].reason, 'fin');
  });

  test('a flow longer than 4 GiB keeps counting offsets (no packet or byte cap)', () => {
    // no history so the test moves no bytes: the same 64 KiB view is pushed again and again
    const d = new Driver({ historyBytes: 0 });
    const block = new Uint8Array(65536);
    const blocks = 2 ** 16 + 16; // 4 GiB + 1 MiB
    let chunks = 0;
    let lastOffset = -1;
    const sink = d.rec;
    sink.onData = (c) => {
      chunks++;
      lastOffset = c.offset;
      assert.equal(c.gapBefore, 0);
    };
    d.seg(0, 123456, '', SYN);
    let seq = 123457;
    for (let i = 0; i < blocks; i++) {
      d.seg(0, seq, block);
      seq = (seq + block.length) >>> 0;
    }
    assert.equal(chunks, blocks);
    assert.equal(lastOffset, (blocks - 1) * 65536);
    assert.equal(d.r.stats(0).bytes, blocks * 65536);
  });

  test('mid-stream start: the first segment with payload is offset 0; a bare ACK or keep-alive does not fix it', () => {
    const d = new Driver();
    d.seg(0, 776, '', ACK, 1); // bare ACK at seq − 1 (a keep-alive)
    d.seg(0, 777, 'first bytes seen');
    assert.deepEqual(d.rec.chunks.map((c) => [c.offset, c.gapBefore]), [[0, 0]]);
    assert.equal(d.text(0), 'first bytes seen');
  });

  test('SYN and FIN take one sequence number each; SYN data (TFO) is offset 0; data past the FIN is dropped', () => {
    const d = new Driver();
    d.seg(0, 1000, 'tfo', SYN).seg(0, 1004, 'more', ACK | FIN).seg(0, 1008, 'beyond');
    assert.equal(d.text(0), 'tfomore');
    assert.equal(d.rec.ends[0].reason, 'fin');
    assert.equal(d.r.stats(0).afterEndBytes, 6);
    const e = new Driver();
    e.seg(0, 1000, '', SYN).seg(0, 1001, 'ab', ACK | FIN).seg(0, 1001, 'abcdef');
    assert.equal(e.text(0), 'ab');
    // a FIN out of order waits for the bytes before it
    const f = new Driver();
    f.seg(0, 1000, '', SYN).seg(0, 1004, '', ACK | FIN).seg(0, 1001, 'abc');
    assert.deepEqual(f.rec.ends, [{ dir: 0, reason: 'fin', gapAtEnd: 0 }]);
    assert.equal(f.text(0), 'abc');
  });

  test('a retransmitted SYN does not move offsets', () => {
    const d = new Driver();
    d.seg(0, 1000, '', SYN).seg(0, 1001, 'abc').seg(0, 1000, '', SYN).seg(0, 1004, 'def');
    assert.deepEqual(d.rec.chunks.map((c) => c.offset), [0, 3]);
  });
});

describe('RST', () => {
  test("ends its sender's direction (held data flushed first); its payload is not stream data", () => {
    const d = handshake(new Driver());
    d.seg(1, 5001, 'resp').seg(1, 5011, 'held');
    d.seg(1, 5015, 'diagnostic', RST | ACK, 1001);
    assert.equal(d.text(1), 'respheld');
    assert.deepEqual(d.rec.ends, [{ dir: 1, reason: 'rst', gapAtEnd: 0 }]);
    assert.equal(d.r.stats(1).rstPayloadBytes, 10);
    d.seg(1, 5015, 'after');
    assert.equal(d.r.stats(1).afterEndBytes, 5);
    // the other direction carries on: its bytes were on the wire
    d.seg(0, 1001, 'still here').finish();
    assert.equal(d.text(0), 'still here');
    assert.deepEqual(d.rec.ends[1], { dir: 0, reason: 'end-of-capture', gapAtEnd: 0 });
  });

  test('an RST ahead of the last byte seen reports the bytes between as gapAtEnd', () => {
    const d = handshake(new Driver());
    d.seg(0, 1001, 'abc').seg(0, 1010, '', RST);
    assert.deepEqual(d.rec.ends, [{ dir: 0, reason: 'rst', gapAtEnd: 6 }]);
  });

  test('an RST before a direction started just ends it', () => {
    const d = new Driver();
    d.seg(0, 1000, '', SYN).seg(1, 0, '', RST | ACK, 1001);
    assert.deepEqual(d.rec.ends, [{ dir: 1, reason: 'rst', gapAtEnd: 0 }]);
  });
});

describe('memory bounds', () => {
  test('beyond the per-direction limit, held data is flushed with a gap; every byte after the hole is delivered', () => {
    const d = handshake(new Driver({ maxHeldBytes: 1000 }));
    const all = text(5000);
    // bytes 0..99 are never captured; 100..4999 arrive in 100-byte segments
    for (let o = 100; o < 5000; o += 100) d.seg(0, 1001 + o, all.subarray(o, o + 100));
    const s = d.r.stats(0);
    assert.ok(s.memoryFlushes > 0);
    assert.ok(s.heldPeak <= 1000, `held ${s.heldPeak}`);
    assert.equal(d.rec.chunks[0].offset, 100);
    assert.equal(d.rec.chunks[0].gapBefore, 100);
    d.finish();
    assert.equal(ascii(stream(d.rec, 0)), ascii(all.subarray(100)));
    assert.equal(s.gaps, 1);
  });

  test('a segment larger than the limit is delivered across the hole at once', () => {
    const d = handshake(new Driver({ maxHeldBytes: 100 }));
    d.seg(0, 1011, text(500));
    assert.deepEqual(d.rec.chunks.map((c) => [c.offset, c.gapBefore, c.data.length]), [[10, 10, 500]]);
  });

  test('a shared budget bounds several flows together', () => {
    const budget = new ReassemblyBudget(3000);
    const a = handshake(new Driver({ budget, historyBytes: 0 }));
    const b = handshake(new Driver({ budget, historyBytes: 0 }));
    // each held 100-byte segment costs 164: a holds 1640, so b runs out after 8 of its 10
    for (let o = 10; o < 1010; o += 100) a.seg(0, 1001 + o, text(100, o));
    for (let o = 10; o < 1010; o += 100) b.seg(0, 1001 + o, text(100, o));
    assert.equal(a.rec.chunks.length, 0);
    assert.equal(a.r.stats(0).memoryFlushes, 0);
    assert.ok(b.r.stats(0).memoryFlushes > 0);
    assert.equal(b.rec.chunks[0].gapBefore, 10);
    assert.ok(budget.used <= 3000);
    assert.ok(budget.refused > 0);
    a.finish();
    b.finish();
    assert.equal(ascii(stream(b.rec, 0)), ascii(text(1000, 10)));
    assert.equal(budget.used, 0, 'everything reserved is released');
  });

  test('a flow ending releases its history and held bytes from the budget', () => {
    const budget = new ReassemblyBudget(1 << 20);
    const d = handshake(new Driver({ budget }));
    d.seg(0, 1001, text(5000)).seg(0, 7001, text(10));
    assert.ok(budget.used > 0);
    d.finish();
    assert.equal(budget.used, 0);
  });
});
