/**
 * Repairs segments a live writer left without a final index (kill -9, power loss, disk full):
 * the file is cut back to its last whole record and indexed like an imported capture. Runs only
 * while holding the segments lock, so never under a running writer.
 */
import { readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { readCaptureFile } from '../../capture/read-capture-file.js';
import { buildIndex } from '../build-index.js';
import { captureFingerprint } from '../capture-fingerprint.js';
import { listSegments, segmentIndexPath, segmentLiveIndexPath, segmentsDir } from './segment-files.js';

export interface RepairResult {
  id: string;
  /** Bytes cut from a torn tail. */
  truncatedBytes: number;
  packets: number;
  /** The segment held no whole packet and was removed. */
  removed: boolean;
}

/** Cuts one segment to its whole records and writes its final index. */
export async function repairSegment(storeDir: string, id: string, capturePath: string): Promise<RepairResult> {
  const scan = await readCaptureFile(capturePath, { onFileInfo: () => undefined, onInterface: () => undefined, onPacket: () => undefined });
  const cut = scan.bytesRead - scan.consumed;
  if (scan.packets === 0) {
    // a header (or less) and nothing else: nothing to keep
    await rm(segmentLiveIndexPath(storeDir, id), { force: true });
    await rm(capturePath, { force: true });
    return { id, truncatedBytes: scan.bytesRead, packets: 0, removed: true };
  }
  if (cut > 0) await truncate(capturePath, scan.consumed);
  const fp = await captureFingerprint(capturePath);
  const built = await buildIndex(capturePath, segmentIndexPath(storeDir, id), fp);
  await rm(segmentLiveIndexPath(storeDir, id), { force: true });
  return { id, truncatedBytes: cut, packets: built.meta.packets, removed: false };
}

/** Repairs every torn segment; the caller holds the segments lock. */
export async function repairTornSegments(storeDir: string, log: (line: string) => void): Promise<RepairResult[]> {
  const out: RepairResult[] = [];
  await removeStaleTemps(storeDir);
  for (const s of await listSegments(storeDir, false)) {
    // a writer killed between writing a final index and removing the snapshot leaves both
    if (s.state === 'closed') await rm(segmentLiveIndexPath(storeDir, s.id), { force: true });
    if (s.state !== 'torn') continue;
    const r = await repairSegment(storeDir, s.id, s.capturePath);
    out.push(r);
    if (r.removed) log(`${s.capturePath}: segment held no whole packet; removed`);
    else log(`${s.capturePath}: segment was not closed (writer stopped abruptly); ${r.truncatedBytes ? `cut ${r.truncatedBytes} bytes of a torn record, ` : ''}indexed its ${r.packets} packets`);
  }
  return out;
}

/** Temporary index files of an interrupted atomic write (`.<name>.partial-<pid>-<rand>`). */
async function removeStaleTemps(storeDir: string): Promise<void> {
  const dir = segmentsDir(storeDir);
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const n of names) if (n.startsWith('.') && n.includes('.partial-')) await rm(join(dir, n), { force: true });
}
