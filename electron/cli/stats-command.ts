/** `tapline stats --store DIR`: what the store holds and what its indexes cost. */
import { stat } from 'node:fs/promises';
import { Store } from '../../node/store/store.js';
import { humanBytes } from './progress.js';

export async function statsCommand(store: string, json: boolean, out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const s = await Store.open(store, { log: err });
  try {
    const rows: { id: string; path: string; size: number; packets: number; flows: number; indexBytes: number; first: string | null; last: string | null; damage: string | null; available: boolean }[] = [];
    for (const entry of s.captures) {
      const file = await s.index(entry);
      const indexBytes = file ? (await stat(s.indexPath(entry.id))).size : 0;
      rows.push({
        id: entry.id,
        path: entry.path,
        size: entry.size,
        packets: file?.meta.packets ?? 0,
        flows: file?.meta.flowCount ?? 0,
        indexBytes,
        first: file?.meta.firstTs ?? null,
        last: file?.meta.lastTs ?? null,
        damage: file?.meta.damage ? `${file.meta.damage.message}` : null,
        available: file !== null,
      });
    }
    const total = rows.reduce(
      (t, r) => ({ size: t.size + r.size, packets: t.packets + r.packets, flows: t.flows + r.flows, indexBytes: t.indexBytes + r.indexBytes }),
      { size: 0, packets: 0, flows: 0, indexBytes: 0 },
    );
    const pct = total.size ? (total.indexBytes / total.size) * 100 : 0;
    if (json) {
      out.write(`${JSON.stringify({ store: s.dir, captures: rows, total: { ...total, index_percent: Number(pct.toFixed(3)) } })}\n`);
      return 0;
    }
    out.write(`store ${s.dir}\n`);
    out.write(`${rows.length} captures, ${humanBytes(total.size)}, ${total.packets} packets, ${total.flows} flows; indexes ${humanBytes(total.indexBytes)} (${pct.toFixed(2)}% of the captures)\n`);
    for (const r of rows) {
      const state = !r.available ? ' [unavailable]' : r.damage ? ` [damaged: ${r.damage}]` : '';
      out.write(`  ${r.id}  ${humanBytes(r.size).padStart(10)}  ${String(r.packets).padStart(10)} pkts  ${String(r.flows).padStart(8)} flows  ${r.first ?? '-'} .. ${r.last ?? '-'}  ${r.path}${state}\n`);
    }
    return 0;
  } finally {
    await s.close();
  }
}
