/** pcapng parsing: sections, interfaces, packet block kinds, options and structural checks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CaptureFormatError } from '../../../common/capture/capture-types.js';
import {
  encodePcapngEnhancedPacketBlock,
  encodePcapngInterfaceBlock,
  encodePcapngSectionHeader,
} from '../../../common/capture/pcap-writer.js';
import { concatBytes, CORPUS_SKIP_REASON, corpusAvailable, parseInChunks, readCapture, readOracle } from './capture-test-helpers.js';
import {
  buildMixedPcapngFull,
  enhancedPacketBlockTicks,
  interfaceBlockWithOptions,
  rawBlock,
  simplePacketBlock,
} from './capture-fixtures.js';

const te = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'utf8'));

test('several sections (both byte orders) with interfaces of different link types and resolutions parse to the expected packets', () => {
  const { bytes, expected, interfaces } = buildMixedPcapngFull();
  for (const chunk of [1, 13, 1 << 16]) {
    const got = parseInChunks(bytes, chunk);
    assert.equal(got.error, null);
    assert.equal(got.consumed, bytes.length);
    assert.deepEqual(got.info, { format: 'pcapng', nanosecond: false, littleEndian: true, versionMajor: 1, versionMinor: 0 });
    assert.deepEqual(
      got.interfaces.map((i) => [i.section, i.localId, i.linkType, i.tsUnitsPerSecond, i.tsResolutionPow2, i.name]),
      interfaces,
    );
    assert.deepEqual(got.interfaces.map((i) => i.id), [0, 1, 2, 3, 4]);
    assert.deepEqual(
      got.records.map((r) => ({ interfaceId: r.interfaceId, linkType: r.linkType, time: r.time, capLen: r.capLen, origLen: r.origLen, blockType: r.blockType, data: r.data })),
      expected,
    );
    assert.deepEqual(got.records.map((r) => r.index), expected.map((_, i) => i));
    for (const r of got.records) {
      assert.deepEqual(bytes.subarray(r.dataOffset, r.dataOffset + r.capLen), r.data, 'dataOffset points at the packet bytes');
      const v = new DataView(bytes.buffer, bytes.byteOffset + r.recordOffset);
      const le = r.interfaceId !== 3; // only section 1 (interface 3) is big-endian
      assert.equal(v.getUint32(4, le), r.recordLength, 'recordOffset/recordLength frame the block');
    }
  }
});

test('interface name, description, if_tsresol and negative if_tsoffset options are applied', () => {
  const offset = new Uint8Array(8);
  new DataView(offset.buffer).setBigInt64(0, -3600n, true);
  const bytes = concatBytes([
    encodePcapngSectionHeader(),
    interfaceBlockWithOptions(1, 0, [
      [2, te('eth0')],
      [3, te('Uplink \u00e9\u4e2d')],
      [9, Uint8Array.of(3)],
      [14, offset],
      [0x2bac, te('unknown option skipped')],
    ]),
    enhancedPacketBlockTicks(0, 0, 1_000_000_500, new Uint8Array(4), 4),
  ]);
  const got = parseInChunks(bytes, 5);
  assert.equal(got.error, null);
  const i = got.interfaces[0];
  assert.equal(i.name, 'eth0');
  assert.equal(i.description, 'Uplink \u00e9\u4e2d');
  assert.equal(i.tsUnitsPerSecond, 1000);
  assert.equal(i.tsOffsetSec, -3600);
  assert.equal(got.records[0].time, '996400.500000000');
});

test('timestamps at or above 2^53 ns and after 2106 convert exactly', () => {
  // 2^63 - 1 ns.
  const bytes = concatBytes([
    encodePcapngSectionHeader(),
    encodePcapngInterfaceBlock({ linkType: 1, snapLen: 0, tsresol: 9 }),
    enhancedPacketBlockTicks(0, 0x7fffffff, 0xffffffff, new Uint8Array(0), 0),
    enhancedPacketBlockTicks(0, 0x3c0000, 0x00000001, new Uint8Array(0), 0),
  ]);
  const got = parseInChunks(bytes, 64);
  assert.deepEqual(got.records.map((r) => r.time), ['9223372036.854775807', '16888498.602639361']);
});

test('tcpdump__time_2107.pcapng (a packet after 2106) matches tshark', (t) => {
  if (!corpusAvailable()) {
    t.skip(CORPUS_SKIP_REASON);
    return;
  }
  const got = parseInChunks(readCapture('tcpdump__time_2107.pcapng'), 1);
  assert.deepEqual(got.records.map((r) => r.time), readOracle('tcpdump__time_2107.pcapng').map((o) => o.timeEpoch));
  assert.equal(got.records[0].time, '4323283200.000000000');
});

test('a simple packet block is cut to the snap length and has no timestamp', () => {
  const bytes = concatBytes([
    encodePcapngSectionHeader(),
    encodePcapngInterfaceBlock({ linkType: 1, snapLen: 8 }),
    simplePacketBlock(200, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)),
    simplePacketBlock(3, Uint8Array.of(1, 2, 3)), // padded to 4: capLen is the original 3
  ]);
  const got = parseInChunks(bytes, 1000);
  assert.equal(got.error, null);
  assert.deepEqual(got.records.map((r) => [r.capLen, r.origLen, r.time, r.blockType]), [
    [8, 200, '0.000000000', 3],
    [3, 3, '0.000000000', 3],
  ]);
});

function expectError(bytes: Uint8Array, re: RegExp, offset: number, packetsBefore = 0): void {
  for (const chunk of [1, 7, 4096]) {
    const got = parseInChunks(bytes, chunk);
    assert.ok(got.error instanceof CaptureFormatError, `expected ${re.source}`);
    assert.match(got.error.message, re);
    assert.equal(got.error.offset, offset, got.error.message);
    assert.equal(got.records.length, packetsBefore);
  }
}

test('structural damage is a CaptureFormatError at the block offset', () => {
  const shb = encodePcapngSectionHeader();
  const idb = encodePcapngInterfaceBlock({ linkType: 1, snapLen: 0 });
  const epb = encodePcapngEnhancedPacketBlock(0, 1, 0, 1e6, new Uint8Array(5), 5);
  const head = concatBytes([shb, idb, epb]);
  const at = head.length;

  const setU32 = (b: Uint8Array, o: number, v: number): Uint8Array => {
    const c = b.slice();
    new DataView(c.buffer).setUint32(o, v, true);
    return c;
  };
  expectError(concatBytes([head, setU32(epb, 4, 8)]), /block total length 8 is less than 12/, at, 1);
  expectError(concatBytes([head, setU32(epb, 4, 38)]), /block total length 38 is not a multiple of 4/, at, 1);
  expectError(concatBytes([head, setU32(epb, 4, 0x7ffffff0)]), /block total length 2147483632 exceeds limit of 67108864/, at, 1);
  expectError(concatBytes([head, setU32(epb, epb.length - 4, 44)]), /block trailing length 44 differs from block total length 40/, at, 1);
  expectError(concatBytes([head, setU32(epb, 8, 1)]), /packet references interface 1 but section 0 has 1/, at, 1);
  expectError(concatBytes([head, setU32(epb, 20, 9)]), /captured length 9 exceeds block room 8/, at, 1);
  expectError(concatBytes([head, encodePcapngSectionHeader(), epb]), /packet references interface 0 but section 1 has 0/, at + shb.length, 1);
  expectError(concatBytes([head, setU32(shb, 8, 0x12345678)]), /bad byte-order magic 0x12345678/, at + 8, 1);
  expectError(concatBytes([head, rawBlock(0x12345, new Uint8Array(40))]).subarray(0, at + 30), /truncated record: needs 52 bytes, 30 available/, at, 1);
  expectError(concatBytes([head, epb.subarray(0, 9)]), /truncated record: needs at least 12 bytes, 9 available/, at, 1);
  const badOption = interfaceBlockWithOptions(1, 0, [[2, te('eth0')]]);
  new DataView(badOption.buffer).setUint16(18, 400, true);
  expectError(concatBytes([shb, badOption]), /interface option 2 length 400 overruns its block/, shb.length + 16);
  const v2 = setU32(shb, 12, 2);
  expectError(v2, /unsupported pcapng version 2\.0/, 12);
});

test('NRB, ISB, DSB, custom and unknown blocks are skipped without affecting packet numbering', () => {
  const bytes = concatBytes([
    encodePcapngSectionHeader(),
    rawBlock(4, new Uint8Array(16)),
    encodePcapngInterfaceBlock({ linkType: 1, snapLen: 0 }),
    rawBlock(0x0a, new Uint8Array(9)),
    encodePcapngEnhancedPacketBlock(0, 5, 0, 1e6, Uint8Array.of(1), 1),
    rawBlock(5, new Uint8Array(20)),
    rawBlock(0x40000bad, new Uint8Array(7)),
    rawBlock(0x80000001, new Uint8Array(0)),
    encodePcapngEnhancedPacketBlock(0, 6, 0, 1e6, Uint8Array.of(2), 1),
  ]);
  const got = parseInChunks(bytes, 3);
  assert.equal(got.error, null);
  assert.deepEqual(got.records.map((r) => [r.index, r.time, r.data[0]]), [
    [0, '5.000000000', 1],
    [1, '6.000000000', 2],
  ]);
});
