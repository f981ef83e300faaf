/**
 * What the Real-Time detail pane shows for one aggregated row: the row's flows as the store
 * holds them, the row's own events (event rows) and the events tied to it (through its
 * addresses, or files carved from its flows), each complete as received.
 *
 * The AggregateStore keeps only numbers and a few strings per row (a million rows must fit), so
 * the full records are looked up when a row is opened: flows from the back end (the store is
 * authoritative, and its rows carry fields live events lack, such as log_count), then from the
 * flows grid, then from the archived flow events; events from the archive (every live event is
 * archived; the archive is indexed by time, address and kind). Pure: unit-tested in Node.
 */
import type { Bridge } from '../../../../common/bridge/bridge.js';
import type { CarvedFile, FlowRow, FlowSearch, TaplineEvent } from '../../../../common/bridge/messages.js';
import type { EventArchive } from '../../archive/archive-types.js';
import { eventFacts } from '../../events/event-facts.js';
import type { ArchivedEvent, EventQuery } from '../../archive/event-query.js';
import type { AggregateRow } from '../aggregate-store.js';

/** Flows shown in full at most (the newest); the rest are counted. */
export const MAX_DETAIL_FLOWS = 50;
/** Events (own and tied) shown in full at most (the newest); the rest are counted. */
export const MAX_DETAIL_EVENTS = 50;
/** Archive matches read per query at most (the newest). */
const SCAN_MAX = 2000;
/** Addresses of a row whose tied events are looked up at most. */
const MAX_ADDRESSES = 8;

export type FlowSource = 'store' | 'grid' | 'archive';

export interface DetailFlow {
  flow: FlowRow;
  /** Where the record came from: the back end's store, the flows grid, or the last archived flow event. */
  source: FlowSource;
}

export interface RowDetail {
  /** The row as it was when the detail was loaded. */
  row: AggregateRow;
  /** The row's flows (flow rows) or the flows its events name (event rows), newest first. */
  flows: DetailFlow[];
  /** Flows the row names that were found nowhere (neither the store nor the grid nor the archive). */
  missingFlows: string[];
  /** Flow ids the row names beyond MAX_DETAIL_FLOWS (not looked up). */
  moreFlows: number;
  /** The row's own events, newest first (event rows; empty for flow rows). */
  events: TaplineEvent[];
  /** How many of the row's own events the archive holds (events may show fewer). */
  eventsFound: number;
  /** Events tied to the row: through its addresses, or files carved from its flows; newest first. */
  tied: TaplineEvent[];
  tiedFound: number;
  /** File records (with hashes) from the row's own file events and the files of its flows. */
  files: CarvedFile[];
  /** Lookups that failed, in words (the rest of the detail is still shown). */
  problems: string[];
}

export interface RowDetailDeps {
  bridge: Pick<Bridge, 'searchFlows'>;
  archive: Pick<EventArchive, 'page'>;
  /** The flow as the flows grid holds it (searched or live), or null. */
  gridFlow(sensor: string, id: string): FlowRow | null;
}

/** Whether an archived event is one of the events an event row aggregates (AggregateStore's key). */
export function belongsToEventRow(e: ArchivedEvent, row: AggregateRow): boolean {
  if (e.sensor !== row.sensor || e.kind !== row.kind) return false;
  if (row.sid !== null ? e.sid !== row.sid : e.sid >= 0 || e.message.slice(0, 200) !== row.message.slice(0, 200)) return false;
  // the archive keeps the addresses as a set; the aggregate keyed source and destination apart
  const f = eventFacts(e.event);
  return (f.srcIp ?? '') === (row.clients[0] ?? '') && (f.dstIp ?? '') === (row.servers[0] ?? '');
}

/** Flow ids an event names (alerts, files, discovery, external records, correlated logs). */
export function eventFlowIds(e: TaplineEvent): string[] {
  switch (e.kind) {
    case 'flow':
      return [e.flow.id];
    case 'file':
      return [e.file.flowId];
    case 'ids':
      return e.alert.flow_id ? [e.alert.flow_id] : [];
    case 'discovery':
      return e.discovery.flow_id ? [e.discovery.flow_id] : [];
    case 'external':
      return e.external.flow_id ? [e.external.flow_id] : [];
    case 'log':
      return [...(e.capture_flow ? [e.capture_flow] : []), ...e.flow_ids];
    default:
      return [];
  }
}

const newestFirst = (a: { ts: number }, b: { ts: number }): number => b.ts - a.ts;

function tsOfFlow(f: FlowRow): number {
  return Number(f.last_ts);
}

/** The newest SCAN_MAX matches, newest first. */
async function scan(deps: RowDetailDeps, q: EventQuery, problems: string[]): Promise<ArchivedEvent[]> {
  try {
    return (await deps.archive.page(q, 'desc', null, SCAN_MAX)).rows;
  } catch (e) {
    problems.push(`the event archive could not be read: ${(e as Error)?.message ?? String(e)}`);
    return [];
  }
}

/** The back end's flow search that covers a row's flows (same client, service, sensor and time span). */
export function flowSearchFor(row: AggregateRow): FlowSearch {
  const hosts = row.rowKind === 'flow' ? row.clients.slice(0, 1) : [...row.clients, ...row.servers].slice(0, 2);
  const q: FlowSearch = {
    since: String(Math.floor(row.firstTs) - 1),
    until: String(Math.ceil(row.lastTs) + 1),
    sensor: row.sensor,
    limit: 5000,
  };
  if (hosts.length) q.hosts = hosts;
  if (row.rowKind === 'flow') {
    if (row.serverPorts.length === 1) q.port = row.serverPorts[0];
  }
  if (row.proto !== null) q.proto = row.proto;
  return q;
}

export async function loadRowDetail(row: AggregateRow, deps: RowDetailDeps): Promise<RowDetail> {
  const problems: string[] = [];

  // ---- the row's own events (event rows) ----
  let own: ArchivedEvent[] = [];
  if (row.rowKind === 'event') {
    const q: EventQuery = { sensor: row.sensor, kind: row.kind, since: row.firstTs, until: row.lastTs };
    if (row.sid !== null) q.sid = row.sid;
    const ip = row.clients[0] ?? row.servers[0];
    if (ip) q.ip = ip;
    own = (await scan(deps, q, problems)).filter((e) => belongsToEventRow(e, row)).sort(newestFirst);
  }

  // ---- the flows: the row's own (flow rows) or those its events name ----
  const wanted: string[] = [];
  if (row.rowKind === 'flow') wanted.push(...[...row.flowIds].reverse());
  else for (const e of own) for (const id of eventFlowIds(e.event)) if (!wanted.includes(id)) wanted.push(id);
  const lookedUp = wanted.slice(0, MAX_DETAIL_FLOWS);
  const found = new Map<string, DetailFlow>();
  if (lookedUp.length) {
    try {
      const rows = await deps.bridge.searchFlows(flowSearchFor(row));
      const want = new Set(lookedUp);
      for (const f of rows) if (want.has(f.id)) found.set(f.id, { flow: f, source: 'store' });
    } catch (e) {
      problems.push(`the back end's flow search failed: ${(e as Error)?.message ?? String(e)}`);
    }
    for (const id of lookedUp) {
      if (found.has(id)) continue;
      const g = deps.gridFlow(row.sensor, id);
      if (g) found.set(id, { flow: g, source: 'grid' });
    }
    const rest = lookedUp.filter((id) => !found.has(id));
    if (rest.length) {
      // the last archived event of each flow (live flows are re-sent as they grow)
      const q: EventQuery = { sensor: row.sensor, kind: 'flow', since: row.firstTs - 3600, until: row.lastTs + 3600 };
      if (row.clients.length === 1) q.ip = row.clients[0];
      const need = new Set(rest);
      const latest = new Map<string, FlowRow>();
      for (const e of await scan(deps, q, problems)) {
        if (e.event.kind !== 'flow' || !need.has(e.event.flow.id)) continue;
        const prev = latest.get(e.event.flow.id);
        if (!prev || tsOfFlow(e.event.flow) >= tsOfFlow(prev)) latest.set(e.event.flow.id, e.event.flow);
      }
      for (const [id, f] of latest) found.set(id, { flow: f, source: 'archive' });
    }
  }
  const flows = lookedUp.map((id) => found.get(id)).filter((f): f is DetailFlow => f !== undefined);
  flows.sort((a, b) => tsOfFlow(b.flow) - tsOfFlow(a.flow));

  // ---- tied events: through the row's addresses, and files of its flows ----
  const ownUids = new Set(own.map((e) => e.uid));
  const tied = new Map<string, ArchivedEvent>();
  const addresses = [...new Set([...row.clients, ...row.servers])].slice(0, MAX_ADDRESSES);
  for (const a of addresses) {
    for (const e of await scan(deps, { ip: a, notKind: 'flow' }, problems)) if (!ownUids.has(e.uid)) tied.set(e.uid, e);
  }
  const flowIds = new Set(flows.map((f) => f.flow.id));
  if (flowIds.size) {
    let since = row.firstTs;
    let until = row.lastTs;
    for (const f of flows) {
      since = Math.min(since, Number(f.flow.first_ts));
      until = Math.max(until, Number(f.flow.last_ts));
    }
    for (const e of await scan(deps, { sensor: row.sensor, kind: 'file', since: since - 1, until: until + 1 }, problems)) {
      if (!ownUids.has(e.uid) && e.event.kind === 'file' && flowIds.has(e.event.file.flowId)) tied.set(e.uid, e);
    }
  }
  const tiedSorted = [...tied.values()].sort(newestFirst);

  // ---- file records (hashes) from the own and tied file events ----
  const files = new Map<string, CarvedFile>();
  for (const e of [...own, ...tiedSorted]) if (e.event.kind === 'file') files.set(`${e.event.file.sensor}\u0000${e.event.file.id}`, e.event.file);

  return {
    row,
    flows,
    missingFlows: lookedUp.filter((id) => !found.has(id)),
    moreFlows: Math.max(0, wanted.length - lookedUp.length),
    events: own.slice(0, MAX_DETAIL_EVENTS).map((e) => e.event),
    eventsFound: own.length,
    tied: tiedSorted.slice(0, MAX_DETAIL_EVENTS).map((e) => e.event),
    tiedFound: tiedSorted.length,
    files: [...files.values()],
    problems,
  };
}
