/**
 * Posting lists: sorted fixed-width keys, each with the sorted flow ids it occurs in.
 *   u32 entryCount, u32 keyWidth,
 *   entryCount × (key bytes, u32 blobOffset, u32 idCount),
 *   blob: per entry, LEB128 deltas of ascending flow ids.
 * Keys compare as unsigned bytes, so big-endian numbers and IPv4-mapped addresses sort
 * numerically and a CIDR block is one contiguous run.
 */
import { ByteWriter, readVarint } from '../encoding/byte-writer.js';

export class PostingsBuilder {
  private readonly lists = new Map<string, number[]>();

  constructor(readonly keyWidth: number) {}

  /** Adds flow id to key. Ids must be added in ascending order per key (duplicates ignored). */
  add(key: Uint8Array, id: number): void {
    let k = '';
    for (let i = 0; i < this.keyWidth; i++) k += String.fromCharCode(key[i]);
    const l = this.lists.get(k);
    if (!l) this.lists.set(k, [id]);
    else if (l[l.length - 1] !== id) l.push(id);
  }

  encode(): Uint8Array {
    const keys = [...this.lists.keys()].sort();
    const w = new ByteWriter(16 + keys.length * (this.keyWidth + 8));
    w.u32(keys.length);
    w.u32(this.keyWidth);
    const blob = new ByteWriter();
    for (const k of keys) {
      for (let i = 0; i < this.keyWidth; i++) w.u8(k.charCodeAt(i));
      const ids = this.lists.get(k) as number[];
      w.u32(blob.length);
      w.u32(ids.length);
      let prev = 0;
      for (let i = 0; i < ids.length; i++) {
        blob.varint(i === 0 ? ids[i] : ids[i] - prev);
        prev = ids[i];
      }
    }
    w.bytes(blob.finish());
    return w.finish();
  }
}

export class PostingsView {
  readonly count: number;
  readonly keyWidth: number;
  private readonly entrySize: number;
  private readonly blobStart: number;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    if (bytes.length < 8) throw new RangeError('postings section too short');
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.count = this.view.getUint32(0, true);
    this.keyWidth = this.view.getUint32(4, true);
    this.entrySize = this.keyWidth + 8;
    this.blobStart = 8 + this.count * this.entrySize;
    if (this.keyWidth === 0 || this.keyWidth > 64 || this.blobStart > bytes.length) throw new RangeError('postings section is inconsistent');
  }

  private cmpKey(i: number, key: Uint8Array): number {
    const at = 8 + i * this.entrySize;
    for (let j = 0; j < this.keyWidth; j++) {
      const d = this.bytes[at + j] - key[j];
      if (d !== 0) return d;
    }
    return 0;
  }

  /** First entry whose key is >= key. */
  lowerBound(key: Uint8Array): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmpKey(mid, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First entry whose key is > key. */
  upperBound(key: Uint8Array): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cmpKey(mid, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  key(i: number): Uint8Array {
    const at = 8 + i * this.entrySize;
    return this.bytes.subarray(at, at + this.keyWidth);
  }

  /** Flow ids of entry i, ascending. */
  ids(i: number): Uint32Array {
    const at = 8 + i * this.entrySize + this.keyWidth;
    const off = this.view.getUint32(at, true);
    const n = this.view.getUint32(at + 4, true);
    const out = new Uint32Array(n);
    const cur = [this.blobStart + off];
    let prev = 0;
    for (let j = 0; j < n; j++) {
      const d = readVarint(this.bytes, cur);
      prev = j === 0 ? d : prev + d;
      out[j] = prev;
    }
    return out;
  }

  /** Union of the flow ids of entries [from, to), ascending and unique. */
  idsInRange(from: number, to: number): Uint32Array {
    if (to - from === 1) return this.ids(from);
    const parts: Uint32Array[] = [];
    let total = 0;
    for (let i = from; i < to; i++) {
      const p = this.ids(i);
      parts.push(p);
      total += p.length;
    }
    const all = new Uint32Array(total);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    all.sort();
    let w = 0;
    for (let r = 0; r < all.length; r++) if (r === 0 || all[r] !== all[r - 1]) all[w++] = all[r];
    return all.subarray(0, w);
  }
}

/** Intersection of two ascending id lists. */
export function intersectIds(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(Math.min(a.length, b.length));
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out[n++] = a[i];
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return out.subarray(0, n);
}
