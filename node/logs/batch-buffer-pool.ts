/**
 * Batch buffers given back by the main thread, for the native receiver's next whole batches:
 * memory already touched (a new 0.5 MB buffer a batch cost a page fault every ~8 messages), and
 * fewer new external bytes for the main thread's garbage collector to count. Bounded; a buffer is
 * taken only for a batch that fills at least half of it.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  private bytes = 0;

  constructor(
    private readonly maxBuffers = 64,
    private readonly maxBytes = 64 << 20,
  ) {}

  give(b: ArrayBuffer): void {
    if (b.byteLength === 0 || this.free.length >= this.maxBuffers || this.bytes + b.byteLength > this.maxBytes) return;
    this.free.push(b);
    this.bytes += b.byteLength;
  }

  /** A buffer of at least n bytes: the most recently given back that fits (at most twice n), else a new one (n rounded up to 64 KiB). */
  take(n: number): ArrayBuffer {
    for (let k = this.free.length - 1; k >= 0; k--) {
      const b = this.free[k];
      if (b.byteLength >= n && b.byteLength <= 2 * n + 65536) {
        this.free.splice(k, 1);
        this.bytes -= b.byteLength;
        return b;
      }
    }
    return new ArrayBuffer(Math.ceil(n / 65536) * 65536);
  }

  get size(): number {
    return this.free.length;
  }
}
