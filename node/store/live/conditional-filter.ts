/**
 * Conditional capture: decides, packet by packet, what the live writer stores. A flow's packets
 * are held back in a small per-flow ring (the pre-alert window) until the trigger alerts on the
 * flow; then the ring, the alerting packet and every later packet of the flow are stored. A flow
 * ends (and a later packet with its key starts a fresh, un-alerted flow) on a pure SYN after FIN
 * or RST, or after the flow table's idle timeouts (900 s TCP, 120 s others).
 */
import { alertFlowKey, fragmentKey, type AlertTrigger } from '../../../common/capture/alert-trigger.js';
import type { LivePacket } from '../../../common/capture/live-packet-sink.js';
import { decodePacketAt } from '../../../common/packet/decode-packet.js';
import { DecodeStatus, FragmentKind, createDecodedPacket } from '../../../common/packet/decoded-packet.js';

/** Memory for all pre-alert rings together; beyond it, packets of un-alerted flows are not held. */
const RING_BUDGET_BYTES = 64 * 1024 * 1024;
const MAX_FRAGMENT_KEYS = 65536;

interface HeldPacket {
  linkId: number;
  tsSec: number;
  tsNsec: number;
  origLen: number;
  data: Uint8Array;
}

interface CondFlow {
  alerted: boolean;
  /** FIN or RST seen: a pure SYN starts a new flow. */
  finished: boolean;
  lastSec: number;
  ring: HeldPacket[];
}

export class ConditionalFilter {
  private readonly flows = new Map<string, CondFlow>();
  private readonly fragFlow = new Map<string, string>();
  private readonly decoded = createDecodedPacket();
  private ringBytes = 0;
  private newestSec = 0;
  /** Packets that were never stored because their flow had not alerted. */
  notAlerted = 0;
  alertedFlows = 0;

  constructor(
    private readonly trigger: AlertTrigger | null,
    private readonly window: number,
    /** Stores one packet (the writer's append path). */
    private readonly store: (p: LivePacket) => void,
  ) {}

  packet(p: LivePacket, linkType: number): void {
    const d = this.decoded;
    decodePacketAt(linkType, p.data, 0, p.capLen, d);
    let key: string;
    if (d.status === DecodeStatus.Ip && d.fragment === FragmentKind.Later) {
      key = this.fragFlow.get(fragmentKey(d)) ?? alertFlowKey(d, linkType);
    } else {
      key = alertFlowKey(d, linkType);
      if (d.status === DecodeStatus.Ip && d.fragment === FragmentKind.First) {
        if (this.fragFlow.size >= MAX_FRAGMENT_KEYS) this.fragFlow.clear();
        this.fragFlow.set(fragmentKey(d), key);
      }
    }
    if (p.tsSec > this.newestSec) this.newestSec = p.tsSec;
    const tcp = d.status === DecodeStatus.Ip && d.proto === 6 && d.hasPorts;
    let f = this.flows.get(key);
    if (f) {
      const pureSyn = tcp && (d.tcpFlags & 0x12) === 0x02;
      if ((pureSyn && f.finished) || p.tsSec - f.lastSec > (tcp ? 900 : 120)) {
        this.drop(f);
        f = undefined;
      }
    }
    if (!f) {
      f = { alerted: false, finished: false, lastSec: p.tsSec, ring: [] };
      this.flows.set(key, f);
    }
    f.lastSec = p.tsSec;
    if (tcp && d.tcpFlags & 0x05) f.finished = true;
    if (f.alerted) {
      this.store(p);
      return;
    }
    if (this.trigger?.inspect(key, { linkType, tsSec: p.tsSec, tsNsec: p.tsNsec, data: p.data, decoded: d })) {
      this.raise(f);
      this.store(p);
      return;
    }
    this.hold(f, p);
  }

  /** Alerts the flow with this key now (from an asynchronous alert source). */
  alert(key: string): void {
    let f = this.flows.get(key);
    if (!f) {
      f = { alerted: false, finished: false, lastSec: this.newestSec, ring: [] };
      this.flows.set(key, f);
    }
    if (!f.alerted) this.raise(f);
  }

  /** Forgets flows idle past their timeout (by the newest packet time seen). */
  sweep(): void {
    for (const [k, f] of this.flows) {
      if (this.newestSec - f.lastSec > 900) {
        this.drop(f);
        this.flows.delete(k);
      }
    }
  }

  /** The capture ended: packets still held for flows that never alerted are not stored. */
  finish(): void {
    for (const f of this.flows.values()) this.drop(f);
    this.flows.clear();
  }

  get trackedFlows(): number {
    return this.flows.size;
  }

  private raise(f: CondFlow): void {
    f.alerted = true;
    this.alertedFlows++;
    for (const h of f.ring) {
      this.ringBytes -= h.data.length;
      this.store({ linkId: h.linkId, tsSec: h.tsSec, tsNsec: h.tsNsec, capLen: h.data.length, origLen: h.origLen, data: h.data });
    }
    f.ring = [];
  }

  private hold(f: CondFlow, p: LivePacket): void {
    if (this.window === 0) {
      this.notAlerted++;
      return;
    }
    if (f.ring.length >= this.window) {
      const old = f.ring.shift() as HeldPacket;
      this.ringBytes -= old.data.length;
      this.notAlerted++;
    }
    if (this.ringBytes + p.capLen > RING_BUDGET_BYTES) {
      this.notAlerted++;
      return;
    }
    f.ring.push({ linkId: p.linkId, tsSec: p.tsSec, tsNsec: p.tsNsec, origLen: p.origLen, data: p.data.slice(0, p.capLen) });
    this.ringBytes += p.capLen;
  }

  private drop(f: CondFlow): void {
    for (const h of f.ring) this.ringBytes -= h.data.length;
    if (!f.alerted) this.notAlerted += f.ring.length;
    f.ring = [];
  }
}
