/**
 * Links a log event to the flows it describes: flows carrying its 5-tuple (either direction),
 * else flows between its two hosts, else flows touching its one host; among those, nearest in
 * time first (0 when the log's time falls inside the flow), within ±window seconds (default 300).
 * Reads only the store's indexes (no packets), so it is cheap enough to run at intake.
 */
import type { LogEvent } from '../../common/bridge/messages.js';
import { parseAddressRange, type AddressRange } from '../../common/net/address-range.js';
import { parseTimestamp, type Timestamp } from '../../common/time/timestamp.js';
import type { FlowRecord } from '../../common/index/index-reader.js';
import type { FoundFlow, Store } from '../store/store.js';
import { ipToString } from '../../common/packet/ip-address.js';

export const DEFAULT_CORRELATION_WINDOW_SEC = 300;
/** At most this many flows are linked to one log. */
export const MAX_LINKED_FLOWS = 8;

export interface CorrelationInput {
  srcIp: string | null;
  srcPort: number | null;
  dstIp: string | null;
  dstPort: number | null;
  proto: number | null;
  time: Timestamp;
}

export interface CorrelatedFlow {
  id: string;
  /** 0 = 5-tuple, 1 = host pair, 2 = one host. */
  tier: 0 | 1 | 2;
  /** Seconds between the log and the flow's [first, last] span (0 inside it). */
  distanceSec: number;
}

function endpoints(r: FlowRecord): { a: string; b: string; ap: number; bp: number } {
  const n = r.ipVersion === 6 ? 16 : 4;
  const v = r.ipVersion === 6 ? 6 : 4;
  return { a: ipToString(v, r.client.subarray(0, n)), b: ipToString(v, r.server.subarray(0, n)), ap: r.clientPort, bp: r.serverPort };
}

function canon(ip: string): string {
  // "::ffff:1.2.3.4" and "1.2.3.4" name the same host; lowercase IPv6
  const l = ip.toLowerCase();
  return l.startsWith('::ffff:') && l.includes('.') ? l.slice(7) : l;
}

function secOf(sec: number, nsec: number): number {
  return sec + nsec / 1e9;
}

export class Correlator {
  constructor(
    private readonly store: Store,
    readonly windowSec: number = DEFAULT_CORRELATION_WINDOW_SEC,
  ) {}

  /** The best-matching flows, best first (empty when the log names no address or nothing is near). */
  async correlate(q: CorrelationInput): Promise<CorrelatedFlow[]> {
    const hosts: AddressRange[] = [];
    const names: string[] = [];
    for (const ip of [q.srcIp, q.dstIp]) {
      if (ip === null) continue;
      const r = parseAddressRange(ip);
      if (r && !names.includes(canon(ip))) {
        hosts.push(r);
        names.push(canon(ip));
      }
    }
    if (hosts.length === 0) return [];
    const since = { sec: q.time.sec - this.windowSec, nsec: q.time.nsec };
    const until = { sec: q.time.sec + this.windowSec, nsec: q.time.nsec };
    // flows touching either host in the window; tiers are decided on the records
    const found: FoundFlow[] = [];
    const seen = new Set<string>();
    for (const h of hosts) {
      for (const f of await this.store.findFlows({ hosts: [h], since, until }, 10_000)) {
        if (!seen.has(f.id)) {
          seen.add(f.id);
          found.push(f);
        }
      }
    }
    const t = secOf(q.time.sec, q.time.nsec);
    const scored: CorrelatedFlow[] = [];
    for (const f of found) {
      const r = f.record;
      const e = endpoints(r);
      const a = canon(e.a);
      const b = canon(e.b);
      const pair = names.length === 2 && ((a === names[0] && b === names[1]) || (a === names[1] && b === names[0]));
      let tier: 0 | 1 | 2 = pair ? 1 : 2;
      if (pair && r.hasPorts) {
        const src = canon(q.srcIp ?? '');
        const fwd = a === src ? [e.ap, e.bp] : [e.bp, e.ap];
        const portsOk = (q.srcPort === null || q.srcPort === fwd[0]) && (q.dstPort === null || q.dstPort === fwd[1]) && (q.srcPort !== null || q.dstPort !== null);
        const protoOk = q.proto === null || q.proto === r.proto;
        if (portsOk && protoOk) tier = 0;
      }
      const first = secOf(r.firstSec, r.firstNsec);
      const last = secOf(r.lastSec, r.lastNsec);
      const distanceSec = t < first ? first - t : t > last ? t - last : 0;
      if (distanceSec > this.windowSec) continue;
      scored.push({ id: f.id, tier, distanceSec });
    }
    if (scored.length === 0) return [];
    const best = Math.min(...scored.map((s) => s.tier));
    // with two hosts named, a flow touching only one of them is not "the" flow of this log
    if (best === 2 && names.length === 2) return [];
    return scored
      .filter((s) => s.tier === best)
      .sort((x, y) => x.distanceSec - y.distanceSec || (x.id < y.id ? -1 : 1))
      .slice(0, MAX_LINKED_FLOWS);
  }

  /** Whether any capture is indexed (no store, nothing to link: intake skips the lookups). */
  async hasCaptures(): Promise<boolean> {
    return (await this.store.indexes()).length > 0;
  }

  /**
   * The log event's flow ids (best first). The time is the one the message states when it
   * stated its zone, else the time it was received or captured (a BSD timestamp from a device
   * outside UTC would be hours off).
   */
  async flowIdsFor(e: LogEvent): Promise<string[]> {
    const time = parseTimestamp(e.event_ts !== null && e.event_ts_zoned ? e.event_ts : e.received_ts);
    if (!time) return [];
    const r = await this.correlate({ srcIp: e.src_ip, srcPort: e.src_port, dstIp: e.dst_ip, dstPort: e.dst_port, proto: e.proto, time });
    return r.map((c) => c.id);
  }
}
