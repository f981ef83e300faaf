/**
 * Spooling carved files off the carving thread. The carver copies each file's bytes once, into a
 * ring in shared memory (SpoolRing, 32 MiB); two or three worker threads read the same ring:
 *
 *   writer:   creates each spool file, writes its bytes, fsyncs (on libuv's pool, so it keeps
 *             going meanwhile), closes, and removes a discarded file;
 *   digests:  with AVX-512 and the native digest addon, one "lanes" stage takes md5, sha1 and
 *             sha256 of up to sixteen files at once (lanesSource); otherwise sha256 + sha1 on
 *             OpenSSL in one stage and md5 in another (8 AVX2 lanes, or OpenSSL).
 *
 * Why a ring and not messages: handing 1 MiB batches from thread to thread as transferred
 * buffers cost a message per batch and per stage, a fresh (zero-filled) batch whenever the
 * returned ones had not come back yet, and the garbage of both. With the ring the carver's only
 * cost per byte is the copy, and a batch costs a few atomic operations. On OpenSSL the three
 * digests cost about as much CPU as reading, reassembling and carving together (md5 alone runs
 * at ~0.4-0.6 GB/s, sha256 and sha1 with SHA-NI at ~1 GB/s each), so md5 has a thread of its own
 * and sha256 and sha1 share one; in lanes all three take ~0.4 s per 256 MB instead of ~1.05.
 * Writing has its own stage because creating a file waits on the file system journal while other
 * files are fsynced.
 *
 * Ring entries (16-byte header: kind, file id, length, flags; body padded to 16 bytes) are OPEN
 * (path), DATA (bytes), FINISH (fsync flag), DROP (path), WRAP (the rest of the ring is unused),
 * IDLE (the carver has nothing more for now).
 * The carver publishes entries by storing the write position (Atomics) and waits (Atomics.wait)
 * while the slowest stage is a full ring behind, so memory stays bounded whatever the speeds.
 * Every stage reads the entries in order, so a FINISH sees every byte written before it.
 * Positions are byte counts modulo 2^32; the ring size divides 2^32.
 *
 * The workers start on first use and are unref'd while no digest is awaited.
 */
import { constants } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { loadNativeAddon } from '../native/native-addon.js';

/** Ring size: bytes the carver may be ahead of the slowest stage (a power of two). */
const RING_BYTES = 32 * 1024 * 1024;
/**
 * Largest DATA entry: a stage gets to work after at most this many bytes. 1 MiB rather than
 * 256 KiB: each entry is one pass of a stage's read loop (and one hash update per digest), and
 * with ~2,200 entries per 256 MiB carved the loops of all three stages became hot enough for
 * TurboFan, which compiled each loop with its entry handler and Node's Hash.update inlined on
 * V8's helper threads (the largest compiles of a carve after the carver's own); with ~1,700
 * entries two of the three are no longer compiled (`--trace-opt`).
 */
const ENTRY_MAX = 1024 * 1024;
/** Bytes gathered in the staging buffer before they are copied into the open entry (see `staged`). */
const STAGE_BYTES = 256 * 1024;
/** Unread bytes that make the carver wake a sleeping stage (see publish); a lanes stage waits for LANES_BATCH_BYTES. */
const WAKE_BYTES = 4 * 1024 * 1024;
/** Bytes a lanes stage lets gather before it hashes (unless the carver is idle or waits for room). */
const LANES_BATCH_BYTES = 16 * 1024 * 1024;
const HEADER = 16;
/** Bytes of one digest context of a lanes stage (SLOT_BYTES in native/digest/src/digest_lanes.h). */
const DIGEST_SLOT_BYTES = 128;
type DigestName = 'md5' | 'sha1' | 'sha256';
/** The addon's algorithm numbers (enum digest_alg) and digest lengths. */
const ALG_IDS: Record<DigestName, number> = { md5: 0, sha1: 1, sha256: 2 };
const DIGEST_BYTES: Record<DigestName, number> = { md5: 16, sha1: 20, sha256: 32 };

const OPEN = 1;
const DATA = 2;
const FINISH = 3;
/** A FINISH flag of the native stage (spool_stage.c F_NO_DIGESTS): finished without digests. */
const FINISH_NO_DIGESTS = 2;
/** An OPEN flag of the native stage (spool_stage.c F_TEE): the body is the path, NUL, the path of a copy written alongside. */
const OPEN_TEE = 1;
const DROP = 4;
const WRAP = 5;
/** No body: the carver has gone idle (see SpoolRing.flushWhenIdle), so a lanes stage hashes what it holds. */
const IDLE = 6;
/** The native stage only: an independent copy of a finished file, made by a finisher thread (body: source NUL target). */
const COPY = 7;

/**
 * Control words: [0] write position; [1..3] each stage's read position (writer, then the digest stages);
 * [4] the carver waits for room; [5..7] a stage sleeps (waits for entries). Notifications are
 * sent only to a sleeper: a futex wake per batch cost more than the batch's atomics.
 */
const W_POS = 0;
const R_WRITER = 1;
/** Read positions of the digest stages (one or two of them, see digestStages). */
const R_DIGESTS = [2, 3] as const;
const PRODUCER_WAITS = 4;
const SLEEPS = 4;
/** Set by a stage that failed: the carver may be blocked in Atomics.wait, where no 'error' event reaches it. */
const DEAD = 8;
/**
 * Each stage's bell ([9..11]): a stage sleeps on its own bell, and the carver rings (adds one
 * and notifies) only the stage it means to wake; all stages waiting on the write position woke
 * together whenever one of them was meant to.
 */
const BELLS = 8;

/** The ring protocol's entry kinds and control-word indexes, for tests that drive a stage entry by entry. */
export const SPOOL_PROTOCOL = { OPEN, OPEN_TEE, DATA, FINISH, FINISH_NO_DIGESTS, DROP, WRAP, IDLE, COPY, HEADER, W_POS, R_WRITER, R_HASHER: R_DIGESTS[0], PRODUCER_WAITS, DEAD } as const;

/** A copy written alongside a spool file (SpoolRing.open's `copyTo`): at `path` unless `error`. */
export interface SpoolCopy {
  path: string;
  error: string | null;
}

export interface FileDigests {
  sha256: string;
  md5: string;
  sha1: string;
}

// What every stage starts with (plain CommonJS: runs the same under tsx and from dist).
const PRELUDE = `
const { parentPort, workerData } = require('node:worker_threads');
const ring = new Uint8Array(workerData.ring);
const words = new DataView(workerData.ring);
const ctl = new Int32Array(workerData.ctl);
const MASK = ring.length - 1;
const me = workerData.me;
const decoder = new TextDecoder();
const text = (at, len) => decoder.decode(ring.slice(at, at + len));
// a pending Atomics.waitAsync does not keep a thread alive; a port listener does
parentPort.on('message', () => undefined);
// the entry at ring position pos: visit(kind, id, body offset, length, flags) unless it is a
// WRAP (the rest of the ring unused); the next entry's position
function step(pos, visit) {
  const at = pos & MASK;
  const kind = words.getUint32(at, true);
  if (kind === ${WRAP}) return (pos + (ring.length - at)) >>> 0;
  const len = words.getUint32(at + 8, true);
  visit(kind, words.getUint32(at + 4, true), at + ${HEADER}, len, words.getUint32(at + 12, true));
  return (pos + ${HEADER} + ((len + 15) & ~15)) >>> 0;
}
// a failed stage says so in shared memory before its error ends it
const die = (e) => {
  Atomics.store(ctl, ${DEAD}, 1);
  Atomics.notify(ctl, me);
  throw e;
};
`;

// The read loop of the writer and the OpenSSL digest stages: every entry as soon as it is seen.
const READER = `${PRELUDE}
async function loop(handle) {
  let r = Atomics.load(ctl, me) >>> 0;
  for (;;) {
    // the bell before the position: a ring after this read makes the wait below return at once
    const bell = Atomics.load(ctl, me + ${BELLS});
    const w = Atomics.load(ctl, ${W_POS}) >>> 0;
    while (r !== w) {
      r = step(r, handle);
      Atomics.store(ctl, me, r | 0);
      if (Atomics.load(ctl, ${PRODUCER_WAITS}) !== 0) Atomics.notify(ctl, me);
    }
    // say we sleep, then look again (the carver stores its position, then reads this flag)
    Atomics.store(ctl, me + ${SLEEPS}, 1);
    if ((Atomics.load(ctl, ${W_POS}) >>> 0) === w) {
      const res = Atomics.waitAsync(ctl, me + ${BELLS}, bell);
      if (res.async) await res.value;
    }
    Atomics.store(ctl, me + ${SLEEPS}, 0);
  }
}
`;

// Files are created, written, synced and closed by a stage of their own: creating a file waits
// for the file system journal while other files are fsynced (about 1 ms each on ext4), which
// would otherwise stall a digest.
const WRITER_SOURCE = `${READER}
const fs = require('node:fs');
const files = new Map();
const message = (e) => (e && e.message) || String(e);
loop((kind, id, at, len, flags) => {
  if (kind === ${DATA}) {
    const f = files.get(id);
    if (!f || f.error !== null) return;
    try {
      let off = 0;
      while (off < len) off += fs.writeSync(f.fd, ring, at + off, len - off);
    } catch (e) {
      f.error = message(e);
    }
  } else if (kind === ${OPEN}) {
    const f = { fd: -1, error: null };
    try {
      f.fd = fs.openSync(text(at, len), 'wx', 0o600);
    } catch (e) {
      f.error = message(e);
    }
    files.set(id, f);
  } else if (kind === ${FINISH}) {
    const f = files.get(id);
    files.delete(id);
    if (!f) {
      parentPort.postMessage({ id, stage: 'writer', error: 'unknown spool file' });
      return;
    }
    const done = (e) => {
      let error = f.error !== null ? f.error : e ? message(e) : null;
      if (f.fd >= 0) {
        try {
          fs.closeSync(f.fd);
        } catch (c) {
          if (error === null) error = message(c);
        }
      }
      parentPort.postMessage({ id, stage: 'writer', error });
    };
    if (f.error !== null || !flags) done(null);
    else fs.fsync(f.fd, done);
  } else if (kind === ${DROP}) {
    const f = files.get(id);
    files.delete(id);
    if (f && f.fd >= 0) {
      try {
        fs.closeSync(f.fd);
      } catch {}
    }
    try {
      fs.rmSync(text(at, len), { force: true });
    } catch {}
    parentPort.postMessage({ id, stage: 'dropped' });
  }
}).catch(die);
`;

/** A digest stage: each of `algorithms` updated on every DATA entry of a file, hex digests posted at FINISH. */
const digestSource = (stage: string, algorithms: readonly string[]): string => `${READER}
const { createHash } = require('node:crypto');
const algorithms = ${JSON.stringify(algorithms)};
// the first hash of each algorithm sets OpenSSL up (provider fetch): done while the carver starts
for (const a of algorithms) createHash(a).digest();
const files = new Map();
loop((kind, id, at, len) => {
  if (kind === ${DATA}) {
    let hs = files.get(id);
    if (!hs) files.set(id, (hs = algorithms.map((a) => createHash(a))));
    const b = ring.subarray(at, at + len);
    for (const h of hs) h.update(b);
  } else if (kind === ${FINISH}) {
    const hs = files.get(id) || algorithms.map((a) => createHash(a));
    files.delete(id);
    const digests = {};
    algorithms.forEach((a, i) => (digests[a] = hs[i].digest('hex')));
    parentPort.postMessage({ id, stage: '${stage}', digests });
  } else if (kind === ${DROP}) {
    files.delete(id);
  }
}).catch(die);
`;

/**
 * A digest stage on the native multi-buffer hashing (native/digest): one file's digest is a
 * serial chain (MD5 ~0.45-0.5 GB/s, SHA-1 and SHA-256 ~1 GB/s with SHA-NI), but sixteen files
 * hashed side by side in AVX-512 lanes (eight with AVX2, MD5 only) cost about what one does
 * alone. So this stage lets entries gather instead of hashing each as it comes: it hashes when
 * it is LANES_BATCH_BYTES behind (~32 files of the bench's size), when the carver waits for
 * room, or at an IDLE entry (the carver wrote nothing for a moment while files waited: a carve's
 * end, or a pause). Its read position, which frees ring space, moves only past what it has
 * hashed, so the pending bytes stay in place in the ring. Each file has a context slot in one
 * pool per algorithm; a DROP frees the slot.
 */
const lanesSource = (algorithms: readonly DigestName[]): string => `${PRELUDE}
const addon = (() => {
  const m = { exports: {} };
  process.dlopen(m, workerData.addon);
  return m.exports;
})();
const NAMES = ${JSON.stringify(algorithms)};
const ALG_IDS = ${JSON.stringify(ALG_IDS)};
const DIGEST_BYTES = ${JSON.stringify(DIGEST_BYTES)};
const ALGS = NAMES.map((n) => ALG_IDS[n]);
const BATCH_BYTES = ${LANES_BATCH_BYTES};
const SLOT = ${DIGEST_SLOT_BYTES};
let pools = ALGS.map(() => new Uint8Array(SLOT * 64));
const slots = new Map();
const freeSlots = [];
let slotCount = 0;
const out = new Uint8Array(32);
function slotOf(id) {
  let s = slots.get(id);
  if (s === undefined) {
    s = freeSlots.length > 0 ? freeSlots.pop() : slotCount++;
    if ((s + 1) * SLOT > pools[0].length) {
      pools = pools.map((p) => {
        const grown = new Uint8Array(p.length * 2);
        grown.set(p);
        return grown;
      });
    }
    ALGS.forEach((a, i) => addon.reset(a, pools[i], s));
    slots.set(id, s);
  }
  return s;
}
function release(id) {
  const s = slots.get(id);
  if (s === undefined) return;
  slots.delete(id);
  freeSlots.push(s);
}
// entries seen but not hashed yet: DATA ranges per file (in order), then FINISH and DROP in order
let ranges = new Map();
let ends = [];
let jobs = new Int32Array(1024);
function hashPending() {
  let words = 1;
  for (const list of ranges.values()) words += 2 + list.length;
  if (words > jobs.length) jobs = new Int32Array(words * 2);
  let k = 1;
  for (const [id, list] of ranges) {
    jobs[k++] = slotOf(id);
    jobs[k++] = list.length / 2;
    for (let i = 0; i < list.length; i++) jobs[k++] = list[i];
  }
  jobs[0] = ranges.size;
  if (ranges.size > 0) ALGS.forEach((a, i) => addon.update(a, ring, pools[i], jobs));
  ranges = new Map();
  for (const e of ends) {
    if (e.kind === ${FINISH}) {
      const s = slotOf(e.id);
      const digests = {};
      ALGS.forEach((a, i) => {
        addon.final(a, pools[i], s, out);
        digests[NAMES[i]] = Buffer.from(out.subarray(0, DIGEST_BYTES[NAMES[i]])).toString('hex');
      });
      release(e.id);
      parentPort.postMessage({ id: e.id, stage: 'lanes', digests });
    } else release(e.id);
  }
  ends = [];
}
let idle = false;
// an entry seen: its bytes wait in the ring (ranges), a FINISH or DROP for after them (ends)
function gather(kind, id, at, len) {
  if (kind === ${DATA}) {
    let list = ranges.get(id);
    if (!list) ranges.set(id, (list = []));
    list.push(at, len);
  } else if (kind === ${FINISH}) ends.push({ kind, id });
  else if (kind === ${IDLE}) idle = true;
  else if (kind === ${DROP}) {
    // a dropped file's pending bytes need no hashing
    ranges.delete(id);
    ends.push({ kind, id });
  }
}
async function loop() {
  let r = Atomics.load(ctl, me) >>> 0;
  let scan = r;
  for (;;) {
    const bell = Atomics.load(ctl, me + ${BELLS});
    const w = Atomics.load(ctl, ${W_POS}) >>> 0;
    while (scan !== w) scan = step(scan, gather);
    if (scan !== r && (idle || ((scan - r) >>> 0) >= BATCH_BYTES || Atomics.load(ctl, ${PRODUCER_WAITS}) !== 0)) {
      hashPending();
      r = scan;
      idle = false;
      Atomics.store(ctl, me, r | 0);
      if (Atomics.load(ctl, ${PRODUCER_WAITS}) !== 0) Atomics.notify(ctl, me);
      continue;
    }
    // sleep until rung, even with entries pending: the carver rings when BATCH_BYTES have
    // gathered, when it waits for room and when it goes idle (after the flag is set, it sees it)
    Atomics.store(ctl, me + ${SLEEPS}, 1);
    const res = Atomics.waitAsync(ctl, me + ${BELLS}, bell);
    if (res.async) await res.value;
    Atomics.store(ctl, me + ${SLEEPS}, 0);
  }
}
loop().catch(die);
`;

/** The digest addon's interface (native/digest/src/digest_addon.c); `alg` is an ALG_IDS value. */
interface DigestAddon {
  width(alg: number): number;
  reset(alg: number, pool: Uint8Array, slot: number): void;
  update(alg: number, ring: Uint8Array, pool: Uint8Array, jobs: Int32Array): void;
  final(alg: number, pool: Uint8Array, slot: number, out: Uint8Array): void;
}

/**
 * The addon's native spool stage (native/digest/src/spool_stage.c): the writer and lanes stages as
 * two C threads on the same ring. Its results come in batches through `onResults`.
 */
interface NativeSpoolStage {
  copy(dst: Uint8Array, at: number, src: Uint8Array, n: number): void;
  /** flags: SPOOL_DIRECT or 0 */
  spoolStart(ring: Uint8Array, ctl: Int32Array, writer: number, hasher: number, onResults: (results: unknown) => void, flags?: number): object;
  spoolWake(handle: object, reader: number): void;
  spoolWaitRoom(handle: object, word: number, seen: number, ms: number): void;
  spoolRef(handle: object, on: boolean): void;
}

function hasNativeStage(m: DigestAddon): m is DigestAddon & NativeSpoolStage {
  const a = m as unknown as Record<string, unknown>;
  return typeof a.copy === 'function' && typeof a.spoolStart === 'function' && typeof a.spoolWake === 'function' && typeof a.spoolWaitRoom === 'function' && typeof a.spoolRef === 'function';
}

/**
 * spoolStart's flag: spool files written with O_DIRECT where the file system takes it, and copies
 * of uncached files read the same way (native/digest/src/direct_file.c says why);
 * TAPLINE_SPOOL_DIRECT=0 writes through the page cache.
 */
const SPOOL_DIRECT = 1;

/** One result of the native stage: a file finished (with its digests unless it failed), dropped, or the stage's fatal error. */
interface NativeResult {
  id: number;
  kind: 'finished' | 'dropped' | 'copied' | 'fatal';
  error: string | null;
  digests?: FileDigests;
  /** finished: its bytes were written with O_DIRECT */
  direct?: boolean;
  /** finished, with a copy asked for at open: null when made, else why not (the stage removed it) */
  copyError?: string | null;
}

function isNativeResults(m: unknown): m is NativeResult[] {
  return (
    Array.isArray(m) &&
    m.every((r: unknown) => {
      if (typeof r !== 'object' || r === null) return false;
      const o = r as Record<string, unknown>;
      return typeof o.id === 'number' && (o.kind === 'finished' || o.kind === 'dropped' || o.kind === 'copied' || o.kind === 'fatal') && (o.error === null || typeof o.error === 'string');
    })
  );
}

function isDigestAddon(m: unknown): m is DigestAddon {
  if (typeof m !== 'object' || m === null) return false;
  const a = m as Record<string, unknown>;
  return typeof a.width === 'function' && typeof a.reset === 'function' && typeof a.update === 'function' && typeof a.final === 'function';
}

/**
 * How the digest stages hash: with AVX-512 one stage takes all three digests in 16 lanes; with
 * AVX2 MD5 takes 8 lanes and SHA-256 + SHA-1 stay on OpenSSL (SHA-NI hashes one file as fast as
 * 8 lanes would); otherwise, or without the addon (not built, TAPLINE_NATIVE=0), OpenSSL.
 */
export function digestStages(): {
  lanes: DigestName[];
  openssl: DigestName[][];
  width: number;
  addon: string | null;
  /** With AVX-512: the writer and lanes stages as native threads (TAPLINE_SPOOL_STAGE=workers: as worker isolates). */
  native: NativeSpoolStage | null;
  reason: string;
} {
  const load = loadNativeAddon('digest', 'tapline_digest', isDigestAddon);
  if (!load.ok) return { lanes: [], openssl: [['sha256', 'sha1'], ['md5']], width: 1, addon: null, native: null, reason: load.reason };
  const width = (n: DigestName) => load.addon.width(ALG_IDS[n]);
  if (width('md5') > 1 && width('sha1') > 1 && width('sha256') > 1) {
    const native = process.env.TAPLINE_SPOOL_STAGE !== 'workers' && hasNativeStage(load.addon) ? load.addon : null;
    return { lanes: ['md5', 'sha1', 'sha256'], openssl: [], width: Math.min(width('md5'), width('sha1'), width('sha256')), addon: load.path, native, reason: 'AVX-512' };
  }
  if (width('md5') > 1) return { lanes: ['md5'], openssl: [['sha256', 'sha1']], width: width('md5'), addon: load.path, native: null, reason: 'MD5 in AVX2 lanes' };
  return { lanes: [], openssl: [['sha256', 'sha1'], ['md5']], width: 1, addon: null, native: null, reason: 'no SIMD lanes on this CPU' };
}

interface WriterReply {
  id: number;
  stage: 'writer';
  error: string | null;
}

interface DigestReply {
  id: number;
  /** The digest stage's name: its algorithms joined by '+', or 'lanes'. */
  stage: string;
  digests: Record<string, string>;
}

function isWriterReply(m: unknown): m is WriterReply {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return r.stage === 'writer' && typeof r.id === 'number' && (r.error === null || typeof r.error === 'string');
}

function isDroppedReply(m: unknown): m is { id: number; stage: 'dropped' } {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>).stage === 'dropped' && typeof (m as Record<string, unknown>).id === 'number';
}

function isDigestReply(m: unknown): m is DigestReply {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  if (typeof r.stage !== 'string' || r.stage === 'writer' || r.stage === 'dropped' || typeof r.id !== 'number' || typeof r.digests !== 'object' || r.digests === null) return false;
  return Object.values(r.digests).every((d) => typeof d === 'string');
}

interface Waiting {
  path: string;
  /** Replies still expected (one per stage). */
  pending: number;
  error: string | null;
  digests: Record<string, string>;
  /** The copy asked for at open (native stage only). */
  copyTo?: string;
  resolve: (d: FileDigests & { copy?: SpoolCopy }) => void;
  /** Finished without digests (finishUnhashed): resolved without them. */
  resolveUnhashed?: () => void;
  reject: (e: Error) => void;
}

const encoder = new TextEncoder();

class SpoolRing {
  private readonly workers: Worker[];
  private readonly ring = new Uint8Array(new SharedArrayBuffer(RING_BYTES));
  private readonly words = new DataView(this.ring.buffer);
  private readonly ctl = new Int32Array(new SharedArrayBuffer(64));
  private readonly waiting = new Map<number, Waiting>();
  private readonly dropping = new Map<number, () => void>();
  private readonly copying = new Map<number, { resolve: () => void; reject: (e: Error) => void; target: string }>();
  private failure: Error | null = null;
  private nextId = 1;
  /** Next byte to fill (not yet published beyond `published`). */
  private pos = 0;
  private published = 0;
  /** The DATA entry being filled: its file id and header position (−1: none). */
  private openId = -1;
  private openAt = 0;
  private openLen = 0;
  private publishQueued = false;
  /** The stages' control words (read position; + SLEEPS: sleeping; + BELLS: bell). */
  private readonly stages: number[];
  /** Bytes behind at which each stage is rung. */
  private readonly wakeBytes: number[];
  /** With AVX-512: the native stage (writer and lanes as two C threads) and its handle; the workers are then none. */
  private readonly native: { addon: NativeSpoolStage; handle: object } | null = null;
  /** Replies a file waits for: one per worker stage, or the native stage's one. */
  private readonly replies: number;

  constructor() {
    const data = { ring: this.ring.buffer, ctl: this.ctl.buffer };
    // the writer, then the digest stages digestStages() picks for this CPU
    const plan = digestStages();
    if (process.env.TAPLINE_DEBUG) {
      const lanes = plan.lanes.length > 0 ? `${plan.lanes.join('+')} in ${plan.width} lanes` : 'no lanes';
      const where = plan.native ? `native spool threads, spool files ${process.env.TAPLINE_SPOOL_DIRECT === '0' ? 'through the page cache' : 'with O_DIRECT where taken'}` : 'spool workers';
      process.stderr.write(`tapline: digests: ${lanes}; OpenSSL: ${plan.openssl.map((a) => a.join('+')).join(', ') || 'none'} (${plan.reason}); ${where}\n`);
    }
    if (plan.native) {
      // no isolate to boot, JIT or collect, and fsyncs without a libuv pool round trip each
      // a writer and a hasher thread, each with its own read position, as the worker stages
      const flags = process.env.TAPLINE_SPOOL_DIRECT === '0' ? 0 : SPOOL_DIRECT;
      const handle = plan.native.spoolStart(this.ring, this.ctl, R_WRITER, R_DIGESTS[0], (m) => this.onNativeResults(m), flags);
      this.native = { addon: plan.native, handle };
      this.workers = [];
      this.stages = [R_WRITER, R_DIGESTS[0]];
      this.wakeBytes = [WAKE_BYTES, LANES_BATCH_BYTES];
      this.replies = 1;
      return;
    }
    this.workers = [new Worker(WRITER_SOURCE, { eval: true, workerData: { ...data, me: R_WRITER } })];
    for (const algorithms of plan.openssl) {
      const me = R_DIGESTS[this.workers.length - 1];
      this.workers.push(new Worker(digestSource(algorithms.join('+'), algorithms), { eval: true, workerData: { ...data, me } }));
    }
    if (plan.lanes.length > 0) {
      const me = R_DIGESTS[this.workers.length - 1];
      this.workers.push(new Worker(lanesSource(plan.lanes), { eval: true, workerData: { ...data, me, addon: plan.addon } }));
    }
    this.stages = [R_WRITER, ...R_DIGESTS.slice(0, this.workers.length - 1)];
    this.replies = this.workers.length;
    // a lanes stage (always the last) lets files gather: it is rung later
    const gathers = plan.lanes.length > 0;
    this.wakeBytes = this.stages.map((_, i) => (gathers && i === this.stages.length - 1 ? LANES_BATCH_BYTES : WAKE_BYTES));
    for (const w of this.workers) {
      w.on('message', (m: unknown) => this.onMessage(m));
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => this.fail(new Error(`spool worker exited (code ${code})`)));
      // after the listeners: adding a 'message' listener refs the worker again
      w.unref();
    }
  }

  private onMessage(m: unknown): void {
    if (isDroppedReply(m)) {
      this.dropping.get(m.id)?.();
      this.dropping.delete(m.id);
      this.unrefWhenIdle();
      return;
    }
    const id = isWriterReply(m) || isDigestReply(m) ? m.id : null;
    const w = id === null ? undefined : this.waiting.get(id);
    if (!w || id === null) return;
    if (isWriterReply(m)) w.error = m.error;
    else if (isDigestReply(m)) Object.assign(w.digests, m.digests);
    if (--w.pending > 0) return;
    this.waiting.delete(id);
    this.unrefWhenIdle();
    const { sha256, sha1, md5 } = w.digests;
    if (w.error !== null) w.reject(new Error(`${w.path}: ${w.error}`));
    else if (sha256 === undefined || sha1 === undefined || md5 === undefined) w.reject(new Error(`${w.path}: a digest is missing`));
    else w.resolve({ sha256, md5, sha1 });
  }

  /** A batch of the native stage's results: each file's digests or error, drops, or the stage's fatal error. */
  private onNativeResults(m: unknown): void {
    if (!isNativeResults(m)) {
      this.fail(new Error('the native spool stage sent a malformed result'));
      return;
    }
    for (const r of m) {
      if (r.kind === 'fatal') {
        this.fail(new Error(r.error ?? 'the native spool stage failed'));
        return;
      }
      if (r.kind === 'dropped') {
        this.dropping.get(r.id)?.();
        this.dropping.delete(r.id);
        continue;
      }
      if (r.kind === 'copied') {
        const c = this.copying.get(r.id);
        this.copying.delete(r.id);
        if (c && r.error !== null) c.reject(new Error(`${c.target}: ${r.error}`));
        else c?.resolve();
        continue;
      }
      const w = this.waiting.get(r.id);
      if (!w) continue;
      this.waiting.delete(r.id);
      if (r.error !== null) w.reject(new Error(`${w.path}: ${r.error}`));
      else if (w.resolveUnhashed) w.resolveUnhashed();
      else if (!r.digests) w.reject(new Error(`${w.path}: a digest is missing`));
      else {
        const copy = w.copyTo === undefined ? undefined : { path: w.copyTo, error: r.copyError === null ? null : (r.copyError ?? 'the spool stage made no copy') };
        w.resolve({ sha256: r.digests.sha256, md5: r.digests.md5, sha1: r.digests.sha1, copy });
      }
    }
    this.unrefWhenIdle();
  }

  private unrefWhenIdle(): void {
    if (this.waiting.size !== 0 || this.dropping.size !== 0 || this.copying.size !== 0) return;
    if (this.native) this.native.addon.spoolRef(this.native.handle, false);
    for (const x of this.workers) x.unref();
  }

  private refWhenBusy(): void {
    if (this.waiting.size + this.dropping.size + this.copying.size !== 1) return;
    if (this.native) this.native.addon.spoolRef(this.native.handle, true);
    for (const x of this.workers) x.ref();
  }

  private fail(e: Error): void {
    const first = this.failure === null;
    this.failure ??= e;
    // the other stages would wait on the ring forever: a new ring is made for the next file
    if (first) for (const w of this.workers) void w.terminate();
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
    for (const d of this.dropping.values()) d();
    this.dropping.clear();
    for (const c of this.copying.values()) c.reject(e);
    this.copying.clear();
    if (shared === this) shared = null;
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  /** Copies the staged bytes of the open DATA entry into the ring (after those copied before). */
  private flushStaged(): void {
    const n = this.openLen - this.openFlushed;
    if (n > 0) {
      // memcpy with the native stage (V8's copy into shared memory is its slower relaxed memmove)
      if (this.native) this.native.addon.copy(this.ring, this.openAt + HEADER + this.openFlushed, this.staged, n);
      else this.ring.set(n === STAGE_BYTES ? this.staged : this.staged.subarray(0, n), this.openAt + HEADER + this.openFlushed);
    }
    this.openFlushed = this.openLen;
  }

  /** Closes the DATA entry being filled: its bytes go from the staging buffer into the ring, its length into its header. */
  private closeEntry(): void {
    if (this.openId < 0) return;
    this.flushStaged();
    const n = this.openLen;
    this.words.setUint32(this.openAt + 8, n, true);
    this.pos = (this.pos + ((this.openLen + 15) & ~15)) >>> 0;
    this.openId = -1;
  }

  /**
   * Makes every closed entry visible to the stages. A sleeping stage is rung only when `wake`
   * (the carver is about to wait for room, or has gone idle: flushWhenIdle) or once it is its
   * threshold behind (WAKE_BYTES; a lanes stage LANES_BATCH_BYTES), never for a file's end: a
   * wake-up (Atomics.notify of a waitAsync waiter: a task posted to the stage's event loop) took
   * the carving thread 0.6 ms on average at load 4-6 (517 of them: 0.32 s of a 2 s carve, the
   * largest item of its profile), as the woken thread took its core.
   */
  private publish(wake: boolean | 'writer' = false): void {
    this.closeEntry();
    if (this.pos !== this.published) {
      this.published = this.pos;
      Atomics.store(this.ctl, W_POS, this.pos | 0);
    }
    for (let i = 0; i < this.stages.length; i++) {
      const st = this.stages[i];
      if (Atomics.load(this.ctl, st + SLEEPS) === 0) continue;
      if (wake === true || (wake === 'writer' && st === R_WRITER) || ((this.pos - (Atomics.load(this.ctl, st) >>> 0)) >>> 0) >= this.wakeBytes[i]) {
        if (this.native) this.native.addon.spoolWake(this.native.handle, i);
        else {
          Atomics.add(this.ctl, st + BELLS, 1);
          Atomics.notify(this.ctl, st + BELLS);
        }
      }
    }
  }

  /** Publishes at the end of the current synchronous run, so the stages never wait for a batch to fill. */
  private publishSoon(): void {
    if (this.publishQueued) return;
    this.publishQueued = true;
    setImmediate(() => {
      this.publishQueued = false;
      if (!this.failure) this.publish();
    });
  }

  /** Room for `bytes` contiguous bytes at this.pos (no entry open): wraps and waits as needed. */
  private reserve(bytes: number): void {
    const size = RING_BYTES;
    let at = this.pos & (size - 1);
    if (size - at < bytes) {
      // the tail is too short: mark it unused and start again at the ring's beginning
      this.waitFree(size - at);
      this.words.setUint32(at, WRAP, true);
      this.pos = (this.pos + (size - at)) >>> 0;
      at = 0;
    }
    this.waitFree(bytes);
  }

  /** Waits until the slowest stage has read enough that `bytes` more fit. */
  private waitFree(bytes: number): void {
    for (;;) {
      let slow: number = R_WRITER;
      let seen = 0;
      let behind = -1;
      for (const st of this.stages) {
        const r = Atomics.load(this.ctl, st) >>> 0;
        const b = (this.pos - r) >>> 0;
        if (b > behind) [slow, seen, behind] = [st, r, b];
      }
      if (behind + bytes <= RING_BYTES) return;
      // the stages can only move up to what is published (and must be awake to move)
      this.publish(true);
      Atomics.store(this.ctl, PRODUCER_WAITS, 1);
      // look again after saying so (a stage stores its position, then reads the flag)
      if ((Atomics.load(this.ctl, slow) >>> 0) === seen) {
        // V8's Atomics.wait cannot be woken from C: the native stage has its own wait
        if (this.native) this.native.addon.spoolWaitRoom(this.native.handle, slow, seen | 0, 100);
        else Atomics.wait(this.ctl, slow, seen | 0, 100);
      }
      Atomics.store(this.ctl, PRODUCER_WAITS, 0);
      this.check();
      if (Atomics.load(this.ctl, DEAD) !== 0) {
        this.fail(new Error('a spool worker failed'));
        this.check();
      }
    }
  }

  /** Writes an entry header at this.pos with room for `room` body bytes after it; returns the body's ring offset. */
  private header(kind: number, id: number, room: number, flags: number): number {
    this.reserve(HEADER + ((room + 15) & ~15));
    const at = this.pos & (RING_BYTES - 1);
    this.words.setUint32(at, kind, true);
    this.words.setUint32(at + 4, id, true);
    // a DATA entry's length is set when it is closed
    this.words.setUint32(at + 8, kind === DATA ? 0 : room, true);
    this.words.setUint32(at + 12, flags, true);
    return at + HEADER;
  }

  private control(kind: number, id: number, flags: number, body: Uint8Array | null): void {
    this.activity++;
    this.closeEntry();
    const len = body ? body.length : 0;
    const at = this.header(kind, id, len, flags);
    if (body) this.ring.set(body, at);
    this.pos = (this.pos + HEADER + ((len + 15) & ~15)) >>> 0;
  }

  /**
   * A new spool file at `path`. `copyTo`: the native stage also writes its bytes to that new file
   * as they come (finish() says whether it was made); the worker stages ignore it.
   */
  open(path: string, copyTo?: string): number {
    this.check();
    const id = this.nextId++;
    if (copyTo !== undefined && this.native) this.control(OPEN, id, OPEN_TEE, encoder.encode(`${path}\0${copyTo}`));
    else this.control(OPEN, id, 0, encoder.encode(path));
    this.publishSoon();
    return id;
  }

  /** Copies `data` into the ring for file `id`. */
  write(id: number, data: Uint8Array): void {
    this.check();
    this.activity++;
    let off = 0;
    while (off < data.length) {
      if (this.openId !== id || this.openLen === this.openCap) {
        this.closeEntry();
        // a batch's worth unpublished (one file's full entry, or small entries of interleaved files): the stages get it now
        if (((this.pos - this.published) >>> 0) >= ENTRY_MAX) this.publish();
        // room for a whole entry is reserved, but the ring advances only by what it gets
        const cap = ENTRY_MAX;
        this.openAt = this.header(DATA, id, cap, 0) - HEADER;
        this.pos = (this.pos + HEADER) >>> 0;
        this.openId = id;
        this.openLen = 0;
        this.openFlushed = 0;
        this.openCap = cap;
      }
      if (this.openLen - this.openFlushed === STAGE_BYTES) this.flushStaged();
      const n = Math.min(data.length - off, this.openCap - this.openLen, STAGE_BYTES - (this.openLen - this.openFlushed));
      this.staged.set(n === data.length ? data : data.subarray(off, off + n), this.openLen - this.openFlushed);
      this.openLen += n;
      off += n;
    }
    this.publishSoon();
  }

  /** Room reserved for the open DATA entry. */
  private openCap = 0;
  /** Bytes of the open DATA entry already copied from `staged` into the ring. */
  private openFlushed = 0;
  /**
   * The open DATA entry's bytes until it is closed. Why not straight into the ring: a copy into
   * shared memory is V8's relaxed (atomic-safe) memmove, which goes byte by byte when source and
   * destination are not 8-byte aligned alike — and TCP payloads start anywhere. Segments are
   * gathered here with a plain memmove, and enter the ring in aligned copies of STAGE_BYTES
   * (staged bytes and their place in the ring both start 16-byte aligned), word by word. Spooling
   * 250 MB of 1448-byte segments cost the carving thread 260-300 ms before, 190-200 ms after.
   * The buffer stays at 256 KiB while entries hold up to 1 MiB, so it stays in the core's cache.
   */
  private readonly staged = new Uint8Array(STAGE_BYTES);

  /** `copyTo`: the copy given to open(), reported in the result (native stage only). */
  finish(id: number, path: string, sync: boolean, copyTo?: string): Promise<FileDigests & { copy?: SpoolCopy }> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { path, pending: this.replies, error: null, digests: {}, copyTo: this.native ? copyTo : undefined, resolve, reject });
      this.refWhenBusy();
      this.control(FINISH, id, sync ? 1 : 0, null);
      this.publish();
      this.flushWhenIdle();
    });
  }

  /**
   * finish() for a file whose digests nobody needs (a flow's records): the native stage's writer
   * hands it to the finishers at once instead of it waiting for the hasher's next batch (the
   * flow's result waits for its records). The worker stages hash it anyway.
   */
  finishUnhashed(id: number, path: string, sync: boolean): Promise<void> {
    if (!this.native) return this.finish(id, path, sync).then(() => undefined);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { path, pending: 1, error: null, digests: {}, resolve: () => undefined, resolveUnhashed: resolve, reject });
      this.refWhenBusy();
      this.control(FINISH, id, (sync ? 1 : 0) | FINISH_NO_DIGESTS, null);
      // only the writer takes part: the hasher is not woken for it
      this.publish('writer');
    });
  }

  /** Entries written so far (tells the idle check whether the carver wrote anything meanwhile). */
  private activity = 0;
  /** `activity` when the idle check was (re)armed; the check's one timer, re-armed with refresh(). */
  private idleSeen = 0;
  private idleArmed = false;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * Stages are not rung for a file's end, and a lanes stage lets files gather; once the carver
   * has written nothing between two turns of its event loop at least 1 ms apart (a timer only
   * runs when the carver's synchronous work yields), it is idle or done: an IDLE entry and a
   * ring of every sleeping stage get the pending files written and hashed. Re-armed while the
   * carver is still writing.
   */
  private flushWhenIdle(): void {
    if (this.idleArmed) return;
    this.idleArmed = true;
    this.idleSeen = this.activity;
    if (this.idleTimer !== null) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => this.idleCheck(), 1);
    // the workers hold the process while files wait: this timer must not hold it after that
    this.idleTimer.unref();
  }

  /** The idle timer fired: the carver wrote nothing since it was armed, or it is armed again. */
  private idleCheck(): void {
    if (this.failure) {
      this.idleArmed = false;
      return;
    }
    if (this.activity !== this.idleSeen) {
      // re-armed while the carver is still writing (one timer, not a new one per turn)
      this.idleSeen = this.activity;
      this.idleTimer?.refresh();
      return;
    }
    this.idleArmed = false;
    this.idleNow();
  }

  /**
   * The carver has nothing more to write for now (its input ended): the stages get what is
   * pending at once, rather than once the idle timer finds a quiet turn (the results of the
   * last files kept it re-armed for tens of ms).
   */
  idleNow(): void {
    if (this.failure) return;
    this.control(IDLE, 0, 0, null);
    this.publish(true);
  }

  /** Whether copy() is available (the native stage makes copies; the worker stages do not). */
  get copies(): boolean {
    return this.native !== null;
  }

  /** An independent copy of `source` (a finished file) at `target`, which must not exist. */
  copy(source: string, target: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.copying.set(id, { resolve, reject, target });
      this.refWhenBusy();
      this.control(COPY, id, 0, encoder.encode(`${source}\0${target}`));
      // the stage gets it now: a copy waits for no bytes (and goes from the writer to the finishers)
      this.publish('writer');
    });
  }

  drop(id: number, path: string): Promise<void> {
    if (this.failure) return Promise.resolve();
    return new Promise((resolve) => {
      this.dropping.set(id, resolve);
      this.refWhenBusy();
      this.control(DROP, id, 0, encoder.encode(path));
      this.publish();
      this.flushWhenIdle();
    });
  }
}


let shared: SpoolRing | null = null;

/**
 * Starts the spool workers now rather than at the first carved file. A worker takes ~50 ms of CPU
 * and up to a few hundred ms of wall time to boot a Node environment; a carve that starts them
 * before planning and opening indexes (one core busy) has them ready when the first bytes come,
 * instead of the carver filling the ring and waiting on workers still booting while both cores
 * are needed for carving. The workers stay unref'd until a file is spooled: a carve that finds
 * nothing still exits at once.
 */
export function startSpoolWorkers(): void {
  shared ??= new SpoolRing();
}

/** The carver's input ended: files still pending are written and hashed now (SpoolRing.idleNow). */
export function spoolInputEnded(): void {
  shared?.idleNow();
}

/**
 * An independent copy of the finished file `source` at `target` (never replacing a file there):
 * by the native spool stage's finisher threads when it runs (no libuv pool round trip and its
 * promise on the carving thread per file), else fs.copyFile (a reflink where the file system
 * has them).
 */
export function copyFileOffThread(source: string, target: string): Promise<void> {
  shared ??= new SpoolRing();
  if (shared.copies) return shared.copy(source, target);
  return copyFile(source, target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
}

/**
 * One spool file created, written and hashed off the calling thread (file system calls block on
 * a busy disk: the carver never waits for them); finish() resolves with the three digests once
 * the file is written, synced and closed.
 */
export class OffThreadSpool {
  private readonly ring: SpoolRing;
  private readonly id: number;
  private done = false;

  /** `copyTo`: a copy written alongside where the native stage runs (finish() reports it). */
  constructor(
    private readonly path: string,
    private readonly copyTo?: string,
  ) {
    shared ??= new SpoolRing();
    this.ring = shared;
    this.id = this.ring.open(path, copyTo);
  }

  /** Copies `chunk` (only read during the call) into the ring. */
  write(chunk: Uint8Array): void {
    if (this.done) throw new Error('spool already finished');
    if (chunk.length === 0) return;
    this.ring.write(this.id, chunk);
  }

  /** Writes what is queued, fsyncs when `sync`, closes the descriptor; the digests, and the copy when one was made or tried. */
  finish(sync: boolean): Promise<FileDigests & { copy?: SpoolCopy }> {
    if (this.done) return Promise.reject(new Error('spool already finished'));
    this.done = true;
    return this.ring.finish(this.id, this.path, sync, this.copyTo);
  }

  /** finish() without digests: resolves as soon as the file is written, synced when `sync`, and closed. */
  finishUnhashed(sync: boolean): Promise<void> {
    if (this.done) return Promise.reject(new Error('spool already finished'));
    this.done = true;
    return this.ring.finishUnhashed(this.id, this.path, sync);
  }

  /** Forgets the file: the writer closes and removes it after what is queued; resolves when it is gone. */
  drop(): Promise<void> {
    if (this.done) return Promise.resolve();
    this.done = true;
    return this.ring.drop(this.id, this.path);
  }
}
