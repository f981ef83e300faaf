/**
 * Attributes IP fragments to their 5-tuple flow. The first fragment (offset 0) carries the
 * transport header: it binds the datagram's fragment identity to the flow, and later fragments
 * follow it there. Fragments that arrive before their first fragment wait (bounded by a timeout
 * and a count); if it never comes they join the address-pair flow, since their ports are unknown.
 */
import type { PacketRecordView } from '../capture/capture-types.js';
import { createDecodedPacket, type DecodedPacket } from '../packet/decoded-packet.js';

export interface PendingFragment {
  recordOffset: number;
  tsSec: number;
  tsNsec: number;
  origLen: number;
  decoded: DecodedPacket;
}

interface Binding {
  flow: number;
  lastSec: number;
}

interface Waiting {
  firstSec: number;
  packets: PendingFragment[];
}

/** Hard cap on fragments held back at once, so hostile input cannot grow memory without bound. */
const MAX_PENDING = 65536;

export class FragmentTracker {
  private readonly bound = new Map<string, Binding>();
  private readonly pending = new Map<string, Waiting>();
  private pendingCount = 0;
  private lastSweep = -Infinity;

  constructor(private readonly timeoutSec: number) {}

  keyOf(d: DecodedPacket): string {
    const n = d.ipVersion === 4 ? 4 : 16;
    let s = d.ipVersion === 4 ? `4/${d.proto}/${d.fragId}/` : `6/${d.fragId}/`;
    for (let i = 0; i < n; i++) s += String.fromCharCode(d.src[i]);
    s += '/';
    for (let i = 0; i < n; i++) s += String.fromCharCode(d.dst[i]);
    return `${s}/${d.vlan}`;
  }

  bind(key: string, flow: number, nowSec: number): void {
    this.bound.set(key, { flow, lastSec: nowSec });
  }

  flowOf(key: string): number {
    const b = this.bound.get(key);
    return b ? b.flow : -1;
  }

  /**
   * Re-points every binding at map(flow) (index parts: flows of the next table's carried flows);
   * a negative -1 drops the binding (later fragments of that datagram then wait as orphans).
   */
  remapBindings(map: (flow: number) => number): void {
    for (const [k, b] of this.bound) {
      const f = map(b.flow);
      if (f === -1) this.bound.delete(k);
      else b.flow = f;
    }
  }

  takePending(key: string): PendingFragment[] | undefined {
    const w = this.pending.get(key);
    if (!w) return undefined;
    this.pending.delete(key);
    this.pendingCount -= w.packets.length;
    return w.packets;
  }

  addPending(key: string, rec: PacketRecordView, d: DecodedPacket, settle?: (p: PendingFragment) => void): void {
    const copy = createDecodedPacket();
    copyDecoded(d, copy);
    const p: PendingFragment = { recordOffset: rec.recordOffset, tsSec: rec.tsSec, tsNsec: rec.tsNsec, origLen: rec.origLen, decoded: copy };
    let w = this.pending.get(key);
    if (!w) {
      w = { firstSec: rec.tsSec, packets: [] };
      this.pending.set(key, w);
    }
    w.packets.push(p);
    this.pendingCount++;
    if (this.pendingCount > MAX_PENDING && settle) this.drain(settle);
  }

  /** Settles pending fragments older than the timeout and forgets stale bindings. */
  expire(nowSec: number, settle: (p: PendingFragment) => void): void {
    if (nowSec - this.lastSweep < 1) return;
    this.lastSweep = nowSec;
    const limit = nowSec - this.timeoutSec;
    for (const [k, w] of this.pending) {
      if (w.firstSec < limit || this.pendingCount > MAX_PENDING) {
        this.pending.delete(k);
        this.pendingCount -= w.packets.length;
        for (const p of w.packets) settle(p);
      }
    }
    for (const [k, b] of this.bound) if (b.lastSec < limit) this.bound.delete(k);
  }

  drain(settle: (p: PendingFragment) => void): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.pendingCount = 0;
    for (const w of all) for (const p of w.packets) settle(p);
  }
}

function copyDecoded(from: DecodedPacket, to: DecodedPacket): void {
  const { src, dst, ...rest } = from;
  Object.assign(to, rest);
  to.src.set(src);
  to.dst.set(dst);
}
