/**
 * The carver's file sink for one flow: spools each file to disk as its bytes arrive
 * (synchronously: bounded memory whatever the feeder does), then finalizes it — placement,
 * decoding, type detection, records — in a sequential async queue that the caller settles.
 */
import type { CarveFileSink, FileEnd, FileStart } from '../../common/carve/carve-sink.js';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import { finalizeReceived, type FinalizeContext, type PendingRecord } from './finalize-file.js';
import type { SpoolFile } from './spool-file.js';

export class StoreCarveSink implements CarveFileSink {
  private readonly open = new Map<number, { start: FileStart; spool: SpoolFile }>();
  private chain: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  private readonly lateStatus = new Map<number, number>();
  readonly pending: PendingRecord[] = [];

  constructor(private readonly ctx: FinalizeContext) {}

  onFileStart(f: FileStart): void {
    if (this.failure) throw this.failure.error;
    // hashed on the worker thread while the carver goes on (finishAsync below collects the digests)
    // with copies asked for (carve -o), each file's copy is written alongside
    this.open.set(f.id, { start: f, spool: this.ctx.store.newSpool({ offThreadHash: true, copyTo: this.ctx.copies?.nextPath() }) });
  }

  onFileData(id: number, data: Uint8Array): void {
    this.open.get(id)?.spool.write(data);
  }

  onFileGap(): void {
    // the carver counts missing bytes and reports them in onFileEnd
  }

  onFileEnd(id: number, end: FileEnd): void {
    const o = this.open.get(id);
    if (!o) return;
    this.open.delete(id);
    const synced = o.spool.finishAsync();
    // observed in the chain below; until then a failure must not count as unhandled
    synced.catch(() => undefined);
    this.chain = this.chain
      .then(async () => {
        const raw = await synced;
        if (this.failure) return;
        this.pending.push(...(await finalizeReceived(this.ctx, { start: o.start, end, raw })));
      })
      .catch((error: unknown) => {
        this.failure ??= { error };
      });
  }

  onFileInfo(id: number, info: { status: number }): void {
    this.lateStatus.set(id, info.status);
  }

  /** Waits for every finalization queued so far; rethrows the first failure. */
  async settle(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure.error;
  }

  /** Drops files still being received (the feed failed or was abandoned). */
  discardOpen(): void {
    for (const o of this.open.values()) o.spool.discard();
    this.open.clear();
  }

  /** Records with parents and late statuses filled in. */
  resolve(extra: readonly PendingRecord[]): CarvedFileRecord[] {
    const all = [...this.pending, ...extra];
    // the record that stands for a carver file: its decoded or identity version, else the as-sent one
    const primary = new Map<number, string>();
    for (const p of all) {
      if (p.fileId === null) continue;
      if (p.record.content !== 'encoded' || !primary.has(p.fileId)) primary.set(p.fileId, p.record.id);
    }
    for (const p of all) {
      if (p.parentFileId !== null) p.record.parentId = primary.get(p.parentFileId) ?? null;
      const late = p.fileId === null ? undefined : this.lateStatus.get(p.fileId);
      if (late !== undefined && p.record.status === null) p.record.status = late;
    }
    return all.map((p) => p.record).sort((a, b) => idNumber(a.id) - idNumber(b.id));
  }
}

function idNumber(id: string): number {
  return Number(id.slice(id.lastIndexOf('/') + 1));
}
