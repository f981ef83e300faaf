/**
 * A small capture built by the repo's own code, so store and CLI tests run without the shared
 * corpus: known flows (TCP with handshake and teardown, a reused 5-tuple, UDP, ICMP, IPv6, VLAN,
 * ARP) at known times, with every record's offset recorded.
 */
import { writeFileSync } from 'node:fs';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../common/capture/pcap-writer.js';
import { bytes, ethernet, icmp, ipv4, ipv6, tcp, udp, type VlanTag } from './packet-builders.js';

export interface FixturePacket {
  /** Which expected flow the packet belongs to. */
  flow: string;
  tsSec: number;
  tsUsec: number;
  frame: Uint8Array;
  /** Offset of the record in the file, and the record's bytes (header + frame). */
  offset: number;
  record: Uint8Array;
}

const A = [10, 1, 0, 5];
const WEB = [10, 2, 0, 9];
const DNS = [10, 2, 0, 53];
const GOOGLE = [8, 8, 8, 8];
const V6A = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
const V6B = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9];

export const FIXTURE_T0 = 1_700_000_000;

function v4(src: number[], dst: number[], proto: number, payload: Uint8Array, tags: VlanTag[] = []): Uint8Array {
  return ethernet(0x0800, ipv4({ src, dst, proto, payload }), tags);
}

function v6(src: number[], dst: number[], proto: number, payload: Uint8Array): Uint8Array {
  return ethernet(0x86dd, ipv6({ src, dst, nextHeader: proto, payload }));
}

/** The packets, in capture order (times increase except where noted). */
export function fixturePackets(): Omit<FixturePacket, 'offset' | 'record'>[] {
  const p: Omit<FixturePacket, 'offset' | 'record'>[] = [];
  let us = 0;
  const at = (flow: string, frame: Uint8Array, stepUs = 1000): void => {
    us += stepUs;
    p.push({ flow, tsSec: FIXTURE_T0 + Math.floor(us / 1e6), tsUsec: us % 1e6, frame });
  };
  const body = Array.from({ length: 300 }, (_, i) => 65 + (i % 26));
  // web1: a full TCP conversation 10.1.0.5:40000 -> 10.2.0.9:80
  at('web1', v4(A, WEB, 6, tcp({ sport: 40000, dport: 80, flags: 0x02, seq: 1 })));
  at('dns', v4(A, DNS, 17, udp(53000, 53, [1, 2, 3, 4, 5, 6, 7, 8])));
  at('web1', v4(WEB, A, 6, tcp({ sport: 80, dport: 40000, flags: 0x12, seq: 100, ack: 2 })));
  at('web1', v4(A, WEB, 6, tcp({ sport: 40000, dport: 80, flags: 0x10, seq: 2, ack: 101 })));
  at('dns', v4(DNS, A, 17, udp(53, 53000, [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9])));
  at('web1', v4(A, WEB, 6, tcp({ sport: 40000, dport: 80, flags: 0x18, seq: 2, ack: 101, payload: [71, 69, 84, 32, 47, 10] })));
  at('arp', ethernet(0x0806, bytes(new Uint8Array(28))));
  at('web1', v4(WEB, A, 6, tcp({ sport: 80, dport: 40000, flags: 0x18, seq: 101, ack: 8, payload: body })));
  at('icmp', v4(A, GOOGLE, 1, icmp(8, 0, [0, 1, 0, 1])));
  at('icmp', v4(GOOGLE, A, 1, icmp(0, 0, [0, 1, 0, 1])));
  at('web1', v4(A, WEB, 6, tcp({ sport: 40000, dport: 80, flags: 0x11, seq: 8, ack: 401 })));
  at('web1', v4(WEB, A, 6, tcp({ sport: 80, dport: 40000, flags: 0x11, seq: 401, ack: 9 })));
  at('web1', v4(A, WEB, 6, tcp({ sport: 40000, dport: 80, flags: 0x10, seq: 9, ack: 402 })));
  // v6: one second later
  at('v6', v6(V6A, V6B, 6, tcp({ sport: 40001, dport: 443, flags: 0x02 })), 1_000_000);
  at('v6', v6(V6B, V6A, 6, tcp({ sport: 443, dport: 40001, flags: 0x12 })));
  at('vlan', v4(A, DNS, 17, udp(53001, 53, [1, 2, 3]), [{ tpid: 0x8100, vid: 42 }]));
  // web2: the same 5-tuple reused after FIN, ten seconds later
  at('web2', v4(A, WEB, 6, tcp({ sport: 40000, dport: 80, flags: 0x02, seq: 5000 })), 10_000_000);
  at('web2', v4(WEB, A, 6, tcp({ sport: 80, dport: 40000, flags: 0x12, seq: 9000, ack: 5001 })));
  at('web2', v4(A, WEB, 6, tcp({ sport: 40000, dport: 80, flags: 0x04, seq: 5001 })));
  return p;
}

/** Writes the fixture as a µs pcap; returns its packets with offsets and record bytes. */
export function writeFixturePcap(path: string, opts: { truncateAt?: number; shiftUs?: number } = {}): FixturePacket[] {
  const pkts = fixturePackets().map((p) => {
    if (!opts.shiftUs) return p;
    const us = p.tsUsec + opts.shiftUs;
    return { ...p, tsSec: p.tsSec + Math.floor(us / 1e6), tsUsec: us % 1e6 };
  });
  const header = encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false });
  const parts: Uint8Array[] = [header];
  let offset = header.length;
  const out: FixturePacket[] = [];
  for (const p of pkts) {
    const record = new Uint8Array(16 + p.frame.length);
    writePcapRecordHeader(record, 0, p.tsSec, p.tsUsec, p.frame.length, p.frame.length);
    record.set(p.frame, 16);
    parts.push(record);
    out.push({ ...p, offset, record });
    offset += record.length;
  }
  let file = Buffer.concat(parts);
  if (opts.truncateAt !== undefined) file = file.subarray(0, opts.truncateAt);
  writeFileSync(path, file);
  return out;
}
