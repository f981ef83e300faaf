/**
 * The event archive in memory, with the Dexie archive's semantics (one record per sensor + id,
 * keyset pages by (ts, key)). Used when IndexedDB is unavailable (a browser's private mode
 * refuses it) — the Historical view then says the archive lasts only as long as the window —
 * and by the unit tests.
 */
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import { BOOKKEEPING_KINDS } from '../events/event-facts.js';
import { isAfter, pageOf, type ArchiveStats, type Cursor, type EventArchive, type Page } from './archive-types.js';
import { compareKey, compileEventQuery, toArchived, type ArchivedEvent, type EventQuery } from './event-query.js';

export class MemoryEventArchive implements EventArchive {
  private readonly byUid = new Map<string, ArchivedEvent>();
  private sorted: ArchivedEvent[] | null = [];

  constructor(private readonly maxEvents = 200_000) {}

  async add(events: readonly TaplineEvent[]): Promise<void> {
    for (const e of events) {
      if (BOOKKEEPING_KINDS.has(e.kind)) continue;
      const r = toArchived(e);
      this.byUid.set(r.uid, r);
    }
    this.sorted = null;
    if (this.byUid.size > this.maxEvents) {
      for (const r of this.rows().slice(0, this.byUid.size - this.maxEvents)) this.byUid.delete(r.uid);
      this.sorted = null;
    }
  }

  private rows(): ArchivedEvent[] {
    this.sorted ??= [...this.byUid.values()].sort(compareKey);
    return this.sorted;
  }

  async page(q: EventQuery, dir: 'asc' | 'desc', cursor: Cursor | null, limit: number): Promise<Page> {
    const rows = this.rows();
    const match = compileEventQuery(q);
    const out: ArchivedEvent[] = [];
    const n = rows.length;
    for (let i = 0; i < n && out.length <= limit; i++) {
      const e = rows[dir === 'asc' ? i : n - 1 - i];
      if (isAfter(cursor, dir, e) && match(e)) out.push(e);
    }
    return pageOf(out, limit);
  }

  async scan(q: EventQuery, max: number): Promise<ArchivedEvent[]> {
    const match = compileEventQuery(q);
    const out: ArchivedEvent[] = [];
    for (const e of this.rows()) {
      if (out.length >= max) break;
      if (match(e)) out.push(e);
    }
    return out;
  }

  async stats(): Promise<ArchiveStats> {
    const rows = this.rows();
    return { count: rows.length, oldest: rows[0]?.ts ?? null, newest: rows[rows.length - 1]?.ts ?? null, notArchived: 0, writeError: null };
  }

  async clear(): Promise<void> {
    this.byUid.clear();
    this.sorted = [];
  }
}
