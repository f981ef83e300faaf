/** What TCP reassembly observed in one direction: the evidence behind its gaps and overlaps. */

export interface TcpDirectionStats {
  /** Bytes delivered (sum of chunk lengths). */
  bytes: number;
  chunks: number;
  /** Segments carrying payload that arrived ahead of the next expected byte. */
  outOfOrderSegments: number;
  /** Overlapping bytes identical to what was received first (retransmissions). */
  duplicateBytes: number;
  /** Overlapping segments with bytes that differ from what was received first, and those bytes. */
  conflicts: number;
  conflictBytes: number;
  /** Overlapping bytes no longer in history to compare (delivered long ago). */
  uncheckedOverlapBytes: number;
  /** Bytes that arrived after their range was skipped as a gap, or before the stream's start. */
  lateBytes: number;
  /** Holes skipped (the capture lacks those bytes) and their total size, including gapAtEnd. */
  gaps: number;
  gapBytes: number;
  /** Times buffered out-of-order data was flushed early because of the memory limit. */
  memoryFlushes: number;
  /** Largest amount of out-of-order data held at once (bytes plus bookkeeping). */
  heldPeak: number;
  /** One-byte segments just below the next expected byte (keep-alive probes), not compared. */
  keepAlives: number;
  /** Payload carried by RST segments (diagnostic text per RFC 9293, not stream data). */
  rstPayloadBytes: number;
  /** Payload beyond the FIN's sequence number, and payload after the direction ended. */
  beyondFinBytes: number;
  afterEndBytes: number;
}

export function emptyTcpDirectionStats(): TcpDirectionStats {
  return {
    bytes: 0, chunks: 0, outOfOrderSegments: 0, duplicateBytes: 0, conflicts: 0, conflictBytes: 0,
    uncheckedOverlapBytes: 0, lateBytes: 0, gaps: 0, gapBytes: 0, memoryFlushes: 0, heldPeak: 0,
    keepAlives: 0, rstPayloadBytes: 0, beyondFinBytes: 0, afterEndBytes: 0,
  };
}
