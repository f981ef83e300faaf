import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket } from '../../../common/packet/decode-packet.js';
import { createDecodedPacket, DecodeStatus, FragmentKind } from '../../../common/packet/decoded-packet.js';
import type { DecodedPacket } from '../../../common/packet/decoded-packet.js';
import { ipToString } from '../../../common/packet/community-id.js';
import {
  ahHeader, bytes, ethernet, extHeader, fragmentHeader, icmp, ipv4, ipv6, sctp, tcp, udp,
} from '../../helpers/packet-builders.js';

const RAW = 101;

function decode(data: Uint8Array, linkType = RAW): DecodedPacket {
  const out = createDecodedPacket();
  decodePacket(linkType, data, out);
  return out;
}

// ---- IPv4 ----

test('IPv4 options are skipped: the TCP header is found after IHL*4 bytes', () => {
  for (const optionBytes of [4, 20, 40]) {
    const options = new Array<number>(optionBytes).fill(1); // NOPs
    const out = decode(ipv4({ proto: 6, options, payload: tcp({ sport: 1, dport: 2, payload: [7] }) }));
    assert.equal(out.status, DecodeStatus.Ip);
    assert.equal(out.l4Offset, 20 + optionBytes);
    assert.deepEqual([out.srcPort, out.dstPort], [1, 2]);
    assert.equal(out.payloadOffset, 40 + optionBytes);
    assert.equal(out.payloadLength, 1);
  }
});

test('IPv4 total length bounds the payload: Ethernet padding is excluded', () => {
  const small = ipv4({ proto: 17, payload: udp(53, 1024, [1, 2]) }); // 30 bytes: padded to 46
  const frame = bytes(ethernet(0x0800, small), new Array<number>(16).fill(0));
  const out = decode(frame, 1);
  assert.equal(out.payloadOffset, 14 + 28);
  assert.equal(out.payloadLength, 2);
  assert.equal(out.truncated, false);
});

test('IPv4 captured shorter than its total length is marked truncated, payload counts captured bytes', () => {
  const full = ipv4({ proto: 6, payload: tcp({ sport: 1, dport: 2, payload: new Array<number>(100).fill(0) }) });
  const out = decode(full.subarray(0, 60));
  assert.equal(out.status, DecodeStatus.Ip);
  assert.equal(out.truncated, true);
  assert.equal(out.hasPorts, true);
  assert.equal(out.payloadLength, 20);
});

test('IPv4 first fragment (MF set, offset 0) is First with id, and its ports are read', () => {
  const out = decode(ipv4({ proto: 17, id: 0xbeef, mf: true, payload: udp(123, 137, new Array<number>(16).fill(0), 400) }));
  assert.equal(out.fragment, FragmentKind.First);
  assert.equal(out.fragId, 0xbeef);
  assert.equal(out.fragOffset, 0);
  assert.equal(out.moreFragments, true);
  assert.equal(out.hasPorts, true);
  assert.deepEqual([out.srcPort, out.dstPort], [123, 137]);
});

test('IPv4 later fragment is Later with offset in bytes, no ports, payload = fragment data', () => {
  const out = decode(ipv4({ proto: 17, id: 7, mf: true, fragOffset: 1480, payload: new Uint8Array(64).fill(0xaa) }));
  assert.equal(out.status, DecodeStatus.Ip);
  assert.equal(out.fragment, FragmentKind.Later);
  assert.equal(out.fragOffset, 1480);
  assert.equal(out.moreFragments, true);
  assert.equal(out.proto, 17);
  assert.equal(out.hasPorts, false);
  assert.equal(out.l4Offset, -1);
  assert.equal(out.payloadOffset, 20);
  assert.equal(out.payloadLength, 64);
});

test('IPv4 last fragment (MF clear, offset > 0) is Later with moreFragments false', () => {
  const out = decode(ipv4({ proto: 6, id: 7, fragOffset: 8, payload: new Uint8Array(8) }));
  assert.equal(out.fragment, FragmentKind.Later);
  assert.equal(out.moreFragments, false);
  assert.equal(out.fragOffset, 8);
});

test('IPv4 with only Don\'t Fragment set is not a fragment', () => {
  const out = decode(ipv4({ proto: 6, df: true, payload: tcp({ sport: 1, dport: 2 }) }));
  assert.equal(out.fragment, FragmentKind.None);
  assert.equal(out.fragId, 0);
  assert.equal(out.hasPorts, true);
});

test('IPv4 with a bad version, IHL below 5 or total length below the header is Malformed', () => {
  const payload = tcp({ sport: 1, dport: 2 });
  assert.equal(decode(ipv4({ proto: 6, payload, versionIhl: 0x45 }), 228).status, DecodeStatus.Ip);
  assert.equal(decode(ipv4({ proto: 6, payload, versionIhl: 0x55 }), 228).reason, 'IPv4 version field is not 4');
  assert.equal(decode(ipv4({ proto: 6, payload, versionIhl: 0x44 })).reason, 'IPv4 header length below 20 bytes');
  assert.equal(decode(ipv4({ proto: 6, payload, totalLength: 19 })).reason, 'IPv4 total length smaller than its header');
  const bad = decode(ipv4({ proto: 6, payload, totalLength: 19 }));
  assert.equal(bad.status, DecodeStatus.Malformed);
  assert.equal(bad.ipVersion, 0);
  assert.equal(bad.hasPorts, false);
});

test('IPv4 total length 0 (segmentation offload capture) falls back to the captured length', () => {
  const out = decode(ipv4({ proto: 6, totalLength: 0, payload: tcp({ sport: 1, dport: 2, payload: [1, 2, 3, 4] }) }));
  assert.equal(out.status, DecodeStatus.Ip);
  assert.equal(out.payloadLength, 4);
  assert.equal(out.truncated, false);
});

test('IPv4 addresses leave bytes 4..15 of the reused buffers zeroed', () => {
  const out = createDecodedPacket();
  decodePacket(RAW, ipv6({ nextHeader: 59, payload: new Uint8Array(0) }), out);
  decodePacket(RAW, ipv4({ proto: 6, payload: tcp({ sport: 1, dport: 2 }) }), out);
  assert.deepEqual([...out.src.subarray(4)], new Array<number>(12).fill(0));
  assert.deepEqual([...out.dst.subarray(4)], new Array<number>(12).fill(0));
});

test('tunnels are not followed: GRE is proto 47, IP-in-IP proto 4, VXLAN stays outer UDP 4789', () => {
  const inner = ipv4({ proto: 6, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], payload: tcp({ sport: 5, dport: 6 }) });
  const gre = decode(ipv4({ proto: 47, payload: bytes([0, 0, 0x08, 0x00], inner) }));
  assert.equal(gre.proto, 47);
  assert.equal(gre.hasPorts, false);
  assert.equal(ipToString(4, gre.src), '192.0.2.1');
  assert.equal(gre.payloadOffset, 20);
  assert.equal(gre.payloadLength, 4 + inner.length);
  const ipip = decode(ipv4({ proto: 4, payload: inner }));
  assert.equal(ipip.proto, 4);
  assert.equal(ipToString(4, ipip.dst), '198.51.100.7');
  const vxlan = decode(ipv4({ proto: 17, payload: udp(49152, 4789, [...bytes([8, 0, 0, 0, 0, 0, 1, 0], ethernet(0x0800, inner))]) }));
  assert.deepEqual([vxlan.proto, vxlan.srcPort, vxlan.dstPort], [17, 49152, 4789]);
  assert.equal(ipToString(4, vxlan.src), '192.0.2.1');
});

// ---- IPv6 ----

test('IPv6 skips each extension header (hop-by-hop, routing, destination, AH, mobility) to TCP', () => {
  const cases: Array<[string, number, number[]]> = [
    ['hop-by-hop', 0, extHeader(6, 8)],
    ['routing', 43, extHeader(6, 24)],
    ['destination options', 60, extHeader(6, 16)],
    ['authentication header', 51, ahHeader(6, 24)],
    ['mobility', 135, extHeader(6, 8)],
  ];
  for (const [name, first, ext] of cases) {
    const out = decode(ipv6({ nextHeader: first, payload: bytes(ext, tcp({ sport: 443, dport: 50000, payload: [1] })) }));
    assert.equal(out.status, DecodeStatus.Ip, name);
    assert.equal(out.proto, 6, name);
    assert.equal(out.l4Offset, 40 + ext.length, name);
    assert.deepEqual([out.srcPort, out.dstPort], [443, 50000], name);
    assert.equal(out.payloadLength, 1, name);
    assert.equal(out.fragment, FragmentKind.None, name);
  }
});

test('IPv6 follows a chain of extension headers to UDP', () => {
  const chain = bytes(extHeader(60, 8), extHeader(43, 8), extHeader(51, 8), ahHeader(17, 12));
  const out = decode(ipv6({ nextHeader: 0, payload: bytes(chain, udp(1, 2)) }));
  assert.equal(out.proto, 17);
  assert.equal(out.l4Offset, 40 + chain.length);
  assert.deepEqual([out.srcPort, out.dstPort], [1, 2]);
});

test('IPv6 ESP (50) and No Next Header (59) are the final protocol', () => {
  const esp = decode(ipv6({ nextHeader: 0, payload: bytes(extHeader(50), new Uint8Array(24)) }));
  assert.equal(esp.proto, 50);
  assert.equal(esp.hasPorts, false);
  assert.equal(esp.payloadOffset, 48);
  assert.equal(esp.payloadLength, 24);
  const none = decode(ipv6({ nextHeader: 59, payload: new Uint8Array(0) }));
  assert.equal(none.status, DecodeStatus.Ip);
  assert.equal(none.proto, 59);
});

test('IPv6 first fragment (offset 0, M set) is First with the 32-bit id and its ports read', () => {
  const out = decode(ipv6({ nextHeader: 44, payload: bytes(fragmentHeader(17, 0, true, 0xdeadbeef), udp(5353, 53, [1, 2, 3])) }));
  assert.equal(out.fragment, FragmentKind.First);
  assert.equal(out.fragId, 0xdeadbeef);
  assert.equal(out.moreFragments, true);
  assert.equal(out.proto, 17);
  assert.deepEqual([out.srcPort, out.dstPort], [5353, 53]);
});

test('IPv6 later fragment is Later, protocol from the fragment header, no ports', () => {
  const out = decode(ipv6({ nextHeader: 0, payload: bytes(extHeader(44), fragmentHeader(58, 1232, false, 99), new Uint8Array(40)) }));
  assert.equal(out.fragment, FragmentKind.Later);
  assert.equal(out.fragOffset, 1232);
  assert.equal(out.moreFragments, false);
  assert.equal(out.fragId, 99);
  assert.equal(out.proto, 58);
  assert.equal(out.icmpType, -1);
  assert.equal(out.l4Offset, -1);
  assert.equal(out.payloadOffset, 56);
  assert.equal(out.payloadLength, 40);
});

test('an IPv6 atomic fragment (offset 0, M clear) is a whole packet, not a fragment', () => {
  const out = decode(ipv6({ nextHeader: 44, payload: bytes(fragmentHeader(6, 0, false, 5), tcp({ sport: 59694, dport: 80 })) }));
  assert.equal(out.fragment, FragmentKind.None);
  assert.equal(out.fragId, 0);
  assert.equal(out.proto, 6);
  assert.equal(out.hasPorts, true);
  assert.deepEqual([out.srcPort, out.dstPort], [59694, 80]);
});

test('IPv6 payload length bounds the payload (padding excluded) and flags truncation', () => {
  const pkt = ipv6({ nextHeader: 17, payload: udp(1, 2, [1, 2, 3, 4]) });
  const padded = decode(bytes(pkt, [0, 0, 0, 0]));
  assert.equal(padded.payloadLength, 4);
  assert.equal(padded.truncated, false);
  const cut = decode(pkt.subarray(0, pkt.length - 2));
  assert.equal(cut.truncated, true);
  assert.equal(cut.payloadLength, 2);
});

test('IPv6 with a bad version or a header shorter than 40 bytes is Malformed', () => {
  const pkt = ipv6({ nextHeader: 59, payload: new Uint8Array(0) });
  assert.equal(decode(pkt.subarray(0, 39), 229).reason, 'IPv6 header truncated');
  const bad = pkt.slice();
  bad[0] = 0x70;
  assert.equal(decode(bad, 229).reason, 'IPv6 version field is not 6');
});

// ---- transport ----

test('TCP ports, 32-bit sequence/ack numbers and all nine flags including NS are read', () => {
  const out = decode(ipv4({ proto: 6, payload: tcp({ sport: 65535, dport: 1, seq: 0xfffffffe, ack: 0x80000001, flags: 0x1ff }) }));
  assert.deepEqual([out.srcPort, out.dstPort], [65535, 1]);
  assert.equal(out.tcpSeq, 0xfffffffe);
  assert.equal(out.tcpAck, 0x80000001);
  assert.equal(out.tcpFlags, 0x1ff);
  const syn = decode(ipv4({ proto: 6, payload: tcp({ sport: 1, dport: 2, flags: 0x02 }) }));
  assert.equal(syn.tcpFlags, 0x02);
  const nsOnly = decode(ipv4({ proto: 6, payload: tcp({ sport: 1, dport: 2, flags: 0x100 }) }));
  assert.equal(nsOnly.tcpFlags, 0x100);
});

test('TCP data offset locates the payload after options', () => {
  const out = decode(ipv4({ proto: 6, payload: tcp({ sport: 1, dport: 2, options: [2, 4, 5, 0xb4, 1, 1, 4, 2], payload: [0x47, 0x45, 0x54] }) }));
  assert.equal(out.l4Offset, 20);
  assert.equal(out.payloadOffset, 48);
  assert.equal(out.payloadLength, 3);
});

test('a TCP data offset below 5 words keeps the ports but gives no payload', () => {
  const out = decode(ipv4({ proto: 6, payload: tcp({ sport: 1, dport: 2, dataOffsetWords: 3, payload: [1, 2] }) }));
  assert.equal(out.status, DecodeStatus.Ip);
  assert.equal(out.hasPorts, true);
  assert.equal(out.payloadOffset, -1);
});

test('UDP ports are read and the UDP length can only shorten the payload', () => {
  const out = decode(ipv4({ proto: 17, payload: udp(5353, 53, [1, 2, 3, 4]) }));
  assert.deepEqual([out.srcPort, out.dstPort, out.payloadOffset, out.payloadLength], [5353, 53, 28, 4]);
  const shorter = decode(ipv4({ proto: 17, payload: udp(1, 2, [1, 2, 3, 4], 10) }));
  assert.equal(shorter.payloadLength, 2);
  const longer = decode(ipv4({ proto: 17, payload: udp(1, 2, [1, 2, 3, 4], 500) }));
  assert.equal(longer.payloadLength, 4);
});

test('SCTP ports are read from the common header', () => {
  const out = decode(ipv6({ nextHeader: 132, payload: sctp(2905, 2944, [1, 0, 0, 4]) }));
  assert.equal(out.proto, 132);
  assert.equal(out.hasPorts, true);
  assert.deepEqual([out.srcPort, out.dstPort], [2905, 2944]);
  assert.equal(out.payloadLength, 4);
});

test('ICMP and ICMPv6 report type and code, and no ports', () => {
  const echo = decode(ipv4({ proto: 1, payload: icmp(8, 0, [0, 1, 0, 2], [0x61, 0x62]) }));
  assert.deepEqual([echo.icmpType, echo.icmpCode, echo.hasPorts], [8, 0, false]);
  assert.equal(echo.payloadLength, 2);
  const unreachable = decode(ipv4({ proto: 1, payload: icmp(3, 3) }));
  assert.deepEqual([unreachable.icmpType, unreachable.icmpCode], [3, 3]);
  const ns = decode(ipv6({ nextHeader: 58, payload: icmp(135, 0, [0, 0, 0, 0], new Array<number>(16).fill(0)) }));
  assert.deepEqual([ns.proto, ns.icmpType, ns.icmpCode], [58, 135, 0]);
  const tcpPkt = decode(ipv4({ proto: 6, payload: tcp({ sport: 1, dport: 2 }) }));
  assert.deepEqual([tcpPkt.icmpType, tcpPkt.icmpCode], [-1, -1]);
});
