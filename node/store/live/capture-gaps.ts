/**
 * Reads the capture gaps a live store recorded (segments/gaps.ndjson). Every line is checked
 * against its schema; a line that is not a gap (the torn last line a kill -9 can leave) is
 * skipped and counted, never fatal: the gaps before and after it still count.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CaptureGapLineSchema, type CaptureGap, type CaptureGaps } from '../../../common/capture/capture-gap.js';
import { parseTimestamp } from '../../../common/time/timestamp.js';
import { segmentsDir } from './segment-files.js';

export const GAPS_FILE = 'gaps.ndjson';
export const DEFAULT_GAPS_LIMIT = 1000;

export function gapsPath(storeDir: string): string {
  return join(segmentsDir(storeDir), GAPS_FILE);
}

/** The store's gaps, oldest first (the newest `limit` of them); none when nothing was recorded. */
export async function readCaptureGaps(storeDir: string, limit = DEFAULT_GAPS_LIMIT): Promise<CaptureGaps> {
  let text: string;
  try {
    text = await readFile(gapsPath(storeDir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { gaps: [], total: 0, unreadableLines: 0 };
    throw e;
  }
  const gaps: CaptureGap[] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      unreadable++;
      continue;
    }
    const r = CaptureGapLineSchema.safeParse(json);
    const from = r.success ? parseTimestamp(r.data.from) : null;
    const to = r.success ? parseTimestamp(r.data.to) : null;
    if (!r.success || !from || !to) {
      unreadable++;
      continue;
    }
    const seconds = Math.max(0, to.sec - from.sec + (to.nsec - from.nsec) / 1e9);
    gaps.push({ ...r.data, seconds });
  }
  const total = gaps.length;
  return { gaps: limit > 0 && total > limit ? gaps.slice(total - limit) : gaps, total, unreadableLines: unreadable };
}
