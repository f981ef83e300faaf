/** Content decoding with bomb caps, the content-addressed file store, and carving a payload end to end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import type { StreamSink } from '../../../common/reassembly/stream-types.js';
import type { CarvedFileRecord } from '../../../common/carve/carved-record.js';
import { decodeFile, DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../../../node/carve/content-decoder.js';
import { carvePayload } from '../../../node/carve/carve-flow.js';
import { FileStore } from '../../../node/carve/file-store.js';
import { request, response } from './carve-test-helpers.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function tempDir(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-carve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function decode(dir: string, encoded: Uint8Array, codings: string[], limits: DecodeLimits = DEFAULT_DECODE_LIMITS) {
  const p = join(dir, `in-${Math.random()}`);
  writeFileSync(p, encoded);
  const out: Buffer[] = [];
  const outcome = await decodeFile(p, encoded.length, codings, { write: (c) => out.push(Buffer.from(c)), reset: () => void out.splice(0) }, limits);
  return { outcome, out: Buffer.concat(out) };
}

const TEXT = Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(200));

test('gzip, x-gzip, deflate (zlib-wrapped and raw), br and stacked codings decode', async (t) => {
  const dir = tempDir(t);
  const cases: [string, Uint8Array, string[]][] = [
    ['gzip', gzipSync(TEXT), ['gzip']],
    ['x-gzip', gzipSync(TEXT), ['x-gzip']],
    ['deflate (zlib)', deflateSync(TEXT), ['deflate']],
    ['deflate (raw, as many servers send it)', deflateRawSync(TEXT), ['deflate']],
    ['br', brotliCompressSync(TEXT), ['br']],
    ['gzip, gzip', gzipSync(gzipSync(TEXT)), ['gzip', 'gzip']],
    ['deflate then gzip', gzipSync(deflateRawSync(TEXT)), ['deflate', 'gzip']],
    ['gzip then br', brotliCompressSync(gzipSync(TEXT)), ['gzip', 'br']],
    ['two gzip members', Buffer.concat([gzipSync(TEXT.subarray(0, 100)), gzipSync(TEXT.subarray(100))]), ['gzip']],
  ];
  for (const [what, enc, codings] of cases) {
    const { outcome, out } = await decode(dir, enc, codings);
    assert.equal(outcome.status, 'decoded', what);
    assert.equal(sha(out), sha(TEXT), what);
  }
});

test('truncated input decodes as far as it goes; garbage fails; unknown codings are unsupported', async (t) => {
  const dir = tempDir(t);
  const gz = gzipSync(TEXT);
  const cut = await decode(dir, gz.subarray(0, Math.floor(gz.length / 2)), ['gzip']);
  assert.ok(cut.out.length > 0 && TEXT.subarray(0, cut.out.length).equals(cut.out), 'a true prefix of the original');
  // node:zlib rejects garbage after a gzip member; browsers ignore it, and so do we
  const trailing = await decode(dir, Buffer.concat([gz, Buffer.alloc(100, 0xff)]), ['gzip']);
  assert.equal(trailing.outcome.status, 'decoded');
  assert.ok(trailing.outcome.status === 'decoded' && trailing.outcome.trailing === 100);
  assert.equal(sha(trailing.out), sha(TEXT));
  const junk = await decode(dir, Buffer.from('definitely not gzip data'), ['gzip']);
  assert.equal(junk.outcome.status, 'failed');
  const unk = await decode(dir, Buffer.from('x'), ['compress']);
  assert.equal(unk.outcome.status, 'unsupported');
  const zstd = await decode(dir, Buffer.from('x'), ['gzip', 'zstd']);
  assert.equal(zstd.outcome.status, 'unsupported');
});

test('decompression bombs stop at the ratio or size cap', async (t) => {
  const dir = tempDir(t);
  const zeros = Buffer.alloc(64 * 1024 * 1024);
  const nested = gzipSync(gzipSync(zeros)); // a few hundred bytes for 64 MiB
  const r = await decode(dir, nested, ['gzip', 'gzip']);
  assert.equal(r.outcome.status, 'capped');
  assert.ok(r.outcome.size <= Math.max(DEFAULT_DECODE_LIMITS.ratioFloor, nested.length * 1000));
  const sized = await decode(dir, gzipSync(Buffer.alloc(3 * 1024 * 1024, 7)), ['gzip'], { maxOutput: 1024 * 1024, maxRatio: 1e9, ratioFloor: 0 });
  assert.equal(sized.outcome.status, 'capped');
  assert.match(sized.outcome.status === 'capped' ? sized.outcome.error : '', /exceeds 1048576 bytes/);
});

test('the file store places content by sha256, deduplicates, and round-trips flow records', async (t) => {
  const dir = tempDir(t);
  // a spool file left by a dead process is cleared on open; ours are not
  const files = FileStore.open(dir);
  writeFileSync(join(dir, 'files', '.spool', '999999999-dead-0'), 'stale');
  FileStore.open(dir);
  assert.deepEqual(readdirSync(join(dir, 'files', '.spool')), []);
  const a = files.newSpool();
  a.write(Buffer.from('hello '));
  a.write(Buffer.from('world'));
  const placed = await files.place(a.finish());
  assert.equal(placed.sha256, sha(Buffer.from('hello world')));
  assert.equal(placed.md5, createHash('md5').update('hello world').digest('hex'));
  assert.equal(placed.sha1, createHash('sha1').update('hello world').digest('hex'));
  assert.equal(placed.path, join(dir, 'files', 'content', placed.sha256));
  assert.equal(placed.existed, false);
  const b = files.newSpool();
  b.write(Buffer.from('hello world'));
  const again = await files.place(b.finish());
  assert.equal(again.existed, true);
  assert.deepEqual(readdirSync(join(dir, 'files', '.spool')), [], 'the duplicate spool is removed');
  assert.equal(await files.readFlowRecords('0123456789ab-1'), null, 'never carved');
  assert.throws(() => files.flowRecordsPath('../../etc'), /not a flow id/);
});

/** A payload feed from (direction, bytes) steps, ending both directions with a FIN. */
function feed(steps: [0 | 1, string | Uint8Array][]): (sink: StreamSink) => Promise<void> {
  return async (sink) => {
    const off = [0, 0];
    steps.forEach(([dir, d], i) => {
      const data = typeof d === 'string' ? Buffer.from(d, 'latin1') : d;
      sink.onData({ dir, offset: off[dir], data, gapBefore: 0, tsSec: 1700000000 + i, tsNsec: 123, packet: i });
      off[dir] += data.length;
    });
    sink.onEnd(0, 'fin', 0);
    sink.onEnd(1, 'fin', 0);
  };
}

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6300010000050001' + '0d0a2db40000000049454e44ae426082', 'hex');

test('carving a payload: decoded and encoded records linked, magic types, names, times, saved records', async (t) => {
  const dir = tempDir(t);
  const files = FileStore.open(dir);
  const gz = gzipSync(TEXT);
  const res = await carvePayload(
    files,
    'abcdef012345-7',
    feed([
      [0, request('GET /docs/readme.txt HTTP/1.1', { Host: 'files.example', 'User-Agent': 'curl/8' }) + request('GET /img/..%2f..%2fpixel.png HTTP/1.1', { Host: 'files.example' })],
      [1, Buffer.concat([Buffer.from(response('200 OK', { 'Content-Encoding': 'gzip', 'Content-Type': 'text/plain', 'Content-Length': String(gz.length) }), 'latin1'), gz])],
      [1, Buffer.concat([Buffer.from(response('200 OK', { 'Content-Type': 'image/png', 'Content-Length': String(PNG.length) }), 'latin1'), PNG])],
    ]),
  );
  assert.equal(res.http, true);
  const [decoded, encoded, png] = [
    res.files.find((f) => f.content === 'decoded'),
    res.files.find((f) => f.content === 'encoded'),
    res.files.find((f) => f.content === 'identity'),
  ] as CarvedFileRecord[];
  assert.equal(res.files.length, 3);
  assert.equal(decoded.sha256, sha(TEXT));
  assert.equal(decoded.size, TEXT.length);
  assert.equal(decoded.mime, 'text/plain');
  assert.equal(decoded.mimeSource, 'text');
  assert.equal(decoded.declaredType, 'text/plain');
  assert.deepEqual(decoded.encoding, { codings: ['gzip'], status: 'decoded', note: null });
  assert.equal(decoded.originalId, encoded.id);
  assert.equal(encoded.decodedId, decoded.id);
  assert.equal(encoded.sha256, sha(gz));
  assert.equal(encoded.mime, 'application/gzip');
  assert.equal(decoded.name, 'readme.txt');
  assert.equal(decoded.url, 'http://files.example/docs/readme.txt');
  assert.equal(decoded.userAgent, 'curl/8');
  assert.equal(decoded.method, 'GET');
  assert.equal(decoded.status, 200);
  assert.equal(decoded.direction, 'download');
  assert.equal(decoded.firstTs, '1700000001.000000123');
  assert.equal(decoded.flowId, 'abcdef012345-7');
  assert.equal(png.mime, 'image/png');
  assert.equal(png.mimeSource, 'magic');
  assert.equal(png.name, 'pixel.png', 'a %2f-encoded path in the URL does not survive as a path');
  for (const r of res.files) assert.ok(existsSync(join(dir, 'files', 'content', r.sha256)));
  assert.deepEqual(readFileSync(join(dir, 'files', 'content', decoded.sha256)), TEXT);
  assert.deepEqual(await files.readFlowRecords('abcdef012345-7'), res.files);
  assert.deepEqual(await files.carvedFlows(), ['abcdef012345-7']);
  // carving again replaces the records instead of appending duplicates
  const again = await carvePayload(files, 'abcdef012345-7', feed([[0, 'GET / HTTP/1.1\r\n\r\n']]));
  assert.deepEqual(again.files, []);
  assert.deepEqual(await files.readFlowRecords('abcdef012345-7'), []);
});

test('a bomb keeps only its encoded original, flagged; a broken stream keeps its decoded prefix flagged incomplete', async (t) => {
  const dir = tempDir(t);
  const files = FileStore.open(dir);
  const bomb = gzipSync(gzipSync(Buffer.alloc(32 * 1024 * 1024)));
  const gz = gzipSync(TEXT);
  // corrupt in the middle of the deflate data: what decodes before the damage is kept
  const big = gzipSync(Buffer.from(Array.from({ length: 20000 }, (_, i) => `line ${i} ${(i * 7919) % 1000}\n`).join('')));
  const broken = Buffer.concat([big.subarray(0, 20000), Buffer.alloc(64, 0xff), big.subarray(20064)]);
  const res = await carvePayload(
    files,
    'abcdef012345-8',
    feed([
      [0, request('GET /bomb HTTP/1.1', { Host: 'h' }) + request('GET /broken HTTP/1.1', { Host: 'h' })],
      [1, Buffer.concat([Buffer.from(response('200 OK', { 'Content-Encoding': 'gzip, gzip', 'Content-Length': String(bomb.length) }), 'latin1'), bomb])],
      [1, Buffer.concat([Buffer.from(response('200 OK', { 'Content-Encoding': 'gzip', 'Content-Length': String(broken.length) }), 'latin1'), broken])],
    ]),
  );
  const bombRecs = res.files.filter((f) => f.url === 'http://h/bomb');
  assert.equal(bombRecs.length, 1);
  assert.equal(bombRecs[0].content, 'encoded');
  assert.equal(bombRecs[0].encoding.status, 'capped');
  assert.equal(bombRecs[0].sha256, sha(bomb));
  const brokenRecs = res.files.filter((f) => f.url === 'http://h/broken');
  const prefix = brokenRecs.find((f) => f.content === 'decoded');
  assert.ok(prefix, 'the decoded prefix is kept');
  assert.equal(prefix.encoding.status, 'failed');
  assert.equal(prefix.incomplete, true);
  assert.ok(brokenRecs.some((f) => f.content === 'encoded' && f.sha256 === sha(broken)));
});

test('uploads: the form body and its file part, linked, with the response status', async (t) => {
  const dir = tempDir(t);
  const files = FileStore.open(dir);
  const form = `--Q\r\nContent-Disposition: form-data; name="doc"; filename="../secret\u0007.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 fake\r\n--Q--\r\n`;
  const res = await carvePayload(
    files,
    'abcdef012345-9',
    feed([
      [0, request('POST /upload HTTP/1.1', { Host: 'h', 'Content-Type': 'multipart/form-data; boundary=Q', 'Content-Length': String(form.length) }, form)],
      [1, response('303 See Other', { Location: '/done', 'Content-Length': '0' })],
    ]),
  );
  const part = res.files.find((f) => f.kind === 'form-part') as CarvedFileRecord;
  const body = res.files.find((f) => f.kind === 'body') as CarvedFileRecord;
  assert.equal(part.name, 'secret.pdf');
  assert.equal(part.mime, 'application/pdf');
  assert.equal(part.direction, 'upload');
  assert.equal(part.status, 303);
  assert.equal(part.parentId, body.id);
  assert.equal(body.status, 303);
  assert.equal(body.sha256, sha(Buffer.from(form, 'latin1')));
});

test('206 responses whose ranges cover the file are assembled; the pieces stay', async (t) => {
  const dir = tempDir(t);
  const files = FileStore.open(dir);
  const whole = Buffer.from('0123456789abcdefghij');
  const part = (s: number, e: number) => response('206 Partial Content', { 'Content-Range': `bytes ${s}-${e}/20`, 'Content-Length': String(e - s + 1) }, whole.subarray(s, e + 1).toString());
  const mp = `--M\r\nContent-Range: bytes 12-15/20\r\n\r\n${whole.subarray(12, 16)}\r\n--M\r\nContent-Range: bytes 14-19/20\r\n\r\n${whole.subarray(14, 20)}\r\n--M--\r\n`;
  const get = request('GET /f.bin HTTP/1.1', { Host: 'h' });
  const res = await carvePayload(
    files,
    'abcdef012345-10',
    feed([
      [0, get.repeat(3)],
      [1, part(0, 7)],
      [1, part(6, 11)],
      [1, response('206 Partial Content', { 'Content-Type': 'multipart/byteranges; boundary=M', 'Content-Length': String(mp.length) }, mp)],
    ]),
  );
  const assembled = res.files.find((f) => f.kind === 'range-assembled') as CarvedFileRecord;
  assert.ok(assembled, JSON.stringify(res.files.map((f) => [f.kind, f.range])));
  assert.equal(assembled.sha256, sha(whole));
  assert.equal(assembled.name, 'f.bin');
  assert.equal(assembled.sourceIds.length, 4);
  assert.equal(res.files.filter((f) => f.range !== null).length, 4, 'every piece is kept as its own record');
  // without the last range the file is not covered: nothing is assembled
  const partial = await carvePayload(files, 'abcdef012345-11', feed([[0, get.repeat(2)], [1, part(0, 7)], [1, part(6, 11)]]));
  assert.equal(partial.files.filter((f) => f.kind === 'range-assembled').length, 0);
});

test('a payload that is not HTTP yields nothing and stops early', async (t) => {
  const dir = tempDir(t);
  const files = FileStore.open(dir);
  let delivered = 0;
  const res = await carvePayload(files, 'abcdef012345-12', async (sink, signal) => {
    for (let i = 0; i < 100; i++) {
      signal.throwIfAborted();
      sink.onData({ dir: (i % 2) as 0 | 1, offset: Math.floor(i / 2) * 4096, data: Buffer.alloc(4096, 0x16), gapBefore: 0, tsSec: 0, tsNsec: 0, packet: i });
      delivered++;
    }
  });
  assert.equal(res.http, false);
  assert.deepEqual(res.files, []);
  assert.ok(delivered < 100, `stopped after ${delivered} chunks`);
});
