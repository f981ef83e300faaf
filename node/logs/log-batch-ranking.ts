/**
 * Ranking (common/ranking) of a UDP batch without building its events: each event's facts
 * (the addresses, ports and message it names) are read from the batch's table; only an event
 * whose rank or classes change is built and ranked by rankEvent, as every other event is.
 */
import type { TaplineEvent } from '../../common/bridge/messages.js';
import { rankEvent } from '../../common/ranking/event-ranking.js';
import type { Ranker } from '../../common/ranking/ranker.js';
import type { LogEventBatch } from './log-event-batch.js';

const NO_ADDRESSES: string[] = [];
const NO_PORTS: number[] = [];

/**
 * Ranks the batch's events in place (a changed event replaces its line, LogEventBatch.replace).
 * Returns the class-match and ranking events each changed event caused, by event index (empty
 * when none: the common case, the batch's lines are then written as they are).
 */
export function rankLogBatch(ranker: Ranker, b: LogEventBatch): Map<number, TaplineEvent[]> {
  const sensor = b.sensor;
  const derived = new Map<number, TaplineEvent[]>();
  // an idle ranker gives every log the same rank: only events holding another one change
  const idleRank = ranker.idle ? ranker.rank({ kind: 'log', sensor, sid: null, priority: null, message: null, addresses: NO_ADDRESSES, ports: NO_PORTS }).rank : null;
  for (let i = 0; i < b.count; i++) {
    if (idleRank !== null) {
      if (b.rank(i) === idleRank) continue;
    } else {
      const addresses: string[] = [];
      const ports: number[] = [];
      const src = b.srcIp(i);
      const dst = b.dstIp(i);
      const sp = b.srcPort(i);
      const dp = b.dstPort(i);
      if (src !== null) addresses.push(src);
      if (dst !== null) addresses.push(dst);
      if (sp !== null) ports.push(sp);
      if (dp !== null) ports.push(dp);
      const o = ranker.rank({ kind: 'log', sensor, sid: null, priority: null, message: b.message(i), addresses, ports });
      if (o.hits.length === 0 && o.rank === b.rank(i)) continue;
    }
    const e = b.event(i);
    const r = rankEvent(ranker, e, true);
    if (r.event !== e) b.replace(i, r.event as typeof e);
    if (r.derived.length) derived.set(i, r.derived);
  }
  return derived;
}
