/**
 * sha256 + md5 + sha1 of carved files on a worker thread: the three digests cost about as much
 * CPU as reading, reassembling and carving together (md5 alone runs at ~0.5 GB/s), so doing them
 * next to the carver instead of inside it lets a second core take them.
 *
 * One worker per process, started on first use and unref'd while no digest is awaited. Chunks
 * are transferred (not copied again); the bytes not yet hashed are counted in shared memory and
 * the producer blocks (Atomics.wait) while more than IN_FLIGHT_LIMIT are queued, so memory stays
 * bounded whatever the relative speeds. Messages on one port keep their order, so a digest
 * request sees every chunk posted before it.
 */
import { Worker } from 'node:worker_threads';

/** Bytes posted but not yet hashed before the producer waits. */
const IN_FLIGHT_LIMIT = 32 * 1024 * 1024;

export interface FileDigests {
  sha256: string;
  md5: string;
  sha1: string;
}

// plain CommonJS so it runs the same under tsx (tests) and from dist (no module resolution)
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const queued = new Int32Array(workerData.queued);
const states = new Map();
const state = (id) => {
  let s = states.get(id);
  if (!s) { s = [createHash('sha256'), createHash('md5'), createHash('sha1')]; states.set(id, s); }
  return s;
};
parentPort.on('message', (m) => {
  if (m.op === 'data') {
    const b = new Uint8Array(m.buf, 0, m.len);
    for (const h of state(m.id)) h.update(b);
    Atomics.sub(queued, 0, b.length);
    Atomics.notify(queued, 0);
    // the buffer goes back to be filled again (saves allocating and zero-filling 1 MiB per batch)
    parentPort.postMessage({ free: m.buf }, [m.buf]);
  } else if (m.op === 'digest') {
    const [a, b, c] = state(m.id);
    states.delete(m.id);
    parentPort.postMessage({ id: m.id, sha256: a.digest('hex'), md5: b.digest('hex'), sha1: c.digest('hex') });
  } else if (m.op === 'drop') {
    states.delete(m.id);
  }
});
`;

interface DigestReply extends FileDigests {
  id: number;
}

function isDigestReply(m: unknown): m is DigestReply {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return typeof r.id === 'number' && typeof r.sha256 === 'string' && typeof r.md5 === 'string' && typeof r.sha1 === 'string';
}

class HashWorker {
  private readonly worker: Worker;
  private readonly queued = new Int32Array(new SharedArrayBuffer(4));
  private readonly waiting = new Map<number, { resolve: (d: FileDigests) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;
  private nextId = 1;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { queued: this.queued.buffer } });
    this.worker.unref();
    this.worker.on('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && 'free' in m && m.free instanceof ArrayBuffer) {
        if (freeBuffers.length < FREE_MAX) freeBuffers.push(m.free);
        return;
      }
      if (!isDigestReply(m)) return;
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (this.waiting.size === 0) this.worker.unref();
      w.resolve({ sha256: m.sha256, md5: m.md5, sha1: m.sha1 });
    });
    const fail = (e: Error): void => {
      this.failure = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
      if (shared === this) shared = null;
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`hash worker exited (code ${code})`)));
  }

  newId(): number {
    return this.nextId++;
  }

  /** Hands `buf` (its whole ArrayBuffer, which becomes unusable here; bytes from offset 0) to the worker. */
  update(id: number, buf: Uint8Array): void {
    if (this.failure) throw this.failure;
    if (buf.byteOffset !== 0) throw new Error('hash worker: a chunk must start its buffer');
    // backpressure: wait (bounded slices, re-checking) while the worker is far behind
    for (let q = Atomics.load(this.queued, 0); q > IN_FLIGHT_LIMIT; q = Atomics.load(this.queued, 0)) {
      Atomics.wait(this.queued, 0, q, 100);
      if (this.failure) throw this.failure;
    }
    Atomics.add(this.queued, 0, buf.length);
    const ab = buf.buffer as ArrayBuffer;
    this.worker.postMessage({ op: 'data', id, buf: ab, len: buf.length }, [ab]);
  }

  digest(id: number): Promise<FileDigests> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.waiting.size === 1) this.worker.ref();
      this.worker.postMessage({ op: 'digest', id });
    });
  }

  drop(id: number): void {
    if (!this.failure) this.worker.postMessage({ op: 'drop', id });
  }
}

let shared: HashWorker | null = null;

/** Buffers the worker has hashed and handed back, for the next batches (bounded). */
const FREE_MAX = 8;
const freeBuffers: ArrayBuffer[] = [];

/** A batch buffer of `size` bytes: a returned one when there is one of that size (its old contents are overwritten before use). */
export function batchBuffer(size: number): Uint8Array {
  for (let i = freeBuffers.length - 1; i >= 0; i--) {
    if (freeBuffers[i].byteLength === size) return new Uint8Array(freeBuffers.splice(i, 1)[0]);
  }
  return new Uint8Array(size);
}

/** The three digests of one file, computed off the calling thread as its bytes are produced. */
export class OffThreadDigests {
  private readonly worker: HashWorker;
  private readonly id: number;
  private done = false;

  constructor() {
    shared ??= new HashWorker();
    this.worker = shared;
    this.id = this.worker.newId();
  }

  /** Takes ownership of `chunk`'s buffer (the chunk starts at offset 0 of it): do not touch it afterwards. */
  updateOwned(chunk: Uint8Array): void {
    if (this.done) throw new Error('digest already taken');
    if (chunk.length === 0) return;
    this.worker.update(this.id, chunk);
  }

  digest(): Promise<FileDigests> {
    if (this.done) return Promise.reject(new Error('digest already taken'));
    this.done = true;
    return this.worker.digest(this.id);
  }

  /** Forgets the file (discarded spool). */
  drop(): void {
    if (this.done) return;
    this.done = true;
    this.worker.drop(this.id);
  }
}
