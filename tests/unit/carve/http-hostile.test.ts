/**
 * Hostile HTTP: every malformed or oversized construct becomes an issue on that message and the
 * parser recovers at the next message; nothing throws, nothing grows without bound, nothing hangs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CarveFileSink } from '../../../common/carve/carve-sink.js';
import { HttpCarver } from '../../../common/carve/http/http-carver.js';
import { carve, request, response, type Step } from './carve-test-helpers.js';

const GET = (p: string) => request(`GET ${p} HTTP/1.1`, { Host: 'h' });
const OK = response('200 OK', { 'Content-Length': '7' }, 'RECOVER');

/** A hostile response followed by a good one: the good one must still be carved. */
function recovers(hostile: string, expectIssue: RegExp, piece = Infinity): void {
  const { sink, carver } = carve([{ dir: 0, data: GET('/bad') + GET('/good') }, { dir: 1, data: hostile + OK }], piece);
  const good = sink.list().find((f) => f.bytes.toString() === 'RECOVER');
  assert.ok(good, `recovered after ${JSON.stringify(hostile.slice(0, 60))}`);
  assert.ok(
    carver.issues.some((i) => expectIssue.test(i.message)) || sink.list().some((f) => f.end?.notes.some((n) => expectIssue.test(n))),
    `issue ${expectIssue} in ${JSON.stringify(carver.issues.map((i) => i.message))}`,
  );
}

test('bad Content-Length values are errors for that message, then the parser resynchronizes', () => {
  for (const [cl, why] of [
    ['-5', /invalid Content-Length/],
    ['+5', /invalid Content-Length/],
    ['5x', /invalid Content-Length/],
    ['99999999999999999999', /invalid Content-Length|overflows/],
    ['9007199254740993', /overflows/],
    ['5, 6', /conflicting/],
    ['', /invalid Content-Length|empty/],
  ] as const) {
    recovers(`HTTP/1.1 200 OK\r\nContent-Length: ${cl}\r\n\r\nbody!`, why);
  }
  // an equal list is fine (RFC 9110 §8.6)
  const { sink } = carve([{ dir: 0, data: GET('/a') }, { dir: 1, data: response('200 OK', { 'Content-Length': '3, 3' }, 'abc') }]);
  assert.equal(sink.list()[0].bytes.toString(), 'abc');
});

test('bad chunked framing: huge or non-hex sizes, missing CRLF, oversized size lines', () => {
  const chunked = (body: string) => `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`;
  recovers(chunked('FFFFFFFFFFFFFFFFFFFF\r\nxx\r\n'), /overflows/);
  recovers(chunked('zz\r\nxx\r\n0\r\n\r\n'), /bad chunk-size/);
  recovers(chunked('-1\r\nxx\r\n'), /bad chunk-size/);
  recovers(chunked('3\r\nabcXX0\r\n\r\n'), /expected CRLF/);
  recovers(chunked(`1;${'e'.repeat(5000)}\r\nx\r\n0\r\n\r\n`), /chunk-size line longer/);
  recovers(chunked(`0\r\n${'T: v\r\n'.repeat(20000)}\r\n`), /trailer section too large/);
});

test('a well-formed but enormous chunk size streams without allocating and ends incomplete', () => {
  const { sink } = carve([{ dir: 0, data: GET('/x') }, { dir: 1, data: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffff\r\nsome data' }, { end: 1, reason: 'fin' }]);
  const [f] = sink.list();
  assert.equal(f.bytes.toString(), 'some data');
  assert.equal(f.end?.incomplete, true);
  assert.equal(f.end?.missingBytes, 0xfffffffffffff - 9);
});

test('header bombs: a section over 64 KiB, too many fields, an endless start line', () => {
  recovers(`HTTP/1.1 200 OK\r\n${'X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n'.repeat(2000)}Content-Length: 1\r\n\r\nx`, /header section larger than 65536/);
  recovers(`HTTP/1.1 200 OK\r\n${'a: b\r\n'.repeat(300)}Content-Length: 1\r\n\r\nx`, /more than 256 header fields/);
  recovers(`HTTP/1.1 200 ${'O'.repeat(100_000)}`, /start line too long/);
  recovers(`HTTP/1.1 200 OK\r\n${'a: b\r\n'.repeat(300)}Content-Length: 1\r\n\r\nx`, /more than 256 header fields/, 7);
});

test('a request line made of spaces parses in linear time', () => {
  const line = `GET ${' '.repeat(60_000)}x HTTP/1.1`;
  const t0 = performance.now();
  const { sink } = carve([{ dir: 0, data: `${line}\r\nHost: h\r\n\r\n` }, { dir: 1, data: response('200 OK', { 'Content-Length': '1' }, 'x') }]);
  assert.ok(performance.now() - t0 < 2000, 'no catastrophic backtracking');
  assert.equal(sink.list()[0].start.http.target, 'x');
});

test('request framing errors and smuggling signals are recorded', () => {
  const { carver } = carve([{ dir: 0, data: request('POST /p HTTP/1.1', { Host: 'h', 'Transfer-Encoding': 'gzip' }, 'body') }]);
  assert.ok(carver.issues.some((i) => /does not end in chunked/.test(i.message)));
  const both = carve([
    { dir: 0, data: request('POST /p HTTP/1.1', { Host: 'h', 'Content-Length': '100', 'Transfer-Encoding': 'chunked' }, '4\r\nbody\r\n0\r\n\r\n') + GET('/next') },
    { dir: 1, data: response('200 OK', { 'Content-Length': '1' }, '1') + response('200 OK', { 'Content-Length': '1' }, '2') },
  ]);
  const upload = both.sink.list()[0];
  assert.equal(upload.bytes.toString(), 'body', 'Transfer-Encoding wins over Content-Length');
  assert.ok(upload.end?.notes.some((n) => n.includes('both Transfer-Encoding and Content-Length')));
  assert.equal(both.sink.list()[2].start.http.target, '/next');
});

test('malformed header lines are skipped with a note; obs-fold is joined', () => {
  const { sink, carver } = carve([
    { dir: 0, data: GET('/x') },
    { dir: 1, data: 'HTTP/1.1 200 OK\r\nno colon here\r\n: empty name\r\nContent-Type: text/\r\n plain\r\nContent-Length: 2\r\n\r\nok' },
  ]);
  assert.equal(sink.list()[0].bytes.toString(), 'ok');
  assert.equal(sink.list()[0].start.declaredType, 'text/ plain');
  assert.ok(carver.issues.some((i) => i.message.includes('malformed header line')));
});

test('hostile multipart: oversized part headers, a boundary that never closes, an unusable boundary', () => {
  const parts = `--b\r\n${'H: v\r\n'.repeat(5000)}\r\nskipped\r\n--b\r\nContent-Disposition: form-data; name="f"; filename="kept.txt"\r\n\r\nKEPT\r\n--b`;
  const { sink } = carve([
    { dir: 0, data: request('POST /u HTTP/1.1', { Host: 'h', 'Content-Type': 'multipart/form-data; boundary=b', 'Content-Length': String(parts.length) }, parts) },
    { dir: 1, data: response('200 OK', { 'Content-Length': '1' }, 'x') },
  ]);
  const part = sink.list().find((f) => f.start.kind === 'form-part');
  assert.equal(part?.start.name, 'kept.txt');
  assert.equal(part?.bytes.toString(), 'KEPT');
  const body = sink.list().find((f) => f.start.kind === 'body' && f.start.direction === 'upload');
  assert.ok(body?.end?.notes.some((n) => n.includes('too large')));
  assert.ok(body?.end?.notes.some((n) => n.includes('without its closing delimiter')));
  const long = carve([{ dir: 0, data: request('POST /u HTTP/1.1', { Host: 'h', 'Content-Type': `multipart/form-data; boundary=${'x'.repeat(300)}`, 'Content-Length': '4' }, 'data') }]);
  assert.ok(long.sink.list()[0].end?.notes.some((n) => n.includes('without a usable boundary')));
});

test('a flood of requests without responses keeps a bounded queue', () => {
  const { carver } = carve([{ dir: 0, data: GET('/r').repeat(3000) }], Infinity, { maxPendingRequests: 100 });
  assert.equal(carver.requests, 3000);
  assert.ok(carver.issues.some((i) => i.message.includes('more than 100 requests without a response')));
  assert.ok(carver.issues.length <= 100, 'the issue list is bounded');
});

test('memory stays flat over 64 MiB of hostile and streaming input', () => {
  let files = 0;
  let bytes = 0;
  const counting: CarveFileSink = {
    onFileStart: () => void files++,
    onFileData: (_id, d) => void (bytes += d.length),
    onFileGap: () => undefined,
    onFileEnd: () => undefined,
  };
  const carver = new HttpCarver(counting);
  const enc = (s: string) => Buffer.from(s, 'latin1');
  const block = Buffer.alloc(64 * 1024, 0x61);
  let off0 = 0;
  let off1 = 0;
  const send = (dir: 0 | 1, data: Uint8Array) => {
    const off = dir === 0 ? off0 : off1;
    carver.onData({ dir, offset: off, data, gapBefore: 0, tsSec: 0, tsNsec: 0, packet: 0 });
    if (dir === 0) off0 += data.length;
    else off1 += data.length;
  };
  send(0, enc(GET('/stream') + GET('/bomb') + GET('/chunks')));
  const before = process.memoryUsage().heapUsed;
  // a 32 MiB Content-Length body, a header bomb, then a chunked body of tiny chunks
  send(1, enc('HTTP/1.1 200 OK\r\nContent-Length: 33554432\r\n\r\n'));
  for (let i = 0; i < 512; i++) send(1, block);
  send(1, enc('HTTP/1.1 200 OK\r\n'));
  for (let i = 0; i < 128; i++) send(1, enc(`X-${i}: ${'b'.repeat(60 * 1024)}\r\n`));
  send(1, enc('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'));
  const tiny = enc('1\r\nz\r\n'.repeat(10_000));
  for (let i = 0; i < 400; i++) send(1, tiny);
  send(1, enc('0\r\n\r\n'));
  carver.onEnd(0, 'fin', 0);
  carver.onEnd(1, 'fin', 0);
  const grown = process.memoryUsage().heapUsed - before;
  assert.equal(bytes, 32 * 1024 * 1024 + 4_000_000);
  assert.equal(files, 2);
  assert.ok(grown < 48 * 1024 * 1024, `heap grew by ${grown} bytes`);
});

test('a sink failure (e.g. a full disk) reaches the caller instead of being swallowed', () => {
  const failing: CarveFileSink = {
    onFileStart: () => undefined,
    onFileData: () => {
      throw new Error('ENOSPC: no space left on device');
    },
    onFileGap: () => undefined,
    onFileEnd: () => undefined,
  };
  const carver = new HttpCarver(failing);
  carver.onData({ dir: 0, offset: 0, data: Buffer.from(GET('/x')), gapBefore: 0, tsSec: 0, tsNsec: 0, packet: 0 });
  assert.throws(() => carver.onData({ dir: 1, offset: 0, data: Buffer.from(response('200 OK', { 'Content-Length': '1' }, 'x')), gapBefore: 0, tsSec: 0, tsNsec: 0, packet: 1 }), /ENOSPC/);
});

test('gap-only chunks and zero-length data are harmless in every state', () => {
  const steps: Step[] = [
    { dir: 0, data: '', gapBefore: 10 },
    { dir: 1, data: '', gapBefore: 10 },
    { dir: 0, data: GET('/a') },
    { dir: 1, data: 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab' },
    { dir: 1, data: '', gapBefore: 1 },
    { dir: 1, data: '', gapBefore: 5 },
    { dir: 1, data: '' },
  ];
  const { sink } = carve(steps);
  const [f] = sink.list();
  assert.deepEqual([f.bytes.toString(), f.end?.missingBytes, f.end?.incomplete], ['ab', 2, true]);
});
