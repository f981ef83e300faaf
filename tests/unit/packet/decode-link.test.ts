import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket } from '../../../common/packet/decode-packet.js';
import { createDecodedPacket, DecodeStatus } from '../../../common/packet/decoded-packet.js';
import type { DecodedPacket } from '../../../common/packet/decoded-packet.js';
import { ipToString } from '../../../common/packet/community-id.js';
import {
  bsdLoopback, bytes, ethernet, ipv4, ipv6, mplsLabels, nflog, pppoeSession, sll, sll2, tcp, udp,
} from '../../helpers/packet-builders.js';

function decode(linkType: number, data: Uint8Array): DecodedPacket {
  const out = createDecodedPacket();
  decodePacket(linkType, data, out);
  return out;
}

const v4Tcp = ipv4({ proto: 6, payload: tcp({ sport: 40000, dport: 80, payload: [1, 2, 3] }) });
const v6Udp = ipv6({ nextHeader: 17, payload: udp(5353, 53, [9, 9]) });

/** The IPv4/TCP test packet was found at `l3` with its ports. */
function assertV4Tcp(out: DecodedPacket, l3: number): void {
  assert.equal(out.status, DecodeStatus.Ip, out.reason);
  assert.equal(out.reason, '');
  assert.equal(out.ipVersion, 4);
  assert.equal(out.l3Offset, l3);
  assert.equal(ipToString(4, out.src), '192.0.2.1');
  assert.equal(ipToString(4, out.dst), '198.51.100.7');
  assert.equal(out.proto, 6);
  assert.equal(out.hasPorts, true);
  assert.equal(out.srcPort, 40000);
  assert.equal(out.dstPort, 80);
  assert.equal(out.payloadLength, 3);
}

function assertV6Udp(out: DecodedPacket, l3: number): void {
  assert.equal(out.status, DecodeStatus.Ip, out.reason);
  assert.equal(out.ipVersion, 6);
  assert.equal(out.l3Offset, l3);
  assert.equal(ipToString(6, out.src), '2001:db8::1');
  assert.equal(ipToString(6, out.dst), '2001:db8::2');
  assert.equal(out.proto, 17);
  assert.deepEqual([out.srcPort, out.dstPort], [5353, 53]);
}

test('Ethernet II carrying IPv4 reports EtherType 0x0800, no VLAN, IP at offset 14', () => {
  const out = decode(1, ethernet(0x0800, v4Tcp));
  assertV4Tcp(out, 14);
  assert.equal(out.etherType, 0x0800);
  assert.equal(out.vlan, -1);
  assert.equal(out.vlanInner, -1);
});

test('Ethernet II carrying IPv6 reports EtherType 0x86dd', () => {
  const out = decode(1, ethernet(0x86dd, v6Udp));
  assertV6Udp(out, 14);
  assert.equal(out.etherType, 0x86dd);
});

test('an 802.1Q tag sets the outer VLAN id (priority bits masked off)', () => {
  const out = decode(1, ethernet(0x0800, v4Tcp, [{ tpid: 0x8100, vid: 100, pcp: 5 }]));
  assertV4Tcp(out, 18);
  assert.equal(out.vlan, 100);
  assert.equal(out.vlanInner, -1);
});

test('802.1ad QinQ records the outer and inner VLAN ids', () => {
  const out = decode(1, ethernet(0x86dd, v6Udp, [{ tpid: 0x88a8, vid: 4000 }, { tpid: 0x8100, vid: 7 }]));
  assertV6Udp(out, 22);
  assert.equal(out.vlan, 4000);
  assert.equal(out.vlanInner, 7);
});

test('0x9100 stacked tags are recognised as VLAN tags', () => {
  const out = decode(1, ethernet(0x0800, v4Tcp, [{ tpid: 0x9100, vid: 1 }, { tpid: 0x9100, vid: 2 }]));
  assertV4Tcp(out, 22);
  assert.deepEqual([out.vlan, out.vlanInner], [1, 2]);
});

test('three VLAN tags keep the outer two ids and still reach IP', () => {
  const tags = [{ tpid: 0x88a8, vid: 10 }, { tpid: 0x8100, vid: 20 }, { tpid: 0x8100, vid: 30 }];
  const out = decode(1, ethernet(0x0800, v4Tcp, tags));
  assertV4Tcp(out, 26);
  assert.deepEqual([out.vlan, out.vlanInner], [10, 20]);
});

test('MPLS with one label reaches IPv4 by the first nibble and reports EtherType 0x0800', () => {
  const out = decode(1, ethernet(0x8847, bytes(mplsLabels([16]), v4Tcp)));
  assertV4Tcp(out, 18);
  assert.equal(out.etherType, 0x0800);
});

test('an MPLS label stack is skipped to the bottom-of-stack label (multicast EtherType too)', () => {
  const out = decode(1, ethernet(0x8848, bytes(mplsLabels([100, 200, 300]), v6Udp)));
  assertV6Udp(out, 26);
  assert.equal(out.etherType, 0x86dd);
});

test('MPLS over VLAN keeps the VLAN id', () => {
  const out = decode(1, ethernet(0x8847, bytes(mplsLabels([5, 6]), v4Tcp), [{ tpid: 0x8100, vid: 42 }]));
  assertV4Tcp(out, 26);
  assert.equal(out.vlan, 42);
});

test('MPLS carrying a pseudowire control word (first nibble 0) is NonIp with the MPLS EtherType', () => {
  const out = decode(1, ethernet(0x8847, bytes(mplsLabels([16]), [0, 0, 0, 0], ethernet(0x0800, v4Tcp))));
  assert.equal(out.status, DecodeStatus.NonIp);
  assert.equal(out.etherType, 0x8847);
  assert.match(out.reason, /MPLS/);
});

test('an MPLS label stack without a bottom-of-stack bit before the end is Malformed', () => {
  const out = decode(1, ethernet(0x8847, Uint8Array.from([0, 1, 0, 64, 0, 2, 0, 64])));
  assert.equal(out.status, DecodeStatus.Malformed);
  assert.equal(out.reason, 'MPLS label stack truncated');
});

test('PPPoE session frames carry IPv4 (PPP 0x0021) and IPv6 (PPP 0x0057)', () => {
  const out4 = decode(1, ethernet(0x8864, pppoeSession(0x0021, v4Tcp)));
  assertV4Tcp(out4, 22);
  assert.equal(out4.etherType, 0x0800);
  const out6 = decode(1, ethernet(0x8864, pppoeSession(0x0057, v6Udp)));
  assertV6Udp(out6, 22);
  assert.equal(out6.etherType, 0x86dd);
});

test('PPPoE session frames with LCP and PPPoE discovery frames are NonIp', () => {
  const lcp = decode(1, ethernet(0x8864, pppoeSession(0xc021, new Uint8Array(8))));
  assert.equal(lcp.status, DecodeStatus.NonIp);
  assert.equal(lcp.etherType, 0x8864);
  const discovery = decode(1, ethernet(0x8863, new Uint8Array(10)));
  assert.equal(discovery.status, DecodeStatus.NonIp);
  assert.equal(discovery.etherType, 0x8863);
  assert.equal(discovery.reason, 'EtherType 0x8863 (PPPoE discovery) is not IP');
});

test('ARP is NonIp with EtherType 0x0806 and a readable reason', () => {
  const out = decode(1, ethernet(0x0806, new Uint8Array(28)));
  assert.equal(out.status, DecodeStatus.NonIp);
  assert.equal(out.etherType, 0x0806);
  assert.equal(out.reason, 'EtherType 0x0806 (ARP) is not IP');
  assert.equal(out.ipVersion, 0);
});

test('ARP inside a VLAN keeps the VLAN id and reports the inner EtherType', () => {
  const out = decode(1, ethernet(0x0806, new Uint8Array(28), [{ tpid: 0x8100, vid: 9 }]));
  assert.equal(out.status, DecodeStatus.NonIp);
  assert.equal(out.etherType, 0x0806);
  assert.equal(out.vlan, 9);
});

test('an unknown EtherType is NonIp with the EtherType in the reason', () => {
  const out = decode(1, ethernet(0x1234 + 0x8000, new Uint8Array(4)));
  assert.equal(out.status, DecodeStatus.NonIp);
  assert.equal(out.reason, 'EtherType 0x9234 is not IP');
});

test('IEEE 802.3 with LLC/SNAP (RFC 1042) carries an EtherType through to IPv4', () => {
  const snap = bytes([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00], v4Tcp);
  const out = decode(1, ethernet(snap.length, snap));
  assertV4Tcp(out, 22);
  assert.equal(out.etherType, 0x0800);
});

test('IEEE 802.3 with plain LLC (spanning tree) is NonIp', () => {
  const out = decode(1, ethernet(38, bytes([0x42, 0x42, 0x03], new Uint8Array(35))));
  assert.equal(out.status, DecodeStatus.NonIp);
  assert.equal(out.etherType, 0);
  assert.match(out.reason, /LLC/);
});

test('Linux SLL (113) finds IPv4 and IPv6 after its 16-byte header', () => {
  assertV4Tcp(decode(113, sll(0x0800, v4Tcp)), 16);
  const out6 = decode(113, sll(0x86dd, v6Udp));
  assertV6Udp(out6, 16);
  assert.equal(out6.etherType, 0x86dd);
});

test('Linux SLL with ARP is NonIp; with a netlink device or a non-EtherType protocol too', () => {
  assert.equal(decode(113, sll(0x0806, new Uint8Array(28))).etherType, 0x0806);
  const netlink = decode(113, sll(0x0800, v4Tcp, 824));
  assert.equal(netlink.status, DecodeStatus.NonIp);
  assert.match(netlink.reason, /netlink/);
  const novell = decode(113, sll(0x0001, new Uint8Array(30)));
  assert.equal(novell.status, DecodeStatus.NonIp);
});

test('Linux SLL with 802.2 LLC/SNAP reaches IPv4', () => {
  assertV4Tcp(decode(113, sll(0x0004, bytes([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00], v4Tcp))), 24);
});

test('Linux SLL2 (276) reads the protocol from its first field and IP after 20 bytes', () => {
  assertV4Tcp(decode(276, sll2(0x0800, v4Tcp)), 20);
  assertV6Udp(decode(276, sll2(0x86dd, v6Udp)), 20);
  assert.equal(decode(276, sll2(0x0806, new Uint8Array(28))).status, DecodeStatus.NonIp);
});

test('raw IP link types 101, 12 and 14 pick IPv4 or IPv6 by the version nibble', () => {
  for (const lt of [101, 12, 14]) {
    assertV4Tcp(decode(lt, v4Tcp), 0);
    assertV6Udp(decode(lt, v6Udp), 0);
    assert.equal(decode(lt, v4Tcp).etherType, 0);
  }
});

test('raw IP with a version nibble other than 4 or 6, or no bytes, is Malformed', () => {
  const bad = v4Tcp.slice();
  bad[0] = 0x55;
  assert.equal(decode(101, bad).status, DecodeStatus.Malformed);
  assert.equal(decode(101, new Uint8Array(0)).status, DecodeStatus.Malformed);
});

test('link types 228 (IPv4) and 229 (IPv6) decode the announced version and reject the other', () => {
  assertV4Tcp(decode(228, v4Tcp), 0);
  assertV6Udp(decode(229, v6Udp), 0);
  const wrong = decode(228, v6Udp);
  assert.equal(wrong.status, DecodeStatus.Malformed);
  assert.equal(wrong.reason, 'IPv4 version field is not 4');
  assert.equal(decode(229, v4Tcp).reason, 'IPv6 version field is not 6');
});

test('NULL (0) detects the byte order of the 4-byte address family', () => {
  assertV4Tcp(decode(0, bsdLoopback(2, v4Tcp, true)), 4);
  assertV4Tcp(decode(0, bsdLoopback(2, v4Tcp, false)), 4);
  for (const af of [24, 28, 30]) {
    assertV6Udp(decode(0, bsdLoopback(af, v6Udp, true)), 4);
    assertV6Udp(decode(0, bsdLoopback(af, v6Udp, false)), 4);
  }
});

test('NULL with an address family other than IPv4/IPv6 is NonIp; a short header is Malformed', () => {
  const out = decode(0, bsdLoopback(7, new Uint8Array(20), true));
  assert.equal(out.status, DecodeStatus.NonIp);
  assert.match(out.reason, /address family/);
  assert.equal(decode(0, Uint8Array.from([2, 0, 0])).status, DecodeStatus.Malformed);
});

test('LOOP (108) reads the address family in network byte order', () => {
  assertV4Tcp(decode(108, bsdLoopback(2, v4Tcp, false)), 4);
  assertV6Udp(decode(108, bsdLoopback(24, v6Udp, false)), 4);
  // A little-endian AF is not valid for LOOP.
  assert.equal(decode(108, bsdLoopback(2, v4Tcp, true)).status, DecodeStatus.NonIp);
});

test('NFLOG (239) walks the TLVs (4-byte padding) to the payload TLV, little-endian lengths', () => {
  const rec = nflog(2, v4Tcp, true);
  const out = decode(239, rec);
  assertV4Tcp(out, rec.length - v4Tcp.length);
  assert.equal(out.etherType, 0);
});

test('NFLOG with big-endian TLV lengths and an IPv6 family is decoded too', () => {
  const rec = nflog(10, v6Udp, false);
  assertV6Udp(decode(239, rec), rec.length - v6Udp.length);
});

test('NFLOG without a payload TLV is NonIp; a cut TLV list or header is Malformed', () => {
  const noPayload = decode(239, nflog(2, v4Tcp, true, false));
  assert.equal(noPayload.status, DecodeStatus.NonIp);
  assert.match(noPayload.reason, /payload/);
  assert.equal(decode(239, Uint8Array.from([2, 0, 0])).reason, 'NFLOG header truncated');
  const zeroLen = decode(239, Uint8Array.from([2, 0, 0, 0, 0, 0, 9, 0]));
  assert.equal(zeroLen.status, DecodeStatus.Malformed);
});

test('NFLOG with an address family other than IPv4/IPv6 is NonIp', () => {
  assert.equal(decode(239, nflog(7, v4Tcp)).status, DecodeStatus.NonIp);
});

test('an undecoded link type is UnsupportedLink with its name in the reason', () => {
  const user0 = decode(147, v4Tcp);
  assert.equal(user0.status, DecodeStatus.UnsupportedLink);
  assert.equal(user0.reason, 'link type 147 (USER0) is not decoded');
  assert.equal(decode(127, v4Tcp).reason, 'link type 127 (IEEE802_11_RADIOTAP) is not decoded');
  assert.equal(decode(65000, v4Tcp).reason, 'link type 65000 (unknown) is not decoded');
  assert.equal(user0.ipVersion, 0);
});

test('a short Ethernet header is Malformed', () => {
  const out = decode(1, new Uint8Array(13));
  assert.equal(out.status, DecodeStatus.Malformed);
  assert.equal(out.reason, 'Ethernet header truncated');
});
