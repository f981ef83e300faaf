/**
 * A file that is still being written (a browser upload arriving in chunks), read as it grows:
 * the importer reads it through `open()`, a handle whose reads wait until the bytes they ask for
 * have arrived, end at the declared size, and fail when the writer gives up (the upload was
 * abandoned or stalled), so an import can run while the upload does and stop cleanly when it
 * cannot finish. The writer reports progress with `grew(bytes)`: only bytes of complete chunks,
 * so a reader never sees a chunk that might still be cut back.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { ReadableHandle } from '../capture/read-capture-file.js';

export class GrowingFile {
  private available = 0;
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];

  constructor(
    readonly path: string,
    /** The size the file will have when complete. */
    readonly size: number,
  ) {}

  get received(): number {
    return this.available;
  }

  get complete(): boolean {
    return this.available >= this.size;
  }

  get failed(): Error | null {
    return this.failure;
  }

  /** The file now holds `bytes` bytes that will not change. */
  grew(bytes: number): void {
    if (bytes <= this.available) return;
    this.available = Math.min(bytes, this.size);
    this.wake();
  }

  /** The file will not grow any more: pending and later reads past what arrived reject with e. */
  fail(e: Error): void {
    if (this.failure || this.complete) return;
    this.failure = e;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `bytes` bytes (at most the declared size) have arrived; rejects when the writer gave up first. */
  async waitFor(bytes: number): Promise<void> {
    const want = Math.min(bytes, this.size);
    while (this.available < want) {
      if (this.failure) throw this.failure;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** A handle reading the file as it grows (see the module comment). */
  async open(): Promise<ReadableHandle> {
    const fh: FileHandle = await open(this.path, 'r');
    return {
      read: async (buffer, offset, length, position) => {
        if (position >= this.size || length === 0) return { bytesRead: 0 };
        await this.waitFor(position + 1);
        const n = Math.min(length, this.available - position);
        return fh.read(buffer, offset, n, position);
      },
      // the size the file will have: progress is measured against it
      stat: async () => ({ size: this.size }),
      close: () => fh.close(),
    };
  }
}
