/**
 * Counts logs received before their flow's capture was imported. At intake a log is linked to
 * the flows the store holds then; a capture imported later has flows those logs describe, which
 * GET /api/flows/{id}/logs finds by correlating again, but whose `log_count` would stay 0. After
 * an import, each new capture's logs (the journal's log events around its time span) are
 * correlated again and every link to one of its flows that the log did not already carry is
 * added to the flow log counts. A capture is done once (STORE/logs/log-counts-backfilled.json),
 * so importing it again, or a second import command, does not count twice.
 *
 * A log linked at intake to a flow of an older capture keeps that count even when the new
 * capture holds a better match (the /logs route, which recomputes, then lists it under the new
 * flow only).
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { LogEvent } from '../../common/bridge/messages.js';
import { compareTs, parseTimestamp, type Timestamp } from '../../common/time/timestamp.js';
import { AtomicFile } from '../fs/atomic-file.js';
import type { EventJournal } from '../store/event-journal.js';
import type { Store } from '../store/store.js';
import type { Correlator } from './correlate.js';
import type { FlowLogIndex } from './flow-log-index.js';

const MARKER = 'log-counts-backfilled.json';
const MarkerSchema = z.object({ version: z.literal(1), captures: z.array(z.string().max(128)) });

/** Logs read per capture at most (a journal holding more in one capture's span is cut, and said so). */
export const MAX_BACKFILL_LOGS = 1_000_000;

/**
 * The journal files logs by the time they state; one read as UTC may be up to 14 h off the time
 * correlation uses (as in LogService.flowLogs), so candidates are taken that much wider.
 */
const ZONE_SLACK_SEC = 14 * 3600;

export interface BackfillResult {
  /** Captures whose logs were counted now. */
  captures: number;
  /** Log events read from the journal. */
  logs: number;
  /** Links to the new captures' flows added to the counts. */
  links: number;
  /** Captures whose span held more logs than MAX_BACKFILL_LOGS (only the first were read). */
  truncated: string[];
}

async function readMarker(path: string): Promise<Set<string>> {
  try {
    return new Set(MarkerSchema.parse(JSON.parse(await readFile(path, 'utf8'))).captures);
  } catch {
    return new Set();
  }
}

export async function backfillLogCounts(
  store: Store,
  journal: EventJournal,
  counts: FlowLogIndex,
  correlator: Correlator,
  captureIds: readonly string[],
): Promise<BackfillResult> {
  const result: BackfillResult = { captures: 0, logs: 0, links: 0, truncated: [] };
  const markerPath = join(store.dir, 'logs', MARKER);
  const done = await readMarker(markerPath);
  const wanted = new Set(captureIds.filter((id) => !done.has(id)));
  if (wanted.size === 0) return result;
  const slack = correlator.windowSec + ZONE_SLACK_SEC;
  // per capture: its time span and the id prefixes of its flows (a capture indexed in parts has
  // one index per part, each with its own id; a flow crossing parts is known by its first piece's)
  const spans = new Map<string, { first: Timestamp | null; last: Timestamp | null; prefixes: string[] }>();
  for (const { entry, meta } of await store.indexSummaries()) {
    const captureId = store.captureOf(entry).id;
    if (!wanted.has(captureId)) continue;
    const first = meta.firstTs ? parseTimestamp(meta.firstTs) : null;
    const last = meta.lastTs ? parseTimestamp(meta.lastTs) : null;
    const s = spans.get(captureId);
    if (!s) spans.set(captureId, { first, last, prefixes: [`${entry.id}-`] });
    else {
      s.prefixes.push(`${entry.id}-`);
      if (first && (!s.first || compareTs(first.sec, first.nsec, s.first.sec, s.first.nsec) < 0)) s.first = first;
      if (last && (!s.last || compareTs(last.sec, last.nsec, s.last.sec, s.last.nsec) > 0)) s.last = last;
    }
  }
  for (const [captureId, { first, last, prefixes }] of spans) {
    if (first && last) {
      const logs = await journal.search({ kind: 'log', since: { sec: first.sec - slack, nsec: first.nsec }, until: { sec: last.sec + slack, nsec: last.nsec }, limit: MAX_BACKFILL_LOGS });
      if (logs.length >= MAX_BACKFILL_LOGS) result.truncated.push(captureId);
      const events = logs.filter((e): e is LogEvent => e.kind === 'log');
      result.logs += events.length;
      const delta = new Map<string, number>();
      const linked = await correlator.flowIdsForBatch(events);
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        for (const id of linked[i]) {
          if (!prefixes.some((p) => id.startsWith(p)) || e.flow_ids.includes(id) || e.capture_flow === id) continue;
          delta.set(id, (delta.get(id) ?? 0) + 1);
          result.links++;
        }
      }
      await counts.addCounts(delta);
    }
    done.add(captureId);
    result.captures++;
  }
  await counts.flush();
  await mkdir(join(store.dir, 'logs'), { recursive: true });
  const f = await AtomicFile.create(markerPath);
  try {
    await f.write(new TextEncoder().encode(`${JSON.stringify({ version: 1, captures: [...done].sort() })}\n`));
    await f.commit();
  } catch (e) {
    await f.abort();
    throw e;
  }
  return result;
}
