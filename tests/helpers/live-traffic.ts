/**
 * Deterministic packet streams for the live store writer: TCP and UDP flows over Ethernet (or
 * raw IP), payload sizes and timestamps from a seeded PRNG, timestamps strictly increasing so
 * the store's time-merged reads give back input order.
 */
import type { LivePacket } from '../../common/capture/live-packet-sink.js';
import type { Store } from '../../node/store/store.js';
import { flowPackets } from '../../node/store/slicer.js';
import { ethernet, ipv4, tcp, udp } from './packet-builders.js';
import { prng } from './prng.js';

export interface TrafficOptions {
  seed: number;
  count: number;
  /** Distinct flows (default 20). */
  flows?: number;
  /** First timestamp in seconds (default 1_700_000_000). */
  t0?: number;
  /** Largest payload (default 1400). */
  maxPayload?: number;
  /** Link id and its type: 1 Ethernet (default) or 101 raw IP. */
  linkId?: number;
  linkType?: 1 | 101;
  /** Source ports start here (distinct port ranges keep several streams' flows apart). */
  portBase?: number;
  /** Payload of packet i of flow f (default: PRNG bytes). */
  payload?: (flow: number, i: number, size: number) => number[] | null;
}

export interface TrafficPacket extends LivePacket {
  /** Flow number within the stream, and the packet's number within its flow. */
  flow: number;
  seqInFlow: number;
}

export function* liveTraffic(o: TrafficOptions): Generator<TrafficPacket> {
  const r = prng(o.seed);
  const nFlows = o.flows ?? 20;
  const maxPayload = o.maxPayload ?? 1400;
  const base = o.portBase ?? 20000;
  const linkType = o.linkType ?? 1;
  const perFlow = new Array<number>(nFlows).fill(0);
  let sec = o.t0 ?? 1_700_000_000;
  let nsec = 0;
  for (let n = 0; n < o.count; n++) {
    const f = Math.floor(r() * nFlows);
    const i = perFlow[f]++;
    const size = Math.floor(r() * (maxPayload + 1));
    const payload = o.payload?.(f, i, size) ?? Array.from({ length: size }, () => Math.floor(r() * 256));
    const fromClient = r() < 0.6;
    const cport = base + f;
    const sport = f % 3 === 0 ? 53 : 443;
    const src = fromClient ? [10, 1, (f >> 8) & 255, f & 255] : [10, 2, 0, 1];
    const dst = fromClient ? [10, 2, 0, 1] : [10, 1, (f >> 8) & 255, f & 255];
    const l4 =
      sport === 53
        ? { proto: 17, payload: udp(fromClient ? cport : sport, fromClient ? sport : cport, payload) }
        : { proto: 6, payload: tcp({ sport: fromClient ? cport : sport, dport: fromClient ? sport : cport, flags: i === 0 ? 0x02 : 0x18, seq: i * 1000, payload }) };
    const ip = ipv4({ src, dst, proto: l4.proto, payload: l4.payload });
    const data = linkType === 1 ? ethernet(0x0800, ip) : ip;
    nsec += 1 + Math.floor(r() * 2_000_000);
    if (nsec >= 1e9) {
      sec += Math.floor(nsec / 1e9);
      nsec %= 1e9;
    }
    yield { linkId: o.linkId ?? 0, tsSec: sec, tsNsec: nsec, capLen: data.length, origLen: data.length + (r() < 0.1 ? 100 : 0), data, flow: f, seqInFlow: i };
  }
}

/** One packet as read back from the store, in a comparable form. */
export interface StoredPacket {
  tsSec: number;
  tsNsec: number;
  origLen: number;
  hex: string;
}

export const asStored = (p: LivePacket): StoredPacket => ({ tsSec: p.tsSec, tsNsec: p.tsNsec, origLen: p.origLen, hex: Buffer.from(p.data.subarray(0, p.capLen)).toString('hex') });

/** Every packet of every flow in the store, merged by time (the slicer's own reader). */
export async function storedPackets(store: Store): Promise<StoredPacket[]> {
  const flows = await store.findFlows({});
  const out: StoredPacket[] = [];
  for await (const p of flowPackets(store, { flows })) {
    out.push({ tsSec: p.record.tsSec, tsNsec: p.record.tsNsec, origLen: p.record.origLen, hex: Buffer.from(p.record.data).toString('hex') });
  }
  return out;
}
