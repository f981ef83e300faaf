/**
 * Spooling carved files off the carving thread: two worker threads in a pipeline take each 1 MiB
 * batch in turn. The first writes it to the spool file and updates sha256 and sha1, then passes
 * the same buffer (transferred, never copied) to the second, which updates md5 and hands the
 * buffer back for the next batch. The three digests cost about as much CPU as reading,
 * reassembling and carving together (md5 alone runs at ~0.5 GB/s, sha256 and sha1 together at
 * about the same), so splitting them over two threads lets them keep up with the carver when
 * cores are free, and the carving thread makes no write system call for received files.
 *
 * The first worker owns each spool file: it creates it, writes, fsyncs (on libuv's pool, so it
 * keeps hashing other files meanwhile), closes it, and removes it when the file is discarded
 * (after the writes already queued). The carving thread makes no file system call for a received
 * file: on a busy disk, creating files and metadata updates block for milliseconds.
 *
 * The workers start on first use and are unref'd while no digest is awaited. Bytes posted but not
 * yet through both stages are counted in shared memory and the producer blocks (Atomics.wait)
 * above IN_FLIGHT_LIMIT, so memory stays bounded whatever the relative speeds. Messages on one
 * port keep their order, so a finish request sees every batch posted before it.
 */
import { MessageChannel, Worker } from 'node:worker_threads';

/** Bytes posted but not yet hashed by both stages before the producer waits. */
const IN_FLIGHT_LIMIT = 32 * 1024 * 1024;

export interface FileDigests {
  sha256: string;
  md5: string;
  sha1: string;
}

// plain CommonJS so it runs the same under tsx (tests) and from dist (no module resolution)
const WRITER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const next = workerData.next;
const files = new Map();
const message = (e) => (e && e.message) || String(e);
parentPort.on('message', (m) => {
  if (m.op === 'data') {
    const f = files.get(m.id);
    const b = new Uint8Array(m.buf, 0, m.len);
    if (f) {
      if (f.error === null) {
        try {
          let off = 0;
          while (off < b.length) off += fs.writeSync(f.fd, b, off, b.length - off);
        } catch (e) {
          f.error = message(e);
        }
      }
      f.sha256.update(b);
      f.sha1.update(b);
    }
    next.postMessage(m, [m.buf]);
  } else if (m.op === 'open') {
    const f = { fd: -1, sha256: createHash('sha256'), sha1: createHash('sha1'), error: null };
    try {
      f.fd = fs.openSync(m.path, 'wx', 0o600);
    } catch (e) {
      f.error = message(e);
    }
    files.set(m.id, f);
  } else if (m.op === 'finish') {
    const f = files.get(m.id);
    files.delete(m.id);
    next.postMessage({ op: 'finish', id: m.id });
    if (!f) {
      parentPort.postMessage({ id: m.id, stage: 'writer', sha256: '', sha1: '', error: 'unknown spool file' });
      return;
    }
    const sha256 = f.sha256.digest('hex');
    const sha1 = f.sha1.digest('hex');
    const done = (e) => {
      let error = f.error !== null ? f.error : e ? message(e) : null;
      if (f.fd >= 0) {
        try {
          fs.closeSync(f.fd);
        } catch (c) {
          if (error === null) error = message(c);
        }
      }
      parentPort.postMessage({ id: m.id, stage: 'writer', sha256, sha1, error });
    };
    if (f.error !== null || !m.sync) done(null);
    else fs.fsync(f.fd, done);
  } else if (m.op === 'drop') {
    const f = files.get(m.id);
    files.delete(m.id);
    if (f && f.fd >= 0) {
      try {
        fs.closeSync(f.fd);
      } catch {}
    }
    try {
      fs.rmSync(m.path, { force: true });
    } catch {}
    next.postMessage({ op: 'drop', id: m.id });
    parentPort.postMessage({ id: m.id, stage: 'dropped' });
  }
});
`;

const MD5_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const prev = workerData.prev;
const queued = new Int32Array(workerData.queued);
const files = new Map();
prev.on('message', (m) => {
  if (m.op === 'data') {
    let h = files.get(m.id);
    if (!h) files.set(m.id, (h = createHash('md5')));
    h.update(new Uint8Array(m.buf, 0, m.len));
    Atomics.sub(queued, 0, m.len);
    Atomics.notify(queued, 0);
    // the buffer goes back to be filled again (saves allocating and zero-filling 1 MiB per batch)
    parentPort.postMessage({ free: m.buf }, [m.buf]);
  } else if (m.op === 'finish') {
    const h = files.get(m.id) || createHash('md5');
    files.delete(m.id);
    parentPort.postMessage({ id: m.id, stage: 'md5', md5: h.digest('hex') });
  } else if (m.op === 'drop') {
    files.delete(m.id);
  }
});
`;

interface WriterReply {
  id: number;
  stage: 'writer';
  sha256: string;
  sha1: string;
  error: string | null;
}

interface Md5Reply {
  id: number;
  stage: 'md5';
  md5: string;
}

function isWriterReply(m: unknown): m is WriterReply {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return r.stage === 'writer' && typeof r.id === 'number' && typeof r.sha256 === 'string' && typeof r.sha1 === 'string' && (r.error === null || typeof r.error === 'string');
}

function isDroppedReply(m: unknown): m is { id: number; stage: 'dropped' } {
  return typeof m === 'object' && m !== null && (m as Record<string, unknown>).stage === 'dropped' && typeof (m as Record<string, unknown>).id === 'number';
}

function isMd5Reply(m: unknown): m is Md5Reply {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return r.stage === 'md5' && typeof r.id === 'number' && typeof r.md5 === 'string';
}

interface Waiting {
  path: string;
  writer: WriterReply | null;
  md5: string | null;
  resolve: (d: FileDigests) => void;
  reject: (e: Error) => void;
}

class SpoolWorkers {
  private readonly writer: Worker;
  private readonly md5: Worker;
  private readonly queued = new Int32Array(new SharedArrayBuffer(4));
  private readonly waiting = new Map<number, Waiting>();
  private readonly dropping = new Map<number, () => void>();
  private failure: Error | null = null;
  private nextId = 1;

  constructor() {
    const { port1, port2 } = new MessageChannel();
    // the writer closes descriptors the carving thread opened: not "its" descriptors for Node's tracking
    this.writer = new Worker(WRITER_SOURCE, { eval: true, workerData: { next: port1 }, transferList: [port1] });
    this.md5 = new Worker(MD5_SOURCE, { eval: true, workerData: { prev: port2, queued: this.queued.buffer }, transferList: [port2] });
    for (const w of [this.writer, this.md5]) {
      w.unref();
      w.on('message', (m: unknown) => this.onMessage(m));
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => this.fail(new Error(`spool worker exited (code ${code})`)));
    }
  }

  private onMessage(m: unknown): void {
    if (typeof m === 'object' && m !== null && 'free' in m && m.free instanceof ArrayBuffer) {
      if (freeBuffers.length < FREE_MAX) freeBuffers.push(m.free);
      return;
    }
    if (isDroppedReply(m)) {
      this.dropping.get(m.id)?.();
      this.dropping.delete(m.id);
      this.unrefWhenIdle();
      return;
    }
    const id = isWriterReply(m) || isMd5Reply(m) ? m.id : null;
    const w = id === null ? undefined : this.waiting.get(id);
    if (!w || id === null) return;
    if (isWriterReply(m)) w.writer = m;
    else if (isMd5Reply(m)) w.md5 = m.md5;
    if (w.writer === null || w.md5 === null) return;
    this.waiting.delete(id);
    this.unrefWhenIdle();
    if (w.writer.error !== null) w.reject(new Error(`${w.path}: ${w.writer.error}`));
    else w.resolve({ sha256: w.writer.sha256, md5: w.md5, sha1: w.writer.sha1 });
  }

  private unrefWhenIdle(): void {
    if (this.waiting.size === 0 && this.dropping.size === 0) for (const x of [this.writer, this.md5]) x.unref();
  }

  private refWhenBusy(): void {
    if (this.waiting.size + this.dropping.size === 1) for (const x of [this.writer, this.md5]) x.ref();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
    for (const d of this.dropping.values()) d();
    this.dropping.clear();
    if (shared === this) shared = null;
  }

  /** A new spool file: the writer creates `path` (exclusively); an error shows at finish. */
  open(path: string): number {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    this.writer.postMessage({ op: 'open', id, path });
    return id;
  }

  /** Hands `buf` (its whole ArrayBuffer, which becomes unusable here; bytes from offset 0) to the pipeline. */
  update(id: number, buf: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (buf.byteOffset !== 0) throw new Error('spool worker: a chunk must start its buffer');
    // backpressure: wait (bounded slices, re-checking) while the workers are far behind
    for (let q = Atomics.load(this.queued, 0); q > IN_FLIGHT_LIMIT; q = Atomics.load(this.queued, 0)) {
      Atomics.wait(this.queued, 0, q, 100);
      if (this.failure) throw this.failure;
    }
    Atomics.add(this.queued, 0, buf.length);
    const ab = buf.buffer as ArrayBuffer;
    this.writer.postMessage({ op: 'data', id, buf: ab, len: buf.length }, [ab]);
  }

  /** The digests once every byte is written (and fsynced when `sync`) and the descriptor closed. */
  finish(id: number, path: string, sync: boolean): Promise<FileDigests> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { path, writer: null, md5: null, resolve, reject });
      this.refWhenBusy();
      this.writer.postMessage({ op: 'finish', id, sync });
    });
  }

  /** Resolves once the writer closed and removed the file (after the writes already queued). */
  drop(id: number, path: string): Promise<void> {
    if (this.failure) return Promise.resolve();
    return new Promise((resolve) => {
      this.dropping.set(id, resolve);
      this.refWhenBusy();
      this.writer.postMessage({ op: 'drop', id, path });
    });
  }
}

let shared: SpoolWorkers | null = null;

/** Buffers the workers have hashed and handed back, for the next batches (bounded). */
const FREE_MAX = 8;
const freeBuffers: ArrayBuffer[] = [];

/** A batch buffer of `size` bytes: a returned one when there is one of that size (its old contents are overwritten before use). */
export function batchBuffer(size: number): Uint8Array {
  for (let i = freeBuffers.length - 1; i >= 0; i--) {
    if (freeBuffers[i].byteLength === size) return new Uint8Array(freeBuffers.splice(i, 1)[0]);
  }
  return new Uint8Array(size);
}

/**
 * One spool file created, written and hashed off the calling thread (file system calls block on
 * a busy disk: the carver never waits for them); finish() resolves with the three digests once
 * the file is written, synced and closed.
 */
export class OffThreadSpool {
  private readonly workers: SpoolWorkers;
  private readonly id: number;
  private done = false;

  constructor(private readonly path: string) {
    shared ??= new SpoolWorkers();
    this.workers = shared;
    this.id = this.workers.open(path);
  }

  /** Takes ownership of `chunk`'s buffer (the chunk starts at offset 0 of it): do not touch it afterwards. */
  updateOwned(chunk: Uint8Array): void {
    if (this.done) throw new Error('spool already finished');
    if (chunk.length === 0) return;
    this.workers.update(this.id, chunk);
  }

  /** Writes what is queued, fsyncs when `sync`, closes the descriptor; the digests. */
  finish(sync: boolean): Promise<FileDigests> {
    if (this.done) return Promise.reject(new Error('spool already finished'));
    this.done = true;
    return this.workers.finish(this.id, this.path, sync);
  }

  /** Forgets the file: the writer closes and removes it after what is queued; resolves when it is gone. */
  drop(): Promise<void> {
    if (this.done) return Promise.resolve();
    this.done = true;
    return this.workers.drop(this.id, this.path);
  }
}
