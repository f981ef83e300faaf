/**
 * Seeded fuzzing of the HTTP carver: random bytes and mutated valid exchanges, cut at random
 * sizes with random gaps. Bounded in count and time. Properties: no exception, every started file
 * ends exactly once, sizes add up, carved body bytes never exceed the input, bounded issue lists.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpCarver } from '../../../common/carve/http/http-carver.js';
import type { Direction } from '../../../common/reassembly/stream-types.js';
import { CollectingSink, request, response, rng } from './carve-test-helpers.js';

const SEEDS = [1, 2, 3, 0xc0ffee, 20260101];
const CASES_PER_SEED = 1000;
const TIME_BUDGET_MS = 20_000;

const form = '--q\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nAAAA\r\n--q--\r\n';
const SEED_EXCHANGES: [string, string][] = [
  [request('GET /a HTTP/1.1', { Host: 'h' }), response('200 OK', { 'Content-Length': '5' }, 'hello')],
  [request('GET /c HTTP/1.1', { Host: 'h' }), response('200 OK', { 'Transfer-Encoding': 'chunked', Trailer: 'T' }, '5\r\nhello\r\n3;e=1\r\nabc\r\n0\r\nT: 1\r\n\r\n')],
  [request('POST /u HTTP/1.1', { Host: 'h', 'Content-Type': 'multipart/form-data; boundary=q', 'Content-Length': String(form.length) }, form), 'HTTP/1.1 100 Continue\r\n\r\n' + response('201 Created', { 'Content-Length': '0' })],
  [request('GET /r HTTP/1.1', { Host: 'h', Range: 'bytes=0-1,4-5' }), response('206 Partial Content', { 'Content-Type': 'multipart/byteranges; boundary=z' }, '--z\r\nContent-Range: bytes 0-1/9\r\n\r\nab\r\n--z\r\nContent-Range: bytes 4-5/9\r\n\r\nef\r\n--z--\r\n')],
  [request('HEAD /h HTTP/1.1', { Host: 'h' }), response('200 OK', { 'Content-Length': '100' })],
  [request('GET /z HTTP/1.1', { Host: 'h' }), response('200 OK', { 'Content-Encoding': 'gzip', 'Content-Length': '4' }, '\x1f\x8b\x08\x00')],
  ['GET /old\r\n', '<html>zero nine</html>'],
  [request('GET /close HTTP/1.0', {}), 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end'],
];

const TOKENS = ['\r\n', '\r\n\r\n', 'Content-Length: ', 'Transfer-Encoding: chunked\r\n', '0\r\n\r\n', 'ffffffff\r\n', '-1', '99999999999999999999', '--q', '--z--', 'HTTP/1.1 200 OK\r\n', 'GET / HTTP/1.1\r\n', ';', ':', ' ', '\x00', '\xff'];

function mutate(s: string, r: () => number): string {
  let out = s;
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (out.length + 1));
    const op = Math.floor(r() * 5);
    if (op === 0) out = out.slice(0, at) + String.fromCharCode(Math.floor(r() * 256)) + out.slice(at + 1);
    else if (op === 1) out = out.slice(0, at) + TOKENS[Math.floor(r() * TOKENS.length)] + out.slice(at);
    else if (op === 2) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(r() * 20));
    else if (op === 3) out = out.slice(0, at) + out.slice(at, at + Math.floor(r() * 40)).repeat(2 + Math.floor(r() * 3)) + out.slice(at);
    else out = out.slice(0, at) + String(Math.floor(r() * 1e6)) + out.slice(at);
  }
  return out;
}

function randomBytes(n: number, r: () => number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(r() < 0.1 ? [13, 10, 32, 58][Math.floor(r() * 4)] : Math.floor(r() * 256));
  return s;
}

/** One fuzz case: streams for both directions, fed interleaved in random pieces with random gaps. */
function runCase(r: () => number): void {
  const streams: [string, string] = ['', ''];
  const kind = r();
  const count = 1 + Math.floor(r() * 4);
  for (let i = 0; i < count; i++) {
    const [q, a] = SEED_EXCHANGES[Math.floor(r() * SEED_EXCHANGES.length)];
    streams[0] += kind < 0.2 ? randomBytes(Math.floor(r() * 300), r) : kind < 0.6 ? mutate(q, r) : q;
    streams[1] += kind < 0.2 ? randomBytes(Math.floor(r() * 300), r) : mutate(a, r);
  }
  if (r() < 0.3) [streams[0], streams[1]] = [streams[1], streams[0]];
  const sink = new CollectingSink();
  const carver = new HttpCarver(sink, { maxIssues: 50 });
  const pos = [0, 0];
  const offset = [0, 0];
  let packet = 0;
  while (pos[0] < streams[0].length || pos[1] < streams[1].length) {
    const dir: Direction = pos[0] >= streams[0].length ? 1 : pos[1] >= streams[1].length ? 0 : r() < 0.5 ? 0 : 1;
    const len = 1 + Math.floor(r() * (r() < 0.5 ? 8 : 200));
    const gap = r() < 0.05 ? 1 + Math.floor(r() * 30) : 0;
    // a gap drops bytes from the stream: they are reported, never delivered
    const from = Math.min(streams[dir].length, pos[dir] + gap);
    const data = Buffer.from(streams[dir].slice(from, from + len), 'latin1');
    offset[dir] += from - pos[dir];
    carver.onData({ dir, offset: offset[dir], data, gapBefore: from - pos[dir], tsSec: packet, tsNsec: 0, packet: packet++ });
    offset[dir] += data.length;
    pos[dir] = from + data.length;
  }
  const reasons = ['fin', 'rst', 'end-of-capture', 'memory-limit'] as const;
  carver.onEnd(0, reasons[Math.floor(r() * 4)], r() < 0.2 ? 7 : 0);
  carver.onEnd(1, reasons[Math.floor(r() * 4)], 0);

  const files = sink.list();
  for (const f of files) {
    assert.ok(f.end, `file ${f.start.id} never ended`);
    assert.equal(f.end.size, f.bytes.length);
    assert.ok(f.end.missingBytes >= 0);
    if (f.end.missingBytes > 0 || f.gaps.length > 0) assert.equal(f.end.incomplete, true);
    assert.ok(f.end.notes.length <= 16);
  }
  // bodies never carry more than their direction's input; parts never more than their body
  for (const dir of [0, 1] as const) {
    const bodyBytes = files.filter((f) => f.start.kind === 'body' && f.start.streamDir === dir).reduce((n, f) => n + f.bytes.length, 0);
    assert.ok(bodyBytes <= streams[dir].length, `dir ${dir}: ${bodyBytes} body bytes from ${streams[dir].length} input bytes`);
  }
  for (const p of files.filter((f) => f.start.parentId !== null)) {
    const parent = sink.files.get(p.start.parentId as number);
    assert.ok(parent && p.bytes.length <= parent.bytes.length);
  }
  assert.ok(carver.issues.length <= 50);
  // the carver contains its own bugs as an issue: in a fuzz run that is a failure
  const internal = carver.issues.find((i) => i.message.startsWith('internal carver error'));
  assert.equal(internal, undefined, internal?.message);
  stats.files += files.length;
  stats.issues += carver.issueCount;
}

const stats = { files: 0, issues: 0 };

test('fuzz: random and mutated exchanges never throw, never hang, keep the invariants', () => {
  const t0 = performance.now();
  let cases = 0;
  for (const seed of SEEDS) {
    const r = rng(seed);
    for (let i = 0; i < CASES_PER_SEED; i++) {
      try {
        runCase(r);
      } catch (e) {
        throw new Error(`seed ${seed} case ${i}: ${(e as Error).stack ?? String(e)}`);
      }
      cases++;
      if (performance.now() - t0 > TIME_BUDGET_MS) break;
    }
  }
  assert.ok(cases >= SEEDS.length * 50, `ran ${cases} cases`);
  // the cases reach deep states, not just the first parse error
  assert.ok(stats.files > cases / 2, `${stats.files} files carved in ${cases} cases`);
  assert.ok(stats.issues > cases / 2);
});

test('fuzz: a long random stream is processed in bounded time', () => {
  const r = rng(99);
  const sink = new CollectingSink();
  const carver = new HttpCarver(sink);
  const block = Buffer.from(randomBytes(64 * 1024, r), 'latin1');
  const t0 = performance.now();
  for (let i = 0; i < 64; i++) {
    carver.onData({ dir: 0, offset: i * block.length, data: block, gapBefore: 0, tsSec: 0, tsNsec: 0, packet: i });
    carver.onData({ dir: 1, offset: i * block.length, data: block, gapBefore: 0, tsSec: 0, tsNsec: 0, packet: i });
  }
  carver.onEnd(0, 'fin', 0);
  carver.onEnd(1, 'fin', 0);
  assert.ok(performance.now() - t0 < 10_000);
});
