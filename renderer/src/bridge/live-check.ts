/**
 * One live batch checked whole: its envelope, then each event against `EventSchema` (one bad
 * event costs that event). Used by the live-check worker; the page's in-page intake
 * (sliced-intake.ts) does the same event by event in time slices.
 */
import { z } from 'zod';
import { EventSchema, type TaplineEvent } from '../../../common/bridge/messages.js';
import type { LiveCheckReply } from './live-check-messages.js';

export const EnvelopeSchema = z.object({
  seq: z.number().int().nonnegative(),
  events: z.array(z.unknown()),
  missed: z.number().int().nonnegative(),
});

/** The first issue of a failed check, as "path: message". */
export function firstIssue(error: z.ZodError, what: string): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || what}: ${issue.message}` : `invalid ${what}`;
}

/** Checks a raw batch (JSON text or an object); the reply for request `id`. */
export function checkLiveBatch(id: number, raw: { text: string } | { batch: unknown }): LiveCheckReply {
  let value: unknown;
  if ('text' in raw) {
    try {
      value = JSON.parse(raw.text);
    } catch {
      return { id, seq: null, missed: 0, events: [], rejected: 0, problem: 'a message that is not JSON' };
    }
  } else value = raw.batch;
  const env = EnvelopeSchema.safeParse(value);
  if (!env.success) return { id, seq: null, missed: 0, events: [], rejected: 0, problem: 'a batch without a valid seq/events/missed envelope' };
  const events: TaplineEvent[] = [];
  let rejected = 0;
  let problem: string | null = null;
  for (const e of env.data.events) {
    const r = EventSchema.safeParse(e);
    if (r.success) events.push(r.data);
    else {
      rejected++;
      problem ??= firstIssue(r.error, 'event');
    }
  }
  return { id, seq: env.data.seq, missed: env.data.missed, events, rejected, problem };
}
