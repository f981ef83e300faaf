/**
 * The reading side of live segments: what Store shows of STORE/segments/ next to its imported
 * captures. Each query re-lists the folder (one readdir), so a long-lived reader (serve, the
 * desktop app) sees new segments, refreshed open-segment indexes and deletions by retention.
 */
import { stat } from 'node:fs/promises';
import type { CaptureEntry } from '../store-manifest.js';
import { IndexFile, IndexUnusableError } from '../index-file.js';
import { StoreLock } from '../store-lock.js';
import { liveWriterPid, listSegments, segmentIndexPath, segmentLiveIndexPath, segmentStartMs, segmentsDir, type SegmentListing } from './segment-files.js';
import { repairSegment, repairTornSegments } from './segment-repair.js';

interface Cached {
  file: IndexFile;
  path: string;
  /** Identity of the index file when opened (a snapshot is replaced by rename: new inode). */
  ino: number;
  mtimeMs: number;
}

/**
 * A replaced snapshot may still serve a slice in flight (serve, the desktop app): closed a while
 * later rather than at once.
 */
function retire(file: IndexFile): void {
  setTimeout(() => void file.close(), 60_000).unref();
}

export class SegmentCatalog {
  private listing = new Map<string, SegmentListing>();
  private entries: CaptureEntry[] = [];
  private readonly cache = new Map<string, Cached>();
  private tornLogged = false;

  constructor(
    private readonly storeDir: string,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Re-lists the segments. Torn segments (no final index, no live writer) are repaired first
   * when no writer holds the segments lock; a segment still open without a snapshot is skipped.
   */
  async refresh(): Promise<void> {
    let writer = (await liveWriterPid(this.storeDir)) !== null;
    let segs = await listSegments(this.storeDir, writer);
    if (!writer && segs.some((s) => s.state === 'torn')) {
      const lock = await StoreLock.acquire(segmentsDir(this.storeDir)).catch(() => null);
      if (lock) {
        try {
          await repairTornSegments(this.storeDir, this.log);
        } finally {
          await lock.release();
        }
      }
      writer = (await liveWriterPid(this.storeDir)) !== null;
      segs = await listSegments(this.storeDir, writer);
    }
    // a torn segment's snapshot may point past what reached the disk (power loss): it is read
    // only once repaired (by a reader that may lock the store, or the next live writer)
    const torn = segs.filter((s) => s.state === 'torn');
    if (torn.length && !this.tornLogged) {
      this.tornLogged = true;
      this.log(`${torn.length} live segment(s) need repair (the writer stopped abruptly) and could not be repaired now; they are skipped until the store is opened with write access`);
    }
    this.listing = new Map(segs.filter((s) => s.indexPath !== null && s.state !== 'torn').map((s) => [s.id, s]));
    // An index is swapped only here, never between a query and the slice that follows it: a
    // found flow's record points into the offsets of the snapshot it was read from.
    for (const [id, c] of this.cache) {
      const s = this.listing.get(id);
      const st = s && s.indexPath === c.path ? await stat(c.path).catch(() => null) : null;
      if (!st || st.ino !== c.ino || st.mtimeMs !== c.mtimeMs) {
        this.cache.delete(id);
        retire(c.file);
      }
    }
    this.entries = [...this.listing.values()].map((s) => ({
      id: s.id,
      path: s.capturePath,
      // segments are not in store.json: their identity is the id (see docs/INDEX-FORMAT.md)
      fingerprint: s.id.padStart(64, '0'),
      size: s.size,
      mtimeMs: s.mtimeMs,
      importedAt: new Date(segmentStartMs(s.id)).toISOString(),
    }));
  }

  get captures(): readonly CaptureEntry[] {
    return this.entries;
  }

  has(id: string): boolean {
    return this.listing.has(id);
  }

  /**
   * Whether a segment listed before is gone as retention deletes one: no longer listed, and
   * neither index left (retention removes the indexes before the capture file, so a capture file
   * missing beside its index is damage, not retention).
   */
  async deleted(id: string): Promise<boolean> {
    await this.refresh();
    if (this.listing.has(id)) return false;
    const left = await Promise.all([segmentIndexPath(this.storeDir, id), segmentLiveIndexPath(this.storeDir, id)].map((p) => stat(p).then(() => true, () => false)));
    return !left.includes(true);
  }

  /** The index of a segment as of the last refresh (the final one, or the open segment's snapshot). */
  async index(id: string): Promise<IndexFile | null> {
    const s = this.listing.get(id);
    if (!s || !s.indexPath) return null;
    const c = this.cache.get(id);
    if (c && c.path === s.indexPath) return c.file;
    const st = await stat(s.indexPath).catch(() => null);
    if (!st) return null; // deleted by retention or closed since the listing: the next refresh knows
    try {
      const file = await IndexFile.open(s.indexPath);
      this.cache.set(id, { file, path: s.indexPath, ino: st.ino, mtimeMs: st.mtimeMs });
      return file;
    } catch (e) {
      if (!(e instanceof IndexUnusableError)) throw e;
      if (s.state !== 'closed') {
        // a snapshot is replaced within a second; the next query reads the new one
        this.log(`${s.indexPath}: ${e.reason}; open segment skipped for now`);
        return null;
      }
      // a closed segment is never written again: rebuild its index from the packets
      this.log(`${s.indexPath}: ${e.reason}; rebuilding from ${s.capturePath}`);
      const r = await repairSegment(this.storeDir, id, s.capturePath).catch((err: Error) => {
        this.log(`${s.capturePath}: could not rebuild its index (${err.message})`);
        return null;
      });
      if (!r || r.removed) return null;
      const file = await IndexFile.open(s.indexPath);
      const st2 = await stat(s.indexPath);
      this.cache.set(id, { file, path: s.indexPath, ino: st2.ino, mtimeMs: st2.mtimeMs });
      return file;
    }
  }

  async close(): Promise<void> {
    for (const c of this.cache.values()) await c.file.close();
    this.cache.clear();
  }
}
