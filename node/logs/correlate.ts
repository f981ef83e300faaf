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
    const hosts = namedHosts(q);
    if (hosts.length === 0) return [];
    const since = { sec: q.time.sec - this.windowSec, nsec: q.time.nsec };
    const until = { sec: q.time.sec + this.windowSec, nsec: q.time.nsec };
    // flows touching either host in the window; tiers are decided on the records
    const found: FoundFlow[] = [];
    const seen = new Set<string>();
    for (const h of hosts) {
      for (const f of await this.store.findFlows({ hosts: [h.range], since, until }, 10_000)) {
        if (!seen.has(f.id)) {
          seen.add(f.id);
          found.push(f);
        }
      }
    }
    return this.score(q, hosts, found);
  }

  /** Ranks candidate flows for one log (the tiers and order described at the top). */
  private score(q: CorrelationInput, hosts: NamedHost[], found: readonly FoundFlow[]): CorrelatedFlow[] {
    const names = hosts.map((h) => h.name);
    const t = secOf(q.time.sec, q.time.nsec);
    const scored: CorrelatedFlow[] = [];
    for (const f of found) {
      const r = f.record;
      const first = secOf(r.firstSec, r.firstNsec);
      const last = secOf(r.lastSec, r.lastNsec);
      const distanceSec = t < first ? first - t : t > last ? t - last : 0;
      if (distanceSec > this.windowSec) continue;
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

  private capturesSeen = false;
  private noCapturesUntil = 0;

  /**
   * Whether any capture is indexed (no store, nothing to link: intake skips the lookups). Asking
   * the store re-reads its segment catalog, so per intake batch it cost more than the batch's
   * journal write: once a capture is there the answer is kept (a capture removed later only
   * makes the lookups find nothing); "none" is asked again at most once a second.
   */
  async hasCaptures(): Promise<boolean> {
    if (this.capturesSeen) return true;
    const now = Date.now();
    if (now < this.noCapturesUntil) return false;
    this.capturesSeen = (await this.store.indexSummaries()).length > 0;
    if (!this.capturesSeen) this.noCapturesUntil = now + 1000;
    return this.capturesSeen;
  }

  /**
   * The log event's flow ids (best first). The time is the one the message states when it
   * stated its zone, else the time it was received or captured (a BSD timestamp from a device
   * outside UTC would be hours off).
   */
  async flowIdsFor(e: LogEvent): Promise<string[]> {
    const q = correlationInput(e);
    if (!q) return [];
    return (await this.correlate(q)).map((c) => c.id);
  }

  /**
   * flowIdsFor for many events at once (intake batches): the store is asked once per host and
   * time bucket (one window wide) instead of once per event and host, then each event is scored
   * on those candidates. Each query covers its bucket plus a window on both sides, so it holds
   * every flow the per-event query would find (each query is capped at 10,000 flows, as the
   * per-event one is). Results are in the order of the events.
   */
  async flowIdsForBatch(events: readonly LogEvent[]): Promise<string[][]> {
    return this.flowIdsForInputs(events.map((e) => correlationInput(e)));
  }

  /** flowIdsForBatch for what correlation reads of each event (UDP batches: log-event-batch.ts, no event objects). */
  async flowIdsForInputs(inputs: readonly (CorrelationInput | null)[]): Promise<string[][]> {
    const w = this.windowSec;
    const hostsOf = inputs.map((q) => (q ? namedHosts(q) : []));
    const bucketOf = (q: CorrelationInput): number => (w > 0 ? Math.floor(q.time.sec / w) : q.time.sec);
    const queries = new Map<string, { range: AddressRange; bucket: number; flows: FoundFlow[] }>();
    for (let i = 0; i < inputs.length; i++) {
      const q = inputs[i];
      if (!q) continue;
      for (const h of hostsOf[i]) {
        const key = `${h.name}|${bucketOf(q)}`;
        if (!queries.has(key)) queries.set(key, { range: h.range, bucket: bucketOf(q), flows: [] });
      }
    }
    for (const q of queries.values()) {
      const from = w > 0 ? q.bucket * w - w : q.bucket;
      const to = w > 0 ? (q.bucket + 1) * w + w : q.bucket + 1;
      q.flows = await this.store.findFlows({ hosts: [q.range], since: { sec: from, nsec: 0 }, until: { sec: to, nsec: 0 } }, 10_000);
    }
    const out: string[][] = [];
    for (let i = 0; i < inputs.length; i++) {
      const q = inputs[i];
      if (!q || hostsOf[i].length === 0) {
        out.push([]);
        continue;
      }
      const found: FoundFlow[] = [];
      const seen = new Set<string>();
      for (const h of hostsOf[i]) {
        for (const f of queries.get(`${h.name}|${bucketOf(q)}`)?.flows ?? []) {
          if (!seen.has(f.id)) {
            seen.add(f.id);
            found.push(f);
          }
        }
      }
      out.push(this.score(q, hostsOf[i], found).map((c) => c.id));
    }
    return out;
  }
}

interface NamedHost {
  range: AddressRange;
  /** Canonical text (canon()). */
  name: string;
}

/** The distinct addresses a log names (source first). */
function namedHosts(q: CorrelationInput): NamedHost[] {
  const out: NamedHost[] = [];
  for (const ip of [q.srcIp, q.dstIp]) {
    if (ip === null) continue;
    const r = parseAddressRange(ip);
    if (r && !out.some((h) => h.name === canon(ip))) out.push({ range: r, name: canon(ip) });
  }
  return out;
}

export function correlationInput(e: LogEvent): CorrelationInput | null {
  const time = parseTimestamp(e.event_ts !== null && e.event_ts_zoned ? e.event_ts : e.received_ts);
  if (!time) return null;
  return { srcIp: e.src_ip, srcPort: e.src_port, dstIp: e.dst_ip, dstPort: e.dst_port, proto: e.proto, time };
}
