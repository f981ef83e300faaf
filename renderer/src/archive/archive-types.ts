/** What the Historical view needs of an event archive (Dexie in the browser, memory elsewhere). */
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import type { ArchivedEvent, EventQuery } from './event-query.js';

export interface Cursor {
  ts: number;
  pk: number;
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
}

/** What the Historical view needs of an archive (the Dexie one, or a stand-in in tests). */
export interface EventArchive {
  add(events: readonly TaplineEvent[]): Promise<void>;
  page(q: EventQuery, dir: 'asc' | 'desc', after: Cursor | null, limit: number): Promise<Page>;
  /** Every match up to `max` (charts and export). */
  scan(q: EventQuery, max: number): Promise<ArchivedEvent[]>;
  stats(): Promise<ArchiveStats>;
  clear(): Promise<void>;
}

