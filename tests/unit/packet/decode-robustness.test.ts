import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket, resetDecodedPacket } from '../../../common/packet/decode-packet.js';
import { createDecodedPacket, DecodeStatus, FragmentKind } from '../../../common/packet/decoded-packet.js';
import type { DecodedPacket } from '../../../common/packet/decoded-packet.js';
import {
  bsdLoopback, bytes, ethernet, extHeader, fragmentHeader, icmp, ipv4, ipv6, mplsLabels, nflog, pppoeSession, sctp, sll,
  sll2, tcp, udp,
} from '../../helpers/packet-builders.js';
import { prng } from '../../helpers/prng.js';

interface Sample {
  name: string;
  linkType: number;
  data: Uint8Array;
}

/** One well-formed packet per link layer / header combination the decoder handles. */
const samples: Sample[] = [
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
  { name: 'SLL2/IPv4/SCTP', linkType: 276, data: sll2(0x0800, ipv4({ proto: 132, payload: sctp(5, 6, [0, 0, 0, 4]) })) },
  { name: 'SLL/IPv4/ICMP', linkType: 113, data: sll(0x0800, ipv4({ proto: 1, payload: icmp(8, 0, [0, 1, 0, 1], [9]) })) },
  { name: 'NFLOG/IPv4/TCP', linkType: 239, data: nflog(2, ipv4({ proto: 6, payload: tcp({ sport: 7, dport: 8 }) })) },
  { name: 'NULL/IPv6/ICMPv6', linkType: 0, data: bsdLoopback(30, ipv6({ nextHeader: 58, payload: icmp(128, 0) }), true) },
  { name: 'Ethernet/MPLS/IPv4/UDP', linkType: 1, data: ethernet(0x8847, bytes(mplsLabels([1, 2]), ipv4({ proto: 17, payload: udp(9, 10) }))) },
  {
    name: 'Ethernet/PPPoE/IPv6/routing/TCP',
    linkType: 1,
    data: ethernet(0x8864, pppoeSession(0x0057, ipv6({ nextHeader: 43, payload: bytes(extHeader(6, 24), tcp({ sport: 11, dport: 12 })) }))),
  },
  { name: 'RAW/IPv4 later fragment', linkType: 101, data: ipv4({ proto: 17, fragOffset: 8, payload: new Uint8Array(16) }) },
  { name: 'Ethernet/ARP', linkType: 1, data: ethernet(0x0806, new Uint8Array(28)) },
];

const L4_MIN: Record<number, number> = { 6: 20, 17: 8, 132: 12 };

/** Properties every decode result must have, whatever the input. */
function checkInvariants(out: DecodedPacket, data: Uint8Array, label: string): void {
  const len = data.length;
  if (out.status === DecodeStatus.Ip) {
    assert.equal(out.reason, '', label);
    assert.ok(out.ipVersion === 4 || out.ipVersion === 6, label);
    assert.ok(out.l3Offset >= 0 && out.l3Offset + (out.ipVersion === 4 ? 20 : 40) <= len, `${label}: IP header inside data`);
  } else {
    assert.ok(out.reason.length > 0, `${label}: non-IP outcome has a reason`);
    assert.equal(out.ipVersion, 0, label);
    assert.equal(out.hasPorts, false, label);
    assert.equal(out.l4Offset, -1, label);
    assert.equal(out.payloadOffset, -1, label);
  }
  if (out.hasPorts) {
    assert.ok(out.l4Offset >= 0 && out.l4Offset + L4_MIN[out.proto] <= len, `${label}: ports read from inside data`);
    assert.notEqual(out.fragment, FragmentKind.Later, label);
  }
  if (out.l4Offset >= 0) assert.ok(out.l4Offset < len, label);
  if (out.payloadOffset >= 0) {
    assert.ok(out.payloadLength >= 0 && out.payloadOffset + out.payloadLength <= len, `${label}: payload inside data`);
  } else {
    assert.equal(out.payloadLength, 0, label);
  }
  if (out.icmpType >= 0) assert.ok(out.proto === 1 || out.proto === 58, label);
  for (const v of [out.vlan, out.vlanInner]) assert.ok(v >= -1 && v <= 4095, label);
}

function decodeFresh(linkType: number, data: Uint8Array): DecodedPacket {
  const out = createDecodedPacket();
  decodePacket(linkType, data, out);
  return out;
}

test('every sample decodes as intended before being cut', () => {
  for (const s of samples) {
    const out = decodeFresh(s.linkType, s.data);
    checkInvariants(out, s.data, s.name);
    if (s.name.endsWith('ARP')) {
      assert.equal(out.status, DecodeStatus.NonIp);
      continue;
    }
    assert.equal(out.status, DecodeStatus.Ip, s.name);
    if (out.fragment !== FragmentKind.Later) assert.ok(out.hasPorts || out.icmpType >= 0, s.name);
  }
});

test('truncation at every cut length never throws and gives a consistent status', () => {
  for (const s of samples) {
    const full = decodeFresh(s.linkType, s.data);
    const ipHeaderEnd = full.l3Offset + (full.ipVersion === 4 ? 20 : 40);
    const l4HeaderEnd = full.hasPorts ? full.l4Offset + L4_MIN[full.proto] : full.icmpType >= 0 ? full.l4Offset + 4 : -1;
    for (let cut = 0; cut < s.data.length; cut++) {
      const data = s.data.subarray(0, cut);
      const label = `${s.name} cut at ${cut}`;
      const out = decodeFresh(s.linkType, data);
      checkInvariants(out, data, label);
      if (full.status !== DecodeStatus.Ip) continue;
      if (cut < ipHeaderEnd) {
        // Addresses not fully captured: never reported as IP.
        assert.notEqual(out.status, DecodeStatus.Ip, label);
        continue;
      }
      assert.equal(out.status, DecodeStatus.Ip, `${label}: ${out.reason}`);
      assert.deepEqual(out.src, full.src, label);
      assert.deepEqual(out.dst, full.dst, label);
      // The fragment header is known once every IPv6 extension header was captured.
      if (cut >= (full.l4Offset >= 0 ? full.l4Offset : full.payloadOffset)) assert.equal(out.fragment, full.fragment, label);
      if (l4HeaderEnd < 0) continue;
      if (cut < l4HeaderEnd) {
        assert.equal(out.hasPorts, false, label);
        assert.equal(out.icmpType, -1, label);
        assert.equal(out.truncated, true, label);
      } else {
        assert.equal(out.proto, full.proto, label);
        assert.equal(out.hasPorts, full.hasPorts, label);
        assert.deepEqual([out.srcPort, out.dstPort, out.icmpType, out.icmpCode], [full.srcPort, full.dstPort, full.icmpType, full.icmpCode], label);
      }
    }
  }
});

test('a reused DecodedPacket is fully reset: decoding B after A equals decoding B into a fresh object', () => {
  const extra: Sample[] = [
    { name: 'unsupported', linkType: 147, data: new Uint8Array(10) },
    { name: 'empty', linkType: 1, data: new Uint8Array(0) },
  ];
  const all = [...samples, ...extra];
  for (const a of all) {
    for (const b of all) {
      const reused = createDecodedPacket();
      decodePacket(a.linkType, a.data, reused);
      decodePacket(b.linkType, b.data, reused);
      assert.deepEqual(reused, decodeFresh(b.linkType, b.data), `${b.name} after ${a.name}`);
    }
  }
});

test('resetDecodedPacket returns a used object to the state of createDecodedPacket, addresses included', () => {
  for (const s of samples) {
    const out = createDecodedPacket();
    decodePacket(s.linkType, s.data, out);
    resetDecodedPacket(out);
    assert.deepEqual(out, createDecodedPacket(), s.name);
  }
});


const FUZZ_LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 239, 276, 147];

test('random bytes on every link type never throw and always satisfy the invariants (seeded)', () => {
  const rnd = prng(0x7a91);
  const out = createDecodedPacket();
  for (let i = 0; i < 20000; i++) {
    const len = Math.floor(rnd() * 120);
    const data = new Uint8Array(len);
    for (let j = 0; j < len; j++) data[j] = Math.floor(rnd() * 256);
    // Bias some packets towards plausible headers so deeper code paths are reached.
    if (len > 20 && rnd() < 0.5) data[rnd() < 0.5 ? 0 : 14] = rnd() < 0.5 ? 0x45 : 0x60;
    if (len > 14 && rnd() < 0.3) data[12] = 0x08;
    const linkType = FUZZ_LINK_TYPES[Math.floor(rnd() * FUZZ_LINK_TYPES.length)];
    decodePacket(linkType, data, out);
    checkInvariants(out, data, `fuzz #${i} link ${linkType}`);
  }
});

test('randomly mutated and cut valid packets never throw and satisfy the invariants (seeded)', () => {
  const rnd = prng(0x51ce);
  const out = createDecodedPacket();
  for (let i = 0; i < 20000; i++) {
    const s = samples[Math.floor(rnd() * samples.length)];
    const data = s.data.slice(0, Math.floor(rnd() * (s.data.length + 1)));
    const flips = 1 + Math.floor(rnd() * 4);
    for (let f = 0; f < flips && data.length > 0; f++) data[Math.floor(rnd() * data.length)] = Math.floor(rnd() * 256);
    decodePacket(s.linkType, data, out);
    checkInvariants(out, data, `mutation #${i} of ${s.name}`);
  }
});
