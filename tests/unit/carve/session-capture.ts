/**
 * Generated captures of whole application sessions (no corpus needed): TCP conversations with a
 * handshake, one segment per step (cut at 1400 bytes) and FINs, UDP conversations with one
 * datagram per step; IPv4 or IPv6; all packets written in time order to a pcap.
 */
import { writeFileSync } from 'node:fs';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../../common/capture/pcap-writer.js';
import { ethernet, ipv4, ipv6, tcp, udp } from '../../helpers/packet-builders.js';

export interface Endpoint {
  ip: number[];
  port: number;
}

export interface Conversation {
  proto: 'tcp' | 'udp';
  /** The initiator (sends the SYN / first datagram) and the responder. */
  a: Endpoint;
  b: Endpoint;
  /** Start time in microseconds since the epoch; packets follow 1 ms apart. */
  t0: number;
  /** dir 0: a → b; dir 1: b → a. */
  steps: { dir: 0 | 1; data: Uint8Array | string }[];
}

const SYN = 2;
const FIN = 1;
const PSH = 8;
const ACK = 16;
const MSS = 1400;

function frame(from: Endpoint, to: Endpoint, proto: 'tcp' | 'udp', l4: Uint8Array): Uint8Array {
  if (from.ip.length === 16) return ethernet(0x86dd, ipv6({ src: from.ip, dst: to.ip, nextHeader: proto === 'tcp' ? 6 : 17, payload: l4 }));
  return ethernet(0x0800, ipv4({ src: from.ip, dst: to.ip, proto: proto === 'tcp' ? 6 : 17, payload: l4 }));
}

function packets(c: Conversation): { ts: number; frame: Uint8Array }[] {
  const out: { ts: number; frame: Uint8Array }[] = [];
  let t = c.t0;
  const ends = [c.a, c.b];
  const push = (dir: 0 | 1, l4: Uint8Array): void => {
    out.push({ ts: t, frame: frame(ends[dir], ends[1 - dir], c.proto, l4) });
    t += 1000;
  };
  const data = (d: Uint8Array | string): Uint8Array => (typeof d === 'string' ? Buffer.from(d, 'latin1') : d);
  if (c.proto === 'udp') {
    for (const st of c.steps) push(st.dir, udp(ends[st.dir].port, ends[1 - st.dir].port, [...data(st.data)]));
    return out;
  }
  const seq = [1000, 50000];
  const seg = (dir: 0 | 1, flags: number, payload: Uint8Array = new Uint8Array(0)): void =>
    push(dir, tcp({ sport: ends[dir].port, dport: ends[1 - dir].port, seq: seq[dir], ack: seq[1 - dir], flags, payload: [...payload] }));
  seg(0, SYN);
  seq[0]++;
  seg(1, SYN | ACK);
  seq[1]++;
  seg(0, ACK);
  for (const st of c.steps) {
    const d = data(st.data);
    for (let i = 0; i < d.length; i += MSS) {
      const p = d.subarray(i, Math.min(d.length, i + MSS));
      seg(st.dir, PSH | ACK, p);
      seq[st.dir] += p.length;
    }
  }
  seg(0, FIN | ACK);
  seq[0]++;
  seg(1, FIN | ACK);
  seq[1]++;
  seg(0, ACK);
  return out;
}

export function writeSessionCapture(path: string, conversations: Conversation[]): void {
  const all = conversations.flatMap(packets).sort((x, y) => x.ts - y.ts);
  const parts: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false })];
  for (const p of all) {
    const rec = new Uint8Array(16 + p.frame.length);
    writePcapRecordHeader(rec, 0, Math.floor(p.ts / 1e6), p.ts % 1e6, p.frame.length, p.frame.length);
    rec.set(p.frame, 16);
    parts.push(rec);
  }
  writeFileSync(path, Buffer.concat(parts));
}
