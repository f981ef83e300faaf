/**
 * Per-flow TCP reassembly in both directions, fed one segment at a time in capture order,
 * delivering each direction's bytes in order to a StreamSink. Environment-free; no per-byte work
 * beyond copying except where segments overlap (those bytes are compared to count conflicts).
 * Policies (overlaps, gaps, limits): common/reassembly/README.md.
 */
import { ReassemblyBudget } from './memory-budget.js';
import type { Direction, StreamSink } from './stream-types.js';
import { TcpDirection, type TcpDirectionStats } from './tcp-direction.js';

const ACK = 0x10;

/** Per-direction out-of-order buffer default: beyond it the oldest hole is given up as a gap. */
export const DEFAULT_MAX_HELD_BYTES = 4 * 1024 * 1024;
/** Delivered bytes kept per direction to compare retransmissions against. */
export const DEFAULT_HISTORY_BYTES = 64 * 1024;

export interface TcpSegmentInput {
  dir: Direction;
  /** Raw 32-bit sequence and acknowledgment numbers; ack is used only when flags has ACK. */
  seq: number;
  ack: number;
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10, …). */
  flags: number;
  /** Captured payload bytes; read only during push. */
  payload: Uint8Array;
  /** Payload length on the wire when the capture cut the packet (snaplen); ≥ payload.length. */
  wireLength: number;
  tsSec: number;
  tsNsec: number;
  /** 0-based index of the packet within the flow. */
  packet: number;
}

export interface TcpReassemblerOptions {
  /** Out-of-order bytes held per direction (default 4 MiB). */
  maxHeldBytes?: number;
  /** Delivered bytes kept per direction for retransmission checks (default 64 KiB; 0 = none). */
  historyBytes?: number;
  /** Budget shared with the other reassemblers running at the same time. */
  budget?: ReassemblyBudget;
}

export class TcpReassembler {
  private readonly dirs: readonly [TcpDirection, TcpDirection];

  constructor(sink: StreamSink, opts: TcpReassemblerOptions = {}) {
    const maxHeldBytes = opts.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    const historyBytes = opts.historyBytes ?? DEFAULT_HISTORY_BYTES;
    // alone, a flow is bounded by its own limits only
    const budget = opts.budget ?? new ReassemblyBudget(2 * (maxHeldBytes + historyBytes) + 1024);
    const limits = { maxHeldBytes, historyBytes, budget };
    this.dirs = [new TcpDirection(0, sink, limits), new TcpDirection(1, sink, limits)];
  }

  push(s: TcpSegmentInput): void {
    // The ack speaks about the other direction: process it first, as the receiver did.
    if (s.flags & ACK) this.dirs[s.dir ^ 1].peerAcked(s.ack, s.tsSec, s.tsNsec, s.packet);
    this.dirs[s.dir].segment(s.seq, s.flags, s.payload, Math.max(s.wireLength, s.payload.length), s.tsSec, s.tsNsec, s.packet);
  }

  /** End of the flow's packets: flushes held data with gaps and ends both directions. */
  finish(): void {
    this.dirs[0].finish('end-of-capture');
    this.dirs[1].finish('end-of-capture');
  }

  get ended(): boolean {
    return this.dirs[0].ended && this.dirs[1].ended;
  }

  stats(dir: Direction): TcpDirectionStats {
    return this.dirs[dir].stats;
  }
}
