/**
 * Where the archive's writes run. In the browser a Web Worker does them (archive-writer.worker.ts),
 * so the page's main thread only hands each batch over; where no worker can start (a runtime
 * without Worker, a page whose origin cannot load one) or one fails, the writes run in the page as
 * before, batches the worker had not confirmed included (bulkPut by primary key: a batch written
 * twice is stored once).
 */
import type { ArchivedEvent } from './event-query.js';
import { WriterReplySchema, type WriterRequest } from './archive-writer-messages.js';

export interface ArchiveWriter {
  write(batch: readonly ArchivedEvent[]): Promise<void>;
}

/** The part of a Worker this uses (tests pass a stand-in); its owner routes the worker's
 * messages to handleReply() and its error event to handleFailure(). */
export interface WorkerPort {
  postMessage(message: WriterRequest): void;
  terminate(): void;
}

interface Pending {
  batch: readonly ArchivedEvent[];
  resolve(): void;
  reject(e: Error): void;
}

export class WorkerArchiveWriter implements ArchiveWriter {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failed = false;
  /** Replies that did not fit the schema (reported with the write error, never silent). */
  badReplies = 0;

  constructor(
    private readonly worker: WorkerPort,
    opts: { dbName: string; maxEvents: number },
    private readonly fallback: ArchiveWriter,
  ) {
    worker.postMessage({ type: 'open', dbName: opts.dbName, maxEvents: opts.maxEvents });
  }

  /** Whether writes moved back into the page (the worker failed). */
  get inPage(): boolean {
    return this.failed;
  }

  write(batch: readonly ArchivedEvent[]): Promise<void> {
    if (this.failed) return this.fallback.write(batch);
    return new Promise<void>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { batch, resolve, reject });
      try {
        this.worker.postMessage({ type: 'write', id, records: batch as ArchivedEvent[] });
      } catch {
        // e.g. a value that cannot be cloned: this batch (and the rest) is written in the page
        this.handleFailure();
      }
    });
  }

  /** A message from the worker. */
  handleReply(data: unknown): void {
    const r = WriterReplySchema.safeParse(data);
    if (!r.success) {
      this.badReplies++;
      return;
    }
    const p = this.pending.get(r.data.id);
    if (!p) return;
    this.pending.delete(r.data.id);
    if (r.data.error === null) p.resolve();
    else p.reject(new Error(r.data.error));
  }

  /** The worker failed (could not load, or threw): writing moves into the page, unconfirmed batches too. */
  handleFailure(): void {
    if (this.failed) return;
    this.failed = true;
    this.worker.terminate();
    const left = [...this.pending.values()];
    this.pending.clear();
    for (const p of left) this.fallback.write(p.batch).then(p.resolve, p.reject);
  }
}
