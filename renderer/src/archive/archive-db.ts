/**
 * The archive's IndexedDB schema and its write step, shared by the page (queries, and writes
 * when no worker can run) and the archive writer worker (writes off the page's main thread).
 */
import Dexie, { type Table } from 'dexie';
import type { ArchivedEvent } from './event-query.js';

export class ArchiveDb extends Dexie {
  events!: Table<ArchivedEvent, string>;
  constructor(name: string) {
    super(name);
    this.version(1).stores({ events: 'uid, ts, sensor, kind, rank, sid, *ips, *ports, flowId' });
  }
}

/** Prune check every this many written events (count() is not free). */
export const PRUNE_EVERY = 20_000;

/** Writes batches into one database and keeps it at most `maxEvents` events (oldest deleted first). */
export class ArchiveDbWriter {
  private sincePrune = 0;
  constructor(
    private readonly db: ArchiveDb,
    private readonly maxEvents: number,
  ) {}

  async write(batch: readonly ArchivedEvent[]): Promise<void> {
    await this.db.events.bulkPut(batch as ArchivedEvent[]);
    this.sincePrune += batch.length;
    if (this.sincePrune >= PRUNE_EVERY) {
      this.sincePrune = 0;
      await this.prune();
    }
  }

  private async prune(): Promise<void> {
    const n = await this.db.events.count();
    if (n <= this.maxEvents) return;
    const keys = await this.db.events.orderBy('ts').limit(n - this.maxEvents).primaryKeys();
    await this.db.events.bulkDelete(keys);
  }
}
