/**
 * The event archive in memory, with the Dexie archive's semantics (keyset pages by (ts, pk)).
 * Used when IndexedDB is unavailable (a browser's private mode refuses it) — the Historical
 * view then says the archive lasts only as long as the window — and by the unit tests.
 */
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import { BOOKKEEPING_KINDS } from '../events/event-facts.js';
import type { ArchiveStats, Cursor, EventArchive, Page } from './archive-types.js';
import { compileEventQuery, toArchived, type ArchivedEvent, type EventQuery } from './event-query.js';

export class MemoryEventArchive implements EventArchive {
  private rows: ArchivedEvent[] = [];
  private pk = 0;
  private sorted = true;

  constructor(private readonly maxEvents = 200_000) {}

  async add(events: readonly TaplineEvent[]): Promise<void> {
    for (const e of events) {
      if (BOOKKEEPING_KINDS.has(e.kind)) continue;
      const r = toArchived(e);
      r.pk = ++this.pk;
      const last = this.rows[this.rows.length - 1];
      if (last && r.ts < last.ts) this.sorted = false;
      this.rows.push(r);
    }
    if (this.rows.length > this.maxEvents) {
      this.order();
      this.rows.splice(0, this.rows.length - this.maxEvents);
    }
  }

  private order(): void {
    if (this.sorted) return;
    this.rows.sort((a, b) => a.ts - b.ts || (a.pk ?? 0) - (b.pk ?? 0));
    this.sorted = true;
  }

  async page(q: EventQuery, dir: 'asc' | 'desc', cursor: Cursor | null, limit: number): Promise<Page> {
    this.order();
    const match = compileEventQuery(q);
    const out: ArchivedEvent[] = [];
    const n = this.rows.length;
    for (let i = 0; i < n && out.length <= limit; i++) {
      const e = this.rows[dir === 'asc' ? i : n - 1 - i];
      const pk = e.pk ?? 0;
      if (cursor && (dir === 'asc' ? e.ts < cursor.ts || (e.ts === cursor.ts && pk <= cursor.pk) : e.ts > cursor.ts || (e.ts === cursor.ts && pk >= cursor.pk))) continue;
      if (match(e)) out.push(e);
    }
    const more = out.length > limit;
    const rows = more ? out.slice(0, limit) : out;
    const last = rows[rows.length - 1];
    return { rows, next: more && last ? { ts: last.ts, pk: last.pk ?? 0 } : null };
  }

  async scan(q: EventQuery, max: number): Promise<ArchivedEvent[]> {
    this.order();
    const match = compileEventQuery(q);
    const out: ArchivedEvent[] = [];
    for (const e of this.rows) {
      if (out.length >= max) break;
      if (match(e)) out.push(e);
    }
    return out;
  }

  async stats(): Promise<ArchiveStats> {
    this.order();
    return { count: this.rows.length, oldest: this.rows[0]?.ts ?? null, newest: this.rows[this.rows.length - 1]?.ts ?? null };
  }

  async clear(): Promise<void> {
    this.rows = [];
  }
}
