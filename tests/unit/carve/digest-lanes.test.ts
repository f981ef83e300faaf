/**
 * The native multi-buffer MD5 (native/digest) gives OpenSSL's digests for files cut anywhere,
 * hashed over several calls, on every path the CPU offers (16 lanes, 8 lanes, one at a time),
 * refuses hostile job lists, and the carver's md5 stage built on it gives the right digests for
 * many interleaved files with drops among them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNativeAddon } from '../../../node/native/native-addon.js';
import { md5StageKind } from '../../../node/carve/hash-worker.js';
import { SpoolFile } from '../../../node/carve/spool-file.js';
import { prng } from '../../helpers/prng.js';

interface Addon {
  width(): number;
  reset(pool: Uint8Array, slot: number): void;
  update(ring: Uint8Array, pool: Uint8Array, jobs: Int32Array): void;
  final(pool: Uint8Array, slot: number, out: Uint8Array): void;
}
const isAddon = (m: unknown): m is Addon => typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>).update === 'function';
const load = loadNativeAddon('digest', 'tapline_digest', isAddon);
const skip = load.ok ? false : `the digest addon is not available: ${load.reason}`;
const SLOT = 96;

/**
 * Hashes `files` random files over three update calls each (random pieces: empty, a few bytes,
 * block-straddling, hundreds of KiB, several pieces per call), checks every digest against
 * OpenSSL; returns the number checked.
 */
function checkAgainstOpenSsl(addon: Addon, seed: number, rounds: number): number {
  const rnd = prng(seed);
  const ring = new Uint8Array(new SharedArrayBuffer(4 * 1024 * 1024));
  for (let i = 0; i < ring.length; i += 4096) ring[i + Math.floor(rnd() * 4096)] = Math.floor(rnd() * 256);
  for (let i = 0; i < ring.length; i++) ring[i] ^= (i * 2654435761) >>> 24;
  const pool = new Uint8Array(SLOT * 40);
  const out = new Uint8Array(16);
  let checked = 0;
  for (let round = 0; round < rounds; round++) {
    const n = 1 + Math.floor(rnd() * 40);
    const hashes = Array.from({ length: n }, (_, f) => {
      addon.reset(pool, f);
      return createHash('md5');
    });
    for (let call = 0; call < 3; call++) {
      const jobs: number[] = [n];
      for (let f = 0; f < n; f++) {
        const pieces = Math.floor(rnd() * 4);
        jobs.push(f, pieces);
        for (let p = 0; p < pieces; p++) {
          const kind = rnd();
          const len = kind < 0.3 ? Math.floor(rnd() * 4) : kind < 0.6 ? Math.floor(rnd() * 200) : Math.floor(rnd() * 300_000);
          const at = Math.floor(rnd() * (ring.length - len));
          jobs.push(at, len);
          hashes[f].update(ring.subarray(at, at + len));
        }
      }
      addon.update(ring, pool, Int32Array.from(jobs));
    }
    for (let f = 0; f < n; f++) {
      addon.final(pool, f, out);
      assert.equal(Buffer.from(out).toString('hex'), hashes[f].digest('hex'), `round ${round}, file ${f} of ${n}`);
      checked++;
    }
  }
  return checked;
}

test('multi-buffer MD5 equals OpenSSL for files cut anywhere and hashed over several calls', { skip }, () => {
  assert.ok(load.ok);
  assert.ok([1, 8, 16].includes(load.addon.width()), `width ${load.addon.width()}`);
  assert.ok(checkAgainstOpenSsl(load.addon, 11, 40) > 300);
});

test('every MD5 path of this CPU (TAPLINE_MD5_LANES=8 and =1) gives the same digests', { skip }, () => {
  const src = `
    import { loadNativeAddon } from './node/native/native-addon.ts';
    const a = loadNativeAddon('digest', 'tapline_digest', (m) => true);
    console.log(a.ok ? a.addon.width() : a.reason);`;
  // a child `node --test` reports to this runner in its own protocol unless told it runs alone
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  for (const lanes of ['8', '1']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src], {
      cwd: join(import.meta.dirname, '../../..'),
      env: { ...env, TAPLINE_MD5_LANES: lanes },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const width = Number(r.stdout.trim());
    // 8 lanes need AVX2; without it the portable path runs
    assert.ok(lanes === '1' ? width === 1 : width === 8 || width === 1, `TAPLINE_MD5_LANES=${lanes}: width ${width}`);
    const check = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-name-pattern', 'multi-buffer MD5 equals OpenSSL', join(import.meta.dirname, 'digest-lanes.test.ts')],
      { cwd: join(import.meta.dirname, '../../..'), env: { ...env, TAPLINE_MD5_LANES: lanes }, encoding: 'utf8', timeout: 120_000 },
    );
    assert.equal(check.status, 0, `TAPLINE_MD5_LANES=${lanes}:\n${check.stdout}\n${check.stderr}`);
    assert.match(check.stdout, /# pass 1\b/);
  }
});

test('hostile job lists are refused before any byte is read', { skip }, () => {
  assert.ok(load.ok);
  const a = load.addon;
  const ring = new Uint8Array(1024);
  const pool = new Uint8Array(SLOT * 2);
  a.reset(pool, 0);
  a.reset(pool, 1);
  const before = pool.slice();
  const bad: [number[], RegExp][] = [
    [[1, 0, 1, 1000, 100], /range outside the ring/],
    [[1, 0, 1, -4, 10], /range outside the ring/],
    [[1, 2, 0], /slot outside the pool/],
    [[1, -1, 0], /slot outside the pool/],
    [[2, 0, 1, 0, 10, 0, 1, 10, 10], /slot appears in two chains/],
    [[1, 0, 5, 0, 10], /ends inside a chain/],
    [[3, 0, 0], /bad chain count/],
    [[-1], /bad chain count/],
    [[], /bad chain count/],
  ];
  for (const [jobs, message] of bad) assert.throws(() => a.update(ring, pool, Int32Array.from(jobs)), message, JSON.stringify(jobs));
  assert.deepEqual(pool, before, 'a refused list changed no context');
  assert.throws(() => a.update(ring, pool, new Float64Array(3) as unknown as Int32Array), TypeError);
  assert.throws(() => a.reset(pool, 2), TypeError);
  assert.throws(() => a.final(pool, 0, new Uint8Array(8)), TypeError);
});

test("the carver's md5 stage gives one-shot digests for forty interleaved files with drops among them", async (t) => {
  const kind = md5StageKind();
  t.diagnostic(kind.lanes > 0 ? `md5 stage: ${kind.lanes} lanes` : `md5 stage: OpenSSL (${'reason' in kind ? kind.reason : ''})`);
  const dir = mkdtempSync(join(tmpdir(), 'tapline-lanes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rnd = prng(5);
  const n = 40;
  const files = Array.from({ length: n }, (_, i) => new SpoolFile(join(dir, `f${i}`), { offThreadHash: true }));
  const md5 = files.map(() => createHash('md5'));
  const sha1 = files.map(() => createHash('sha1'));
  const chunk = new Uint8Array(70_000);
  // files of different lengths, written a piece at a time in turn (so the ring interleaves them)
  for (let step = 0; step < 30; step++) {
    for (let i = 0; i < n; i++) {
      if (step > (i % 7) * 5) continue;
      const len = 1 + Math.floor(rnd() * chunk.length);
      for (let k = 0; k < len; k += 97) chunk[k] = Math.floor(rnd() * 256);
      const piece = chunk.subarray(0, len);
      files[i].write(piece);
      md5[i].update(piece);
      sha1[i].update(piece);
    }
  }
  const dropped = new Set([3, 17, 29]);
  for (const i of dropped) files[i].discard();
  const got = await Promise.all(files.map((f, i) => (dropped.has(i) ? null : f.finishAsync())));
  for (let i = 0; i < n; i++) {
    const g = got[i];
    if (dropped.has(i)) continue;
    assert.ok(g);
    assert.equal(g.md5, md5[i].digest('hex'), `file ${i} md5`);
    assert.equal(g.sha1, sha1[i].digest('hex'), `file ${i} sha1`);
  }
  // an empty file too (FINISH without DATA)
  const empty = new SpoolFile(join(dir, 'empty'), { offThreadHash: true });
  assert.equal((await empty.finishAsync()).md5, 'd41d8cd98f00b204e9800998ecf8427e');
});
