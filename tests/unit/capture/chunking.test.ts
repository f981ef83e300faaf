/**
 * Streaming invariants: the chunk size never changes what is delivered, records inside a chunk
 * are not copied, and pcap records are exactly the file's bytes at [recordOffset, +recordLength).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { CaptureFormatError } from '../../../common/capture/capture-types.js';
import {
  CORPUS_SKIP_REASON,
  corpusAvailable,
  corpusCaptures,
  parseInChunks,
  readCapture,
} from './capture-test-helpers.js';
import { buildMixedPcapng, buildPcap } from './capture-fixtures.js';

const CHUNK_SIZES = [1, 7, 64 * 1024];

function assertSameOutcome(label: string, bytes: Uint8Array): void {
  const whole = parseInChunks(bytes, Math.max(bytes.length, 1));
  for (const size of CHUNK_SIZES) {
    const got = parseInChunks(bytes, size);
    assert.deepEqual(got.records, whole.records, `${label}: records with ${size}-byte chunks`);
    assert.deepEqual(got.interfaces, whole.interfaces, `${label}: interfaces with ${size}-byte chunks`);
    assert.deepEqual(got.info, whole.info, `${label}: file info with ${size}-byte chunks`);
    assert.equal(got.consumed, whole.consumed, `${label}: consumed with ${size}-byte chunks`);
    assert.equal(got.error?.message, whole.error?.message, `${label}: error with ${size}-byte chunks`);
  }
}

test('1-byte, 7-byte and 64 KiB chunks give identical records, interfaces, consumed and errors on every corpus capture', (t) => {
  if (!corpusAvailable()) {
    t.skip(CORPUS_SKIP_REASON);
    return;
  }
  for (const name of corpusCaptures()) assertSameOutcome(name, readCapture(name));
});

test('chunk size does not change results for synthetic pcap, big-endian pcap, multi-section pcapng and truncated files', () => {
  const pcap = buildPcap({ packets: 40, seed: 1 });
  const pcapBe = buildPcap({ packets: 40, seed: 2, littleEndian: false, nanosecond: true });
  const ng = buildMixedPcapng();
  for (const [label, bytes] of [['pcap', pcap], ['pcap-be-ns', pcapBe], ['pcapng', ng]] as const) {
    assertSameOutcome(label, bytes);
    assertSameOutcome(`${label} cut`, bytes.subarray(0, bytes.length - 5));
    assertSameOutcome(`${label} cut in header`, bytes.subarray(0, 10));
  }
});

test('pcap record bytes [recordOffset, recordOffset+recordLength) are the original 16-byte header plus data', (t) => {
  const files: [string, Uint8Array][] = [['synthetic', buildPcap({ packets: 25, seed: 3 })]];
  if (corpusAvailable()) {
    for (const name of corpusCaptures()) if (name.endsWith('.pcap')) files.push([name, readCapture(name)]);
  } else {
    t.diagnostic(CORPUS_SKIP_REASON);
  }
  for (const [name, bytes] of files) {
    const got = parseInChunks(bytes, 7);
    let expectedOffset = 24;
    for (const r of got.records) {
      assert.equal(r.recordOffset, expectedOffset, `${name}: records are contiguous`);
      assert.equal(r.recordLength, 16 + r.capLen, `${name}: record length`);
      assert.equal(r.dataOffset, r.recordOffset + 16, `${name}: data offset`);
      const v = new DataView(bytes.buffer, bytes.byteOffset + r.recordOffset, 16);
      const le = got.info?.littleEndian ?? true;
      assert.equal(v.getUint32(8, le), r.capLen, `${name}: header caplen`);
      assert.equal(v.getUint32(12, le), r.origLen, `${name}: header len`);
      assert.deepEqual(r.data, bytes.subarray(r.dataOffset, r.dataOffset + r.capLen), `${name}: data bytes`);
      expectedOffset += r.recordLength;
    }
  }
});

test('records wholly inside a pushed chunk are delivered as views of that chunk (data and buffer/bufferOffset), not copies', () => {
  const bytes = buildPcap({ packets: 10, seed: 4 });
  let views = 0;
  const parser = createCaptureParser({
    onFileInfo: () => undefined,
    onInterface: () => undefined,
    onPacket: (r) => {
      assert.equal(r.buffer?.buffer, bytes.buffer);
      assert.equal((r.buffer?.byteOffset ?? 0) + (r.bufferOffset ?? 0), r.dataOffset);
      if (r.data.buffer === bytes.buffer && r.data.byteOffset === r.dataOffset) views++;
    },
  });
  parser.push(bytes);
  parser.end();
  assert.equal(views, 10);
});

test('consumed is the offset after the last complete record while a record is still incomplete', () => {
  const bytes = buildPcap({ packets: 3, seed: 5 });
  const parser = createCaptureParser({ onFileInfo: () => undefined, onInterface: () => undefined, onPacket: () => undefined });
  const full = parseInChunks(bytes, bytes.length).records;
  parser.push(bytes.subarray(0, 3));
  assert.equal(parser.consumed, 0);
  parser.push(bytes.subarray(3, full[1].recordOffset + 5));
  assert.equal(parser.consumed, full[1].recordOffset);
  parser.push(bytes.subarray(full[1].recordOffset + 5));
  assert.equal(parser.consumed, bytes.length);
  parser.end();
});

test('records from a pushed Node Buffer are plain Uint8Array views, so data.slice() copies', () => {
  const bytes = Buffer.from(buildPcap({ packets: 2, seed: 6 }));
  const copies: Uint8Array[] = [];
  const parser = createCaptureParser({
    onFileInfo: () => undefined,
    onInterface: () => undefined,
    onPacket: (r) => {
      assert.equal(Object.getPrototypeOf(r.data), Uint8Array.prototype);
      copies.push(r.data.slice());
    },
  });
  parser.push(bytes);
  parser.end();
  const before = copies.map((c) => [...c]);
  bytes.fill(0);
  assert.deepEqual(copies.map((c) => [...c]), before);
});

test('parser.packets counts the records handed to onPacket, whatever the chunking and also after a format error', () => {
  const pcapBytes = buildPcap({ packets: 40, seed: 8 });
  const cases: [string, Uint8Array][] = [
    ['pcap', pcapBytes],
    ['pcapng', buildMixedPcapng()],
    ['cut pcap', pcapBytes.subarray(0, pcapBytes.length - 5)],
  ];
  for (const [label, bytes] of cases) {
    for (const chunk of [1, 13, bytes.length]) {
      let seen = 0;
      const parser = createCaptureParser({ onFileInfo: () => undefined, onInterface: () => undefined, onPacket: () => void seen++ });
      assert.equal(parser.packets, 0);
      try {
        for (let at = 0; at < bytes.length; at += chunk) {
          parser.push(bytes.subarray(at, at + chunk));
          assert.equal(parser.packets, seen, `${label} chunk ${chunk} at ${at}`);
        }
        parser.end();
      } catch (e) {
        assert.ok(e instanceof CaptureFormatError, String(e));
      }
      assert.ok(seen > 0, label);
      assert.equal(parser.packets, seen, `${label} chunk ${chunk}`);
    }
  }
});

test('buffer/bufferOffset always address the record bytes, also for records assembled across chunks', () => {
  for (const bytes of [buildPcap({ packets: 30, seed: 9 }), buildMixedPcapng()]) {
    for (const chunk of [5, 100, bytes.length]) {
      let n = 0;
      const parser = createCaptureParser({
        onFileInfo: () => undefined,
        onInterface: () => undefined,
        onPacket: (r) => {
          n++;
          assert.ok(r.bufferOffset >= 0 && r.bufferOffset + r.capLen <= r.buffer.length);
          assert.deepEqual(r.buffer.subarray(r.bufferOffset, r.bufferOffset + r.capLen), bytes.subarray(r.dataOffset, r.dataOffset + r.capLen));
        },
      });
      for (let at = 0; at < bytes.length; at += chunk) parser.push(bytes.slice(at, at + chunk));
      parser.end();
      assert.ok(n > 0);
    }
  }
});
