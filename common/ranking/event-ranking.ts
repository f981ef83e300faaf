/**
 * Ranking applied to the messages of the Bridge: what an event or flow row offers to match
 * (RankFacts), the ranked copy, and the events classification emits — one "class match" per
 * matching class and one "ranking change" when the classes moved the rank.
 */
import type { FlowRow, TaplineEvent } from '../bridge/messages.js';
import type { RankFacts, RankOutcome, Ranker } from './ranker.js';

/**
 * Kinds that are never classified: the events classification itself emits (a class matching
 * its own output would loop) and transient import progress (many per second, not kept).
 */
export const UNRANKED_KINDS: ReadonlySet<string> = new Set(['class-match', 'ranking', 'import-progress', 'capture']);

function flowAddresses(row: FlowRow): string[] {
  const out: string[] = [];
  if (row.client_ip !== null) out.push(row.client_ip);
  if (row.server_ip !== null) out.push(row.server_ip);
  return out;
}

function flowPorts(row: FlowRow): number[] {
  const out: number[] = [];
  if (row.client_port !== null) out.push(row.client_port);
  if (row.server_port !== null) out.push(row.server_port);
  return out;
}

/** A flow row's facts (kind "flow"; its note is its message). */
export function flowFacts(row: FlowRow): RankFacts {
  return { kind: 'flow', sensor: row.sensor, sid: null, priority: null, message: row.note, addresses: flowAddresses(row), ports: flowPorts(row) };
}

/**
 * An event's facts, or null for kinds that are not classified. IDS events (a later issue) will
 * bring sid and priority; today's kinds have neither.
 */
export function eventFacts(e: TaplineEvent): RankFacts | null {
  switch (e.kind) {
    case 'flow':
      return { ...flowFacts(e.flow), sensor: e.sensor };
    case 'notice':
      return { kind: 'notice', sensor: e.sensor, sid: null, priority: null, message: e.message, addresses: [], ports: [] };
    case 'import':
      return { kind: 'import', sensor: e.sensor, sid: null, priority: null, message: e.result.message ?? e.result.path, addresses: [], ports: [] };
    case 'log': {
      // a received log is ranked by the addresses and ports it names (threat lists, classes)
      const addresses: string[] = [];
      const ports: number[] = [];
      if (e.src_ip !== null) addresses.push(e.src_ip);
      if (e.dst_ip !== null) addresses.push(e.dst_ip);
      if (e.src_port !== null) ports.push(e.src_port);
      if (e.dst_port !== null) ports.push(e.dst_port);
      return { kind: 'log', sensor: e.sensor, sid: null, priority: null, message: e.message, addresses, ports };
    }
    case 'ids':
      return {
        kind: 'ids',
        sensor: e.sensor,
        sid: e.alert.sid,
        priority: e.alert.priority,
        message: e.alert.msg,
        addresses: [e.alert.src_ip, e.alert.dst_ip],
        ports: [e.alert.src_port, e.alert.dst_port].filter((p): p is number => p !== null),
      };
    default:
      return null;
  }
}

/** The row with its rank and class labels under the ranker (remote labels are replaced). */
export function rankFlowRow(ranker: Ranker, row: FlowRow): FlowRow {
  // nothing enabled and nothing to undo: the row as it is (the common case, no allocation)
  if (ranker.idle && row.rank === 0 && row.classes.length === 0) return row;
  const o = ranker.rank(flowFacts(row));
  if (row.rank === o.rank && row.classes.length === 0 && o.labels.length === 0) return row;
  return { ...row, rank: o.rank, classes: o.labels };
}

function withRank<E extends TaplineEvent>(e: E, o: RankOutcome): E {
  const { classes: _old, ...rest } = e;
  return (o.labels.length ? { ...rest, rank: o.rank, classes: o.labels } : { ...rest, rank: o.rank }) as E;
}

export interface RankedEvent {
  event: TaplineEvent;
  /** class-match events, then a ranking event when the rank changed (empty unless derive). */
  derived: TaplineEvent[];
}

/**
 * Ranks an event (a flow event's row gets the same rank and labels). With derive, also returns
 * the class-match and ranking events; their ids derive from the event's, so each is unique and
 * a replay of the same event yields the same ids.
 */
export function rankEvent(ranker: Ranker, e: TaplineEvent, derive: boolean): RankedEvent {
  const facts = eventFacts(e);
  if (facts === null) return { event: e, derived: [] };
  const o = ranker.rank(facts);
  // unchanged (no classes matched, same rank, nothing to undo): no copy on the hot path
  if (o.hits.length === 0 && e.rank === o.rank && e.classes === undefined && (e.kind !== 'flow' || (e.flow.rank === o.rank && e.flow.classes.length === 0))) return { event: e, derived: [] };
  let event = withRank(e, o);
  if (event.kind === 'flow') event = { ...event, flow: { ...event.flow, rank: o.rank, classes: o.labels } };
  if (!derive || o.hits.length === 0) return { event, derived: [] };
  const derived: TaplineEvent[] = o.hits.map((h) => ({
    kind: 'class-match',
    id: `${e.id}/class/${h.id}`,
    sensor: e.sensor,
    ts: e.ts,
    rank: o.rank,
    event_id: e.id,
    event_kind: e.kind,
    class_id: h.id,
    class_name: h.name,
  }));
  if (o.rank !== o.base) {
    derived.push({ kind: 'ranking', id: `${e.id}/rank`, sensor: e.sensor, ts: e.ts, rank: o.rank, event_id: e.id, event_kind: e.kind, old_rank: o.base, new_rank: o.rank });
  }
  return { event, derived };
}
