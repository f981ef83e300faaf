/**
 * The native spool stage (native/digest/src/spool_stage.c): the carver's writer and lanes stages as
 * two C threads reading the SpoolRing. Driven here entry by entry through the ring protocol, with
 * hostile rings and arguments, and compared with the worker stages it replaces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadNativeAddon } from '../../../node/native/native-addon.js';
import { SPOOL_PROTOCOL, copyFileOffThread, digestStages } from '../../../node/carve/hash-worker.js';
import { prng } from '../../helpers/prng.js';
import { takesDirectIo } from '../../helpers/direct-io.js';
import { mountScratch } from '../../helpers/scratch-mount.js';

interface StageAddon {
  width(alg: number): number;
  copy(dst: Uint8Array, at: number, src: Uint8Array, n: number): void;
  spoolStart(ring: Uint8Array, ctl: Int32Array, writer: number, hasher: number, onResults: (r: unknown) => void, flags?: number): object;
  spoolWake(handle: object, reader: number): void;
  spoolWaitRoom(handle: object, word: number, seen: number, ms: number): void;
  spoolRef(handle: object, on: boolean): void;
}

const load = loadNativeAddon('digest', 'tapline_digest', (m): m is StageAddon => typeof (m as Record<string, unknown>).spoolStart === 'function');
const skip = load.ok ? false : `digest addon not loaded: ${load.reason}`;

const { OPEN, OPEN_TEE, DATA, FINISH, FINISH_NO_DIGESTS, DROP, WRAP, IDLE, COPY, HEADER, W_POS, R_WRITER: W, R_HASHER: H, PRODUCER_WAITS, DEAD } = SPOOL_PROTOCOL;

interface Result {
  id: number;
  kind: string;
  error: string | null;
  digests?: { md5: string; sha1: string; sha256: string };
  direct?: boolean;
  copyError?: string | null;
}

/** A ring and its control words, with a writer that appends entries as the SpoolRing does. */
class TestRing {
  readonly ring: Uint8Array;
  readonly ctl = new Int32Array(new SharedArrayBuffer(64));
  private readonly words: DataView;
  pos = 0;
  readonly results: Result[] = [];
  private notify: (() => void) | null = null;

  constructor(bytes: number) {
    this.ring = new Uint8Array(new SharedArrayBuffer(bytes));
    this.words = new DataView(this.ring.buffer);
  }

  entry(kind: number, id: number, body: Uint8Array | null, flags = 0, lenOverride?: number): void {
    const at = this.pos & (this.ring.length - 1);
    const len = body ? body.length : 0;
    if (this.ring.length - at < HEADER + ((len + 15) & ~15)) {
      this.words.setUint32(at, WRAP, true);
      this.pos = (this.pos + (this.ring.length - at)) >>> 0;
      return this.entry(kind, id, body, flags, lenOverride);
    }
    this.words.setUint32(at, kind, true);
    this.words.setUint32(at + 4, id, true);
    this.words.setUint32(at + 8, lenOverride ?? len, true);
    this.words.setUint32(at + 12, flags, true);
    if (body) this.ring.set(body, at + HEADER);
    this.pos = (this.pos + HEADER + ((len + 15) & ~15)) >>> 0;
  }

  publish(addon: StageAddon, handle: object): void {
    Atomics.store(this.ctl, W_POS, this.pos | 0);
    addon.spoolWake(handle, 0);
    addon.spoolWake(handle, 1);
  }

  onResults = (m: unknown): void => {
    this.results.push(...(m as Result[]));
    this.notify?.();
  };

  /** Waits until `n` results have come (or fails after 10 s). */
  async until(n: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (this.results.length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.results.length} of ${n} results came`);
      await new Promise<void>((resolve) => {
        this.notify = resolve;
        setTimeout(resolve, 50);
      });
    }
  }
}

const hex = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest('hex');
const text = (s: string) => new TextEncoder().encode(s);

function tempDir(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-stage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A native stage on a fresh ring of `bytes`, holding the event loop until the test ends; flags 1: O_DIRECT. */
function startStage(t: { after: (f: () => void) => void }, bytes: number, flags = 0): { a: StageAddon; r: TestRing; h: object } {
  assert.ok(load.ok);
  const a = load.addon;
  const r = new TestRing(bytes);
  const h = a.spoolStart(r.ring, r.ctl, W, H, r.onResults, flags);
  a.spoolRef(h, true);
  t.after(() => a.spoolRef(h, false));
  return { a, r, h };
}

test("the stage faults the ring's pages in on a thread of its own, changing no byte the carver wrote", { skip: skip || (process.platform === 'linux' ? false : 'resident memory read from /proc') }, async (t) => {
  const rssBytes = (): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN) * 1024;
  assert.ok(load.ok);
  const a = load.addon;
  const bytes = 32 << 20;
  const r = new TestRing(bytes);
  // bytes the carver wrote before the stage started: the first page, one in the middle, the last
  const rnd = prng(11);
  const marks = [0, bytes / 2 + 123, bytes - 4096].map((at) => ({ at, body: Uint8Array.from({ length: 4096 - (at % 4096) }, () => Math.floor(rnd() * 256)) }));
  for (const m of marks) r.ring.set(m.body, m.at);
  const before = rssBytes();
  const h = a.spoolStart(r.ring, r.ctl, W, H, r.onResults, 0);
  a.spoolRef(h, true);
  t.after(() => a.spoolRef(h, false));
  let grown = 0;
  for (let i = 0; i < 200 && grown < (bytes * 3) / 4; i++) {
    await new Promise((res) => setTimeout(res, 10));
    grown = rssBytes() - before;
  }
  assert.ok(grown >= (bytes * 3) / 4, `resident memory grew by ${grown} bytes, not most of the ${bytes}-byte ring`);
  for (const m of marks) assert.deepEqual(r.ring.subarray(m.at, m.at + m.body.length), m.body, `the bytes at ${m.at} are as written`);
});

test('files written through the native stage hold their bytes and come back with one-shot digests; a dropped file is removed', { skip }, async (t) => {
  const dir = tempDir(t);
  const { a, r, h } = startStage(t, 1 << 16);
  const rnd = prng(3);
  const bodies = [0, 1, 5000, 20_000].map((n) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256)));
  bodies.forEach((_, i) => r.entry(OPEN, i + 1, text(join(dir, `f${i}`))));
  r.entry(OPEN, 9, text(join(dir, 'gone')));
  // interleaved pieces, as the carver writes concurrent files
  for (let off = 0; off < 20_000; off += 1500) {
    bodies.forEach((b, i) => {
      if (off < b.length) r.entry(DATA, i + 1, b.subarray(off, Math.min(b.length, off + 1500)));
    });
    r.entry(DATA, 9, new Uint8Array(100));
    // the ring (64 KiB) is smaller than what goes through it: publish and let the stage catch up
    r.publish(a, h);
    r.entry(IDLE, 0, null);
    r.publish(a, h);
    // the slower reader (the hasher, behind the writer) is what frees room
    const seen = Atomics.load(r.ctl, H);
    if (((r.pos - seen) >>> 0) > 32_768) a.spoolWaitRoom(h, H, seen, 1000);
  }
  bodies.forEach((_, i) => r.entry(FINISH, i + 1, null, i % 2));
  r.entry(DROP, 9, text(join(dir, 'gone')));
  r.entry(IDLE, 0, null);
  r.publish(a, h);
  await r.until(bodies.length + 1);
  const byId = new Map(r.results.map((x) => [x.id, x]));
  bodies.forEach((b, i) => {
    const got = byId.get(i + 1);
    assert.equal(got?.kind, 'finished');
    assert.equal(got?.error, null);
    assert.deepEqual(got?.digests, { md5: hex('md5', b), sha1: hex('sha1', b), sha256: hex('sha256', b) }, `file ${i}`);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, `f${i}`))), b, `file ${i} bytes`);
  });
  assert.equal(byId.get(9)?.kind, 'dropped');
  assert.equal(existsSync(join(dir, 'gone')), false);
  assert.equal(Atomics.load(r.ctl, DEAD), 0);
});

test('a file finished without digests comes back without waiting for the hasher, which still hashes the files around it', { skip }, async (t) => {
  const dir = tempDir(t);
  const { a, r, h } = startStage(t, 1 << 16);
  const hashed = text('hashed bytes');
  r.entry(OPEN, 1, text(join(dir, 'hashed')));
  r.entry(OPEN, 2, text(join(dir, 'records')));
  r.entry(DATA, 1, hashed);
  r.entry(DATA, 2, text('{"a":1}\n'));
  r.entry(FINISH, 1, null, 1);
  r.entry(FINISH, 2, null, 1 | FINISH_NO_DIGESTS);
  // no IDLE: the hasher waits for a batch to gather, so only the file without digests can come back
  r.publish(a, h);
  await r.until(1);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(
    r.results.map((x) => [x.id, x.kind, x.error, x.digests]),
    [[2, 'finished', null, undefined]],
  );
  assert.equal(readFileSync(join(dir, 'records'), 'utf8'), '{"a":1}\n');
  r.entry(IDLE, 0, null);
  r.publish(a, h);
  await r.until(2);
  assert.deepEqual(r.results[1].digests, { md5: hex('md5', hashed), sha1: hex('sha1', hashed), sha256: hex('sha256', hashed) });
  assert.equal(Atomics.load(r.ctl, DEAD), 0, 'the writer and the hasher agree on the FINISH jobs');
});

test('a file that cannot be created fails at its finish with the errno, and the others go on', { skip }, async (t) => {
  const dir = tempDir(t);
  const { a, r, h } = startStage(t, 1 << 16);
  r.entry(OPEN, 1, text(join(dir, 'missing-dir', 'x')));
  r.entry(OPEN, 2, text(join(dir, 'ok')));
  r.entry(OPEN, 3, text(`${join(dir, 'nul')}\0/etc/passwd`));
  r.entry(DATA, 1, text('abc'));
  r.entry(DATA, 2, text('abc'));
  r.entry(FINISH, 1, null, 1);
  r.entry(FINISH, 2, null, 1);
  r.entry(FINISH, 3, null, 1);
  r.entry(FINISH, 77, null, 1);
  r.entry(IDLE, 0, null);
  r.publish(a, h);
  await r.until(4);
  const byId = new Map(r.results.map((x) => [x.id, x]));
  assert.match(byId.get(1)?.error ?? '', /^ENOENT: .*, open$/);
  assert.equal(byId.get(2)?.error, null);
  assert.equal(readFileSync(join(dir, 'ok'), 'utf8'), 'abc');
  assert.match(byId.get(3)?.error ?? '', /bad path/, 'a path with a NUL inside is refused, not cut short');
  assert.equal(existsSync(join(dir, 'nul')), false);
  assert.match(byId.get(77)?.error ?? '', /unknown spool file/);
});

test('copies are independent files with the source bytes; an existing target, a missing source and bad paths are errors that leave no file', { skip }, async (t) => {
  const dir = tempDir(t);
  const { a, r, h } = startStage(t, 1 << 16);
  const src = join(dir, 'src');
  const bytes = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 255);
  writeFileSync(src, bytes, { mode: 0o600 });
  writeFileSync(join(dir, 'taken'), 'keep me');
  const pair = (x: string, y: string) => text(`${x}\0${y}`);
  r.entry(COPY, 1, pair(src, join(dir, 'copy')));
  r.entry(COPY, 2, pair(src, join(dir, 'taken')));
  r.entry(COPY, 3, pair(join(dir, 'nothing'), join(dir, 'c3')));
  r.entry(COPY, 4, text(`${src}${join(dir, 'c4')}`));
  r.entry(COPY, 5, text(`${src}\0${join(dir, 'c5')}\0/etc/x`));
  r.entry(COPY, 6, pair(src, join(dir, 'no-dir', 'c6')));
  r.publish(a, h);
  await r.until(6);
  const byId = new Map(r.results.map((x) => [x.id, x]));
  assert.equal(byId.get(1)?.kind, 'copied');
  assert.equal(byId.get(1)?.error, null);
  assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'copy'))), bytes);
  assert.equal(statSync(join(dir, 'copy')).mode & 0o777, 0o600, "the source's permission bits");
  assert.notEqual(statSync(join(dir, 'copy')).ino, statSync(src).ino, 'an inode of its own');
  assert.match(byId.get(2)?.error ?? '', /^EEXIST: /);
  assert.equal(readFileSync(join(dir, 'taken'), 'utf8'), 'keep me', 'an existing file is never replaced');
  assert.match(byId.get(3)?.error ?? '', /^ENOENT: /);
  assert.equal(existsSync(join(dir, 'c3')), false);
  assert.match(byId.get(4)?.error ?? '', /bad paths/);
  assert.match(byId.get(5)?.error ?? '', /bad paths/);
  assert.equal(existsSync(join(dir, 'c5')), false);
  assert.match(byId.get(6)?.error ?? '', /^ENOENT: /);
});

/** Bytes of each file in the page cache (util-linux fincore), or null without fincore. */
function residentBytes(paths: string[]): number[] | null {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', ...paths], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.trim().split('\n').map(Number);
}

/**
 * Opens file i + 1 at paths[i], feeds the bodies through the ring in interleaved pieces of random
 * sizes (1 byte to 70 KB, as concurrent flows arrive), finishes each (synced) and waits for the
 * results. The ring may be smaller than what goes through it: before each entry the feeder waits
 * for room, as the SpoolRing does.
 */
async function spoolThrough(a: StageAddon, r: TestRing, h: object, paths: string[], bodies: Uint8Array[], seed: number, copies?: string[]): Promise<Map<number, Result>> {
  const room = (n: number): void => {
    for (let tries = 0; ((r.pos - (Atomics.load(r.ctl, H) >>> 0)) >>> 0) + HEADER * 3 + n > r.ring.length; tries++) {
      assert.ok(tries < 1000, 'the stage made room');
      r.entry(IDLE, 0, null);
      r.publish(a, h);
      a.spoolWaitRoom(h, H, Atomics.load(r.ctl, H), 100);
    }
  };
  const before = r.results.length;
  const rnd = prng(seed);
  paths.forEach((p, i) => {
    room(p.length * 3 + (copies?.[i].length ?? 0) * 3);
    if (copies) r.entry(OPEN, i + 1, text(`${p}\0${copies[i]}`), OPEN_TEE);
    else r.entry(OPEN, i + 1, text(p));
  });
  const at = bodies.map(() => 0);
  for (let left = true; left; ) {
    left = false;
    bodies.forEach((b, i) => {
      if (at[i] >= b.length) return;
      const n = Math.min(b.length - at[i], 1 + Math.floor(rnd() * 70_000));
      room(n);
      r.entry(DATA, i + 1, b.subarray(at[i], at[i] + n));
      at[i] += n;
      if (at[i] < b.length) left = true;
    });
  }
  bodies.forEach((_, i) => {
    room(0);
    r.entry(FINISH, i + 1, null, 1);
  });
  room(0);
  r.entry(IDLE, 0, null);
  r.publish(a, h);
  await r.until(before + bodies.length);
  return new Map(r.results.slice(before).map((x) => [x.id, x]));
}

const randomBytes = (rnd: () => number, n: number): Uint8Array => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));

/** DIRECT_GATHER (direct_file.h): whole buffers of it go around the page cache, a file's last partial one through it. */
const GATHER = 1024 * 1024;
/** Page-cache bytes a file written on the O_DIRECT path leaves: its last partial buffer's pages. */
const tailPages = (size: number): number => Math.ceil((size % GATHER) / 4096) * 4096;

test('with O_DIRECT, spool files hold exactly their bytes at every size around a block and a gather buffer, stay out of the page cache, and copies read them back exactly', { skip }, async (t) => {
  const dir = tempDir(t);
  const direct = takesDirectIo(dir);
  const fsType = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim();
  // a tmpfs that takes O_DIRECT (Linux 6.6+) keeps every file in memory anyway
  const uncached = direct && fsType !== 'tmpfs' && fsType !== 'ramfs';
  t.diagnostic(`${dir}: ${fsType}, O_DIRECT ${direct ? 'taken' : 'refused'}`);
  const { a, r, h } = startStage(t, 1 << 20, 1);
  const rnd = prng(11);
  const sizes = [0, 1, 4095, 4096, 4097, 262_143, 262_144, 262_145, 1_048_589, 3 * 262_144 + 5000];
  const bodies = sizes.map((n) => randomBytes(rnd, n));
  const paths = sizes.map((_, i) => join(dir, `f${i}`));
  const byId = await spoolThrough(a, r, h, paths, bodies, 12);
  bodies.forEach((b, i) => {
    const got = byId.get(i + 1);
    assert.equal(got?.kind, 'finished', `file ${i}`);
    assert.equal(got?.error, null, `file ${i}`);
    assert.equal(got?.direct, direct, `file ${i} written ${direct ? 'with' : 'without'} O_DIRECT`);
    assert.deepEqual(got?.digests, { md5: hex('md5', b), sha1: hex('sha1', b), sha256: hex('sha256', b) }, `file ${i} digests`);
    assert.equal(statSync(paths[i]).size, b.length, `file ${i}: its size, no padding`);
  });
  const resident = residentBytes(paths);
  if (resident === null) t.diagnostic('fincore (util-linux) not found: page-cache residency not checked');
  else if (uncached) assert.deepEqual(resident, sizes.map(tailPages), 'whole buffers written around the page cache, the last partial one through it');
  // copies (as into OUTDIR): read back with O_DIRECT, written through the page cache
  const copies = sizes.map((_, i) => join(dir, `c${i}`));
  const firstCopy = 100;
  paths.forEach((p, i) => r.entry(COPY, firstCopy + i, text(`${p}\0${copies[i]}`)));
  r.publish(a, h);
  await r.until(sizes.length * 2);
  for (let i = 0; i < sizes.length; i++) {
    const got = r.results.find((x) => x.id === firstCopy + i);
    assert.equal(got?.kind, 'copied', `copy ${i}`);
    assert.equal(got?.error, null, `copy ${i}`);
  }
  const after = residentBytes(paths);
  if (after !== null && uncached) assert.deepEqual(after, sizes.map(tailPages), 'the copies read the uncached sources around the page cache');
  bodies.forEach((b, i) => {
    assert.deepEqual(new Uint8Array(readFileSync(paths[i])), b, `file ${i} bytes`);
    assert.deepEqual(new Uint8Array(readFileSync(copies[i])), b, `copy ${i} bytes`);
  });
  assert.equal(Atomics.load(r.ctl, DEAD), 0);
});

test('a copy written alongside holds the same bytes at every size; an existing target is left alone and reported; a dropped or failed file takes its copy with it; a malformed body is a bad path', { skip }, async (t) => {
  const dir = tempDir(t);
  const direct = takesDirectIo(dir);
  const fsType = spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim();
  const uncached = direct && fsType !== 'tmpfs' && fsType !== 'ramfs';
  for (const flags of [1, 0]) {
    const { a, r, h } = startStage(t, 1 << 20, flags);
    const rnd = prng(51 + flags);
    const sizes = [0, 1, 4095, 4096, 4097, 262_145, 1_048_589];
    const bodies = sizes.map((n) => randomBytes(rnd, n));
    const paths = sizes.map((_, i) => join(dir, `f${flags}-${i}`));
    const copies = sizes.map((_, i) => join(dir, `c${flags}-${i}`));
    const byId = await spoolThrough(a, r, h, paths, bodies, 52, copies);
    const resident = residentBytes(copies);
    bodies.forEach((b, i) => {
      const got = byId.get(i + 1);
      assert.equal(got?.error, null, `file ${i}`);
      assert.equal(got?.copyError, null, `copy ${i}`);
      assert.equal(statSync(copies[i]).size, b.length, `copy ${i}: its size, no padding`);
    });
    // with O_DIRECT the copy's whole buffers are written around the page cache too
    if (resident !== null && flags === 1 && uncached) assert.deepEqual(resident, sizes.map(tailPages));
    bodies.forEach((b, i) => {
      assert.deepEqual(new Uint8Array(readFileSync(copies[i])), b, `copy ${i} bytes (flags ${flags})`);
      assert.deepEqual(new Uint8Array(readFileSync(paths[i])), b, `file ${i} bytes (flags ${flags})`);
    });
    // an existing target; a dropped file; a file that cannot be created; malformed bodies
    writeFileSync(join(dir, `taken${flags}`), 'keep me');
    const base = r.results.length;
    r.entry(OPEN, 11, text(`${join(dir, `g${flags}`)}\0${join(dir, `taken${flags}`)}`), OPEN_TEE);
    r.entry(OPEN, 12, text(`${join(dir, `d${flags}`)}\0${join(dir, `dc${flags}`)}`), OPEN_TEE);
    r.entry(OPEN, 13, text(`${join(dir, 'no-dir', 'x')}\0${join(dir, `nc${flags}`)}`), OPEN_TEE);
    r.entry(OPEN, 14, text(join(dir, `m${flags}`)), OPEN_TEE);
    r.entry(OPEN, 15, text(`${join(dir, `e${flags}`)}\0`), OPEN_TEE);
    for (const id of [11, 12, 13]) r.entry(DATA, id, text('abc'));
    r.entry(FINISH, 11, null, 1);
    r.entry(DROP, 12, text(join(dir, `d${flags}`)));
    r.entry(FINISH, 13, null, 1);
    r.entry(FINISH, 14, null, 1);
    r.entry(FINISH, 15, null, 1);
    r.entry(IDLE, 0, null);
    r.publish(a, h);
    await r.until(base + 5);
    const more = new Map(r.results.slice(base).map((x) => [x.id, x]));
    assert.equal(more.get(11)?.error, null, 'the file is fine without its copy');
    assert.match(more.get(11)?.copyError ?? '', /^EEXIST: .*, copy$/);
    assert.equal(readFileSync(join(dir, `taken${flags}`), 'utf8'), 'keep me', 'an existing file is never replaced');
    assert.equal(readFileSync(join(dir, `g${flags}`), 'utf8'), 'abc');
    assert.equal(more.get(12)?.kind, 'dropped');
    assert.equal(existsSync(join(dir, `dc${flags}`)), false, "a dropped file's copy is removed");
    assert.match(more.get(13)?.error ?? '', /^ENOENT: /);
    assert.equal(existsSync(join(dir, `nc${flags}`)), false, 'no copy of a file that could not be created');
    assert.match(more.get(14)?.error ?? '', /bad path/, 'the tee flag without a second path');
    assert.match(more.get(15)?.error ?? '', /bad path/, 'an empty copy path');
    assert.equal(existsSync(join(dir, `m${flags}`)), false);
    assert.equal(existsSync(join(dir, `e${flags}`)), false);
  }
});

test('past the files a stage writes with O_DIRECT at once, the others go through the page cache, and every file holds its bytes', { skip }, async (t) => {
  const dir = tempDir(t);
  const direct = takesDirectIo(dir);
  const { a, r, h } = startStage(t, 1 << 20, 1);
  const rnd = prng(21);
  // DIRECT_MAX_OPEN (direct_file.h) is 32: all 34 are open before any finishes
  const bodies = Array.from({ length: 34 }, (_, i) => randomBytes(rnd, 3000 + i * 37));
  const paths = bodies.map((_, i) => join(dir, `f${i}`));
  const byId = await spoolThrough(a, r, h, paths, bodies, 22);
  bodies.forEach((b, i) => {
    const got = byId.get(i + 1);
    assert.equal(got?.error, null, `file ${i}`);
    assert.equal(got?.direct, direct && i < 32, `file ${i}`);
    assert.deepEqual(new Uint8Array(readFileSync(paths[i])), b, `file ${i} bytes`);
  });
  // the buffers came back: the next files are written with O_DIRECT again
  const more = [randomBytes(rnd, 9000)];
  const again = await spoolThrough(a, r, h, [join(dir, 'again')], more, 23);
  assert.equal(again.get(1)?.direct, direct);
  assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'again'))), more[0]);
});

/** A scratch file system for the test (root only), removed after it; the reason when it cannot be mounted. */
function mountFor(t: { after: (f: () => void) => void }, kind: 'ramfs' | 'ext4'): { dir: string } | { skip: string } {
  const m = mountScratch(kind, 8);
  if ('remove' in m) t.after(m.remove);
  return m;
}

test('a file system that refuses O_DIRECT gets its spool files through the page cache, byte for byte', { skip }, async (t) => {
  const m = mountFor(t, 'ramfs');
  if ('skip' in m) return t.skip(m.skip);
  assert.equal(takesDirectIo(m.dir), false, 'ramfs refuses O_DIRECT');
  const { a, r, h } = startStage(t, 1 << 20, 1);
  const rnd = prng(31);
  const bodies = [0, 4097, 300_001].map((n) => randomBytes(rnd, n));
  const paths = bodies.map((_, i) => join(m.dir, `f${i}`));
  const byId = await spoolThrough(a, r, h, paths, bodies, 32);
  bodies.forEach((b, i) => {
    assert.equal(byId.get(i + 1)?.error, null, `file ${i}`);
    assert.equal(byId.get(i + 1)?.direct, false, `file ${i}`);
    assert.deepEqual(new Uint8Array(readFileSync(paths[i])), b, `file ${i} bytes`);
  });
});

test('a full disk fails the file being written with ENOSPC, and once space returns the next file is written with O_DIRECT again', { skip }, async (t) => {
  const m = mountFor(t, 'ext4');
  if ('skip' in m) return t.skip(m.skip);
  const { a, r, h } = startStage(t, 1 << 20, 1);
  const rnd = prng(41);
  const big = randomBytes(rnd, 12 * 1024 * 1024);
  const byId = await spoolThrough(a, r, h, [join(m.dir, 'big')], [big], 42);
  assert.match(byId.get(1)?.error ?? '', /^ENOSPC: .*, write$/);
  unlinkSync(join(m.dir, 'big'));
  const small = [randomBytes(rnd, 100_000)];
  const next = await spoolThrough(a, r, h, [join(m.dir, 'small')], small, 43);
  assert.equal(next.get(1)?.error, null);
  assert.equal(next.get(1)?.direct, true);
  assert.deepEqual(new Uint8Array(readFileSync(join(m.dir, 'small'))), small[0]);
  // the copy's disk fills, not the file's: the file is stored, the copy reported and removed
  const dir = tempDir(t);
  const copied = await spoolThrough(a, r, h, [join(dir, 'kept')], [big], 44, [join(m.dir, 'copy')]);
  assert.equal(copied.get(1)?.error, null);
  assert.match(copied.get(1)?.copyError ?? '', /^ENOSPC: .*, copy$/);
  assert.equal(existsSync(join(m.dir, 'copy')), false);
  assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'kept'))), big);
});

test('copyFileOffThread copies on either spool path and refuses to replace a file', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a'), 'abc');
  writeFileSync(join(dir, 'b'), 'old');
  await copyFileOffThread(join(dir, 'a'), join(dir, 'c'));
  assert.equal(readFileSync(join(dir, 'c'), 'utf8'), 'abc');
  await assert.rejects(copyFileOffThread(join(dir, 'a'), join(dir, 'b')), /EEXIST/);
  assert.equal(readFileSync(join(dir, 'b'), 'utf8'), 'old');
});

test('a malformed ring stops the stage with the dead flag and a fatal result, never a read outside the ring', { skip }, async () => {
  assert.ok(load.ok);
  const a = load.addon;
  const cases: [string, (r: TestRing) => void][] = [
    ['unknown kind', (r) => r.entry(99, 1, null)],
    ['length past the ring end', (r) => r.entry(DATA, 1, new Uint8Array(16), 0, 1 << 20)],
    ['length of 2^32-1', (r) => r.entry(OPEN, 1, null, 0, 0xffffffff)],
  ];
  for (const [what, write] of cases) {
    const r = new TestRing(1 << 12);
    const h = a.spoolStart(r.ring, r.ctl, W, H, r.onResults);
    a.spoolRef(h, true);
    write(r);
    r.publish(a, h);
    r.entry(IDLE, 0, null);
    await r.until(1);
    a.spoolRef(h, false);
    assert.equal(r.results[0].kind, 'fatal', what);
    assert.match(r.results[0].error ?? '', /spool ring: /, what);
    assert.equal(Atomics.load(r.ctl, DEAD), 1, what);
    // a carver waiting for room is not left waiting on a dead stage
    const t0 = Date.now();
    a.spoolWaitRoom(h, H, Atomics.load(r.ctl, H), 5000);
    assert.ok(Date.now() - t0 < 4000, `${what}: the wait for room returned on the dead flag`);
  }
});

test('the stage refuses memory it could lose and arguments out of range', { skip }, () => {
  assert.ok(load.ok);
  const a = load.addon;
  const ctl = new Int32Array(new SharedArrayBuffer(64));
  const cb = () => undefined;
  const shared = () => new Uint8Array(new SharedArrayBuffer(4096));
  assert.throws(() => a.spoolStart(new Uint8Array(1 << 12), ctl, W, H, cb), RangeError, 'a plain ArrayBuffer ring');
  assert.throws(() => a.spoolStart(new Uint8Array(new SharedArrayBuffer(5000)), ctl, W, H, cb), RangeError, 'not a power of two');
  assert.throws(() => a.spoolStart(shared(), new Int32Array(16), W, H, cb), RangeError, 'plain control words');
  assert.throws(() => a.spoolStart(shared(), ctl, 0, H, cb), RangeError, 'the write position as read position');
  assert.throws(() => a.spoolStart(shared(), ctl, W, 12, cb), RangeError, 'words past the control block');
  assert.throws(() => a.spoolStart(shared(), ctl, W, W, cb), RangeError, 'one word for both readers');
  assert.throws(() => a.spoolStart(shared(), ctl, W, W + 4, cb), RangeError, "a reader's position on the other's sleeping flag");
  assert.throws(() => a.spoolStart(shared(), ctl, W, H, 7 as unknown as () => void), TypeError);
  assert.throws(() => a.spoolWake({}, 0), TypeError);
  // the staged bytes' copy into the ring: within both buffers or nothing
  const ring = new Uint8Array(new SharedArrayBuffer(64));
  const src = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  a.copy(ring, 48, src, 16);
  assert.deepEqual(ring.subarray(48), src);
  for (const [at, n] of [[49, 16], [-1, 4], [0, 17], [65, 0], [0, -1]]) {
    assert.throws(() => a.copy(ring, at, src, n), RangeError, `at ${at}, n ${n}`);
  }
  assert.deepEqual(ring.subarray(0, 48), new Uint8Array(48), 'a refused copy wrote nothing');
  assert.throws(() => a.spoolWaitRoom({}, H, 0, 1), TypeError);
});

test('waiting for room returns when the stage moves, and after its timeout when it does not', { skip }, async (t) => {
  assert.ok(load.ok);
  const a = load.addon;
  const dir = tempDir(t);
  const r = new TestRing(1 << 16);
  const h = a.spoolStart(r.ring, r.ctl, W, H, r.onResults);
  const t0 = Date.now();
  a.spoolWaitRoom(h, H, 0, 60);
  assert.ok(Date.now() - t0 >= 50, 'timed out, not returned at once');
  a.spoolRef(h, true);
  t.after(() => a.spoolRef(h, false));
  r.entry(OPEN, 1, text(join(dir, 'a')));
  r.entry(DATA, 1, new Uint8Array(1000));
  Atomics.store(r.ctl, PRODUCER_WAITS, 1); // the producer waits: the stage hashes what it has and moves
  r.publish(a, h);
  const t1 = Date.now();
  a.spoolWaitRoom(h, H, 0, 5000);
  assert.ok(Date.now() - t1 < 4000, 'woken by the stage');
  assert.notEqual(Atomics.load(r.ctl, H), 0);
  assert.ok(((Atomics.load(r.ctl, W) - Atomics.load(r.ctl, H)) >>> 0) < 1 << 16, 'the hasher never passes the writer');
});

test('the native stage, with and without O_DIRECT, and the worker stages it replaces give the same files and digests (TAPLINE_SPOOL_STAGE=workers, TAPLINE_SPOOL_DIRECT=0)', { skip }, () => {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  // without AVX-512 (or with TAPLINE_SPOOL_STAGE=workers around this test) the workers are the only path
  const nativeHere = digestStages().native !== null;
  const runs: [string, string[]][] = [
    ['spool-hash.test.ts', []],
    ['spool-stage.test.ts', ['--test-name-pattern', 'copyFileOffThread']],
    ['digest-lanes.test.ts', ['--test-name-pattern', 'forty interleaved files']],
  ];
  for (const [stage, direct] of [
    ['native', '1'],
    ['native', '0'],
    ['workers', '1'],
  ]) {
    for (const [file, args] of runs) {
      const check = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...args, join(import.meta.dirname, file)], {
        cwd: join(import.meta.dirname, '../../..'),
        env: { ...env, TAPLINE_SPOOL_STAGE: stage, TAPLINE_SPOOL_DIRECT: direct, TAPLINE_DEBUG: '1' },
        encoding: 'utf8',
        timeout: 180_000,
      });
      assert.equal(check.status, 0, `TAPLINE_SPOOL_STAGE=${stage} TAPLINE_SPOOL_DIRECT=${direct} ${file}:\n${check.stdout}\n${check.stderr}`);
      assert.match(check.stdout, /# fail 0\b/);
      assert.doesNotMatch(check.stdout, /# pass 0\b/);
      // the path taken is the one asked for (the debug line of the first spool)
      const path = stage === 'native' && nativeHere ? (direct === '1' ? /\); native spool threads, spool files with O_DIRECT/ : /\); native spool threads, spool files through the page cache/) : /\); spool workers/;
      assert.match(check.stderr + check.stdout, path, `${stage} ${file}`);
    }
  }
});
