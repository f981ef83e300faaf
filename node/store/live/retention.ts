/**
 * The ring: deletes the oldest closed segments while the segments' total size (captures and
 * indexes) exceeds maxStoreBytes, and every closed segment that started more than maxAgeSeconds
 * ago. A segment's index goes first, so a reader never finds flows whose packets are gone; a
 * reader that opened the index just before sees the capture missing and says so.
 */
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseSegmentFileName, segmentIndexPath, segmentLiveIndexPath, segmentNames, segmentStartMs, segmentsDir } from './segment-files.js';

export interface RetentionOptions {
  maxStoreBytes: number;
  maxAgeSeconds: number;
  /** The segment being written: never deleted. */
  openSegment: string | null;
  /** Closed segments whose final index is still being written: kept until it is. */
  busy?: { has(id: string): boolean };
  log: (line: string) => void;
  nowMs?: number;
  /**
   * Sizes (capture + final index) of closed segments, kept by the caller between passes: a closed
   * segment never changes, so it is stat'ed once. Without it every pass stat'ed every file of
   * the store; the writer runs a pass every flush (twice a second), and at 500 segments that was
   * ~0.1 s of CPU a pass.
   */
  closedSizes?: Map<string, number>;
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
  const segs = await segmentSizes(storeDir, o);
  const sizes = segs.map((s) => s.bytes);
  let total = 0;
  for (const n of sizes) total += n;
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
    o.closedSizes?.delete(s.id);
    total -= sizes[i];
    kept--;
    deleted.push(s.id);
  }
  if (deleted.length) o.log(`retention: deleted ${deleted.length} segment(s) (${deleted.join(', ')}); ${(total / 1048576).toFixed(1)} MiB in ${kept} left`);
  return { segments: kept, bytes: total, deleted };
}

interface SegmentSize {
  id: string;
  capturePath: string;
  /** Capture file, final index and snapshot index, bytes. */
  bytes: number;
}

/**
 * The segments in id (creation) order with their bytes on disk, from one directory listing:
 * closed segments (a final index, no snapshot left, not being written or finalized) from
 * o.closedSizes when known, the others stat'ed.
 */
async function segmentSizes(storeDir: string, o: RetentionOptions): Promise<SegmentSize[]> {
  const dir = segmentsDir(storeDir);
  const names = await segmentNames(storeDir);
  const have = new Set(names);
  const cache = o.closedSizes;
  const out: SegmentSize[] = [];
  let closedSeen = 0;
  for (const name of names.sort()) {
    const seg = parseSegmentFileName(name);
    if (!seg) continue;
    const id = seg.id;
    const capturePath = join(dir, name);
    const final = have.has(`${id}.tpi`);
    const live = have.has(`${id}.live.tpi`);
    const closed = final && !live && id !== o.openSegment && !o.busy?.has(id);
    if (closed) closedSeen++;
    let bytes = closed ? cache?.get(id) : undefined;
    if (bytes === undefined) {
      const st = await stat(capturePath).catch(() => null);
      if (!st) continue; // deleted since the listing
      bytes = st.size + (final ? await sizeOf(segmentIndexPath(storeDir, id)) : 0) + (live ? await sizeOf(segmentLiveIndexPath(storeDir, id)) : 0);
      if (closed) cache?.set(id, bytes);
    }
    out.push({ id, capturePath, bytes });
  }
  // segments deleted by someone else: forget them
  if (cache && cache.size > closedSeen) {
    const present = new Set(out.map((s) => s.id));
    for (const id of cache.keys()) if (!present.has(id)) cache.delete(id);
  }
  return out;
}
