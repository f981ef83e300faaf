/** What the Historical view needs of an event archive (Dexie in the browser, memory elsewhere). */
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import type { ArchivedEvent, EventQuery } from './event-query.js';

/** Where a page ended: the last event's time and primary key. */
export interface Cursor {
  ts: number;
  uid: string;
}

export interface Page {
  rows: ArchivedEvent[];
  /** Where the next page starts, or null at the end. */
  next: Cursor | null;
}

export interface ArchiveStats {
  count: number;
  oldest: number | null;
  newest: number | null;
  /** Events not archived because writing fell too far behind. */
  notArchived: number;
  /** The last write failure, if any. */
  writeError: string | null;
}

/** What the Historical view needs of an archive (the Dexie one, or a stand-in in tests). */
export interface EventArchive {
  /** Stores events; one already stored (same sensor and id, e.g. replayed) is replaced, not doubled. */
  add(events: readonly TaplineEvent[]): Promise<void>;
  page(q: EventQuery, dir: 'asc' | 'desc', after: Cursor | null, limit: number): Promise<Page>;
  /** Every match up to `max` (charts and export). */
  scan(q: EventQuery, max: number): Promise<ArchivedEvent[]>;
  stats(): Promise<ArchiveStats>;
  clear(): Promise<void>;
}


/** Whether e comes strictly after the cursor in the page direction. */
export function isAfter(c: Cursor | null, dir: 'asc' | 'desc', e: ArchivedEvent): boolean {
  if (!c) return true;
  if (e.ts !== c.ts) return dir === 'asc' ? e.ts > c.ts : e.ts < c.ts;
  return dir === 'asc' ? e.uid > c.uid : e.uid < c.uid;
}

/** The first `limit` rows as a page, with the cursor of the last when there are more. */
export function pageOf(rows: ArchivedEvent[], limit: number): Page {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { rows: kept, next: more && last ? { ts: last.ts, uid: last.uid } : null };
}
