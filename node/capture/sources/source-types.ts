/**
 * What every live capture source (libpcap, ssh + remote tcpdump, PCAP-over-IP, a pipe) offers
 * the capture session around it. A source pushes into a LivePacketSink
 * (common/capture/live-packet-sink.ts) and reports counters; it never writes the store itself.
 */
import type { LivePacketSink } from '../../../common/capture/live-packet-sink.js';

export interface SourceStats {
  /** Packets handed to the sink. */
  packets: number;
  /** Original (on-the-wire) bytes of those packets. */
  bytes: number;
  /** Packets the kernel dropped (libpcap ps_drop), or null when the source cannot know. */
  kernelDrops: number | null;
  /** Packets the interface/driver dropped (libpcap ps_ifdrop), or null. */
  ifDrops: number | null;
  /** Times the source lost and regained its feed (ssh reconnects). */
  reconnects: number;
  /** Packets the source read but lost before the sink (the native capture thread stopping without a buffer). */
  handoffDrops?: number;
}

/**
 * A sink with a per-packet fast path for capture loops: the packet's fields as arguments and its
 * bytes as src[0, capLen), copied during the call. No LivePacket object and no view of the bytes
 * is created per packet (the libpcap loop runs once per packet on the capture thread).
 */
export interface FastPacketSink extends LivePacketSink {
  packetFrom(linkId: number, tsSec: number, tsNsec: number, src: Uint8Array, capLen: number, origLen: number): void;
}

/**
 * A sink that takes whole batches (node/store/live/packet-batch.ts layout) filled elsewhere, the
 * native capture thread: the buffer is transferred, not copied. Buffers come from the sink
 * (takeBatchBuffer), so its hand-off bound covers them too.
 */
export interface BatchPacketSink extends FastPacketSink {
  /**
   * Hands over buf[0, len) holding `packets` packets of `bytes` original bytes: a buffer from
   * takeBatchBuffer, which the caller no longer touches.
   */
  packetBatch(buf: Uint8Array, len: number, packets: number, bytes: number): void;
  /**
   * An empty buffer for a batch (a view of shared memory: never transferred, so no ArrayBuffer
   * is detached), or null while the hand-off bound is reached.
   */
  takeBatchBuffer(): Uint8Array | null;
  /** Called (once per buffer) when a buffer comes back, i.e. takeBatchBuffer may succeed again. */
  onBatchBufferFree(listener: (() => void) | null): void;
}

export function isBatchPacketSink(s: LivePacketSink): s is BatchPacketSink {
  const b = s as Partial<BatchPacketSink>;
  return typeof b.packetBatch === 'function' && typeof b.takeBatchBuffer === 'function' && typeof b.onBatchBufferFree === 'function';
}

export function isFastPacketSink(s: LivePacketSink): s is FastPacketSink {
  return typeof (s as Partial<FastPacketSink>).packetFrom === 'function';
}

/** How a source ended without being asked to stop. */
export type SourceEnd = { kind: 'stopped' } | { kind: 'eof' } | { kind: 'error'; message: string };

export interface LiveSource {
  /** Human-readable name for messages ("libpcap eth0", "ssh://user@host/eth1"). */
  readonly description: string;
  /** Opens the feed. Rejects (with a clear message) when the capture cannot start. */
  start(): Promise<void>;
  /** Stops capturing; everything received before the call has been handed to the sink. */
  stop(): Promise<void>;
  stats(): SourceStats;
  /** Settles when the source ends: stop() was called, its input ended, or it failed. */
  readonly ended: Promise<SourceEnd>;
}

/** A configuration error found before any packet is captured (bad filter, unknown interface). */
export class SourceConfigError extends Error {
  override readonly name = 'SourceConfigError';
  constructor(
    message: string,
    /** Stable code for the worker protocol's error responses. */
    readonly code: string,
  ) {
    super(message);
  }
}

export function emptySourceStats(): SourceStats {
  return { packets: 0, bytes: 0, kernelDrops: null, ifDrops: null, reconnects: 0 };
}
