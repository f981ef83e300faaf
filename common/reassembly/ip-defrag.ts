/**
 * IP fragment reassembly for one flow's datagrams, so follow-stream sees a fragmented UDP (or,
 * rarely, TCP) datagram whole, as tshark does. Bounded: at most maxDatagrams pending and maxBytes
 * held; beyond that the oldest pending datagram is dropped (and counted). Overlapping fragments:
 * the first received bytes win, as in the TCP policy.
 */
import type { Direction } from './stream-types.js';
import { copyBytes } from './copy-bytes.js';

interface Piece {
  off: number;
  data: Uint8Array;
}

interface Pending {
  key: string;
  pieces: Piece[];
  /** Datagram length once the last fragment (M = 0) arrived, else −1. */
  total: number;
  bytes: number;
}

export interface DefragOptions {
  maxBytes?: number;
  maxDatagrams?: number;
}

export class Defragmenter {
  private readonly pending = new Map<string, Pending>();
  private heldBytes = 0;
  private readonly maxBytes: number;
  private readonly maxDatagrams: number;
  /** Datagrams given up (limits) and fragments that could not be used. */
  dropped = 0;

  constructor(opts: DefragOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 4 * 1024 * 1024;
    this.maxDatagrams = opts.maxDatagrams ?? 256;
  }

  /**
   * Adds one fragment: `bytes` is its slice of the datagram payload (after the IP header) at byte
   * offset `off`; `more` is the more-fragments flag. Returns the reassembled IP payload (transport
   * header onward) when this fragment completes it, else null. `bytes` is copied.
   */
  add(dir: Direction, id: number, off: number, more: boolean, bytes: Uint8Array): Uint8Array | null {
    const key = `${dir}:${id}`;
    let p = this.pending.get(key);
    if (!p) {
      while (this.pending.size >= this.maxDatagrams) this.evictOldest();
      p = { key, pieces: [], total: -1, bytes: 0 };
      this.pending.set(key, p);
    }
    if (!more) p.total = off + bytes.length;
    if (bytes.length > 0) {
      while (this.heldBytes + bytes.length > this.maxBytes && this.pending.size > 1) this.evictOldest(p);
      p.pieces.push({ off, data: copyBytes(bytes) });
      p.bytes += bytes.length;
      this.heldBytes += bytes.length;
    }
    if (p.total < 0 || !covers(p.pieces, p.total)) return null;
    this.remove(p);
    const out = new Uint8Array(p.total);
    // later pieces first, so the first received bytes are written last and win
    for (let i = p.pieces.length - 1; i >= 0; i--) {
      const piece = p.pieces[i];
      const n = Math.min(piece.data.length, p.total - piece.off);
      if (n > 0) out.set(n === piece.data.length ? piece.data : piece.data.subarray(0, n), piece.off);
    }
    return out;
  }

  /** Datagrams still missing fragments. */
  get incomplete(): number {
    return this.pending.size;
  }

  private remove(p: Pending): void {
    this.pending.delete(p.key);
    this.heldBytes -= p.bytes;
  }

  private evictOldest(keep?: Pending): void {
    for (const p of this.pending.values()) {
      if (p === keep) continue;
      this.remove(p);
      this.dropped++;
      return;
    }
  }
}

/** True when the pieces cover [0, total) without a hole. */
function covers(pieces: Piece[], total: number): boolean {
  const sorted = pieces.slice().sort((a, b) => a.off - b.off);
  let reach = 0;
  for (const s of sorted) {
    if (s.off > reach) return false;
    reach = Math.max(reach, s.off + s.data.length);
    if (reach >= total) return true;
  }
  return reach >= total;
}
