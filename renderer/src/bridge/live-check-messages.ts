/**
 * Messages between the page and the live-check worker (live-check.worker.ts), one zod schema
 * each, checked on the receiving side. The worker validates live batches with the same
 * `EventSchema` (common/bridge/messages.ts) the page used; its reply carries the events that
 * passed. The page checks the reply's envelope, not each event again: doing that was the cost
 * the worker exists to take off the main thread, and the worker is this build's own code.
 */
import { z } from 'zod';

/** Page → worker: one live batch, as the JSON text the socket received or as the object the preload delivered. */
export const LiveCheckRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), id: z.number().int(), text: z.string() }),
  z.object({ type: z.literal('object'), id: z.number().int(), batch: z.unknown() }),
]);
export type LiveCheckRequest = z.infer<typeof LiveCheckRequestSchema>;

/**
 * Worker → page, one per request, in order. `seq` null: the batch itself was refused
 * (`problem` says why). `rejected` events failed validation (the first one's problem is given).
 */
export const LiveCheckReplySchema = z.object({
  id: z.number().int(),
  seq: z.number().int().nonnegative().nullable(),
  missed: z.number().int().nonnegative(),
  events: z.array(z.unknown()),
  rejected: z.number().int().nonnegative(),
  problem: z.string().nullable(),
});
export type LiveCheckReply = z.infer<typeof LiveCheckReplySchema>;
