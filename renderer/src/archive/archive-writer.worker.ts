/**
 * The archive writer, in a Web Worker: IndexedDB's structured clone, index-key extraction and
 * Dexie's own bookkeeping for 5,000 events a second run here instead of on the page's main
 * thread (where they made long tasks under live load). The page keeps reading the same database.
 */
import { z } from 'zod';
import { ArchiveDb, ArchiveDbWriter } from './archive-db.js';
import type { ArchivedEvent } from './event-query.js';
import { WriterRequestSchema, type WriterReply } from './archive-writer-messages.js';

// Same policy as the page: no new Function() in zod (the CSP has no 'unsafe-eval').
z.config({ jitless: true });

/** What this file uses of the worker's global scope (the renderer is type-checked with DOM types). */
interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((ev: MessageEvent<unknown>) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;
let writer: ArchiveDbWriter | null = null;
/** Writes run one after another, in the order the page sent them. */
let chain: Promise<void> = Promise.resolve();

const reply = (r: WriterReply): void => scope.postMessage(r);

scope.onmessage = (ev: MessageEvent<unknown>) => {
  const parsed = WriterRequestSchema.safeParse(ev.data);
  if (!parsed.success) {
    const id = typeof ev.data === 'object' && ev.data !== null && typeof (ev.data as { id?: unknown }).id === 'number' ? (ev.data as { id: number }).id : -1;
    reply({ type: 'written', id, count: 0, error: `the archive writer refused a malformed batch: ${parsed.error.issues[0]?.message ?? 'invalid'}` });
    return;
  }
  const msg = parsed.data;
  if (msg.type === 'open') {
    writer = new ArchiveDbWriter(new ArchiveDb(msg.dbName), msg.maxEvents);
    return;
  }
  chain = chain.then(async () => {
    if (!writer) {
      reply({ type: 'written', id: msg.id, count: 0, error: 'the archive writer was not opened' });
      return;
    }
    try {
      // the schema checked every field the indexes read; `event` is the already-validated event
      await writer.write(msg.records as ArchivedEvent[]);
      reply({ type: 'written', id: msg.id, count: msg.records.length, error: null });
    } catch (e) {
      reply({ type: 'written', id: msg.id, count: 0, error: String((e as Error)?.message ?? e) });
    }
  });
};
