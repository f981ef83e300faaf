/** What a store holds and what its indexes cost: shared by `tapline stats` and the API. */
import { stat } from 'node:fs/promises';
import type { StoreStats } from '../../common/bridge/messages.js';
import type { Store } from './store.js';
import { compareTs, parseTimestamp } from '../../common/time/timestamp.js';

/** The earlier of two formatted timestamps (either may be null). */
function earlier(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  const x = parseTimestamp(a);
  const y = parseTimestamp(b);
  return x && y && compareTs(y.sec, y.nsec, x.sec, x.nsec) < 0 ? b : a;
}

function later(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return earlier(a, b) === a ? b : a;
}

export async function storeStats(store: Store, sensor: string): Promise<StoreStats> {
  const captures: StoreStats['captures'] = [];
  // a long-lived Store (serve, the desktop app) lists live segments as of its last query: look again
  // (summaries: every usable index's metadata, without holding the indexes themselves)
  const rows = new Map<string, StoreStats['captures'][number]>();
  const usable = new Map((await store.indexSummaries()).map((s) => [s.entry.id, s]));
  for (const entry of store.captures) {
    const file = usable.get(entry.id) ?? null;
    // file.path: an imported capture's indexes/<id>.tpi, or a live segment's own index
    const indexBytes = file ? (await stat(file.path).catch(() => null))?.size ?? 0 : 0;
    const row: StoreStats['captures'][number] = {
      id: entry.id,
      path: entry.path,
      size: entry.size,
      packets: file?.meta.packets ?? 0,
      // (an index part's flows that continue an earlier part's are that flow)
      flows: file ? file.meta.flowCount - file.continuations.length / 3 : 0,
      index_bytes: indexBytes,
      first_ts: file?.meta.firstTs ?? null,
      last_ts: file?.meta.lastTs ?? null,
      damage: file?.meta.damage ? `${file.meta.damage.message}` : null,
      available: file !== null,
    };
    const capture = store.captureOf(entry);
    const whole = capture !== entry ? rows.get(capture.id) : undefined;
    if (whole) {
      // an index part after the first: one row per capture
      whole.packets += row.packets;
      whole.flows += row.flows;
      whole.index_bytes += row.index_bytes;
      whole.first_ts = earlier(whole.first_ts, row.first_ts);
      whole.last_ts = later(whole.last_ts, row.last_ts);
      whole.damage ??= row.damage;
      whole.available &&= row.available;
    } else {
      captures.push(row);
      rows.set(row.id, row);
    }
  }
  const total = captures.reduce(
    (t, r) => ({ size: t.size + r.size, packets: t.packets + r.packets, flows: t.flows + r.flows, index_bytes: t.index_bytes + r.index_bytes }),
    { size: 0, packets: 0, flows: 0, index_bytes: 0 },
  );
  // a flow that crossed live segment rotations has a piece in each segment's count, but is one flow
  total.flows = await store.flowCount();
  return { sensor, captures, total };
}
