/**
 * The ring: deletes the oldest closed segments while the segments' total size (captures and
 * indexes) exceeds maxStoreBytes, and every closed segment that started more than maxAgeSeconds
 * ago. A segment's index goes first, so a reader never finds flows whose packets are gone; a
 * reader that opened the index just before sees the capture missing and says so.
 */
import { rm, stat } from 'node:fs/promises';
import { listSegments, segmentIndexPath, segmentLiveIndexPath, segmentStartMs } from './segment-files.js';

export interface RetentionOptions {
  maxStoreBytes: number;
  maxAgeSeconds: number;
  /** The segment being written: never deleted. */
  openSegment: string | null;
  /** Closed segments whose final index is still being written: kept until it is. */
  busy?: { has(id: string): boolean };
  log: (line: string) => void;
  nowMs?: number;
}

export interface RetentionResult {
  /** Segments and their bytes after enforcement. */
  segments: number;
  bytes: number;
  deleted: string[];
}

const sizeOf = (p: string): Promise<number> => stat(p).then(
  (s) => s.size,
  () => 0,
);

export async function enforceRetention(storeDir: string, o: RetentionOptions): Promise<RetentionResult> {
  const segs = await listSegments(storeDir, true);
  const sizes: number[] = [];
  let total = 0;
  for (const s of segs) {
    const n = s.size + (await sizeOf(segmentIndexPath(storeDir, s.id))) + (await sizeOf(segmentLiveIndexPath(storeDir, s.id)));
    sizes.push(n);
    total += n;
  }
  const now = o.nowMs ?? Date.now();
  const deleted: string[] = [];
  let kept = segs.length;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i];
    if (s.id === o.openSegment || o.busy?.has(s.id)) continue;
    const tooBig = o.maxStoreBytes > 0 && total > o.maxStoreBytes;
    // the id holds the start in whole seconds: round up, so a segment never goes early
    const tooOld = o.maxAgeSeconds > 0 && now - (segmentStartMs(s.id) + 1000) > o.maxAgeSeconds * 1000;
    if (!tooBig && !tooOld) break; // ids sort by start time: later segments are younger
    await rm(segmentIndexPath(storeDir, s.id), { force: true });
    await rm(segmentLiveIndexPath(storeDir, s.id), { force: true });
    await rm(s.capturePath, { force: true });
    total -= sizes[i];
    kept--;
    deleted.push(s.id);
  }
  if (deleted.length) o.log(`retention: deleted ${deleted.length} segment(s) (${deleted.join(', ')}); ${(total / 1048576).toFixed(1)} MiB in ${kept} left`);
  return { segments: kept, bytes: total, deleted };
}
