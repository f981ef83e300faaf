/**
 * Messages between the page and the archive writer worker (one zod schema each, checked on the
 * receiving side). The records were built by the page from events it had already validated; the
 * worker still checks the fields its indexes read, so a malformed record fails its batch with an
 * error instead of corrupting the indexes.
 */
import { z } from 'zod';

export const ArchivedRecordSchema = z.object({
  uid: z.string(),
  id: z.string(),
  sensor: z.string(),
  kind: z.string(),
  ts: z.number(),
  rank: z.number(),
  ips: z.array(z.string()),
  ports: z.array(z.number()),
  proto: z.number(),
  sid: z.number(),
  message: z.string(),
  bytes: z.number(),
  packets: z.number(),
  flowId: z.string(),
  event: z.record(z.string(), z.unknown()),
});

/** Page → worker: open the database, then write batches in order. */
export const WriterRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('open'), dbName: z.string().min(1), maxEvents: z.number().int().positive() }),
  z.object({ type: z.literal('write'), id: z.number().int(), records: z.array(ArchivedRecordSchema) }),
]);
export type WriterRequest = z.infer<typeof WriterRequestSchema>;

/** Worker → page: one answer per write, in order; `error` is the reason a batch was not stored. */
export const WriterReplySchema = z.object({ type: z.literal('written'), id: z.number().int(), count: z.number().int(), error: z.string().nullable() });
export type WriterReply = z.infer<typeof WriterReplySchema>;
