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
 *
 * Lookups by number (addNumber, addAddress for IPv4): a flow adds five keys, and building a key
 * string per add (then hashing it) was most of the live snapshots' cost; the string is now made
 * once per new key, for the sort order only.
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
  /** Entries of numeric keys (numberKey values; IPv4 addresses in a 16-byte key), by number. */
  private readonly byNumber = new Map<number, Entry>();
  private sorted: Entry[] = [];
  private added: Entry[] = [];
  private blobBytes = 0;
  private cached: Uint8Array | null = null;

  constructor(readonly keyWidth: number) {}

  /** Adds flow `id` under `key` (keyWidth chars, 0-255). Ids must not decrease. */
  add(key: string, id: number): void {
    let e = this.byKey.get(key);
    if (!e) {
      e = this.newEntry(key);
      this.byKey.set(key, e);
    }
    this.append(e, id);
  }

  /** add(numberKey(value, keyWidth), id) without making the key string unless the key is new (keyWidth <= 4). */
  addNumber(value: number, id: number): void {
    let e = this.byNumber.get(value);
    if (!e) {
      e = this.newEntry(IncrementalPostings.numberKey(value, this.keyWidth));
      this.byNumber.set(value, e);
    }
    this.append(e, id);
  }

  /** add(addressKey(ipVersion, addr), id) (keyWidth 16); IPv4 and IPv4-mapped IPv6 looked up by number. */
  addAddress(ipVersion: number, addr: Uint8Array, id: number): void {
    let v4 = ipVersion === 4;
    let at = 0;
    if (!v4) {
      v4 = addr[10] === 0xff && addr[11] === 0xff;
      for (let i = 0; v4 && i < 10; i++) v4 = addr[i] === 0;
      at = 12;
      if (!v4) {
        this.add(IncrementalPostings.addressKey(ipVersion, addr), id);
        return;
      }
    }
    const n = ((addr[at] << 24) | (addr[at + 1] << 16) | (addr[at + 2] << 8) | addr[at + 3]) >>> 0;
    let e = this.byNumber.get(n);
    if (!e) {
      e = this.newEntry(IncrementalPostings.addressKey(4, addr.subarray(at, at + 4)));
      this.byNumber.set(n, e);
    }
    this.append(e, id);
  }

  private newEntry(key: string): Entry {
    const e: Entry = { key, blob: new Uint8Array(8), len: 0, count: 0, lastId: 0 };
    this.added.push(e);
    return e;
  }

  private append(e: Entry, id: number): void {
    if (e.count > 0 && e.lastId === id) return;
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
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      const key = e.key;
      for (let b = 0; b < w; b++) bytes[at + b] = key.charCodeAt(b);
      v.setUint32(at + w, blobAt, true);
      v.setUint32(at + w + 4, e.count, true);
      // most lists are a few bytes: a loop, not a subarray object per entry
      const blob = e.blob;
      const n = e.len;
      const to = head + blobAt;
      if (n > 32) bytes.set(blob.subarray(0, n), to);
      else for (let b = 0; b < n; b++) bytes[to + b] = blob[b];
      blobAt += n;
      at += w + 8;
    }
    this.cached = bytes;
    return bytes;
  }
}
