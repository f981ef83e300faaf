/**
 * decodePacketAt: decoding a packet in place inside a larger buffer must give exactly what
 * decodePacket gives on the packet alone (offsets relative to the packet start), and must never
 * read a byte outside [start, end), even when the bytes after `end` are the rest of a valid packet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { decodePacket, decodePacketAt } from '../../../common/packet/decode-packet.js';
import { createDecodedPacket } from '../../../common/packet/decoded-packet.js';
import type { DecodedPacket } from '../../../common/packet/decoded-packet.js';
import { capturePath, corpusCaptures, corpusPresent } from '../../helpers/corpus.js';
import {
  ahHeader, bsdLoopback, bytes, ethernet, extHeader, fragmentHeader, icmp, ipv4, ipv6, mplsLabels, nflog, pppoeSession, sctp,
  sll, sll2, tcp, udp,
} from '../../helpers/packet-builders.js';
import { prng } from '../../helpers/prng.js';

interface Sample {
  name: string;
  linkType: number;
  data: Uint8Array;
}

/** One packet per link layer / header combination, including non-IP and undecodable ones. */
const samples: Sample[] = [
  { name: 'Ethernet/IPv4/TCP', linkType: 1, data: ethernet(0x0800, ipv4({ proto: 6, payload: tcp({ sport: 1234, dport: 80, payload: [1, 2, 3] }) })) },
  {
    name: 'Ethernet/IPv4+options/TCP+options',
    linkType: 1,
    data: ethernet(0x0800, ipv4({ proto: 6, options: [1, 1, 1, 0], payload: tcp({ sport: 1, dport: 2, options: [1, 1, 1, 0], payload: [1, 2] }) })),
  },
  {
    name: 'Ethernet/QinQ/IPv6/hop-by-hop/fragment(first)/UDP',
    linkType: 1,
    data: ethernet(
      0x86dd,
      ipv6({ nextHeader: 0, payload: bytes(extHeader(44), fragmentHeader(17, 0, true, 1), udp(3, 4, [5])) }),
      [{ tpid: 0x88a8, vid: 1 }, { tpid: 0x8100, vid: 2 }],
    ),
  },
  { name: 'Ethernet/VLAN/IPv6/AH/TCP', linkType: 1, data: ethernet(0x86dd, ipv6({ nextHeader: 51, payload: bytes(ahHeader(6), tcp({ sport: 9, dport: 10 })) }), [{ tpid: 0x8100, vid: 7 }]) },
  { name: 'SLL2/IPv4/SCTP', linkType: 276, data: sll2(0x0800, ipv4({ proto: 132, payload: sctp(5, 6, [0, 0, 0, 4]) })) },
  { name: 'SLL/IPv4/ICMP', linkType: 113, data: sll(0x0800, ipv4({ proto: 1, payload: icmp(8, 0, [0, 1, 0, 1], [9]) })) },
  { name: 'NFLOG/IPv4/TCP', linkType: 239, data: nflog(2, ipv4({ proto: 6, payload: tcp({ sport: 7, dport: 8 }) })) },
  { name: 'NFLOG big-endian/IPv6/UDP', linkType: 239, data: nflog(10, ipv6({ nextHeader: 17, payload: udp(1, 2, [3]) }), false) },
  { name: 'NULL/IPv6/ICMPv6', linkType: 0, data: bsdLoopback(30, ipv6({ nextHeader: 58, payload: icmp(128, 0) }), true) },
  { name: 'LOOP/IPv4/UDP', linkType: 108, data: bsdLoopback(2, ipv4({ proto: 17, payload: udp(53, 5353, [1]) }), false) },
  { name: 'Ethernet/MPLS/IPv4/UDP', linkType: 1, data: ethernet(0x8847, bytes(mplsLabels([1, 2]), ipv4({ proto: 17, payload: udp(9, 10) }))) },
  {
    name: 'Ethernet/PPPoE/IPv6/routing/TCP',
    linkType: 1,
    data: ethernet(0x8864, pppoeSession(0x0057, ipv6({ nextHeader: 43, payload: bytes(extHeader(6, 24), tcp({ sport: 11, dport: 12 })) }))),
  },
  { name: 'RAW/IPv4 later fragment', linkType: 101, data: ipv4({ proto: 17, fragOffset: 8, payload: new Uint8Array(16) }) },
  { name: 'IPV4 link type/UDP', linkType: 228, data: ipv4({ proto: 17, payload: udp(1, 2) }) },
  { name: 'IPV6 link type/TCP', linkType: 229, data: ipv6({ nextHeader: 6, payload: tcp({ sport: 3, dport: 4 }) }) },
  { name: 'Ethernet/ARP', linkType: 1, data: ethernet(0x0806, new Uint8Array(28)) },
  { name: 'unsupported link type', linkType: 147, data: new Uint8Array(10) },
];


function fresh(linkType: number, data: Uint8Array): DecodedPacket {
  const out = createDecodedPacket();
  decodePacket(linkType, data, out);
  return out;
}

/** `data` at offset `pre` of a buffer with `pre` garbage bytes before it and `post` after. */
function embed(data: Uint8Array, pre: number, post: number, rnd: () => number): Uint8Array {
  const buf = new Uint8Array(pre + data.length + post);
  for (let i = 0; i < buf.length; i++) buf[i] = Math.floor(rnd() * 256);
  buf.set(data, pre);
  return buf;
}

/** A view of `buf` that records every index read; the decoder only indexes and reads length. */
function watched(buf: Uint8Array): { view: Uint8Array; reads: number[] } {
  const reads: number[] = [];
  const view = new Proxy(buf, {
    get(target, prop) {
      if (typeof prop === 'string' && /^\d+$/.test(prop)) reads.push(Number(prop));
      // Read from the real array: typed-array getters (length) reject a Proxy as `this`.
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { view, reads };
}

test('a packet decoded in place inside a larger buffer equals decodePacket on the packet alone', () => {
  const rnd = prng(0x1a2b);
  for (const s of samples) {
    const expected = fresh(s.linkType, s.data);
    for (const [pre, post] of [[0, 0], [1, 0], [0, 3], [7, 13], [1500, 64], [4093, 1]]) {
      const buf = embed(s.data, pre, post, rnd);
      const out = createDecodedPacket();
      decodePacketAt(s.linkType, buf, pre, pre + s.data.length, out);
      assert.deepEqual(out, expected, `${s.name} at ${pre} (+${post} after)`);
    }
  }
});

test('offsets stay relative to the packet start', () => {
  const s = samples[0];
  const out = createDecodedPacket();
  decodePacketAt(s.linkType, embed(s.data, 100, 10, prng(3)), 100, 100 + s.data.length, out);
  assert.equal(out.l3Offset, 14);
  assert.equal(out.l4Offset, 34);
  assert.equal(out.payloadOffset, 54);
  assert.equal(out.payloadLength, 3);
});

test('truncation at `end` behaves like the cut packet alone, though the bytes after `end` are the rest of the packet', () => {
  const rnd = prng(0x77);
  for (const s of samples) {
    for (let cut = 0; cut <= s.data.length; cut++) {
      const expected = fresh(s.linkType, s.data.subarray(0, cut));
      // The whole packet is in the buffer: reading past `end` would see valid header bytes.
      const pre = 1 + Math.floor(rnd() * 40);
      const buf = embed(s.data, pre, 8, rnd);
      const out = createDecodedPacket();
      decodePacketAt(s.linkType, buf, pre, pre + cut, out);
      assert.deepEqual(out, expected, `${s.name} cut at ${cut}`);
    }
  }
});

test('no byte outside [start, end) is ever read', () => {
  const rnd = prng(0x5eed);
  const check = (linkType: number, data: Uint8Array, label: string): void => {
    const pre = Math.floor(rnd() * 32);
    const { view, reads } = watched(embed(data, pre, 32, rnd));
    decodePacketAt(linkType, view, pre, pre + data.length, createDecodedPacket());
    for (const i of reads) assert.ok(i >= pre && i < pre + data.length, `${label}: read index ${i} outside [${pre}, ${pre + data.length})`);
  };
  for (const s of samples) {
    for (let cut = 0; cut <= s.data.length; cut++) check(s.linkType, s.data.subarray(0, cut), `${s.name} cut at ${cut}`);
  }
  const linkTypes = [0, 1, 12, 14, 101, 108, 113, 228, 229, 239, 276, 147];
  for (let i = 0; i < 3000; i++) {
    const s = samples[Math.floor(rnd() * samples.length)];
    const data = s.data.slice(0, Math.floor(rnd() * (s.data.length + 1)));
    for (let f = 0; f < 3 && data.length > 0; f++) data[Math.floor(rnd() * data.length)] = Math.floor(rnd() * 256);
    check(rnd() < 0.7 ? s.linkType : linkTypes[Math.floor(rnd() * linkTypes.length)], data, `mutation #${i}`);
  }
});

test('random and mutated packets at random offsets, decoded into one reused object, match decodePacket (seeded)', () => {
  const rnd = prng(0xd00d);
  const linkTypes = [0, 1, 12, 14, 101, 108, 113, 228, 229, 239, 276, 147];
  const atOut = createDecodedPacket();
  const viewOut = createDecodedPacket();
  for (let i = 0; i < 20000; i++) {
    let linkType: number;
    let data: Uint8Array;
    if (rnd() < 0.5) {
      const s = samples[Math.floor(rnd() * samples.length)];
      linkType = s.linkType;
      data = s.data.slice(0, Math.floor(rnd() * (s.data.length + 1)));
      const flips = Math.floor(rnd() * 4);
      for (let f = 0; f < flips && data.length > 0; f++) data[Math.floor(rnd() * data.length)] = Math.floor(rnd() * 256);
    } else {
      linkType = linkTypes[Math.floor(rnd() * linkTypes.length)];
      data = new Uint8Array(Math.floor(rnd() * 120));
      for (let j = 0; j < data.length; j++) data[j] = Math.floor(rnd() * 256);
      if (data.length > 20 && rnd() < 0.5) data[rnd() < 0.5 ? 0 : 14] = rnd() < 0.5 ? 0x45 : 0x60;
      if (data.length > 14 && rnd() < 0.3) data[12] = 0x08;
    }
    const pre = Math.floor(rnd() * 64);
    decodePacketAt(linkType, embed(data, pre, Math.floor(rnd() * 64), rnd), pre, pre + data.length, atOut);
    decodePacket(linkType, data, viewOut);
    assert.deepEqual(atOut, viewOut, `case #${i} link ${linkType}`);
    assert.deepEqual(atOut, fresh(linkType, data), `case #${i}: reused object fully describes the packet`);
  }
});

test('a range reaching outside the buffer is clamped to it instead of reading undefined bytes', () => {
  const s = samples[0];
  const expected = fresh(s.linkType, s.data);
  const out = createDecodedPacket();
  decodePacketAt(s.linkType, s.data, 0, s.data.length + 100, out);
  assert.deepEqual(out, expected);
  decodePacketAt(s.linkType, s.data, -5, s.data.length, out);
  assert.deepEqual(out, expected);
  decodePacketAt(s.linkType, s.data, 20, 10, out);
  assert.deepEqual(out, fresh(s.linkType, new Uint8Array(0)));
});

test('every corpus packet decodes the same in place (inside the parsed chunk) as from its own copy', { skip: !corpusPresent && 'corpus not present' }, () => {
  const out = createDecodedPacket();
  for (const name of corpusCaptures()) {
    const parser = createCaptureParser({
      onFileInfo: () => undefined,
      onInterface: () => undefined,
      onPacket: (rec) => {
        decodePacketAt(rec.linkType, rec.buffer, rec.bufferOffset, rec.bufferOffset + rec.capLen, out);
        assert.deepEqual(out, fresh(rec.linkType, rec.data.slice()), `${name} #${rec.index}`);
      },
    });
    parser.push(readFileSync(capturePath(name)));
    try {
      parser.end();
    } catch {
      // Some corpus captures are deliberately cut; their complete records were checked.
    }
  }
});
