/**
 * The files of one stored flow for the file keywords (filemagic, filename, fileext, filemd5,
 * filesha1, filesha256, filesize): the carving module's records of the flow, carving it first
 * when it was never carved (the records are saved, as `tapline carve` would). file.magic is
 * libmagic's description from `file -b` over the file's first bytes (Suricata runs libmagic on
 * the start of the file too).
 */
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import type { DetectFile } from '../../common/rules/flow-detector.js';
import { carveFlow } from '../carve/carve-flow.js';
import { readHead } from '../carve/detect-type.js';
import { FileStore } from '../carve/file-store.js';
import type { Store } from '../store/store.js';

/** Bytes of a file given to file.data and to libmagic. */
export const FILE_HEAD_BYTES = 64 * 1024;

export interface FlowFilesResult {
  files: DetectFile[];
  /** Why file.magic is missing (libmagic unavailable), else null. */
  magicProblem: string | null;
}

/** Carved records that are files in Suricata's sense (not the coded twin of a decoded body, not a whole .eml, not one 206 range). */
function isFile(r: CarvedFileRecord): boolean {
  return r.content !== 'encoded' && r.kind !== 'message' && r.kind !== 'range-part';
}

export async function flowFiles(store: Store, flowId: string, wantMagic: boolean): Promise<FlowFilesResult> {
  const fs = FileStore.open(store.dir);
  let records = await fs.readFlowRecords(flowId);
  if (records === null) records = (await carveFlow(store, flowId, { save: true })).files;
  const files: DetectFile[] = [];
  let magicProblem: string | null = null;
  for (const r of records.filter(isFile)) {
    const head = await readHead(fs.contentPath(r.sha256), FILE_HEAD_BYTES).catch(() => new Uint8Array(0));
    let magic: string | null = null;
    if (wantMagic && magicProblem === null) {
      const m = await libmagic(head);
      if ('error' in m) magicProblem = m.error;
      else magic = m.magic;
    }
    const [sec, nsec] = r.lastTs.split('.');
    files.push({
      dir: r.direction === 'upload' ? 0 : 1,
      protocol: r.protocol,
      name: r.name,
      magic,
      head,
      size: r.size,
      md5: r.md5,
      sha1: r.sha1,
      sha256: r.sha256,
      url: r.url,
      host: r.host,
      userAgent: r.userAgent,
      method: r.method,
      ref: { tsSec: Number(sec) || 0, tsNsec: Number((nsec ?? '0').padEnd(9, '0').slice(0, 9)) || 0, packet: r.lastPacket },
    });
  }
  return { files, magicProblem };
}

/** `file -b -` over the bytes: libmagic's description (what Suricata's filemagic matches). */
function libmagic(head: Uint8Array): Promise<{ magic: string } | { error: string }> {
  return new Promise((resolve) => {
    const child = execFile('file', ['-b', '-'], { timeout: 10_000, maxBuffer: 64 * 1024 }, (err, stdout) => {
      if (err) resolve({ error: `libmagic (file -b) failed: ${err.message}` });
      else resolve({ magic: stdout.replace(/\r?\n$/, '') });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(head);
  });
}
