/**
 * UDP "streams" for follow-stream: each datagram's payload is one chunk in its direction, at the
 * running byte count of that direction. A datagram cut by the snaplen delivers what was captured;
 * the rest is reported as the next chunk's gapBefore (or gapAtEnd), never invented.
 */
import type { Direction, StreamSink } from './stream-types.js';

export class UdpStreams {
  private readonly offset = [0, 0];
  private readonly pendingGap = [0, 0];
  private done = false;
  readonly datagrams = [0, 0];

  constructor(private readonly sink: StreamSink) {}

  /** One datagram's payload (read only during the call); wireLength ≥ payload.length when cut. */
  push(dir: Direction, payload: Uint8Array, wireLength: number, tsSec: number, tsNsec: number, packet: number): void {
    if (this.done) return;
    const n = payload.length;
    const missing = Math.max(0, wireLength - n);
    // empty datagrams carry nothing to follow (tshark skips them too)
    if (n > 0) {
      this.datagrams[dir]++;
      this.sink.onData({ dir, offset: this.offset[dir], data: payload, gapBefore: this.pendingGap[dir], tsSec, tsNsec, packet });
      this.pendingGap[dir] = 0;
      this.offset[dir] += n;
    }
    if (missing > 0) {
      this.pendingGap[dir] += missing;
      this.offset[dir] += missing;
    }
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.sink.onEnd(0, 'end-of-capture', this.pendingGap[0]);
    this.sink.onEnd(1, 'end-of-capture', this.pendingGap[1]);
  }
}
