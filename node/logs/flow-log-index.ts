/**
 * How many log events are linked to each flow (the `log_count` of a flow row in `GET /api/flows`
 * and `tapline flows --json`), kept as the intake stores logs: a log counts for every flow in
 * its `flow_ids` (correlation at intake) and for the flow it was sniffed from (`capture_flow`).
 *
 * Persisted in STORE/logs/flow-log-counts.ndjson as appended deltas (one line per stored batch
 * that linked anything, `{"<flow id>":n,...}`), so `serve` and a CLI `import` of the same store
 * can both add without a lock (each append is one write). Read back by summing; rewritten as one
 * line when the file passes 16 MiB (at open, or while running). A torn last line is skipped.
 *
 * Logs received before their flow's capture was imported are added after the import
 * (log-count-backfill.ts). Nothing is subtracted when the journal's retention deletes old logs.
 */
import { appendFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogEvent } from '../../common/bridge/messages.js';

const FILE = 'flow-log-counts.ndjson';
const COMPACT_BYTES = 16 * 1024 * 1024;

function pathOf(storeDir: string): string {
  return join(storeDir, 'logs', FILE);
}

/** The counts of a store's file (empty when there is none). */
export async function readFlowLogCounts(storeDir: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let text: string;
  try {
    text = await readFile(pathOf(storeDir), 'utf8');
  } catch {
    return counts;
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    let delta: unknown;
    try {
      delta = JSON.parse(line);
    } catch {
      continue; // a torn last line
    }
    if (delta === null || typeof delta !== 'object' || Array.isArray(delta)) continue;
    for (const [id, n] of Object.entries(delta as Record<string, unknown>)) {
      if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) counts.set(id, (counts.get(id) ?? 0) + n);
    }
  }
  return counts;
}

/** What a stored log event counts for. */
export type LogLinks = Pick<LogEvent, 'flow_ids' | 'capture_flow'>;

/** The flows a stored log event counts for. */
function linkedFlows(e: LogLinks): string[] {
  if (e.capture_flow === null || e.flow_ids.includes(e.capture_flow)) return e.flow_ids;
  return [...e.flow_ids, e.capture_flow];
}

export class FlowLogIndex {
  private chain: Promise<void> = Promise.resolve();
  private fileBytes = 0;

  private constructor(
    private readonly storeDir: string,
    private readonly counts: Map<string, number>,
  ) {}

  static async open(storeDir: string): Promise<FlowLogIndex> {
    const idx = new FlowLogIndex(storeDir, await readFlowLogCounts(storeDir));
    idx.fileBytes = await stat(pathOf(storeDir)).then((s) => s.size, () => 0);
    if (idx.fileBytes > COMPACT_BYTES) await idx.compact();
    return idx;
  }

  /** Log events linked to the flow (0 when none). */
  count(flowId: string): number {
    return this.counts.get(flowId) ?? 0;
  }

  /** Counts stored log events (in memory now, in the file in the background, in order). */
  add(events: readonly LogLinks[]): Promise<void> {
    const delta = new Map<string, number>();
    for (const e of events) for (const id of linkedFlows(e)) delta.set(id, (delta.get(id) ?? 0) + 1);
    return this.addCounts(delta);
  }

  /** Adds links per flow id (log-count-backfill.ts: logs linked again after an import). */
  addCounts(delta: ReadonlyMap<string, number>): Promise<void> {
    if (delta.size === 0) return this.chain;
    for (const [id, n] of delta) this.counts.set(id, (this.counts.get(id) ?? 0) + n);
    const line = `${JSON.stringify(Object.fromEntries(delta))}\n`;
    this.chain = this.chain
      .catch(() => undefined)
      .then(async () => {
        await mkdir(join(this.storeDir, 'logs'), { recursive: true });
        await appendFile(pathOf(this.storeDir), line);
        this.fileBytes += Buffer.byteLength(line);
        if (this.fileBytes > COMPACT_BYTES) await this.compact();
      });
    return this.chain;
  }

  /** Rewrites the file as one line of the totals (replaced atomically). */
  private async compact(): Promise<void> {
    const tmp = `${pathOf(this.storeDir)}.tmp`;
    const line = `${JSON.stringify(Object.fromEntries(this.counts))}\n`;
    await writeFile(tmp, line);
    await rename(tmp, pathOf(this.storeDir));
    this.fileBytes = Buffer.byteLength(line);
  }

  /** Resolves when every count added so far is in the file. */
  flush(): Promise<void> {
    return this.chain.catch(() => undefined);
  }
}
