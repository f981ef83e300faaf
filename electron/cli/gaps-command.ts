/** `tapline gaps --store DIR [--limit N] [--json]`: the spans live capture could not record. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_GAPS_LIMIT, readCaptureGaps } from '../../node/store/live/capture-gaps.js';
import { UsageError, needString } from './cli-args.js';

export async function gapsCommand(args: string[], out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const { values } = parseArgs({ args, options: { store: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const store = needString(values.store, 'store');
  const limit = values.limit === undefined ? DEFAULT_GAPS_LIMIT : Number(values.limit);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new UsageError(`--limit must be a positive integer, not "${values.limit}"`);
  if (!existsSync(store)) {
    err(`${store}: no such store`);
    return 1;
  }
  const g = await readCaptureGaps(store, limit);
  if (values.json) {
    out.write(`${JSON.stringify(g)}\n`);
    return 0;
  }
  for (const x of g.gaps) {
    out.write(`${iso(x.from)} .. ${iso(x.to)}  ${x.seconds.toFixed(3).padStart(10)} s  ${x.reason}${x.segment ? `  (segment ${x.segment})` : ''}\n`);
  }
  const shown = g.gaps.length < g.total ? ` (the newest ${g.gaps.length} shown)` : '';
  const total = g.gaps.reduce((s, x) => s + x.seconds, 0);
  out.write(`${g.total} capture gap${g.total === 1 ? '' : 's'}${shown}${g.gaps.length ? `, ${total.toFixed(3)} s without capture` : ''}\n`);
  if (g.unreadableLines) err(`${g.unreadableLines} unreadable line(s) in the gap log skipped (a write cut short by a crash)`);
  return 0;
}

/** 1700000000.123456789 → 2023-11-14T22:13:20.123456789Z (UTC, all nine digits kept). */
function iso(ts: string): string {
  const [sec, frac] = ts.split('.');
  return new Date(Number(sec) * 1000).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}
