/**
 * The postings builders write exactly the bytes of the straightforward encoder they replaced
 * (a map of id lists per key, entries sorted by key bytes, IPv4 and IPv4-mapped IPv6 entries of
 * one address merged): random keys and ids in, byte-identical sections out, and every section
 * reads back through PostingsView as the ids added per key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ByteWriter } from '../../../common/encoding/byte-writer.js';
import { IpPostingsBuilder, NumericPostingsBuilder, PostingsView } from '../../../common/index/postings.js';

/** The reference layout: u32 count, u32 keyWidth, entries (key, u32 blobOffset, u32 idCount), blob. */
function referenceEncode(keyWidth: number, entries: { key: Uint8Array; ids: number[] }[]): Uint8Array {
  const w = new ByteWriter();
  w.u32(entries.length);
  w.u32(keyWidth);
  const blob = new ByteWriter();
  for (const e of entries) {
    w.bytes(e.key);
    w.u32(blob.length);
    w.u32(e.ids.length);
    e.ids.forEach((id, i) => blob.varint(i === 0 ? id : id - e.ids[i - 1]));
  }
  w.bytes(blob.finish());
  return w.finish();
}

function pushId(m: Map<string, number[]>, k: string, id: number): void {
  const l = m.get(k);
  if (!l) m.set(k, [id]);
  else if (l[l.length - 1] !== id) l.push(id);
}

const keyString = (b: Uint8Array): string => String.fromCharCode(...b);
const keyBytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function referenceNumeric(keyWidth: number, adds: [number, number][]): Uint8Array {
  const m = new Map<string, number[]>();
  for (const [k, id] of adds) {
    const key = new Uint8Array(keyWidth);
    for (let i = keyWidth - 1, v = k; i >= 0; i--, v = Math.floor(v / 256)) key[i] = v & 0xff;
    pushId(m, keyString(key), id);
  }
  const keys = [...m.keys()].sort();
  return referenceEncode(keyWidth, keys.map((k) => ({ key: keyBytes(k), ids: m.get(k) as number[] })));
}

function referenceIp(adds: { v: 4 | 6; addr: Uint8Array; id: number }[]): Uint8Array {
  const m = new Map<string, number[]>();
  const v6 = new Map<string, number[]>();
  for (const a of adds) {
    if (a.v === 4) {
      const key = new Uint8Array(16);
      key[10] = 0xff;
      key[11] = 0xff;
      key.set(a.addr.subarray(0, 4), 12);
      pushId(m, keyString(key), a.id);
    } else pushId(v6, keyString(a.addr.subarray(0, 16)), a.id);
  }
  for (const [k, ids] of v6) {
    const have = m.get(k);
    m.set(k, have ? [...new Set([...have, ...ids])].sort((x, y) => x - y) : ids);
  }
  const keys = [...m.keys()].sort();
  return referenceEncode(16, keys.map((k) => ({ key: keyBytes(k), ids: m.get(k) as number[] })));
}

/** Ids added in ascending order (as the index writer adds them: flow by flow), keys repeating. */
const numericAdds = fc.array(fc.tuple(fc.constantFrom(0, 1, 80, 443, 0x100, 0x103, 65535, 0x1234), fc.nat(3)), { maxLength: 200 }).map((steps) => {
  let id = 0;
  return steps.map(([k, step]) => [k, (id += step)] as [number, number]);
});

test('numeric postings are byte-identical to the reference encoder', () => {
  fc.assert(
    fc.property(numericAdds, (adds) => {
      const b = new NumericPostingsBuilder(2);
      for (const [k, id] of adds) b.add(k, id);
      const out = b.encode();
      assert.deepEqual(out, referenceNumeric(2, adds));
      const view = new PostingsView(out);
      const expected = new Map<number, Set<number>>();
      for (const [k, id] of adds) expected.set(k, (expected.get(k) ?? new Set()).add(id));
      assert.equal(view.count, expected.size);
    }),
  );
});

const v4Pool = [
  [10, 0, 0, 1],
  [10, 0, 0, 2],
  [192, 168, 1, 1],
  [255, 255, 255, 255],
  [0, 0, 0, 0],
];
const mapped = (a: number[]): number[] => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...a];
const v6Pool = [
  [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], // ::1, below the IPv4-mapped block
  mapped([10, 0, 0, 1]), // the same address as an IPv4 one
  mapped([10, 0, 0, 3]), // IPv4-mapped with no IPv4 twin
  mapped([0, 0, 0, 0]),
  [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xfe, 1, 2, 3, 4], // just below the block
];

const ipAdds = fc.array(fc.tuple(fc.boolean(), fc.nat(6), fc.nat(2)), { maxLength: 200 }).map((steps) => {
  let id = 0;
  return steps.map(([isV6, pick, step]) => {
    id += step;
    if (isV6) return { v: 6 as const, addr: Uint8Array.from(v6Pool[pick % v6Pool.length]), id };
    const addr = new Uint8Array(16);
    addr.set(v4Pool[pick % v4Pool.length]);
    return { v: 4 as const, addr, id };
  });
});

test('IP postings are byte-identical to the reference encoder, IPv4-mapped IPv6 merged into its IPv4 entry', () => {
  fc.assert(
    fc.property(ipAdds, (adds) => {
      const b = new IpPostingsBuilder();
      for (const a of adds) b.add(a.v, a.addr, a.id);
      assert.deepEqual(b.encode(), referenceIp(adds));
    }),
  );
});

test('a postings section with many keys reads back every id of every key', () => {
  const b = new IpPostingsBuilder();
  const expected = new Map<number, number[]>();
  const addr = new Uint8Array(16);
  for (let id = 0; id < 20000; id++) {
    for (const v of [(id * 2654435761) >>> 0, 0x0a000000 + (id % 97)]) {
      addr[0] = v >>> 24;
      addr[1] = (v >>> 16) & 0xff;
      addr[2] = (v >>> 8) & 0xff;
      addr[3] = v & 0xff;
      b.add(4, addr, id);
      const l = expected.get(v) ?? [];
      if (l[l.length - 1] !== id) l.push(id);
      expected.set(v, l);
    }
  }
  const view = new PostingsView(b.encode());
  assert.equal(view.count, expected.size);
  let prev = -1;
  for (let i = 0; i < view.count; i++) {
    const k = view.key(i);
    const v = ((k[12] << 24) | (k[13] << 16) | (k[14] << 8) | k[15]) >>> 0;
    assert.ok(v > prev, 'keys ascend');
    prev = v;
    assert.deepEqual([...view.ids(i)], expected.get(v));
  }
});
