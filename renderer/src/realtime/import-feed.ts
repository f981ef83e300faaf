/**
 * An import publishes its flows while it runs, but within a budget (5,000 events/s) and with the
 * counts seen so far; an import by another back end or an older one publishes none. When an
 * import finishes, the flows of that capture are fetched once (its time span from stats(), then
 * the flows whose ids carry the capture's id) and handed on as flow events with their final
 * counts: the same event ids (`flow:<flow id>`), so the archive keeps one record per flow and the
 * Real-Time view counts a flow once.
 */
import type { Bridge } from '../../../common/bridge/bridge.js';
import type { ImportResult, TaplineEvent } from '../../../common/bridge/messages.js';

/** Flows fetched per imported capture at most (the API's largest search). */
export const MAX_IMPORTED_FLOWS = 100_000;

export async function importedFlowEvents(bridge: Bridge, sensor: string, result: ImportResult): Promise<TaplineEvent[]> {
  if (!result.capture_id || (result.status !== 'indexed' && result.status !== 'reindexed')) return [];
  const stats = await bridge.stats();
  const capture = stats.filter((s) => s.sensor === sensor).flatMap((s) => s.captures).find((c) => c.id === result.capture_id);
  if (!capture || capture.first_ts === null || capture.last_ts === null) return [];
  const flows = await bridge.searchFlows({ since: capture.first_ts, until: capture.last_ts, sensor, limit: MAX_IMPORTED_FLOWS });
  const prefix = `${result.capture_id}-`;
  return flows
    .filter((f) => f.id.startsWith(prefix))
    .map((f) => ({ id: `flow:${f.id}`, sensor: f.sensor, ts: f.first_ts, rank: f.rank, ...(f.classes.length ? { classes: f.classes } : {}), kind: 'flow' as const, flow: f }));
}
