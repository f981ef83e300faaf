/**
 * A carved file while it is being received: written to STORE/files/.spool/ (synchronously, or by
 * the spool workers: the carver's sink is synchronous, so memory stays bounded without
 * backpressure), hashed as it goes (sha256, md5, sha1), and fsynced when finished so it can be
 * renamed into place atomically. Its first HEAD_BYTES are kept for type detection, so nothing
 * re-opens the file to sniff it.
 */
import { closeSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';
import { OffThreadSpool, type SpoolCopy } from './hash-worker.js';

/** Leading bytes kept in memory for type detection (node/carve/detect-type.ts). */
export const HEAD_BYTES = 64 * 1024;

export interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
  md5: string;
  sha1: string;
  /** The first min(size, HEAD_BYTES) bytes. */
  head: Uint8Array;
  /** The copy asked for with SpoolOptions.copyTo, when the spool stage wrote or tried it. */
  copy?: SpoolCopy;
}

/** Bytes gathered before hashing and writing (per open spool file written inline). */
const SPOOL_BUFFER = 128 * 1024;

export interface SpoolOptions {
  /**
   * Hash on the shared worker thread (node/carve/hash-worker.ts); the digests then come only
   * from finishAsync(). For the bulk of carving (files as received); files written and finished
   * synchronously (decoded output, assembled ranges, MIME parts) hash inline.
   */
  offThreadHash?: boolean;
  /**
   * Off-thread only: a new file the native spool stage also writes the bytes to as they come
   * (`tapline carve -o`: no copy made afterwards). The outcome is SpooledFile.copy; without the
   * native stage no copy is made and `copy` is absent.
   */
  copyTo?: string;
}

export class SpoolFile {
  private fd: number | null;
  private readonly hashes: [Hash, Hash, Hash] | null;
  /** Off-thread mode: the workers own the file. */
  private readonly offThread: OffThreadSpool | null;
  private head: Uint8Array | null = null;
  size = 0;

  constructor(
    readonly path: string,
    opts: SpoolOptions = {},
  ) {
    this.offThread = opts.offThreadHash ? new OffThreadSpool(path, opts.copyTo) : null;
    // off-thread: the writer worker creates the file (this.fd only says the spool is open)
    this.fd = this.offThread ? -1 : openSync(path, 'wx', 0o600);
    this.hashes = this.offThread ? null : [createHash('sha256'), createHash('md5'), createHash('sha1')];
  }

  /**
   * Small writes (one TCP segment each) are gathered here: three hash updates and a write
   * syscall per segment cost more than the hashing itself.
   */
  private buf: Uint8Array | null = null;
  private buffered = 0;
  private readonly bufSize = SPOOL_BUFFER;

  write(data: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path}: write after finish`);
    if (this.size < HEAD_BYTES && data.length > 0) this.keepHead(data);
    this.size += data.length;
    // off-thread: copied straight into the spool workers' ring (their batches)
    if (this.offThread) return this.offThread.write(data);
    if (data.length >= this.bufSize / 2) {
      this.flush();
      this.writeOut(data);
      return;
    }
    if (this.buffered + data.length > this.bufSize) this.flush();
    this.buf ??= new Uint8Array(this.bufSize);
    this.buf.set(data, this.buffered);
    this.buffered += data.length;
  }

  private keepHead(data: Uint8Array): void {
    this.head ??= new Uint8Array(HEAD_BYTES);
    const n = Math.min(HEAD_BYTES - this.size, data.length);
    this.head.set(n === data.length ? data : data.subarray(0, n), this.size);
  }

  private headBytes(): Uint8Array {
    const n = Math.min(this.size, HEAD_BYTES);
    // a small file's head is copied to its size: records in flight should not pin 64 KiB each
    return this.head === null ? new Uint8Array(0) : n < HEAD_BYTES ? this.head.slice(0, n) : this.head;
  }

  private flush(): void {
    if (this.buffered === 0 || this.buf === null) return;
    const n = this.buffered;
    this.buffered = 0;
    this.writeOut(this.buf.subarray(0, n));
  }

  private writeOut(data: Uint8Array): void {
    let off = 0;
    while (off < data.length) off += writeSync(this.fd as number, data, off, data.length - off);
    for (const h of this.hashes as Hash[]) h.update(data);
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
    return { path: this.path, size: this.size, sha256, md5, sha1, head: this.headBytes() };
  }

  /**
   * finish() for off-thread spools: the writer worker writes what is queued and fsyncs (on libuv's
   * thread pool) while the carver keeps feeding the next files (fsync dominated carving time
   * when done inline). An inline spool is finished synchronously.
   */
  async finishAsync(): Promise<SpooledFile> {
    if (this.fd === null) throw new Error(`${this.path}: finished twice`);
    if (!this.offThread) return this.finish();
    this.flush();
    this.buf = null;
    this.fd = null;
    const { copy, ...d } = await this.offThread.finish(true);
    return { path: this.path, size: this.size, ...d, head: this.headBytes(), ...(copy ? { copy } : {}) };
  }

  /**
   * Drops the file. An inline spool is gone on return; an off-thread one once the writer worker
   * has processed what was queued before (`gone` resolves then).
   */
  discard(): void {
    this.buf = null;
    this.buffered = 0;
    this.head = null;
    if (this.offThread) {
      if (this.fd !== null) this.gone = this.offThread.drop();
      this.fd = null;
      return;
    }
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.path, { force: true });
  }

  /** Resolves when a discarded file is removed. */
  gone: Promise<void> = Promise.resolve();
}
