/**
 * The alert source of conditional capture (Stamus-style "conditional pcap"): the live store keeps
 * only flows that raised an alert, from the alerting packet on, plus a window of packets before
 * it. A rule engine plugs in here; two simple triggers (a payload substring, a predicate over the
 * decoded packet) serve tests and the command line until it does.
 *
 * Environment-free: no Node, no DOM.
 */
import { DecodeStatus, FragmentKind, type DecodedPacket } from '../packet/decoded-packet.js';
import { ipToString } from '../packet/ip-address.js';

/** One packet as a trigger sees it. Views are valid only during the call: copy what you keep. */
export interface AlertPacket {
  linkType: number;
  tsSec: number;
  tsNsec: number;
  /** The captured bytes. */
  data: Uint8Array;
  /** The packet decoded (link → IP → transport); payloadOffset/payloadLength index into data. */
  decoded: DecodedPacket;
}

export interface AlertTrigger {
  /**
   * Called for each packet of a flow that has not alerted yet, in arrival order. Returns true
   * when this packet raises an alert for its flow: the packet, the flow's pre-alert window and
   * every later packet of the flow are stored. `flowKey` identifies the flow in both directions
   * (the same key `LiveWriter.alert(flowKey)` accepts).
   */
  inspect(flowKey: string, packet: AlertPacket): boolean;
}

/** Alerts on a packet whose transport payload (or, for non-IP frames, whole frame) contains `needle`. */
export function payloadContainsTrigger(needle: Uint8Array | string): AlertTrigger {
  const n = typeof needle === 'string' ? new TextEncoder().encode(needle) : needle;
  if (n.length === 0) throw new Error('payload trigger: the search string is empty');
  return {
    inspect(_key, p) {
      const d = p.decoded;
      const ip = d.status === DecodeStatus.Ip;
      const from = ip ? d.payloadOffset : 0;
      const to = ip ? Math.min(p.data.length, d.payloadOffset + d.payloadLength) : p.data.length;
      return indexOfBytes(p.data, n, from, to) >= 0;
    },
  };
}

/** Alerts when `test` says so: e.g. `(p) => p.decoded.dstPort === 23`, a BPF-like match on fields. */
export function predicateTrigger(test: (p: AlertPacket) => boolean): AlertTrigger {
  return { inspect: (_key, p) => test(p) };
}

/** First index of needle in hay[from, to), or -1. */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  const first = needle[0];
  const last = to - needle.length;
  outer: for (let i = from; i <= last; i++) {
    if (hay[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * The flow key conditional capture uses: the same for both directions of a conversation
 * ("6 v0/0 10.0.0.1:40000 10.0.0.2:80", endpoints in ascending text order; ICMP and other
 * port-less protocols use addresses only). Non-IP frames are keyed by link type and EtherType.
 * Later IP fragments carry no ports; the caller maps them through the first fragment
 * (`fragmentKey`).
 */
export function alertFlowKey(d: DecodedPacket, linkType: number): string {
  if (d.status !== DecodeStatus.Ip) return `l2 ${linkType} ${d.status} ${d.etherType}`;
  const v = d.ipVersion as 4 | 6;
  const n = v === 4 ? 4 : 16;
  const ports = d.hasPorts && d.fragment !== FragmentKind.Later;
  const a = ipToString(v, d.src.subarray(0, n)) + (ports ? `:${d.srcPort}` : '');
  const b = ipToString(v, d.dst.subarray(0, n)) + (ports ? `:${d.dstPort}` : '');
  return `${d.proto} v${d.vlan}/${d.vlanInner} ${a < b ? a : b} ${a < b ? b : a}`;
}

/** Key of an IP datagram's fragments (v4: src, dst, proto, id; v6: src, dst, id). */
export function fragmentKey(d: DecodedPacket): string {
  const v = d.ipVersion as 4 | 6;
  const n = v === 4 ? 4 : 16;
  return `frag ${v} ${ipToString(v, d.src.subarray(0, n))} ${ipToString(v, d.dst.subarray(0, n))} ${v === 4 ? d.proto : 0} ${d.fragId}`;
}
