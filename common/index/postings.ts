/**
 * Posting lists: sorted fixed-width keys, each with the sorted flow ids it occurs in.
 *   u32 entryCount, u32 keyWidth,
 *   entryCount × (key bytes, u32 blobOffset, u32 idCount),
 *   blob: per entry, LEB128 deltas of ascending flow ids.
 * Keys compare as unsigned bytes, so big-endian numbers and IPv4-mapped addresses sort
 * numerically and a CIDR block is one contiguous run.
 */
import { readVarint } from '../encoding/byte-writer.js';

/**
 * Writes the postings layout entry by entry, keys in ascending order, into arrays sized up front
 * (at most `maxEntries` entries and `maxIds` ids): plain byte stores, no growth checks.
 */
class PostingsEncoder {
  private readonly entries: Uint8Array;
  private readonly blob: Uint8Array;
  private at = 8;
  private blobAt = 0;
  private count = 0;
  /** Where the current entry's id count goes. */
  private countAt = -1;
  private ids = 0;
  private prev = 0;

  constructor(
    private readonly keyWidth: number,
    maxEntries: number,
    maxIds: number,
  ) {
    this.entries = new Uint8Array(8 + maxEntries * (keyWidth + 8));
    putU32(this.entries, 4, keyWidth);
    // an id is a LEB128 delta of at most 5 bytes (ids are below 2^32)
    this.blob = new Uint8Array(maxIds * 5);
  }

  /** Starts an entry: returns where its keyWidth key bytes go in keyBytes(); then add its ids. */
  begin(): number {
    this.closeEntry();
    this.count++;
    const keyAt = this.at;
    this.at += this.keyWidth;
    putU32(this.entries, this.at, this.blobAt);
    this.countAt = this.at + 4;
    this.at += 8;
    this.ids = 0;
    return keyAt;
  }

  get keyBytes(): Uint8Array {
    return this.entries;
  }

  id(id: number): void {
    let v = this.ids === 0 ? id : id - this.prev;
    this.prev = id;
    this.ids++;
    const b = this.blob;
    let at = this.blobAt;
    while (v >= 0x80) {
      b[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[at++] = v;
    this.blobAt = at;
  }

  /** Ids [from, to) of a sorted run, skipping an id equal to its predecessor (see pushId). */
  runIds(ids: Uint32Array, from: number, to: number): void {
    for (let j = from; j < to; j++) if (j === from || ids[j] !== ids[j - 1]) this.id(ids[j]);
  }

  private closeEntry(): void {
    if (this.countAt >= 0) putU32(this.entries, this.countAt, this.ids);
  }

  finish(): Uint8Array {
    this.closeEntry();
    putU32(this.entries, 0, this.count);
    const out = new Uint8Array(this.at + this.blobAt);
    out.set(this.entries.subarray(0, this.at), 0);
    out.set(this.blob.subarray(0, this.blobAt), this.at);
    return out;
  }
}

function putU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = v >>> 24;
}

/** Which 32-bit word of a 64-bit element is the high one on this machine. */
const HIGH_WORD = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 1 : 0;

/**
 * (key, id) pairs in insertion order, in growable typed arrays: no array or map entry per key
 * (an index of 50,000 flows made ~100,000 small id arrays here, mostly garbage-collector work).
 */
class PairList {
  keys = new Uint32Array(1024);
  ids = new Uint32Array(1024);
  n = 0;

  /** Empties the list, keeping its grown arrays. */
  clear(): void {
    this.n = 0;
  }

  push(key: number, id: number): void {
    if (this.n === this.keys.length) {
      const k = new Uint32Array(this.n * 2);
      k.set(this.keys);
      this.keys = k;
      const i = new Uint32Array(this.n * 2);
      i.set(this.ids);
      this.ids = i;
    }
    this.keys[this.n] = key;
    this.ids[this.n] = id;
    this.n++;
  }

  /**
   * The pairs ordered by key, pairs of one key kept in insertion order, as [keys, ids]. Sorted
   * natively: each pair becomes one 64-bit element (key high, insertion number low) written
   * through 32-bit words, so no BigInt is ever made.
   */
  sorted(): [Uint32Array, Uint32Array] {
    const n = this.n;
    const packed = new BigUint64Array(n);
    const w = new Uint32Array(packed.buffer);
    const hi = HIGH_WORD;
    const lo = 1 - HIGH_WORD;
    const k = this.keys;
    for (let i = 0; i < n; i++) {
      w[2 * i + hi] = k[i];
      w[2 * i + lo] = i;
    }
    packed.sort();
    const keys = new Uint32Array(n);
    const ids = new Uint32Array(n);
    const v = this.ids;
    for (let i = 0; i < n; i++) {
      keys[i] = w[2 * i + hi];
      ids[i] = v[w[2 * i + lo]];
    }
    return [keys, ids];
  }
}

/** Number of distinct values in a sorted array. */
function distinct(sorted: Uint32Array): number {
  let m = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) m++;
  return m;
}

/** Postings keyed by a number of keyWidth bytes (≤ 4), stored big-endian. Ids ascending per key. */
export class NumericPostingsBuilder {
  private readonly pairs = new PairList();

  constructor(readonly keyWidth: number) {}

  add(key: number, id: number): void {
    this.pairs.push(key, id);
  }

  /** Forgets every pair added (a builder reused for another index keeps its grown arrays). */
  clear(): void {
    this.pairs.clear();
  }

  encode(): Uint8Array {
    const [keys, ids] = this.pairs.sorted();
    const n = keys.length;
    const kw = this.keyWidth;
    const enc = new PostingsEncoder(kw, distinct(keys), n);
    const kb = enc.keyBytes;
    for (let i = 0; i < n; ) {
      const key = keys[i];
      let j = i + 1;
      while (j < n && keys[j] === key) j++;
      const at = enc.begin();
      // big-endian in kw bytes (bytes above the fourth are zero)
      for (let b = 0; b < kw; b++) {
        const shift = 8 * (kw - 1 - b);
        kb[at + b] = shift >= 32 ? 0 : (key >>> shift) & 0xff;
      }
      enc.runIds(ids, i, j);
      i = j;
    }
    return enc.finish();
  }
}

function pushId(m: Map<string, number[]>, k: string, id: number): void {
  const l = m.get(k);
  if (!l) m.set(k, [id]);
  else if (l[l.length - 1] !== id) l.push(id);
}

/**
 * addr[0, 16) as a 16-character key string (character order is byte order). Sixteen arguments
 * rather than a spread of a subarray: the spread's iterator and the view were about 4 MB of
 * garbage per million packets in a live capture's snapshot encodes (two keys per IPv6 flow).
 */
function v6Key(a: Uint8Array): string {
  return String.fromCharCode(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]);
}

/** The first 12 bytes of an IPv4-mapped IPv6 address (::ffff:0:0/96) as a v6 key string. */
const V4_MAPPED_PREFIX = '\0'.repeat(10) + '\xff\xff';

/**
 * Postings keyed by 16-byte address: IPv4 as ::ffff:a.b.c.d (kept as a number while building),
 * IPv6 as itself (kept as a 16-character string while building; character order is byte order).
 */
export class IpPostingsBuilder {
  private readonly v4 = new PairList();
  private readonly v6 = new Map<string, number[]>();

  /** Forgets every address added (a builder reused for another index keeps its grown arrays). */
  clear(): void {
    this.v4.clear();
    this.v6.clear();
  }

  /** addr holds IPv4 in its first 4 bytes or IPv6 in 16. Ids ascending per address. */
  add(ipVersion: number, addr: Uint8Array, id: number): void {
    if (ipVersion === 4) this.v4.push(((addr[0] << 24) | (addr[1] << 16) | (addr[2] << 8) | addr[3]) >>> 0, id);
    else pushId(this.v6, v6Key(addr), id);
  }

  encode(): Uint8Array {
    const [keys, ids] = this.v4.sorted();
    const v6 = [...this.v6.keys()].sort();
    let v6Ids = 0;
    for (const l of this.v6.values()) v6Ids += l.length;
    const enc = new PostingsEncoder(16, distinct(keys) + v6.length, keys.length + v6Ids);
    const kb = enc.keyBytes;
    const writeV6 = (k: string, list: readonly number[]): void => {
      const at = enc.begin();
      for (let b = 0; b < 16; b++) kb[at + b] = k.charCodeAt(b);
      for (const id of list) enc.id(id);
    };
    // IPv6 keys below the IPv4-mapped block, then the block (IPv4 keys and any IPv6 address
    // spelled as an IPv4-mapped one, merged into one entry), then the IPv6 keys above it
    let x = 0;
    while (x < v6.length && v6[x] < V4_MAPPED_PREFIX) {
      writeV6(v6[x], this.v6.get(v6[x]) as number[]);
      x++;
    }
    const mappedKey = (k: string): number => ((k.charCodeAt(12) << 24) | (k.charCodeAt(13) << 16) | (k.charCodeAt(14) << 8) | k.charCodeAt(15)) >>> 0;
    const n = keys.length;
    let i = 0;
    for (;;) {
      const mapped = x < v6.length && v6[x].startsWith(V4_MAPPED_PREFIX);
      if (i >= n && !mapped) break;
      const k4 = i < n ? keys[i] : -1;
      const k6 = mapped ? mappedKey(v6[x]) : -1;
      if (k6 >= 0 && (k4 < 0 || k6 < k4)) {
        writeV6(v6[x], this.v6.get(v6[x]) as number[]);
        x++;
        continue;
      }
      let j = i + 1;
      while (j < n && keys[j] === k4) j++;
      const at = enc.begin();
      // ::ffff:a.b.c.d (the bytes before are zero in a new encoder)
      kb[at + 10] = 0xff;
      kb[at + 11] = 0xff;
      kb[at + 12] = k4 >>> 24;
      kb[at + 13] = (k4 >>> 16) & 0xff;
      kb[at + 14] = (k4 >>> 8) & 0xff;
      kb[at + 15] = k4 & 0xff;
      if (k6 === k4) {
        // the same address seen as IPv4 and as IPv4-mapped IPv6: one entry, ids merged
        const merged = [...new Set([...ids.subarray(i, j), ...(this.v6.get(v6[x]) as number[])])].sort((a, b) => a - b);
        for (const id of merged) enc.id(id);
        x++;
      } else {
        enc.runIds(ids, i, j);
      }
      i = j;
    }
    for (; x < v6.length; x++) writeV6(v6[x], this.v6.get(v6[x]) as number[]);
    return enc.finish();
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
