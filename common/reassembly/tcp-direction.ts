/**
 * Reassembly of one direction of a TCP connection: sequence numbers → stream offsets, in-order
 * delivery, out-of-order buffering, retransmission and overlap handling, gaps. Used in pairs by
 * TcpReassembler; policies in common/reassembly/README.md.
 *
 * Stream offsets are JS numbers (exact to 2^53), unwrapped from 32-bit sequence numbers relative
 * to the next expected byte, so wrap-around and flows beyond 4 GiB need no special case as long as
 * a segment lands within ±2 GiB of the delivery point.
 */
import { copyBytes } from './copy-bytes.js';
import { HELD_OVERHEAD, HeldSegments, type HeldSegment } from './held-segments.js';
import { HistoryRing } from './history-ring.js';
import type { ReassemblyBudget } from './memory-budget.js';
import { seqDiff } from './seq.js';
import type { Direction, StreamEndReason, StreamSink } from './stream-types.js';
import { emptyTcpDirectionStats } from './tcp-stats.js';

export type { TcpDirectionStats } from './tcp-stats.js';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;

/** Recently skipped ranges remembered to tell late data from plain retransmissions. */
const MAX_RECENT_GAPS = 32;
/** Snaplen-cut ranges remembered (each only lets a gap be skipped early). */
const MAX_LOST = 64;
/** An ack or RST this far beyond the delivery point is bogus, not evidence of lost bytes. */
const MAX_PLAUSIBLE_JUMP = 2 ** 30;

export interface DirectionLimits {
  /** Out-of-order data held before flushing with a gap (bytes plus HELD_OVERHEAD per segment). */
  maxHeldBytes: number;
  /** Delivered bytes kept to check retransmissions against. */
  historyBytes: number;
  budget: ReassemblyBudget;
}

export class TcpDirection {
  readonly stats = emptyTcpDirectionStats();
  endReason: StreamEndReason | null = null;

  private started = false;
  private sawSyn = false;
  /** Sequence number of stream offset 0. */
  private base = 0;
  /** Stream offset of the next byte to deliver. */
  private next = 0;
  /** Bytes skipped since the last chunk, reported as that chunk's gapBefore. */
  private pendingGap = 0;
  private finAt = -1;
  private rstAt = -1;
  /** Highest stream offset the peer acknowledged (−1: none yet). */
  private peerAck = -1;
  /** The peer's latest ack before this direction started (raw sequence number, −1: none). */
  private ackHint = -1;
  private readonly held = new HeldSegments();
  /** Flat [start, end) pairs: bytes that were on the wire but cut by the capture's snaplen. */
  private lost: number[] = [];
  private recentGaps: number[] = [];
  private history: HistoryRing | null;
  private tsSec = 0;
  private tsNsec = 0;
  private packet = 0;

  constructor(
    readonly dir: Direction,
    private readonly sink: StreamSink,
    private readonly limits: DirectionLimits,
  ) {
    this.history = limits.historyBytes > 0 ? new HistoryRing(limits.historyBytes, limits.budget) : null;
  }

  get ended(): boolean {
    return this.endReason !== null;
  }

  /** Stream offset of the next byte to deliver. */
  get nextOffset(): number {
    return this.next;
  }

  /** A segment sent in this direction. `payload` is read only during the call. */
  segment(seq: number, flags: number, payload: Uint8Array, wireLen: number, tsSec: number, tsNsec: number, packet: number): void {
    if (this.ended) {
      this.stats.afterEndBytes += payload.length;
      return;
    }
    this.setContext(tsSec, tsNsec, packet);
    let dataSeq = seq;
    if (flags & SYN) {
      dataSeq = (seq + 1) >>> 0; // the SYN takes one sequence number
      // a (late or repeated) SYN re-bases only while nothing has been delivered or skipped
      if (!this.sawSyn && this.next === 0 && this.pendingGap === 0) this.rebaseTo(dataSeq);
    }
    if (!this.started) {
      if (flags & RST) {
        this.end('rst');
        return;
      }
      // A bare ACK does not fix the start: it may be a keep-alive probe at seq − 1.
      if (wireLen === 0 && !(flags & FIN)) return;
      this.startAt(dataSeq);
    }
    const abs = this.toAbs(dataSeq);
    if (flags & RST) {
      this.stats.rstPayloadBytes += payload.length;
      if (abs >= this.next && abs - this.next <= MAX_PLAUSIBLE_JUMP) this.rstAt = abs;
      this.finish('rst');
      return;
    }
    if (flags & FIN && this.finAt < 0 && abs + wireLen >= this.next) this.finAt = abs + wireLen;
    let len = payload.length;
    if (wireLen > len && abs + wireLen > this.next) this.addLost(Math.max(abs + len, this.next), abs + wireLen);
    if (this.finAt >= 0 && abs + len > this.finAt) {
      const keep = Math.max(0, this.finAt - abs);
      this.stats.beyondFinBytes += len - keep;
      len = keep;
    }
    if (len === 1 && abs === this.next - 1 && wireLen === 1) {
      this.stats.keepAlives++;
    } else if (len > 0) {
      if (abs > this.next) this.stats.outOfOrderSegments++;
      this.accept(abs, len === payload.length ? payload : payload.subarray(0, len));
    }
    this.drain();
  }

  /** The peer acknowledged up to `ack` (raw sequence number) in a packet at this time. */
  peerAcked(ack: number, tsSec: number, tsNsec: number, packet: number): void {
    if (this.ended) return;
    if (!this.started) {
      this.ackHint = ack;
      return;
    }
    const a = this.toAbs(ack);
    if (a <= this.peerAck || a - this.next > MAX_PLAUSIBLE_JUMP) return;
    this.peerAck = a;
    if (!this.held.empty) {
      this.setContext(tsSec, tsNsec, packet);
      this.drain();
    }
  }

  /** No more packets: deliver what is held (skipping holes) and end. */
  finish(reason: StreamEndReason): void {
    if (this.ended) return;
    for (let f = this.held.first(); f && !this.ended; f = this.held.first()) {
      this.skipTo(f.start);
      this.drain();
    }
    if (!this.ended) this.end(reason);
  }

  // ---- internals ----

  private setContext(tsSec: number, tsNsec: number, packet: number): void {
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    this.packet = packet;
  }

  private toAbs(seq: number): number {
    return this.next + seqDiff(seq, this.base + this.next);
  }

  private startAt(dataSeq: number): void {
    let base = dataSeq;
    // Mid-stream: the peer's ack just before tells where this direction stood, so bytes between
    // it and the first segment seen are a known gap rather than an unknown start.
    if (this.ackHint >= 0) {
      const d = seqDiff(dataSeq, this.ackHint);
      if (d > 0 && d <= this.limits.maxHeldBytes) base = this.ackHint;
    }
    this.base = base;
    this.started = true;
    this.next = 0;
    if (this.ackHint >= 0) this.peerAck = Math.max(-1, seqDiff(this.ackHint, base));
  }

  private rebaseTo(dataSeq: number): void {
    this.sawSyn = true;
    if (!this.started) {
      this.base = dataSeq;
      this.started = true;
      this.next = 0;
      if (this.ackHint >= 0) this.peerAck = Math.max(-1, seqDiff(this.ackHint, dataSeq));
      return;
    }
    const delta = seqDiff(this.base, dataSeq);
    if (delta === 0) return;
    this.base = dataSeq;
    if (delta < 0) {
      // held data would sit before the SYN: not this connection's bytes
      this.dropHeld('late');
      this.lost = [];
      this.finAt = -1;
      this.peerAck = -1;
      return;
    }
    this.held.rebase(delta);
    for (let i = 0; i < this.lost.length; i++) this.lost[i] += delta;
    if (this.finAt >= 0) this.finAt += delta;
    if (this.peerAck >= 0) this.peerAck += delta;
  }

  /** Places data claiming stream offsets [abs, abs + data.length): first received wins. */
  private accept(abs: number, data: Uint8Array): void {
    const end = abs + data.length;
    let cur = abs;
    while (cur < end && !this.ended) {
      if (cur < this.next) {
        const e = Math.min(end, this.next);
        this.overlapDelivered(cur, data, cur - abs, e - cur);
        cur = e;
        continue;
      }
      const i = this.held.empty ? 0 : this.held.indexEndingAfter(cur);
      const h = this.held.at(i);
      if (h && h.start <= cur) {
        const e = Math.min(end, h.end);
        this.overlapHeld(h, cur, data, cur - abs, e - cur);
        cur = e;
        continue;
      }
      const pe = h ? Math.min(end, h.start) : end;
      const piece = cur === abs && pe === end ? data : data.subarray(cur - abs, pe - abs);
      if (cur === this.next) {
        this.emit(piece);
        this.drain();
        cur = pe;
      } else if (this.store(cur, piece)) {
        cur = pe;
      }
      // else: a memory flush moved the delivery point; look at cur again
    }
  }

  /**
   * Holds an out-of-order piece (a copy). Over the per-direction limit or the shared budget, held
   * data is flushed with gaps first; false when that moved the delivery point up to the piece.
   */
  private store(start: number, piece: Uint8Array): boolean {
    const cost = piece.length + HELD_OVERHEAD;
    while (this.held.cost + cost > this.limits.maxHeldBytes || !this.reserve(cost)) {
      this.stats.memoryFlushes++;
      const f = this.held.first();
      if (!f || f.start > start) {
        // nothing held before the piece: give up on the hole before it
        this.skipTo(start);
        this.emit(piece);
        this.drain();
        return true;
      }
      this.skipTo(f.start);
      this.drain();
      if (this.ended || start <= this.next) return false;
    }
    this.held.insert({ start, end: start + piece.length, data: copyBytes(piece) });
    if (this.held.cost > this.stats.heldPeak) this.stats.heldPeak = this.held.cost;
    return true;
  }

  private reserve(cost: number): boolean {
    return this.limits.budget.tryReserve(cost);
  }

  private releaseHeld(s: HeldSegment): void {
    this.limits.budget.release(s.end - s.start + HELD_OVERHEAD);
  }

  /** Delivers held data that became contiguous and skips holes nothing will fill. */
  private drain(): void {
    if (this.ended) return;
    for (;;) {
      const f = this.held.first();
      if (f && f.start <= this.next) {
        this.held.shift();
        this.releaseHeld(f);
        if (f.end > this.next) this.emit(f.start === this.next ? f.data : f.data.subarray(this.next - f.start));
        continue;
      }
      if (this.lost.length > 0 && this.skipLost(f)) continue;
      // The peer acknowledged bytes beyond the hole: it received them, the capture did not.
      if (f && this.peerAck > f.start) {
        this.skipTo(f.start);
        continue;
      }
      break;
    }
    if (this.finAt >= 0 && this.next >= this.finAt) this.end('fin');
  }

  /** Skips a snaplen-cut range starting at the delivery point; true when it moved. */
  private skipLost(f: HeldSegment | undefined): boolean {
    const lost = this.lost;
    let moved = false;
    for (let i = 0; i < lost.length; i += 2) {
      if (lost[i] <= this.next && lost[i + 1] > this.next) {
        this.skipTo(f ? Math.min(lost[i + 1], f.start) : lost[i + 1]);
        moved = true;
        break;
      }
    }
    // forget ranges now behind the delivery point
    let w = 0;
    for (let i = 0; i < lost.length; i += 2) {
      if (lost[i + 1] > this.next) {
        lost[w++] = lost[i];
        lost[w++] = lost[i + 1];
      }
    }
    lost.length = w;
    return moved;
  }

  private addLost(start: number, end: number): void {
    if (this.lost.length >= MAX_LOST * 2) this.lost.splice(0, 2);
    this.lost.push(start, end);
  }

  private skipTo(target: number): void {
    if (target <= this.next) return;
    const gap = target - this.next;
    this.pendingGap += gap;
    this.stats.gaps++;
    this.stats.gapBytes += gap;
    if (this.recentGaps.length >= MAX_RECENT_GAPS * 2) this.recentGaps.splice(0, 2);
    this.recentGaps.push(this.next, target);
    this.next = target;
  }

  private emit(data: Uint8Array): void {
    const n = data.length;
    if (n === 0) return;
    this.sink.onData({ dir: this.dir, offset: this.next, data, gapBefore: this.pendingGap, tsSec: this.tsSec, tsNsec: this.tsNsec, packet: this.packet });
    this.pendingGap = 0;
    if (this.history) this.history.append(this.next, data);
    this.next += n;
    this.stats.bytes += n;
    this.stats.chunks++;
  }

  /** New data over bytes already delivered (or skipped): the delivered bytes stand. */
  private overlapDelivered(abs: number, data: Uint8Array, off: number, len: number): void {
    let late = 0;
    if (abs < 0) late += Math.min(len, -abs);
    const g = this.recentGaps;
    for (let i = 0; i < g.length; i += 2) {
      const lo = Math.max(abs, g[i]);
      const hi = Math.min(abs + len, g[i + 1]);
      if (hi > lo) late += hi - lo;
    }
    let differ = 0;
    let checked = 0;
    if (this.history) {
      // history covers only bytes delivered since the last gap, never the late ranges
      differ = this.history.compare(abs, data, off, len);
      checked = this.history.checked;
    }
    this.stats.lateBytes += late;
    this.stats.uncheckedOverlapBytes += Math.max(0, len - late - checked);
    this.countOverlap(checked, differ);
  }

  /** New data over held (not yet delivered) bytes: the held bytes stand. */
  private overlapHeld(h: HeldSegment, abs: number, data: Uint8Array, off: number, len: number): void {
    const held = h.data;
    let p = abs - h.start;
    let differ = 0;
    // per-byte compare, only over overlapping bytes
    for (let q = off, e = off + len; q < e; q++, p++) if (held[p] !== data[q]) differ++;
    this.countOverlap(len, differ);
  }

  private countOverlap(checked: number, differ: number): void {
    this.stats.duplicateBytes += checked - differ;
    if (differ > 0) {
      this.stats.conflicts++;
      this.stats.conflictBytes += differ;
    }
  }

  private dropHeld(kind: 'late' | 'beyond-fin'): void {
    for (let s = this.held.shift(); s; s = this.held.shift()) {
      this.releaseHeld(s);
      if (kind === 'late') this.stats.lateBytes += s.end - s.start;
      else this.stats.beyondFinBytes += s.end - s.start;
    }
  }

  private end(reason: StreamEndReason): void {
    if (this.ended) return;
    let known = this.finAt >= 0 ? this.finAt : Math.max(this.peerAck, this.rstAt);
    for (let i = 1; i < this.lost.length; i += 2) known = Math.max(known, this.lost[i]);
    const missing = this.started ? Math.max(0, known - this.next) : 0;
    if (missing > 0) {
      this.stats.gaps++;
      this.stats.gapBytes += missing;
    }
    const gapAtEnd = this.pendingGap + missing;
    this.pendingGap = 0;
    this.endReason = reason;
    this.dropHeld('beyond-fin');
    this.lost = [];
    this.history?.dispose();
    this.history = null;
    this.sink.onEnd(this.dir, reason, gapAtEnd);
  }
}
