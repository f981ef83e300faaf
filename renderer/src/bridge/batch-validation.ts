/**
 * Checks a live batch from the back end. The envelope must be right; each event is checked on its
 * own, so one malformed event costs that event, not the whole batch (and is counted, not hidden).
 */
import { z } from 'zod';
import { EventSchema, type EventBatch, type TaplineEvent } from '../../../common/bridge/messages.js';

const EnvelopeSchema = z.object({
  seq: z.number().int().nonnegative(),
  events: z.array(z.unknown()),
  missed: z.number().int().nonnegative(),
});

export interface CheckedBatch {
  batch: EventBatch;
  /** Events dropped because they failed validation. */
  rejected: number;
  /** The first rejection, in words (for the log or a notice). */
  firstProblem: string | null;
}

/** Returns null when the envelope itself is invalid. */
export function checkBatch(value: unknown): CheckedBatch | null {
  const env = EnvelopeSchema.safeParse(value);
  if (!env.success) return null;
  const events: TaplineEvent[] = [];
  let rejected = 0;
  let firstProblem: string | null = null;
  for (const raw of env.data.events) {
    const e = EventSchema.safeParse(raw);
    if (e.success) events.push(e.data);
    else {
      rejected++;
      if (firstProblem === null) {
        const issue = e.error.issues[0];
        firstProblem = issue ? `${issue.path.join('.') || 'event'}: ${issue.message}` : 'invalid event';
      }
    }
  }
  return { batch: { seq: env.data.seq, missed: env.data.missed, events }, rejected, firstProblem };
}
