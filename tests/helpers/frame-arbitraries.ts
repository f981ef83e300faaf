/**
 * fast-check generators of Ethernet frames for the flow table's property tests: well-formed and
 * mutated IPv4/IPv6/TCP/UDP/ICMP/GRE/ARP frames with VLAN tags, IPv4 fragments, and TCP
 * conversations whose FIN/RST then SYN restart flows.
 */
import fc from 'fast-check';
import { bytes, ethernet, icmp, ipv4, ipv6, le16, le32, tcp, udp, type VlanTag } from './packet-builders.js';

const TPIDS = [0x8100, 0x88a8, 0x9100, 0x8100];

/** A frame built from a spec, then possibly mutated: the inputs the fast path must judge right. */
export const frameArb = fc
  .record({
    tags: fc.oneof(fc.constant<VlanTag[]>([]), fc.constant<VlanTag[]>([]), fc.array<VlanTag>(fc.record({ tpid: fc.constantFrom(...TPIDS), vid: fc.constantFrom(1, 100, 4095) }), { maxLength: 3 })),
    kind: fc.constantFrom('tcp', 'udp', 'tcp', 'udp', 'icmp', 'gre', 'v6', 'arp'),
    src: fc.constantFrom<number[]>([10, 0, 0, 1], [10, 0, 0, 2], [192, 168, 1, 9]),
    dst: fc.constantFrom<number[]>([10, 0, 0, 1], [10, 0, 0, 2], [8, 8, 8, 8]),
    sport: fc.constantFrom(53, 80, 443, 40000, 40001),
    dport: fc.constantFrom(53, 80, 443, 40000, 40001),
    flags: fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x102, 0),
    dataOffsetWords: fc.constantFrom(undefined, undefined, 2, 15),
    payload: fc.array(fc.nat(255), { maxLength: 24 }),
    options: fc.constantFrom<number[]>([], [], [1, 1, 1, 0]),
    mutate: fc.nat(2),
    mf: fc.boolean(),
    fragOffset: fc.constantFrom(0, 0, 0, 0, 8, 1480),
    totalLength: fc.constantFrom(undefined, undefined, undefined, 0, 10, 21, 30, 4000),
    versionIhl: fc.constantFrom(undefined, undefined, undefined, undefined, 0x44, 0x46, 0x65, 0x4f),
    cut: fc.option(fc.nat(80), { nil: undefined }),
    flips: fc.array(fc.record({ at: fc.nat(60), value: fc.nat(255) }), { maxLength: 2 }),
  })
  .map((s) => {
    // two frames in three are well-formed: the fast path's accepting branch is exercised as much
    // as its refusals
    const m = s.mutate === 0;
    let l4: Uint8Array;
    let proto = 6;
    if (s.kind === 'tcp') l4 = tcp({ sport: s.sport, dport: s.dport, flags: s.flags, dataOffsetWords: m ? s.dataOffsetWords : undefined, payload: s.payload });
    else if (s.kind === 'udp') {
      proto = 17;
      l4 = udp(s.sport, s.dport, s.payload);
    } else if (s.kind === 'icmp') {
      proto = 1;
      l4 = icmp(8, 0, [0, 1, 0, 1], s.payload);
    } else {
      proto = 47;
      l4 = new Uint8Array(s.payload);
    }
    let frame: Uint8Array;
    if (s.kind === 'v6') frame = ethernet(0x86dd, ipv6({ nextHeader: 6, payload: tcp({ sport: s.sport, dport: s.dport, flags: s.flags }) }), s.tags);
    else if (s.kind === 'arp') frame = ethernet(0x0806, new Uint8Array(28), s.tags);
    else {
      const ip = ipv4({
        src: s.src,
        dst: s.dst,
        proto,
        payload: l4,
        options: s.options,
        mf: m && s.mf,
        fragOffset: m ? s.fragOffset : 0,
        totalLength: m ? s.totalLength : undefined,
        versionIhl: m ? s.versionIhl : undefined,
      });
      frame = ethernet(0x0800, ip, s.tags);
    }
    frame = frame.slice();
    if (m) {
      for (const f of s.flips) if (f.at < frame.length) frame[f.at] = f.value;
      if (s.cut !== undefined && s.cut < frame.length) frame = frame.subarray(0, s.cut);
    }
    return frame;
  });

/** One TCP conversation's packets in both directions: FIN/RST then a pure SYN must restart the flow. */
export const conversationArb = fc
  .record({ fromClient: fc.boolean(), flags: fc.constantFrom(0x02, 0x12, 0x10, 0x11, 0x04, 0x18), vlan: fc.constantFrom(-1, 7) })
  .map(({ fromClient, flags, vlan }) => {
    const seg = tcp({ sport: fromClient ? 40000 : 80, dport: fromClient ? 80 : 40000, flags });
    const ip = ipv4({ src: fromClient ? [10, 0, 0, 1] : [10, 0, 0, 2], dst: fromClient ? [10, 0, 0, 2] : [10, 0, 0, 1], proto: 6, payload: seg });
    return ethernet(0x0800, ip, vlan < 0 ? [] : [{ tpid: 0x8100, vid: vlan }]);
  });

/** A little-endian microsecond pcap file of the frames. */
export function pcapFile(frames: { frame: Uint8Array; sec: number; usec: number }[]): Uint8Array {
  const parts: Array<Uint8Array | number[]> = [[0xd4, 0xc3, 0xb2, 0xa1], le16(2), le16(4), le32(0), le32(0), le32(65535), le32(1)];
  for (const f of frames) parts.push(le32(f.sec), le32(f.usec), le32(f.frame.length), le32(f.frame.length + 4), f.frame);
  return bytes(...parts);
}

