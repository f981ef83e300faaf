/**
 * Contract between TCP/UDP stream reassembly and its consumers (follow-stream, carvers, rules).
 * A flow's payload arrives as chunks in time order, each tagged with its direction and its byte
 * offset within that direction's stream. Environment-free.
 */

/** 0 = client → server, 1 = server → client (the flow's orientation). */
export type Direction = 0 | 1;

export interface StreamChunk {
  dir: Direction;
  /** Offset of data[0] within this direction's byte stream (0 = the first byte captured or after the SYN). */
  offset: number;
  /** Payload bytes (a view valid only during the call; copy what you keep). */
  data: Uint8Array;
  /**
   * Bytes missing immediately before this chunk (never invented): > 0 when the capture lost
   * segments or started mid-stream after a known starting point.
   */
  gapBefore: number;
  /** Time of the packet that completed this chunk. */
  tsSec: number;
  tsNsec: number;
  /** 0-based index, within the flow, of the packet that completed this chunk. */
  packet: number;
}

export type StreamEndReason = 'fin' | 'rst' | 'end-of-capture' | 'memory-limit';

export interface StreamSink {
  onData(chunk: StreamChunk): void;
  /** No more data will come in this direction. `gapAtEnd` counts bytes known missing at the end. */
  onEnd(dir: Direction, reason: StreamEndReason, gapAtEnd: number): void;
}
