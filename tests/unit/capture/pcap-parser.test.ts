/** Classic pcap parsing and the format sniffing in front of it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { CaptureFormatError } from '../../../common/capture/capture-types.js';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../../common/capture/pcap-writer.js';
import { concatBytes, parseInChunks } from './capture-test-helpers.js';

function record(sec: number, frac: number, data: Uint8Array, origLen: number, le = true): Uint8Array {
  const r = new Uint8Array(16 + data.length);
  writePcapRecordHeader(r, 0, sec, frac, data.length, origLen, le);
  r.set(data, 16);
  return r;
}

/** Kuznetzov modified pcap record: 24-byte header (ifindex, protocol, pkt_type, pad). */
function kuznetzovRecord(sec: number, usec: number, data: Uint8Array, le = true): Uint8Array {
  const r = new Uint8Array(24 + data.length);
  const v = new DataView(r.buffer);
  v.setUint32(0, sec, le);
  v.setUint32(4, usec, le);
  v.setUint32(8, data.length, le);
  v.setUint32(12, data.length, le);
  v.setUint32(16, 3, le);
  v.setUint16(20, 0x0800, le);
  r.set(data, 24);
  return r;
}

test('µs and ns magics are read in both byte orders with the right timestamps and file info', () => {
  const data = Uint8Array.of(1, 2, 3, 4, 5);
  for (const le of [true, false]) {
    for (const nanosecond of [false, true]) {
      const bytes = concatBytes([
        encodePcapGlobalHeader({ linkType: 228, snapLen: 1234, nanosecond, littleEndian: le }),
        record(1_600_000_000, nanosecond ? 123_456_789 : 123_456, data, 60, le),
      ]);
      const got = parseInChunks(bytes, 3);
      assert.equal(got.error, null);
      assert.deepEqual(got.info, { format: 'pcap', nanosecond, littleEndian: le, versionMajor: 2, versionMinor: 4 });
      assert.equal(got.interfaces.length, 1);
      assert.equal(got.interfaces[0].linkType, 228);
      assert.equal(got.interfaces[0].snapLen, 1234);
      assert.equal(got.interfaces[0].tsUnitsPerSecond, nanosecond ? 1e9 : 1e6);
      assert.equal(got.records.length, 1);
      const r = got.records[0];
      assert.equal(r.time, nanosecond ? '1600000000.123456789' : '1600000000.123456000');
      assert.equal(r.capLen, 5);
      assert.equal(r.origLen, 60);
      assert.equal(r.linkType, 228);
      assert.equal(r.blockType, 0);
      assert.deepEqual(r.data, data);
    }
  }
});

test('Kuznetzov modified pcap (a1b2cd34) uses 24-byte record headers', () => {
  const hdr = encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false });
  new DataView(hdr.buffer).setUint32(0, 0xa1b2cd34, true);
  const bytes = concatBytes([hdr, kuznetzovRecord(10, 20, Uint8Array.of(9, 8, 7)), kuznetzovRecord(11, 0, new Uint8Array(0))]);
  const got = parseInChunks(bytes, 5);
  assert.equal(got.error, null);
  assert.deepEqual(got.records.map((r) => [r.time, r.recordOffset, r.recordLength, r.dataOffset, r.capLen]), [
    ['10.000020000', 24, 27, 48, 3],
    ['11.000000000', 51, 24, 75, 0],
  ]);
  assert.deepEqual(got.records[0].data, Uint8Array.of(9, 8, 7));
});

test('a pcap with only its 24-byte global header is valid and has 0 packets', () => {
  const got = parseInChunks(encodePcapGlobalHeader({ linkType: 1, snapLen: 2000, nanosecond: false }), 24);
  assert.equal(got.error, null);
  assert.equal(got.records.length, 0);
  assert.equal(got.interfaces.length, 1);
  assert.equal(got.consumed, 24);
});

test('the link type is taken without the FCS bits of the LinkType field', () => {
  const bytes = encodePcapGlobalHeader({ linkType: 0x10000000 | 0x04000000 | 1, snapLen: 100, nanosecond: false });
  assert.equal(parseInChunks(bytes, 24).interfaces[0].linkType, 1);
});

test('an out-of-range fraction is carried into the seconds so tsNsec stays below 1e9', () => {
  const bytes = concatBytes([encodePcapGlobalHeader({ linkType: 1, snapLen: 100, nanosecond: false }), record(1000, 2_500_000, new Uint8Array(0), 0)]);
  assert.equal(parseInChunks(bytes, 100).records[0].time, '1002.500000000');
});

test('seconds are unsigned 32-bit (0xffffffff is 4294967295, not -1)', () => {
  const bytes = concatBytes([encodePcapGlobalHeader({ linkType: 1, snapLen: 100, nanosecond: true }), record(0xffffffff, 999_999_999, new Uint8Array(1), 1)]);
  assert.equal(parseInChunks(bytes, 100).records[0].time, '4294967295.999999999');
});

test('a capture length above 256 MiB is rejected with its value and the record offset', () => {
  const hdr = encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false });
  const good = record(1, 0, Uint8Array.of(1, 2), 2);
  const bad = new Uint8Array(16);
  writePcapRecordHeader(bad, 0, 1, 0, 0xffffff00, 10);
  for (const chunk of [1, 1000]) {
    const got = parseInChunks(concatBytes([hdr, good, bad]), chunk);
    assert.equal(got.records.length, 1);
    assert.ok(got.error instanceof CaptureFormatError);
    assert.equal(got.error.offset, 42);
    assert.equal(got.error.message, 'record length 4294967040 exceeds limit of 268435456 at byte offset 42');
  }
});

test('a file ending inside a record reports "truncated record: needs N bytes, M available" at the record offset', () => {
  const hdr = encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false });
  const bytes = concatBytes([hdr, record(1, 0, new Uint8Array(10), 10), record(2, 0, new Uint8Array(30), 30)]);
  const got = parseInChunks(bytes.subarray(0, bytes.length - 4), 4096);
  assert.equal(got.records.length, 1);
  assert.equal(got.consumed, 50);
  assert.equal(got.error?.message, 'truncated record: needs 46 bytes, 42 available at byte offset 50');
  const inHeader = parseInChunks(bytes.subarray(0, 55), 4096);
  assert.equal(inHeader.error?.message, 'truncated record header: needs 16 bytes, 5 available at byte offset 50');
});

test('an empty file is a CaptureFormatError "empty file" at offset 0', () => {
  const parser = createCaptureParser({ onFileInfo: () => undefined, onInterface: () => undefined, onPacket: () => undefined });
  assert.throws(() => parser.end(), (e: unknown) => e instanceof CaptureFormatError && e.offset === 0 && e.message === 'empty file at byte offset 0');
});

test('an unknown magic, a gzip magic and a file shorter than its header are "not a pcap or pcapng file" at offset 0', () => {
  const cases: [Uint8Array, RegExp][] = [
    [Uint8Array.of(0x50, 0x4b, 0x03, 0x04, 0, 0), /^not a pcap or pcapng file \(magic 0x504b0304\) at byte offset 0$/],
    [Uint8Array.of(0x1f, 0x8b, 0x08, 0x00), /^not a pcap or pcapng file \(magic 0x1f8b0800, gzip-compressed/],
    [Uint8Array.of(0xd4, 0xc3), /^not a pcap or pcapng file \(magic 0xd4c3: only 2 bytes\)/],
    [Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0), /^not a pcap or pcapng file: only 10 bytes, shorter than the 24-byte pcap header/],
    [Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0), /^not a pcap or pcapng file: only 8 bytes, shorter than the pcapng section header/],
  ];
  for (const [bytes, re] of cases) {
    for (const chunk of [1, 64]) {
      const got = parseInChunks(bytes, chunk);
      assert.ok(got.error instanceof CaptureFormatError, re.source);
      assert.equal(got.error.offset, 0);
      assert.match(got.error.message, re);
    }
  }
});

test('a parser that failed keeps throwing the same error and a sink exception propagates unchanged', () => {
  const parser = createCaptureParser({ onFileInfo: () => undefined, onInterface: () => undefined, onPacket: () => undefined });
  assert.throws(() => parser.push(Uint8Array.of(1, 2, 3, 4)), CaptureFormatError);
  assert.throws(() => parser.push(Uint8Array.of(1)), /magic 0x01020304/);
  const boom = new Error('sink failed');
  const p2 = createCaptureParser({
    onFileInfo: () => undefined,
    onInterface: () => undefined,
    onPacket: () => {
      throw boom;
    },
  });
  const bytes = concatBytes([encodePcapGlobalHeader({ linkType: 1, snapLen: 100, nanosecond: false }), record(1, 0, new Uint8Array(1), 1)]);
  assert.throws(() => p2.push(bytes), (e: unknown) => e === boom);
  assert.throws(() => p2.end(), (e: unknown) => e === boom);
});

test('the pushed chunk is not referenced after push returns: overwriting it does not change a later record', () => {
  const hdr = encodePcapGlobalHeader({ linkType: 1, snapLen: 100, nanosecond: false });
  const bytes = concatBytes([hdr, record(1, 0, Uint8Array.of(1, 2, 3, 4, 5, 6), 6)]);
  const seen: number[][] = [];
  const parser = createCaptureParser({ onFileInfo: () => undefined, onInterface: () => undefined, onPacket: (r) => seen.push([...r.data]) });
  const chunk = new Uint8Array(bytes.subarray(0, 43)); // stops inside the packet's data
  parser.push(chunk);
  chunk.fill(0xee);
  parser.push(bytes.subarray(43));
  parser.end();
  assert.deepEqual(seen, [[1, 2, 3, 4, 5, 6]]);
});
