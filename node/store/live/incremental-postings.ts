/**
 * Posting lists kept ready to serialize between live snapshots: the same bytes as
 * common/index/postings.ts's builders produce (u32 entry count, u32 key width, entries of key +
 * u32 blob offset + u32 id count, then the LEB128 id-delta blobs), but each key's blob is
 * encoded once as ids arrive and the key order is kept sorted by merging in only the new keys.
 * Serializing is then one pass of memory copies over the entries, with no re-encoding.
 *
 * Keys are held as strings of one char per byte (0-255): JavaScript compares strings by UTF-16
 * code unit, which is then unsigned byte order, the order the format requires. IPv4 addresses
 * are keyed as ::ffff:a.b.c.d, so an IPv6 address equal to an IPv4-mapped one shares its entry
 * (the builders merge those two lists the same way).
 */

interface Entry {
  key: string;
  blob: Uint8Array;
  len: number;
  count: number;
  lastId: number;
}

export class IncrementalPostings {
  private readonly byKey = new Map<string, Entry>();
  private sorted: Entry[] = [];
  private added: Entry[] = [];
  private blobBytes = 0;
  private cached: Uint8Array | null = null;

  constructor(readonly keyWidth: number) {}

  /** Adds flow `id` under `key` (keyWidth chars, 0-255). Ids must not decrease. */
  add(key: string, id: number): void {
    let e = this.byKey.get(key);
    if (!e) {
      e = { key, blob: new Uint8Array(8), len: 0, count: 0, lastId: 0 };
      this.byKey.set(key, e);
      this.added.push(e);
    } else if (e.lastId === id) return;
    let v = e.count === 0 ? id : id - e.lastId;
    if (e.len + 5 > e.blob.length) {
      const b = new Uint8Array(e.blob.length * 2);
      b.set(e.blob.subarray(0, e.len));
      e.blob = b;
    }
    const before = e.len;
    while (v >= 0x80) {
      e.blob[e.len++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    e.blob[e.len++] = v;
    this.blobBytes += e.len - before;
    e.count++;
    e.lastId = id;
    this.cached = null;
  }

  /** A numeric key (≤ 4 bytes) as the big-endian key string. */
  static numberKey(value: number, width: number): string {
    let s = '';
    for (let i = width - 1; i >= 0; i--) s += String.fromCharCode((value / 2 ** (8 * i)) & 0xff);
    return s;
  }

  /** The 16-byte address key: IPv4 (first 4 bytes of addr) as ::ffff:a.b.c.d, IPv6 as itself. */
  static addressKey(ipVersion: number, addr: Uint8Array): string {
    if (ipVersion === 4) return '\0\0\0\0\0\0\0\0\0\0\xff\xff' + String.fromCharCode(addr[0], addr[1], addr[2], addr[3]);
    return String.fromCharCode(...addr.subarray(0, 16));
  }

  /** The serialized section. Valid until the next add(). */
  encode(): Uint8Array {
    if (this.cached) return this.cached;
    if (this.added.length) {
      const fresh = this.added.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const old = this.sorted;
      const out: Entry[] = new Array(old.length + fresh.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < old.length && j < fresh.length) out[k++] = old[i].key < fresh[j].key ? old[i++] : fresh[j++];
      while (i < old.length) out[k++] = old[i++];
      while (j < fresh.length) out[k++] = fresh[j++];
      this.sorted = out;
      this.added = [];
    }
    const w = this.keyWidth;
    const entries = this.sorted;
    const head = 8 + entries.length * (w + 8);
    const bytes = new Uint8Array(head + this.blobBytes);
    const v = new DataView(bytes.buffer);
    v.setUint32(0, entries.length, true);
    v.setUint32(4, w, true);
    let at = 8;
    let blobAt = 0;
    for (const e of entries) {
      for (let b = 0; b < w; b++) bytes[at + b] = e.key.charCodeAt(b);
      v.setUint32(at + w, blobAt, true);
      v.setUint32(at + w + 4, e.count, true);
      bytes.set(e.blob.subarray(0, e.len), head + blobAt);
      blobAt += e.len;
      at += w + 8;
    }
    this.cached = bytes;
    return bytes;
  }
}
