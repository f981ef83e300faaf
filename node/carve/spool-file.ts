/**
 * A carved file while it is being received: written synchronously (the carver's sink is
 * synchronous, so memory stays bounded without backpressure) to STORE/files/.spool/, hashed as it
 * goes (sha256, md5, sha1), and fsynced when finished so it can be renamed into place atomically.
 */
import { closeSync, fsync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';

export interface SpooledFile {
  path: string;
  size: number;
  sha256: string;
  md5: string;
  sha1: string;
}

/** Bytes gathered before hashing and writing (per open spool file). */
const SPOOL_BUFFER = 128 * 1024;

export class SpoolFile {
  private fd: number | null;
  private readonly hashes: [Hash, Hash, Hash] = [createHash('sha256'), createHash('md5'), createHash('sha1')];
  size = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'wx', 0o600);
  }

  /**
   * Small writes (one TCP segment each) are gathered here: three hash updates and a write
   * syscall per segment cost more than the hashing itself.
   */
  private buf: Uint8Array | null = null;
  private buffered = 0;

  write(data: Uint8Array): void {
    if (this.fd === null) throw new Error(`${this.path}: write after finish`);
    this.size += data.length;
    if (data.length >= SPOOL_BUFFER / 2) {
      this.flush();
      this.writeOut(data);
      return;
    }
    if (this.buffered + data.length > SPOOL_BUFFER) this.flush();
    this.buf ??= new Uint8Array(SPOOL_BUFFER);
    this.buf.set(data, this.buffered);
    this.buffered += data.length;
  }

  private flush(): void {
    if (this.buffered === 0 || this.buf === null) return;
    const n = this.buffered;
    this.buffered = 0;
    this.writeOut(this.buf.subarray(0, n));
  }

  private writeOut(data: Uint8Array): void {
    for (const h of this.hashes) h.update(data);
    let off = 0;
    while (off < data.length) off += writeSync(this.fd as number, data, off, data.length - off);
  }

  finish(): SpooledFile {
    if (this.fd === null) throw new Error(`${this.path}: finished twice`);
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
    const [sha256, md5, sha1] = this.hashes.map((h) => h.digest('hex'));
    try {
      await new Promise<void>((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
    } finally {
      closeSync(fd);
    }
    return { path: this.path, size: this.size, sha256, md5, sha1 };
  }

  discard(): void {
    this.buf = null;
    this.buffered = 0;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.path, { force: true });
  }
}
