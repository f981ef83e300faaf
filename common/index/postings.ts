/**
 * Posting lists: sorted fixed-width keys, each with the sorted flow ids it occurs in.
 *   u32 entryCount, u32 keyWidth,
 *   entryCount × (key bytes, u32 blobOffset, u32 idCount),
 *   blob: per entry, LEB128 deltas of ascending flow ids.
 * Keys compare as unsigned bytes, so big-endian numbers and IPv4-mapped addresses sort
 * numerically and a CIDR block is one contiguous run.
 */
import { ByteWriter, readVarint } from '../encoding/byte-writer.js';

/** Serializes sorted (key bytes, ascending ids) entries into the postings layout. */
function encodePostings(keyWidth: number, entries: { key: Uint8Array; ids: number[] }[]): Uint8Array {
  const w = new ByteWriter(16 + entries.length * (keyWidth + 8));
  w.u32(entries.length);
  w.u32(keyWidth);
  const blob = new ByteWriter();
  for (const e of entries) {
    w.bytes(e.key);
    w.u32(blob.length);
    w.u32(e.ids.length);
    let prev = 0;
    for (let i = 0; i < e.ids.length; i++) {
      blob.varint(i === 0 ? e.ids[i] : e.ids[i] - prev);
      prev = e.ids[i];
    }
  }
  w.bytes(blob.finish());
  return w.finish();
}

function pushId(m: Map<number | string, number[]>, k: number | string, id: number): void {
  const l = m.get(k);
  if (!l) m.set(k, [id]);
  else if (l[l.length - 1] !== id) l.push(id);
}

/** Postings keyed by a number of keyWidth bytes (≤ 4), stored big-endian. Ids ascending per key. */
export class NumericPostingsBuilder {
  private readonly lists = new Map<number, number[]>();

  constructor(readonly keyWidth: number) {}

  add(key: number, id: number): void {
    pushId(this.lists as Map<number | string, number[]>, key, id);
  }

  encode(): Uint8Array {
    const keys = [...this.lists.keys()].sort((a, b) => a - b);
    return encodePostings(
      this.keyWidth,
      keys.map((k) => {
        const key = new Uint8Array(this.keyWidth);
        for (let i = this.keyWidth - 1, v = k; i >= 0; i--, v = Math.floor(v / 256)) key[i] = v & 0xff;
        return { key, ids: this.lists.get(k) as number[] };
      }),
    );
  }
}

/**
 * Postings keyed by 16-byte address: IPv4 as ::ffff:a.b.c.d (kept as a number while building),
 * IPv6 as itself (kept as a 16-character string while building).
 */
export class IpPostingsBuilder {
  private readonly v4 = new Map<number, number[]>();
  private readonly v6 = new Map<string, number[]>();

  /** addr holds IPv4 in its first 4 bytes or IPv6 in 16. Ids ascending per address. */
  add(ipVersion: number, addr: Uint8Array, id: number): void {
    if (ipVersion === 4) pushId(this.v4 as Map<number | string, number[]>, ((addr[0] << 24) | (addr[1] << 16) | (addr[2] << 8) | addr[3]) >>> 0, id);
    else pushId(this.v6 as Map<number | string, number[]>, String.fromCharCode(...addr.subarray(0, 16)), id);
  }

  encode(): Uint8Array {
    const entries: { key: Uint8Array; ids: number[] }[] = [];
    for (const [k, ids] of this.v4) {
      const key = new Uint8Array(16);
      key[10] = 0xff;
      key[11] = 0xff;
      key[12] = k >>> 24;
      key[13] = (k >>> 16) & 0xff;
      key[14] = (k >>> 8) & 0xff;
      key[15] = k & 0xff;
      entries.push({ key, ids });
    }
    for (const [k, ids] of this.v6) entries.push({ key: Uint8Array.from(k, (c) => c.charCodeAt(0)), ids });
    entries.sort((a, b) => {
      for (let i = 0; i < 16; i++) if (a.key[i] !== b.key[i]) return a.key[i] - b.key[i];
      return 0;
    });
    // an IPv6 address equal to an IPv4-mapped one shares its key: merge the two id lists
    const merged: { key: Uint8Array; ids: number[] }[] = [];
    for (const e of entries) {
      const last = merged[merged.length - 1];
      if (last && last.key.every((b, i) => b === e.key[i])) last.ids = [...new Set([...last.ids, ...e.ids])].sort((a, b) => a - b);
      else merged.push(e);
    }
    return encodePostings(16, merged);
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
