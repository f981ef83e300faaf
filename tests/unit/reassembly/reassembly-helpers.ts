/** Shared by the reassembly unit tests: a sink that records everything, and segment builders. */
import type { Direction, StreamChunk, StreamEndReason, StreamSink } from '../../../common/reassembly/stream-types.js';
import { TcpReassembler, type TcpReassemblerOptions, type TcpSegmentInput } from '../../../common/reassembly/tcp-reassembler.js';

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface Recorded {
  chunks: (Omit<StreamChunk, 'data'> & { data: Uint8Array })[];
  ends: { dir: Direction; reason: StreamEndReason; gapAtEnd: number }[];
}

/** A sink that copies every chunk (the views are valid only during the call). */
export function recorder(): Recorded & StreamSink {
  const r: Recorded & StreamSink = {
    chunks: [],
    ends: [],
    onData(c) {
      r.chunks.push({ ...c, data: new Uint8Array(c.data) }); // a copy even when data is a Node Buffer
    },
    onEnd(dir, reason, gapAtEnd) {
      r.ends.push({ dir, reason, gapAtEnd });
    },
  };
  return r;
}

/** Bytes 'a'..'z' repeating from position `from` (so any slice is recognisable). */
export function text(len: number, from = 0): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = 97 + ((from + i) % 26);
  return b;
}

/** Everything delivered in one direction, concatenated. */
export function stream(r: Recorded, dir: Direction): Uint8Array {
  const parts = r.chunks.filter((c) => c.dir === dir);
  const out = new Uint8Array(parts.reduce((n, c) => n + c.data.length, 0));
  let o = 0;
  for (const c of parts) {
    out.set(c.data, o);
    o += c.data.length;
  }
  return out;
}

export function ascii(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/** Drives a TcpReassembler with terse segment calls; packet indexes and times count up. */
export class Driver {
  readonly rec = recorder();
  readonly r: TcpReassembler;
  private packet = 0;

  constructor(opts: TcpReassemblerOptions = {}) {
    this.r = new TcpReassembler(this.rec, opts);
  }

  seg(dir: Direction, seq: number, payload: Uint8Array | string = '', flags = ACK, ack = 0, wireLength?: number): this {
    const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    const s: TcpSegmentInput = { dir, seq: seq >>> 0, ack: ack >>> 0, flags, payload: data, wireLength: wireLength ?? data.length, tsSec: 1000 + this.packet, tsNsec: 0, packet: this.packet++ };
    this.r.push(s);
    return this;
  }

  /** A pure ACK from `dir` acknowledging `ack` of the other direction. */
  ack(dir: Direction, seq: number, ack: number): this {
    return this.seg(dir, seq, '', ACK, ack);
  }

  finish(): this {
    this.r.finish();
    return this;
  }

  text(dir: Direction): string {
    return ascii(stream(this.rec, dir));
  }
}
