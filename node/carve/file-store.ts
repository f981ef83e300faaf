/**
 * Carved files inside a store, content-addressed and deduplicated:
 *
 *   STORE/files/content/<sha256>         the bytes (read-only once placed); stores from before
 *                                        this layout keep STORE/files/<sha256[0:2]>/<sha256>
 *   STORE/files/flows/<flow id>.ndjson   one record per carved file of that flow (replaced whole
 *                                        when the flow is carved again: written and fsynced by the spool stage, then renamed over)
 *   STORE/files/.spool/                  files being received; leftovers of dead processes are
 *                                        removed on open
 *
 * Content placement is fsync + rename within one filesystem: the same guarantee AtomicFile gives,
 * done by hand because a content address is known only after the last byte (AtomicFile fixes its
 * target when it starts, which would force a second copy of every file).
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { carvedFileRecordSchema, type CarvedFileRecord } from '../../common/carve/carved-record.js';
import { OffThreadSpool } from './hash-worker.js';
import { SpoolFile, type SpoolOptions, type SpooledFile } from './spool-file.js';

const FLOW_FILE = /^([0-9a-f]{12}-\d{1,10})\.ndjson$/;

export interface PlacedFile extends SpooledFile {
  /** Path of the content in the store. */
  path: string;
  /** Identical content was already stored. */
  existed: boolean;
}

/**
 * Spool names are unique per process, not per FileStore: carving opens one FileStore per flow and
 * runs several flows at once, so per-instance counters collided within the same millisecond.
 */
let spoolSeq = 0;

/** Content directories this process created or found (one mkdir each, not one per file; bounded: 256 per store). */
const madeDirs = new Set<string>();

export class FileStore {
  /**
   * @param flat content in one directory (files/content/). Decision: a store's first carve made
   * up to 256 fan-out directories (227 for 500 files), each an inode to create, and on ext4
   * without a journal every create scans past the inodes deleted in the last minute (a tenth of
   * a carve's CPU after deleting a previous output); ext4, APFS and NTFS index large directories,
   * so the fan-out bought nothing. Stores made before keep their layout.
   */
  private constructor(
    readonly dir: string,
    private readonly flat: boolean,
  ) {}

  /** Opens (creating) STORE/files and clears spool files of processes that are gone. */
  static open(storeDir: string): FileStore {
    const dir = join(storeDir, 'files');
    const fresh = !existsSync(dir);
    mkdirSync(join(dir, '.spool'), { recursive: true });
    mkdirSync(join(dir, 'flows'), { recursive: true });
    if (fresh) mkdirSync(join(dir, 'content'), { recursive: true });
    const flat = fresh || existsSync(join(dir, 'content'));
    // the one content directory exists: placements rename into it at once
    if (flat) madeDirs.add(join(dir, 'content'));
    for (const name of readdirSync(join(dir, '.spool'))) {
      const pid = Number(/^(\d+)-/.exec(name)?.[1]);
      if (!Number.isInteger(pid) || !processAlive(pid)) rmSync(join(dir, '.spool', name), { force: true });
    }
    return new FileStore(dir, flat);
  }

  newSpool(opts: SpoolOptions = {}): SpoolFile {
    return new SpoolFile(join(this.dir, '.spool', `${process.pid}-${Date.now().toString(36)}-${spoolSeq++}`), opts);
  }

  contentPath(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return this.flat ? join(this.dir, 'content', sha256) : join(this.dir, sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return existsSync(this.contentPath(sha256));
  }

  /**
   * Moves a finished spool file to its content address, or drops it when that content is stored
   * already. Not an async function: it runs once per carved file, and an async function's
   * bytecode runs again at each resumption, which made this one hot enough for TurboFan.
   */
  place(f: SpooledFile): Promise<PlacedFile> {
    const target = this.contentPath(f.sha256);
    // synchronous, without an error for a missing file: the content is new for almost every file
    // carved, and an async stat that fails builds an Error with its stack on the carving thread
    // for each (~500 per 256 MiB carved); the lookup itself is a few µs in a directory just used
    const existing = statSync(target, { throwIfNoEntry: false });
    if (existing && existing.size === f.size) return rm(f.path, { force: true }).then(() => ({ ...f, path: target, existed: true }));
    const sub = this.flat ? join(this.dir, 'content') : join(this.dir, f.sha256.slice(0, 2));
    if (madeDirs.has(sub)) {
      // a rename within one directory tree is a few µs of metadata: a pool round trip and its
      // promise cost the carving thread more than the call itself
      try {
        renameSync(f.path, target);
        return Promise.resolve({ ...f, path: target, existed: false });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return Promise.reject(e);
        madeDirs.delete(sub);
      }
    }
    return mkdir(sub, { recursive: true })
      .then(() => void madeDirs.add(sub))
      .then(() => rename(f.path, target))
      .catch((e: NodeJS.ErrnoException) => {
        // the directory was removed since (a long-lived server): make it again
        if (e.code !== 'ENOENT') throw e;
        return mkdir(sub, { recursive: true }).then(() => rename(f.path, target));
      })
      .then(() => ({ ...f, path: target, existed: false }));
  }

  flowRecordsPath(flowId: string): string {
    if (!FLOW_FILE.test(`${flowId}.ndjson`)) throw new Error(`not a flow id: ${flowId}`);
    return join(this.dir, 'flows', `${flowId}.ndjson`);
  }

  /** Replaces the records of a flow (an empty list marks the flow as carved with nothing found). */
  async writeFlowRecords(flowId: string, records: readonly CarvedFileRecord[]): Promise<void> {
    const target = this.flowRecordsPath(flowId);
    // the AtomicFile guarantee (written, fsynced, then renamed over the old records), with the
    // file created, written, fsynced and closed by the spool stage as one ring entry each: on
    // the carving thread five libuv pool round trips and their promises per flow cost more than
    // the records themselves
    const tmp = join(this.dir, '.spool', `${process.pid}-r${Date.now().toString(36)}-${spoolSeq++}`);
    const spool = new OffThreadSpool(tmp);
    spool.write(new TextEncoder().encode(records.map((r) => `${JSON.stringify(r)}\n`).join('')));
    try {
      await spool.finishUnhashed(true);
      renameSync(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  /** The records of a flow, or null when it was never carved. Invalid lines are skipped and reported. */
  async readFlowRecords(flowId: string, log?: (line: string) => void): Promise<CarvedFileRecord[] | null> {
    const p = this.flowRecordsPath(flowId);
    const text = await readFile(p, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    if (text === null) return null;
    const out: CarvedFileRecord[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        log?.(`${p}:${i + 1}: not JSON; skipped`);
        return;
      }
      const r = carvedFileRecordSchema.safeParse(json);
      if (r.success) out.push(r.data);
      else log?.(`${p}:${i + 1}: not a carved-file record (${r.error.issues[0]?.message ?? 'invalid'}); skipped`);
    });
    return out;
  }

  /** Ids of the flows carved so far. */
  async carvedFlows(): Promise<string[]> {
    const names = await readdir(join(this.dir, 'flows'));
    return names.flatMap((n) => FLOW_FILE.exec(n)?.[1] ?? []).sort();
  }

  /** Size of stored content, or null when absent. */
  contentSize(sha256: string): number | null {
    try {
      return statSync(this.contentPath(sha256)).size;
    } catch {
      return null;
    }
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
