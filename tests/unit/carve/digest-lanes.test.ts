/**
 * The native multi-buffer hashing (native/digest) gives OpenSSL's MD5, SHA-1 and SHA-256 for
 * files cut anywhere, hashed over several calls, on every path the CPU offers (16 lanes, 8 lanes,
 * one at a time with SHA extensions, portable C), refuses hostile job lists, and the carver's
 * digest stages built on it give the right digests for many interleaved files with drops among them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNativeAddon } from '../../../node/native/native-addon.js';
import { digestStages } from '../../../node/carve/hash-worker.js';
import { SpoolFile } from '../../../node/carve/spool-file.js';
import { prng } from '../../helpers/prng.js';

interface Addon {
  width(alg: number): number;
  reset(alg: number, pool: Uint8Array, slot: number): void;
  update(alg: number, ring: Uint8Array, pool: Uint8Array, jobs: Int32Array): void;
  final(alg: number, pool: Uint8Array, slot: number, out: Uint8Array): void;
}
const ALGS = ['md5', 'sha1', 'sha256'] as const;
const LENGTH = [16, 20, 32];
const isAddon = (m: unknown): m is Addon => typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>).update === 'function';
const load = loadNativeAddon('digest', 'tapline_digest', isAddon);
const skip = load.ok ? false : `the digest addon is not available: ${load.reason}`;
const SLOT = 128;

/**
 * Hashes up to 40 random files over three update calls each (random pieces: empty, a few bytes,
 * block-straddling, hundreds of KiB, several pieces per call) with algorithm `alg`, checks every
 * digest against OpenSSL; returns the number checked.
 */
function checkAgainstOpenSsl(addon: Addon, alg: number, seed: number, rounds: number): number {
  const rnd = prng(seed);
  const ring = new Uint8Array(new SharedArrayBuffer(4 * 1024 * 1024));
  for (let i = 0; i < ring.length; i += 4096) ring[i + Math.floor(rnd() * 4096)] = Math.floor(rnd() * 256);
  for (let i = 0; i < ring.length; i++) ring[i] ^= (i * 2654435761) >>> 24;
  const pool = new Uint8Array(SLOT * 40);
  const out = new Uint8Array(32);
  let checked = 0;
  for (let round = 0; round < rounds; round++) {
    const n = 1 + Math.floor(rnd() * 40);
    const hashes = Array.from({ length: n }, (_, f) => {
      addon.reset(alg, pool, f);
      return createHash(ALGS[alg]);
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
      addon.update(alg, ring, pool, Int32Array.from(jobs));
    }
    for (let f = 0; f < n; f++) {
      addon.final(alg, pool, f, out);
      assert.equal(Buffer.from(out.subarray(0, LENGTH[alg])).toString('hex'), hashes[f].digest('hex'), `${ALGS[alg]}: round ${round}, file ${f} of ${n}`);
      checked++;
    }
  }
  return checked;
}

test('multi-buffer MD5, SHA-1 and SHA-256 equal OpenSSL for files cut anywhere and hashed over several calls', { skip }, () => {
  assert.ok(load.ok);
  for (let alg = 0; alg < 3; alg++) {
    assert.ok([1, 8, 16].includes(load.addon.width(alg)), `${ALGS[alg]}: width ${load.addon.width(alg)}`);
    assert.ok(checkAgainstOpenSsl(load.addon, alg, 11 + alg, 25) > 150);
  }
});

test('every path of this CPU (TAPLINE_DIGEST_LANES=8, =1, =0) gives the same digests', { skip }, () => {
  const src = `
    import { loadNativeAddon } from './node/native/native-addon.ts';
    const a = loadNativeAddon('digest', 'tapline_digest', (m) => true);
    console.log(a.ok ? [0, 1, 2].map((alg) => a.addon.width(alg)).join(',') : a.reason);`;
  // a child `node --test` reports to this runner in its own protocol unless told it runs alone
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  for (const lanes of ['8', '1', '0']) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', src], {
      cwd: join(import.meta.dirname, '../../..'),
      env: { ...env, TAPLINE_DIGEST_LANES: lanes },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 0, r.stderr);
    // 8 lanes: MD5 only, with AVX2 (else one at a time); 1 and 0: one at a time (0: no SHA extensions either)
    const widths = r.stdout.trim();
    assert.ok(lanes === '8' ? widths === '8,1,1' || widths === '1,1,1' : widths === '1,1,1', `TAPLINE_DIGEST_LANES=${lanes}: widths ${widths}`);
    const check = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-name-pattern', 'equal OpenSSL for files cut anywhere', join(import.meta.dirname, 'digest-lanes.test.ts')],
      { cwd: join(import.meta.dirname, '../../..'), env: { ...env, TAPLINE_DIGEST_LANES: lanes }, encoding: 'utf8', timeout: 180_000 },
    );
    assert.equal(check.status, 0, `TAPLINE_DIGEST_LANES=${lanes}:\n${check.stdout}\n${check.stderr}`);
    assert.match(check.stdout, /# pass 1\b/);
  }
});

test('hostile job lists are refused before any byte is read', { skip }, () => {
  assert.ok(load.ok);
  const a = load.addon;
  const ring = new Uint8Array(1024);
  const pool = new Uint8Array(SLOT * 2);
  a.reset(0, pool, 0);
  a.reset(2, pool, 1);
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
  for (const alg of [0, 1, 2]) {
    for (const [jobs, message] of bad) assert.throws(() => a.update(alg, ring, pool, Int32Array.from(jobs)), message, JSON.stringify(jobs));
  }
  assert.deepEqual(pool, before, 'a refused list changed no context');
  assert.throws(() => a.update(0, ring, pool, new Float64Array(3) as unknown as Int32Array), TypeError);
  assert.throws(() => a.update(3, ring, pool, Int32Array.from([0])), TypeError);
  assert.throws(() => a.reset(0, pool, 2), TypeError);
  assert.throws(() => a.reset(-1, pool, 0), TypeError);
  assert.throws(() => a.final(0, pool, 0, new Uint8Array(8)), TypeError);
  assert.throws(() => a.final(2, pool, 0, new Uint8Array(20)), TypeError);
  assert.throws(() => a.width(7), TypeError);
});

test("the carver's digest stages give one-shot digests for forty interleaved files with drops among them", async (t) => {
  const plan = digestStages();
  t.diagnostic(`lanes: ${plan.lanes.join('+') || 'none'} (${plan.width} wide); OpenSSL: ${plan.openssl.map((a) => a.join('+')).join(', ') || 'none'}; ${plan.reason}`);
  const dir = mkdtempSync(join(tmpdir(), 'tapline-lanes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rnd = prng(5);
  const n = 40;
  const files = Array.from({ length: n }, (_, i) => new SpoolFile(join(dir, `f${i}`), { offThreadHash: true }));
  const md5 = files.map(() => createHash('md5'));
  const sha1 = files.map(() => createHash('sha1'));
  const sha256 = files.map(() => createHash('sha256'));
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
      sha256[i].update(piece);
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
    assert.equal(g.sha256, sha256[i].digest('hex'), `file ${i} sha256`);
  }
  // an empty file too (FINISH without DATA)
  const empty = new SpoolFile(join(dir, 'empty'), { offThreadHash: true });
  const e = await empty.finishAsync();
  assert.deepEqual(
    { md5: e.md5, sha1: e.sha1, sha256: e.sha256 },
    { md5: 'd41d8cd98f00b204e9800998ecf8427e', sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709', sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
  );
});
