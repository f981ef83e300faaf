/**
 * A carved file while it is being received: written synchronously (the carver's sink is
 * synchronous, so memory stays bounded without backpressure) to STORE/files/.spool/, hashed as it
 * goes (sha256, md5, sha1), and fsynced when finished so it can be renamed into place atomically.
 */
import { closeSync, fsync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { OffThreadDigests, batchBuffer } from './hash-worker.js';

export interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
  md5: string;
  sha1: string;
}

/** Bytes gathered before hashing and writing (per open spool file). */
const SPOOL_BUFFER = 128 * 1024;
/** Off-thread: larger batches, since each costs a message to the hash worker. */
const SPOOL_BUFFER_OFF_THREAD = 1024 * 1024;

export interface SpoolOptions {
  /**
   * Hash on the shared worker thread (node/carve/hash-worker.ts); the digests then come only
   * from finishAsync(). For the bulk of carving (files as received); files written and finished
   * synchronously (decoded output, assembled ranges, MIME parts) hash inline.
   */
  offThreadHash?: boolean;
}

export class SpoolFile {
  private fd: number | null;
  private readonly hashes: [Hash, Hash, Hash] | null;
  private readonly offThread: OffThreadDigests | null;
  size = 0;

  constructor(
    readonly path: string,
    opts: SpoolOptions = {},
  ) {
    this.fd = openSync(path, 'wx', 0o600);
    this.offThread = opts.offThreadHash ? new OffThreadDigests() : null;
    this.hashes = this.offThread ? null : [createHash('sha256'), createHash('md5'), createHash('sha1')];
    this.bufSize = this.offThread ? SPOOL_BUFFER_OFF_THREAD : SPOOL_BUFFER;
  }

  /**
   * Small writes (one TCP segment each) are gathered here: three hash updates and a write
   * syscall per segment cost more than the hashing itself.
   */
  private buf: Uint8Array | null = null;
  private buffered = 0;
  private readonly bufSize: number;

  write(data: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path}: write after finish`);
    this.size += data.length;
    if (data.length >= this.bufSize / 2) {
      this.flush();
      this.writeOut(data, false);
      return;
    }
    if (this.buffered + data.length > this.bufSize) this.flush();
    this.buf ??= this.offThread ? batchBuffer(this.bufSize) : new Uint8Array(this.bufSize);
    this.buf.set(data, this.buffered);
    this.buffered += data.length;
  }

  private flush(): void {
    if (this.buffered === 0 || this.buf === null) return;
    const n = this.buffered;
    this.buffered = 0;
    this.writeOut(this.buf.subarray(0, n), true);
  }

  /** `ours`: data is a view of this.buf, which may be handed to the hash worker. */
  private writeOut(data: Uint8Array, ours: boolean): void {
    let off = 0;
    while (off < data.length) off += writeSync(this.fd as number, data, off, data.length - off);
    if (this.hashes) {
      for (const h of this.hashes) h.update(data);
    } else if (this.offThread) {
      // the worker takes a buffer whole: the spool buffer is given away (a fresh one is made on
      // the next write), the caller's bytes are copied (they are only lent to us)
      if (ours) {
        this.buf = null;
        this.offThread.updateOwned(data);
      } else this.offThread.updateOwned(data.slice());
    }
  }

  private async digests(): Promise<{ sha256: string; md5: string; sha1: string }> {
    if (this.offThread) return this.offThread.digest();
    const [sha256, md5, sha1] = (this.hashes as Hash[]).map((h) => h.digest('hex'));
    return { sha256, md5, sha1 };
  }

  finish(): SpooledFile {
    if (this.fd === null) throw new Error(`${this.path}: finished twice`);
    if (!this.hashes) throw new Error(`${this.path}: hashed off-thread: use finishAsync()`);
    this.flush();
    this.buf = null;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    const [sha256, md5, sha1] = this.hashes.map((h) => h.digest('hex'));
    return { path: this.path, size: this.size, sha256, md5, sha1 };
  }

  /**
   * finish() with the fsync on libuv's thread pool: the carver keeps feeding the next files while
   * this one reaches the disk (fsync dominated carving time when done inline).
   */
  async finishAsync(): Promise<SpooledFile> {
    if (this.fd === null) throw new Error(`${this.path}: finished twice`);
    this.flush();
    this.buf = null;
    const fd = this.fd;
    this.fd = null;
    const digests = this.digests();
    // observed below; a failed fsync must not leave it unhandled
    digests.catch(() => undefined);
    try {
      await new Promise<void>((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
    } finally {
      closeSync(fd);
    }
    return { path: this.path, size: this.size, ...(await digests) };
  }

  discard(): void {
    this.offThread?.drop();
    this.buf = null;
    this.buffered = 0;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.path, { force: true });
  }
}
