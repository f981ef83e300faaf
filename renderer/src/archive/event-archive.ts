/**
 * The local event archive (Dexie over IndexedDB): every event the live stream delivers (and the
 * back end's journal answers) is kept, indexed by time, addresses, ports, sid, sensor, kind and
 * rank, so the Historical view can search it without the back end replaying anything.
 *
 * The primary key is sensor + event id, so a replayed event is stored once. Results are paged by
 * key: the time index orders by (ts, key), a page ends at a cursor (ts, key) and the next starts
 * strictly after it, so paging never skips or repeats an event however many arrive meanwhile.
 * An exact address uses the address index instead of a time scan.
 */
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import { BOOKKEEPING_KINDS } from '../events/event-facts.js';
import { ArchiveDb, ArchiveDbWriter } from './archive-db.js';
import type { ArchiveWriter } from './archive-writer.js';
import { isAfter, pageOf, type ArchiveStats, type Cursor, type EventArchive, type Page } from './archive-types.js';
import { compareKey, compileEventQuery, exactIp, toArchived, type ArchivedEvent, type EventQuery } from './event-query.js';

/** Events kept at most; the oldest are deleted past it (checked every PRUNE_EVERY additions). */
export const MAX_ARCHIVED = 2_000_000;
/** Unwritten events held at most while IndexedDB catches up. */
const MAX_QUEUED = 100_000;
/** Events per write: small enough that handing them over (a structured clone) never blocks the page for long. */
const WRITE_BATCH = 500;
/** An exact-address query reads at most this many matches before sorting them. */
const MAX_ADDRESS_MATCHES = 200_000;

/** Makes the writer for a database (the default writes in the page; main.tsx passes a worker's). */
export type ArchiveWriterFactory = (db: ArchiveDb, maxEvents: number) => ArchiveWriter;

export class DexieEventArchive implements EventArchive {
  private readonly db: ArchiveDb;
  private readonly writer: ArchiveWriter;
  /** Records waiting to be written, oldest first; one writer drains them in batches. */
  private queue: ArchivedEvent[] = [];
  private writing: Promise<void> | null = null;
  /** The last write failure (quota, a browser refusing storage), for the Historical view to show. */
  lastError: string | null = null;
  /** Events not archived because writing fell MAX_QUEUED behind (reported, never silent). */
  droppedBehind = 0;

  constructor(
    name = 'tapline-archive',
    maxEvents = MAX_ARCHIVED,
    writerFor: ArchiveWriterFactory = (db, max) => new ArchiveDbWriter(db, max),
  ) {
    this.db = new ArchiveDb(name);
    this.writer = writerFor(this.db, maxEvents);
  }

  add(events: readonly TaplineEvent[]): Promise<void> {
    for (const e of events) if (!BOOKKEEPING_KINDS.has(e.kind)) this.queue.push(toArchived(e));
    if (this.queue.length > MAX_QUEUED) {
      // bounded memory: when IndexedDB cannot keep up, the oldest unwritten events give way
      const extra = this.queue.length - MAX_QUEUED;
      this.queue.splice(0, extra);
      this.droppedBehind += extra;
    }
    this.writing ??= this.drain().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, WRITE_BATCH);
      try {
        await this.writer.write(batch);
      } catch (e) {
        // a failed write must not stop the next ones
        this.lastError = String((e as Error)?.message ?? e);
      }
    }
  }

  /** Waits for the events added so far to be written (searches see everything that arrived). */
  private get chain(): Promise<void> {
    return this.writing ?? Promise.resolve();
  }

  async page(q: EventQuery, dir: 'asc' | 'desc', cursor: Cursor | null, limit: number): Promise<Page> {
    await this.chain;
    const match = compileEventQuery(q);
    const ip = exactIp(q);
    if (ip) {
      const all = await this.db.events.where('ips').equals(ip).limit(MAX_ADDRESS_MATCHES).toArray();
      const sign = dir === 'asc' ? 1 : -1;
      const rows = all.filter((e) => match(e) && isAfter(cursor, dir, e)).sort((a, b) => sign * compareKey(a, b));
      return pageOf(rows.slice(0, limit + 1), limit);
    }
    const lo = dir === 'asc' && cursor ? Math.max(cursor.ts, q.since ?? -Infinity) : (q.since ?? -Infinity);
    const hi = dir === 'desc' && cursor ? Math.min(cursor.ts, q.until ?? Infinity) : (q.until ?? Infinity);
    if (lo > hi) return { rows: [], next: null };
    let coll = this.db.events.where('ts').between(lo, hi, true, true);
    if (dir === 'desc') coll = coll.reverse();
    const rows = await coll.filter((e) => isAfter(cursor, dir, e) && match(e)).limit(limit + 1).toArray();
    return pageOf(rows, limit);
  }

  async scan(q: EventQuery, max: number): Promise<ArchivedEvent[]> {
    await this.chain;
    const match = compileEventQuery(q);
    const ip = exactIp(q);
    const coll = ip ? this.db.events.where('ips').equals(ip) : this.db.events.where('ts').between(q.since ?? -Infinity, q.until ?? Infinity, true, true);
    const rows = await coll.filter(match).limit(max).toArray();
    return ip ? rows.sort(compareKey) : rows;
  }

  async stats(): Promise<ArchiveStats> {
    await this.chain;
    const count = await this.db.events.count();
    const oldest = await this.db.events.orderBy('ts').first();
    const newest = await this.db.events.orderBy('ts').last();
    return { count, oldest: oldest?.ts ?? null, newest: newest?.ts ?? null, notArchived: this.droppedBehind, writeError: this.lastError };
  }

  async clear(): Promise<void> {
    await this.chain;
    await this.db.events.clear();
  }
}
