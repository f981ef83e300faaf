/**
 * Finds the stored flow an external record describes: by Community ID when the record has one
 * (Store.findFlows supports it), else by its 5-tuple (either direction) within its time (±60 s,
 * widened by the connection's duration). When several flows match, the one whose first packet is
 * nearest the record's time wins; with no usable time, only a unique match links. Answers are
 * cached per tuple (a connection has many records).
 */
import { parseAddressRange } from '../../common/net/address-range.js';
import type { Store, FoundFlow } from '../store/store.js';
import type { LogRecord } from './log-record.js';

export type LinkKind = 'community-id' | 'tuple-time' | 'tuple';

const SLACK_SEC = 60;
const ICMP = new Set([1, 58]);

export class FlowLinker {
  private readonly cache = new Map<string, FoundFlow[]>();

  constructor(private readonly store: Store) {}

  async link(r: LogRecord): Promise<{ flowId: string; link: LinkKind } | null> {
    if (r.communityId) {
      const flows = await this.cached(`cid|${r.communityId}`, () => this.store.findFlows({ communityId: r.communityId ?? undefined }));
      const f = pick(flows, r);
      if (f) return { flowId: f.id, link: 'community-id' };
    }
    if (!r.srcIp || !r.dstIp) return null;
    const sip = parseAddressRange(r.srcIp);
    const dip = parseAddressRange(r.dstIp);
    if (!sip || !dip) return null;
    const ports = r.proto !== null && !ICMP.has(r.proto);
    const key = `t|${r.srcIp}|${r.dstIp}|${ports ? r.srcPort : ''}|${ports ? r.dstPort : ''}|${r.proto ?? ''}`;
    const flows = await this.cached(key, () =>
      this.store.findTuple({ sip, dip, spt: ports ? (r.srcPort ?? undefined) : undefined, dpt: ports ? (r.dstPort ?? undefined) : undefined, proto: r.proto ?? undefined }),
    );
    const f = pick(flows, r);
    if (!f) return null;
    return { flowId: f.id, link: r.ts ? 'tuple-time' : 'tuple' };
  }

  private async cached(key: string, get: () => Promise<FoundFlow[]>): Promise<FoundFlow[]> {
    let v = this.cache.get(key);
    if (!v) {
      if (this.cache.size > 50_000) this.cache.clear();
      v = await get();
      this.cache.set(key, v);
    }
    return v;
  }
}

function pick(flows: FoundFlow[], r: LogRecord): FoundFlow | null {
  if (!flows.length) return null;
  if (!r.ts) return flows.length === 1 ? flows[0] : null;
  const t = r.ts.sec + r.ts.nsec / 1e9;
  const dur = r.duration ?? 0;
  let best: FoundFlow | null = null;
  let bestD = Infinity;
  for (const f of flows) {
    const first = f.record.firstSec + f.record.firstNsec / 1e9;
    const last = f.record.lastSec + f.record.lastNsec / 1e9;
    // the record's time must overlap the flow's span (with slack)
    if (t + dur < first - SLACK_SEC || t > last + SLACK_SEC) continue;
    const d = Math.abs(first - t);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best;
}
