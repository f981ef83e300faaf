/**
 * Where live segments live and how they are named. A segment is a capture file written by the
 * live writer, with its index beside it:
 *
 *   STORE/segments/<id>.pcap | <id>.pcapng   packets, appended
 *   STORE/segments/<id>.live.tpi             the open segment's index, replaced atomically at every flush
 *   STORE/segments/<id>.tpi                  the closed segment's final index
 *   STORE/segments/lock                      pid of the live writer (at most one per store)
 *   STORE/segments/gaps.ndjson               capture gaps reported by the sources
 *
 * The id is 12 hex digits (like a capture id, so flow ids keep the `<12 hex>-<n>` form): 8 for the
 * segment's wall-clock start in seconds, 4 for a counter; ids sort in creation order.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const SEGMENTS_DIR = 'segments';
export const WRITER_LOCK = 'lock';

export type SegmentFormat = 'pcap' | 'pcapng';

export function segmentsDir(storeDir: string): string {
  return join(storeDir, SEGMENTS_DIR);
}

export function segmentCapturePath(storeDir: string, id: string, format: SegmentFormat): string {
  return join(segmentsDir(storeDir), `${id}.${format}`);
}

export function segmentIndexPath(storeDir: string, id: string): string {
  return join(segmentsDir(storeDir), `${id}.tpi`);
}

export function segmentLiveIndexPath(storeDir: string, id: string): string {
  return join(segmentsDir(storeDir), `${id}.live.tpi`);
}

/** Wall-clock start of a segment (ms), from its id. */
export function segmentStartMs(id: string): number {
  return parseInt(id.slice(0, 8), 16) * 1000;
}

/** A new segment id for a segment starting at nowMs, distinct from every id in `taken`. */
export function newSegmentId(nowMs: number, taken: (id: string) => boolean): string {
  const sec = Math.floor(nowMs / 1000) >>> 0;
  const head = sec.toString(16).padStart(8, '0');
  for (let n = 0; n < 0x10000; n++) {
    const id = head + n.toString(16).padStart(4, '0');
    if (!taken(id)) return id;
  }
  throw new Error('more than 65,536 segments started within one second');
}

export type SegmentState = 'closed' | 'open' | 'torn';

export interface SegmentListing {
  id: string;
  format: SegmentFormat;
  capturePath: string;
  /** The index to read: the final .tpi (closed), the snapshot .live.tpi (open), or null. */
  indexPath: string | null;
  /**
   * closed: has its final index. open: the live writer is running and this segment has no final
   * index (its .live.tpi, if any, is current). torn: no final index and no live writer (a crash
   * or disk full left it): it must be repaired before use.
   */
  state: SegmentState;
  /** Size of the capture file in bytes. */
  size: number;
  mtimeMs: number;
}

const SEGMENT_FILE = /^([0-9a-f]{12})\.(pcap|pcapng)$/;

/** The id and format of a segment's capture file name (e.g. "6b02b06b0000.pcap"), or null. */
export function parseSegmentFileName(name: string): { id: string; format: SegmentFormat } | null {
  const m = SEGMENT_FILE.exec(name);
  return m ? { id: m[1], format: m[2] as SegmentFormat } : null;
}

/** The pid of a running live writer of this store, or null. */
export async function liveWriterPid(storeDir: string): Promise<number | null> {
  const text = await readFile(join(segmentsDir(storeDir), WRITER_LOCK), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return pid > 0 && processAlive(pid) ? pid : null;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The names in a store's segments directory (none when it does not exist yet). */
export async function segmentNames(storeDir: string): Promise<string[]> {
  try {
    return await readdir(segmentsDir(storeDir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * The segments of a store in id (creation) order. `writerRunning` decides whether a segment
 * without a final index is open or torn: pass the result of liveWriterPid, or true from the
 * writer itself (which holds the lock).
 */
export async function listSegments(storeDir: string, writerRunning: boolean): Promise<SegmentListing[]> {
  const dir = segmentsDir(storeDir);
  const names = await segmentNames(storeDir);
  const have = new Set(names);
  const out: SegmentListing[] = [];
  for (const name of names.sort()) {
    const m = SEGMENT_FILE.exec(name);
    if (!m) continue;
    const id = m[1];
    const capturePath = join(dir, name);
    const st = await stat(capturePath).catch(() => null);
    if (!st) continue; // deleted by retention since readdir
    const closed = have.has(`${id}.tpi`);
    const live = have.has(`${id}.live.tpi`);
    const state: SegmentState = closed ? 'closed' : writerRunning ? 'open' : 'torn';
    out.push({
      id,
      format: m[2] as SegmentFormat,
      capturePath,
      indexPath: closed ? join(dir, `${id}.tpi`) : live ? join(dir, `${id}.live.tpi`) : null,
      state,
      size: st.size,
      mtimeMs: st.mtimeMs,
    });
  }
  return out;
}
