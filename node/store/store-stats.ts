/** What a store holds and what its indexes cost: shared by `tapline stats` and the API. */
import { stat } from 'node:fs/promises';
import type { StoreStats } from '../../common/bridge/messages.js';
import type { Store } from './store.js';

export async function storeStats(store: Store, sensor: string): Promise<StoreStats> {
  const captures: StoreStats['captures'] = [];
  // a long-lived Store (serve, the desktop app) lists live segments as of its last query: look again
  await store.indexes();
  for (const entry of store.captures) {
    const file = await store.index(entry);
    // file.path: an imported capture's indexes/<id>.tpi, or a live segment's own index
    const indexBytes = file ? (await stat(file.path).catch(() => null))?.size ?? 0 : 0;
    captures.push({
      id: entry.id,
      path: entry.path,
      size: entry.size,
      packets: file?.meta.packets ?? 0,
      flows: file?.meta.flowCount ?? 0,
      index_bytes: indexBytes,
      first_ts: file?.meta.firstTs ?? null,
      last_ts: file?.meta.lastTs ?? null,
      damage: file?.meta.damage ? `${file.meta.damage.message}` : null,
      available: file !== null,
    });
  }
  const total = captures.reduce(
    (t, r) => ({ size: t.size + r.size, packets: t.packets + r.packets, flows: t.flows + r.flows, index_bytes: t.index_bytes + r.index_bytes }),
    { size: 0, packets: 0, flows: 0, index_bytes: 0 },
  );
  // a flow that crossed live segment rotations has a piece in each segment's count, but is one flow
  total.flows = await store.flowCount();
  return { sensor, captures, total };
}
