/** `tapline stats --store DIR`: what the store holds and what its indexes cost. */
import { storeStats } from '../../node/store/store-stats.js';
import { Store } from '../../node/store/store.js';
import { humanBytes } from './progress.js';

export async function statsCommand(store: string, json: boolean, out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const s = await Store.open(store, { log: err });
  try {
    const st = await storeStats(s, 'local');
    const pct = st.total.size ? (st.total.index_bytes / st.total.size) * 100 : 0;
    if (json) {
      out.write(`${JSON.stringify({ store: s.dir, captures: st.captures, total: { ...st.total, index_percent: Number(pct.toFixed(3)) } })}\n`);
      return 0;
    }
    out.write(`store ${s.dir}\n`);
    out.write(`${st.captures.length} captures, ${humanBytes(st.total.size)}, ${st.total.packets} packets, ${st.total.flows} flows; indexes ${humanBytes(st.total.index_bytes)} (${pct.toFixed(2)}% of the captures)\n`);
    for (const r of st.captures) {
      const state = !r.available ? ' [unavailable]' : r.damage ? ` [damaged: ${r.damage}]` : '';
      out.write(`  ${r.id}  ${humanBytes(r.size).padStart(10)}  ${String(r.packets).padStart(10)} pkts  ${String(r.flows).padStart(8)} flows  ${r.first_ts ?? '-'} .. ${r.last_ts ?? '-'}  ${r.path}${state}\n`);
    }
    return 0;
  } finally {
    await s.close();
  }
}
