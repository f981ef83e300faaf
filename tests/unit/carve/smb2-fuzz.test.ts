/**
 * Property-based fuzzing (fast-check, fixed seed, bounded runs) of the SMB2 carver: random bytes
 * and mutated valid sessions (flipped, inserted and cut bytes; lengths, offsets and FileIds
 * corrupted), cut into random pieces with random gaps. Properties: no exception, every started
 * file ends exactly once, carved bytes never exceed the input, issue list bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Smb2Carver } from '../../../common/carve/smb/smb2-carver.js';
import { CollectingSink } from './carve-test-helpers.js';
import { WRITE, closeReq, compound, content, createReq, createResp, fid, header, nb, readReq, readResp, treeConnect, writeReq } from './smb2-session.js';

const body = content(5000, 7);
const [tcReq, tcResp] = treeConnect(2, '\\\\srv\\share');
const SESSION: [0 | 1, Buffer][] = [
  [0, tcReq],
  [1, tcResp],
  [0, nb(createReq(3, 'a\\b.txt'))],
  [1, nb(createResp(3, fid(1), body.length))],
  [0, Buffer.concat([readReq(4, fid(1), 0, 3000), readReq(5, fid(1), 3000, 3000)])],
  [1, Buffer.concat([readResp(5, body.subarray(3000)), readResp(4, body.subarray(0, 3000))])],
  [0, compound(createReq(6, 'up.bin'), writeReq(7, Buffer.alloc(16, 0xff), 0, body.subarray(0, 700), true))],
  [1, compound(createResp(6, fid(2), 0), Buffer.concat([header(WRITE, 7, { response: true }), Buffer.alloc(16)]))],
  [0, closeReq(8, fid(1))],
];

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 30 }) }),
);

function mutate(b: Buffer, ms: { op: string; at: number; byte?: number; bytes?: Uint8Array; len?: number }[]): Buffer {
  let out = b;
  for (const m of ms) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.op === 'flip') {
      out = Buffer.from(out);
      if (at < out.length) out[at] = m.byte ?? 0;
    } else if (m.op === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes ?? []), out.subarray(at)]);
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at + (m.len ?? 1))]);
  }
  return out;
}

test('fuzz: SMB2 carver on random and mutated sessions', () =>
  fc.assert(
    fc.property(
      fc.record({
        steps: fc.oneof(
          fc.array(fc.tuple(fc.constantFrom(0 as const, 1 as const), fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.concat([Buffer.from([0, 0, 0, 100, 0xfe, 0x53, 0x4d, 0x42]), Buffer.from(u)]))), { maxLength: 8 }),
          fc.array(fc.tuple(fc.nat({ max: SESSION.length - 1 }), fc.array(mutation, { maxLength: 4 })), { maxLength: 6 }).map((ms) => SESSION.map(([d, b], i) => [d, mutate(b, ms.filter(([k]) => k === i).flatMap(([, m]) => m))] as [0 | 1, Buffer])),
        ),
        piece: fc.integer({ min: 1, max: 2000 }),
        gaps: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 10 }),
      }),
      (c) => {
        const sink = new CollectingSink();
        const carver = new Smb2Carver(sink);
        const offset = [0, 0];
        let packet = 0;
        let input = 0;
        c.steps.forEach(([dir, data], i) => {
          input += data.length;
          let gap = c.gaps[i] === 3 ? 100 : 0;
          offset[dir] += gap;
          for (let k = 0; k < data.length; k += c.piece) {
            const part = data.subarray(k, k + c.piece);
            carver.onData({ dir, offset: offset[dir], data: part, gapBefore: gap, tsSec: packet, tsNsec: 0, packet: packet++ });
            offset[dir] += part.length;
            gap = 0;
          }
        });
        carver.onEnd(0);
        carver.onEnd(1);
        const files = sink.list();
        assert.ok(files.every((f) => f.end !== null), 'every started file ended');
        assert.ok(files.reduce((n, f) => n + f.bytes.length, 0) <= input);
        assert.ok(carver.issues.length <= 32);
      },
    ),
    { seed: 21, numRuns: 400 },
  ));

test('the unmutated fuzz session carves its two files (the fuzz starts from a session that works)', () => {
  const sink = new CollectingSink();
  const carver = new Smb2Carver(sink);
  const off = [0, 0];
  SESSION.forEach(([dir, data], i) => {
    carver.onData({ dir, offset: off[dir], data, gapBefore: 0, tsSec: i, tsNsec: 0, packet: i });
    off[dir] += data.length;
  });
  carver.onEnd(0);
  carver.onEnd(1);
  const [r, u] = sink.list();
  assert.ok(r.bytes.equals(body));
  assert.ok(u.bytes.equals(body.subarray(0, 700)));
});
