/** Spool files written and hashed by the spool workers give the same bytes and digests as one-shot hashing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { SpoolFile } from '../../../node/carve/spool-file.js';
import { prng } from '../../helpers/prng.js';

function tempDir(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-spool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const digests = (b: Uint8Array) => ({
  sha256: createHash('sha256').update(b).digest('hex'),
  md5: createHash('md5').update(b).digest('hex'),
  sha1: createHash('sha1').update(b).digest('hex'),
});

/** Random bytes cut into chunks of random sizes: single bytes, TCP-segment sizes and chunks larger than the spool buffer. */
function chunked(seed: number, total: number): { whole: Uint8Array; chunks: Uint8Array[] } {
  const rnd = prng(seed);
  const whole = new Uint8Array(total);
  for (let i = 0; i < total; i++) whole[i] = Math.floor(rnd() * 256);
  const chunks: Uint8Array[] = [];
  const sizes = [1, 7, 1448, 65536, 600 * 1024, 3 * 1024 * 1024];
  for (let at = 0; at < total; ) {
    const n = Math.min(total - at, sizes[Math.floor(rnd() * sizes.length)]);
    chunks.push(whole.subarray(at, at + n));
    at += n;
  }
  return { whole, chunks };
}

test('off-thread and inline hashing agree with one-shot digests, and the spooled bytes are the input', async (t) => {
  const dir = tempDir(t);
  for (const [seed, total] of [
    [1, 0],
    [2, 1],
    [3, 1448 * 3],
    [4, 5 * 1024 * 1024 + 17],
  ] as const) {
    const { whole, chunks } = chunked(seed, total);
    const off = new SpoolFile(join(dir, `off-${seed}`), { offThreadHash: true });
    const inline = new SpoolFile(join(dir, `inline-${seed}`));
    for (const c of chunks) {
      off.write(c);
      inline.write(c);
    }
    const a = await off.finishAsync();
    const b = inline.finish();
    const want = digests(whole);
    assert.deepEqual({ sha256: a.sha256, md5: a.md5, sha1: a.sha1 }, want, `off-thread digests, ${total} bytes`);
    assert.deepEqual({ sha256: b.sha256, md5: b.md5, sha1: b.sha1 }, want, `inline digests, ${total} bytes`);
    assert.equal(a.size, total);
    assert.deepEqual(readFileSync(a.path), Buffer.from(whole));
  }
});

test('a caller reusing its buffer after write does not change what the worker hashes', async (t) => {
  const dir = tempDir(t);
  const spool = new SpoolFile(join(dir, 'reuse'), { offThreadHash: true });
  const buf = new Uint8Array(700 * 1024); // above half the off-thread buffer: written directly
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 4; i++) {
    buf.fill(i + 1);
    parts.push(buf.slice());
    spool.write(buf);
  }
  const got = await spool.finishAsync();
  assert.equal(got.sha256, digests(Buffer.concat(parts)).sha256);
});

test('more bytes than the in-flight limit (the producer waits for the workers) still hash correctly and reach the files intact; a discarded spool leaves no file', async (t) => {
  const dir = tempDir(t);
  const files = [0, 1, 2].map((i) => new SpoolFile(join(dir, `big-${i}`), { offThreadHash: true }));
  const chunk = new Uint8Array(1448);
  const h = [createHash('sha256'), createHash('sha256'), createHash('sha256')];
  // 3 files x 16 MiB interleaved: 48 MiB in total, above the 32 MiB the producer may run ahead
  for (let n = 0; n < (16 * 1024 * 1024) / 1448; n++) {
    for (let i = 0; i < 3; i++) {
      chunk[0] = n & 0xff;
      chunk[1] = i;
      files[i].write(chunk);
      h[i].update(chunk);
    }
  }
  const dropped = new SpoolFile(join(dir, 'dropped'), { offThreadHash: true });
  dropped.write(chunk);
  dropped.discard();
  await dropped.gone;
  assert.equal(existsSync(join(dir, 'dropped')), false);
  const got = await Promise.all(files.map((f) => f.finishAsync()));
  const want = h.map((x) => x.digest('hex'));
  assert.deepEqual(
    got.map((g) => g.sha256),
    want,
  );
  // the files are written from the ring asynchronously: bytes the carver overwrote before they
  // were written would show here (the digests are taken from the ring, not from the files)
  assert.deepEqual(
    files.map((_, i) => digests(readFileSync(join(dir, `big-${i}`))).sha256),
    want,
  );
  const sync = new SpoolFile(join(dir, 'sync'), { offThreadHash: true });
  assert.throws(() => sync.finish(), /finishAsync/);
  sync.discard();
  await sync.gone;
  assert.deepEqual(readdirSync(dir).sort(), ['big-0', 'big-1', 'big-2']);
});

test('an off-thread spool that cannot be created fails at finish with the path, and keeps the first bytes for type detection', async (t) => {
  const dir = tempDir(t);
  const bad = new SpoolFile(join(dir, 'no-such-dir', 'x'), { offThreadHash: true });
  bad.write(new Uint8Array([1, 2, 3]));
  await assert.rejects(bad.finishAsync(), /no-such-dir.*ENOENT|ENOENT.*no-such-dir/);
  const { whole, chunks } = chunked(9, 200 * 1024);
  const ok = new SpoolFile(join(dir, 'head'), { offThreadHash: true });
  for (const c of chunks) ok.write(c);
  const got = await ok.finishAsync();
  assert.deepEqual(got.head, whole.subarray(0, 64 * 1024));
  const small = new SpoolFile(join(dir, 'small'));
  small.write(new Uint8Array([7, 8]));
  assert.deepEqual(small.finish().head, new Uint8Array([7, 8]));
});

test('spool workers started ahead of use and never given a file do not keep the process alive', () => {
  // carve starts the workers before it knows whether any file will be carved
  const src = `import('./node/carve/hash-worker.ts').then((m) => { m.startSpoolWorkers(); console.log('started'); })`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', src], { cwd: join(import.meta.dirname, '../../..'), encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, 'the process had to be killed: the idle workers kept it alive');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'started');
});
