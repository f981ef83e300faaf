/**
 * Live flow summaries for the capture worker: which conversations are active, streamed to the
 * main process in batches (start, periodic update, end) while the store writer persists the
 * packets. A light tracker, not the index: the index is built from the stored packets by the
 * store writer with the full flow rules (fragments, 5-tuple reuse, orientation); here a flow is
 * (VLAN, protocol, address pair, port pair), client = the sender of its first packet (the
 * receiver when that packet is a SYN+ACK), ended by RST, by FIN from both sides, or by idleness.
 *
 * Per packet: the shared zero-allocation decoder, a canonical key written into a scratch
 * buffer, a 32-bit hash and a byte compare; no strings or objects unless the flow is new.
 * Bounded: at most `maxFlows` tracked; packets of flows beyond that are only counted.
 */
import { ipToString } from '../../common/packet/ip-address.js';
import { decodePacketAt } from '../../common/packet/decode-packet.js';
import { DecodeStatus, FragmentKind, createDecodedPacket } from '../../common/packet/decoded-packet.js';
import type { Timestamp } from '../../common/time/timestamp.js';

export interface LiveFlowSummary {
  state: 'start' | 'update' | 'end';
  proto: number;
  vlan: number | null;
  clientIp: string;
  clientPort: number | null;
  serverIp: string;
  serverPort: number | null;
  firstTs: Timestamp;
  lastTs: Timestamp;
  packets: number;
  bytes: number;
  tcpFlags: number;
}

interface Entry {
  key: Uint8Array;
  /** Whether the key's first endpoint is the client. */
  clientIsFirst: boolean;
  firstSec: number;
  firstNsec: number;
  lastSec: number;
  lastNsec: number;
  packets: number;
  bytes: number;
  tcpFlags: number;
  /** FIN seen from endpoint 1 / 2 (bit 0 / 1). */
  fins: number;
  ended: boolean;
  announced: boolean;
  dirty: boolean;
  /** Wall-clock second of the last packet (idle timeout uses the wall clock: capture times may be old). */
  seenAt: number;
  next: Entry | null;
}

const KEY_LEN = 1 + 1 + 2 + 16 + 2 + 16 + 2;

export class LiveFlowTracker {
  private readonly buckets = new Map<number, Entry>();
  private readonly entries = new Set<Entry>();
  private readonly d = createDecodedPacket();
  private readonly scratch = new Uint8Array(KEY_LEN);
  /** Summaries of flows replaced before they were drained (5-tuple reuse). */
  private finished: LiveFlowSummary[] = [];
  /** Packets not tracked because the table was full. */
  untrackedPackets = 0;

  constructor(
    private readonly maxFlows = 100_000,
    private readonly idleSec = 60,
  ) {}

  /** Flows tracked now (not yet ended or idle). */
  get activeFlows(): number {
    return this.entries.size;
  }

  observe(linkType: number, data: Uint8Array, capLen: number, origLen: number, tsSec: number, tsNsec: number, nowSec: number): void {
    const d = this.d;
    decodePacketAt(linkType, data, 0, capLen, d);
    if (d.status !== DecodeStatus.Ip || d.fragment === FragmentKind.Later) return;
    const alen = d.ipVersion === 4 ? 4 : 16;
    const sp = d.hasPorts ? d.srcPort : 0;
    const dp = d.hasPorts ? d.dstPort : 0;
    // Canonical order: the smaller (address, port) first, so both directions share a key.
    let srcFirst = true;
    for (let i = 0; i < alen; i++) {
      if (d.src[i] !== d.dst[i]) {
        srcFirst = d.src[i] < d.dst[i];
        break;
      }
      if (i === alen - 1) srcFirst = sp <= dp;
    }
    const k = this.scratch;
    k.fill(0);
    k[0] = d.proto;
    k[1] = d.ipVersion;
    const vlan = d.vlan < 0 ? 0xffff : d.vlan;
    k[2] = vlan >> 8;
    k[3] = vlan & 0xff;
    const a = srcFirst ? d.src : d.dst;
    const b = srcFirst ? d.dst : d.src;
    k.set(a.subarray(0, alen), 4);
    const ap = srcFirst ? sp : dp;
    const bp = srcFirst ? dp : sp;
    k[20] = ap >> 8;
    k[21] = ap & 0xff;
    k.set(b.subarray(0, alen), 22);
    k[38] = bp >> 8;
    k[39] = bp & 0xff;
    let h = 0x811c9dc5;
    for (let i = 0; i < KEY_LEN; i++) h = Math.imul(h ^ k[i], 0x01000193);
    let e = this.buckets.get(h) ?? null;
    while (e !== null && !sameKey(e.key, k)) e = e.next;
    if (e !== null && e.ended && d.proto === 6 && (d.tcpFlags & 0x17) === 0x02) {
      // A new connection on the 5-tuple of one that ended: close the old flow, start afresh.
      this.finished.push(this.summary(e, 'end'));
      this.remove(e);
      e = null;
    }
    if (e === null) {
      if (this.entries.size >= this.maxFlows) {
        this.untrackedPackets++;
        return;
      }
      const synAck = d.proto === 6 && (d.tcpFlags & 0x12) === 0x12;
      e = {
        key: k.slice(),
        clientIsFirst: srcFirst !== synAck,
        firstSec: tsSec,
        firstNsec: tsNsec,
        lastSec: tsSec,
        lastNsec: tsNsec,
        packets: 0,
        bytes: 0,
        tcpFlags: 0,
        fins: 0,
        ended: false,
        announced: false,
        dirty: true,
        seenAt: nowSec,
        next: this.buckets.get(h) ?? null,
      };
      this.buckets.set(h, e);
      this.entries.add(e);
    }
    e.packets++;
    e.bytes += origLen;
    e.lastSec = tsSec;
    e.lastNsec = tsNsec;
    e.seenAt = nowSec;
    e.dirty = true;
    if (d.proto === 6) {
      e.tcpFlags |= d.tcpFlags;
      if (d.tcpFlags & 0x04) e.ended = true;
      if (d.tcpFlags & 0x01) {
        e.fins |= srcFirst ? 1 : 2;
        if (e.fins === 3) e.ended = true;
      }
    }
  }

  /**
   * Summaries since the last call: new flows (start), flows with new packets (update), flows
   * ended or idle (end, then forgotten). At most `max` summaries; the rest wait for the next call.
   */
  drain(nowSec: number, max = 1000): { flows: LiveFlowSummary[]; pending: number } {
    const out: LiveFlowSummary[] = this.finished.splice(0, max);
    let pending = this.finished.length;
    for (const e of this.entries) {
      const idle = nowSec - e.seenAt >= this.idleSec;
      if (!e.dirty && !e.ended && !idle) continue;
      if (out.length >= max) {
        pending++;
        continue;
      }
      const state = e.ended || idle ? 'end' : e.announced ? 'update' : 'start';
      out.push(this.summary(e, state));
      e.announced = true;
      e.dirty = false;
      if (state === 'end') this.remove(e);
    }
    return { flows: out, pending };
  }

  private summary(e: Entry, state: LiveFlowSummary['state']): LiveFlowSummary {
    const k = e.key;
    const alen = k[1] === 4 ? 4 : 16;
    const v = k[1] === 4 ? 4 : 6;
    const ipA = ipToString(v, k.subarray(4, 4 + alen));
    const ipB = ipToString(v, k.subarray(22, 22 + alen));
    const portA = (k[20] << 8) | k[21];
    const portB = (k[38] << 8) | k[39];
    const ports = k[0] === 6 || k[0] === 17 || k[0] === 132;
    const vlan = (k[2] << 8) | k[3];
    const [cIp, cPort, sIp, sPort] = e.clientIsFirst ? [ipA, portA, ipB, portB] : [ipB, portB, ipA, portA];
    return {
      state,
      proto: k[0],
      vlan: vlan === 0xffff ? null : vlan,
      clientIp: cIp,
      clientPort: ports ? cPort : null,
      serverIp: sIp,
      serverPort: ports ? sPort : null,
      firstTs: { sec: e.firstSec, nsec: e.firstNsec },
      lastTs: { sec: e.lastSec, nsec: e.lastNsec },
      packets: e.packets,
      bytes: e.bytes,
      tcpFlags: e.tcpFlags,
    };
  }

  private remove(e: Entry): void {
    this.entries.delete(e);
    let h = 0x811c9dc5;
    for (let i = 0; i < KEY_LEN; i++) h = Math.imul(h ^ e.key[i], 0x01000193);
    let cur = this.buckets.get(h) ?? null;
    let prev: Entry | null = null;
    while (cur !== null && cur !== e) {
      prev = cur;
      cur = cur.next;
    }
    if (cur === null) return;
    if (prev === null) {
      if (e.next === null) this.buckets.delete(h);
      else this.buckets.set(h, e.next);
    } else prev.next = e.next;
  }
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < KEY_LEN; i++) if (a[i] !== b[i]) return false;
  return true;
}
