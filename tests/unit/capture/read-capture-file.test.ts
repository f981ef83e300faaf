/** The Node file reader: chunked reads, gzip, returned (not thrown) format errors, resume, abort, sniffing. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readCaptureFile, sniffCaptureFile } from '../../../node/capture/read-capture-file.js';
import { CaptureFormatError } from '../../../common/capture/capture-types.js';
import type { CaptureSink } from '../../../common/capture/capture-types.js';
import { copyRecord, parseInChunks } from './capture-test-helpers.js';
import type { RecordCopy } from './capture-test-helpers.js';
import { buildMixedPcapng, buildPcap } from './capture-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'tapline-read-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

function collector(): { sink: CaptureSink; records: RecordCopy[]; interfaces: number } {
  const c = {
    records: [] as RecordCopy[],
    interfaces: 0,
    sink: {
      onFileInfo: () => undefined,
      onInterface: () => {
        c.interfaces++;
      },
      onPacket: (r) => {
        c.records.push(copyRecord(r));
      },
    } as CaptureSink,
  };
  return c;
}

const pcap = buildPcap({ packets: 500, seed: 21 });
const pcapng = buildMixedPcapng();

test('reading a file in small reused chunks delivers the same records as parsing it whole', async () => {
  for (const [name, bytes] of [['a.pcap', pcap], ['a.pcapng', pcapng]] as const) {
    const path = file(name, bytes);
    const expected = parseInChunks(bytes, bytes.length).records;
    for (const chunkSize of [7, 333, 1 << 22]) {
      const c = collector();
      const res = await readCaptureFile(path, c.sink, { chunkSize });
      assert.deepEqual(res, { bytesRead: bytes.length, consumed: bytes.length, packets: expected.length, error: null, compressed: null });
      assert.deepEqual(c.records, expected, `${name} chunk ${chunkSize}`);
    }
  }
});

test('reading ahead into the second buffer never changes the bytes of a record being delivered', async () => {
  // Many chunk sizes around the record size: records in place, straddling, and whole chunks.
  const bytes = buildPcap({ packets: 300, seed: 33 });
  const path = file('ahead.pcap', bytes);
  for (const chunkSize of [61, 512, 1500, 4096, 65536]) {
    let n = 0;
    const res = await readCaptureFile(path, {
      onFileInfo: () => undefined,
      onInterface: () => undefined,
      onPacket: (r) => {
        n++;
        const expected = bytes.subarray(r.dataOffset, r.dataOffset + r.capLen);
        assert.deepEqual(r.buffer.subarray(r.bufferOffset, r.bufferOffset + r.capLen), expected, `chunk ${chunkSize} #${r.index}`);
        assert.deepEqual(r.data, expected);
      },
    }, { chunkSize });
    assert.equal(res.packets, 300);
    assert.equal(n, 300);
    assert.equal(res.error, null);
  }
});

test('a format error is returned, not thrown, after every earlier record was delivered', async () => {
  const cut = pcap.subarray(0, pcap.length - 7);
  const c = collector();
  const res = await readCaptureFile(file('cut.pcap', cut), c.sink, { chunkSize: 1000 });
  assert.ok(res.error instanceof CaptureFormatError);
  assert.match(res.error.message, /^truncated record: needs \d+ bytes, \d+ available/);
  assert.equal(res.packets, 499);
  assert.equal(c.records.length, 499);
  assert.equal(res.consumed, res.error.offset);
  const empty = await readCaptureFile(file('empty.pcap', new Uint8Array(0)), collector().sink);
  assert.equal(empty.error?.message, 'empty file at byte offset 0');
  const junk = await readCaptureFile(file('junk.bin', Uint8Array.of(1, 2, 3, 4, 5)), collector().sink);
  assert.match(junk.error?.message ?? '', /not a pcap or pcapng file \(magic 0x01020304\)/);
});

test('gzip-compressed captures are decompressed transparently with offsets in the decompressed stream', async () => {
  for (const [name, bytes] of [['z.pcap.gz', pcap], ['z.pcapng.gz', pcapng]] as const) {
    const gz = gzipSync(bytes);
    const c = collector();
    const progress: number[] = [];
    const res = await readCaptureFile(file(name, gz), c.sink, { chunkSize: 1024, onProgress: (n, total) => progress.push(n / total) });
    assert.equal(res.compressed, 'gzip');
    assert.equal(res.error, null);
    assert.equal(res.bytesRead, gz.length);
    assert.equal(res.consumed, bytes.length);
    assert.deepEqual(c.records, parseInChunks(bytes, bytes.length).records);
    assert.equal(progress.at(-1), 1);
  }
  const c = collector();
  const truncatedGz = gzipSync(pcap).subarray(0, 3000);
  const res = await readCaptureFile(file('t.pcap.gz', truncatedGz), c.sink, { chunkSize: 512 });
  assert.ok(res.error instanceof CaptureFormatError, 'cut gzip stream is a format error');
  assert.equal(res.compressed, 'gzip');
  assert.ok(c.records.length > 0 && c.records.length < 500);
});

test('start resumes at a record boundary: earlier packets are not delivered, indices stay file-absolute', async () => {
  const path = file('resume.pcap', pcap);
  const all = parseInChunks(pcap, pcap.length).records;
  const c = collector();
  const res = await readCaptureFile(path, c.sink, { start: all[200].recordOffset, chunkSize: 4096 });
  assert.equal(res.packets, 300);
  assert.equal(c.interfaces, 1);
  assert.deepEqual(c.records, all.slice(200));
});

test('onProgress reports cumulative bytes up to the file size and an abort signal rejects', async () => {
  const path = file('progress.pcap', pcap);
  const seen: [number, number][] = [];
  await readCaptureFile(path, collector().sink, { chunkSize: 4096, onProgress: (a, b) => seen.push([a, b]) });
  assert.equal(seen.length, Math.ceil(pcap.length / 4096));
  assert.deepEqual(seen.at(-1), [pcap.length, pcap.length]);
  const ac = new AbortController();
  let n = 0;
  await assert.rejects(
    readCaptureFile(path, collector().sink, {
      chunkSize: 1024,
      signal: ac.signal,
      onProgress: () => {
        if (++n === 3) ac.abort();
      },
    }),
    { name: 'AbortError' },
  );
});

test('a sink exception rejects the read instead of being reported as a format error', async () => {
  const boom = new Error('sink broke');
  const sink: CaptureSink = { onFileInfo: () => undefined, onInterface: () => undefined, onPacket: () => { throw boom; } };
  await assert.rejects(readCaptureFile(file('sink.pcap', pcap), sink), (e: unknown) => e === boom);
});

test('sniffCaptureFile identifies pcap, pcapng, gzip-compressed and non-capture files from their first bytes', async () => {
  const a = await sniffCaptureFile(file('s.pcap', pcap));
  assert.equal(a.format, 'pcap');
  assert.equal(a.compressed, null);
  assert.equal(a.linkType, 1);
  assert.equal(a.info?.nanosecond, false);
  const b = await sniffCaptureFile(file('s.pcapng.gz', gzipSync(pcapng)));
  assert.equal(b.format, 'pcapng');
  assert.equal(b.compressed, 'gzip');
  assert.deepEqual(b.interfaces.map((i) => i.linkType), [1, 101, 113, 276, 1]);
  const c = await sniffCaptureFile(file('s.txt', Uint8Array.from(Buffer.from('hello world'))));
  assert.equal(c.format, null);
  assert.equal(c.linkType, null);
  const d = await sniffCaptureFile(file('s0.pcap', new Uint8Array(0)));
  assert.equal(d.format, null);
  assert.equal(d.fileSize, 0);
});
