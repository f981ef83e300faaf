/**
 * A capture gap as the live store records it (STORE/segments/gaps.ndjson, one JSON object a
 * line) and as `tapline gaps` and `GET /api/captures/gaps` report it: a span in which a source
 * could not capture (an ssh feed lost and reconnected, a restarted remote tcpdump), so "no data"
 * is not read as "no traffic". Times are decimal epoch seconds with 9 fractional digits.
 */
import { z } from 'zod';

const Ts = z.string().regex(/^\d{1,15}\.\d{9}$/);

/** One line of gaps.ndjson, as the live writer writes it. */
export const CaptureGapLineSchema = z.object({
  from: Ts,
  to: Ts,
  reason: z.string().max(4000),
  /** The segment open when the gap was recorded (null: none was open yet). */
  segment: z.string().regex(/^[0-9a-f]{12}$/).nullable(),
});
export type CaptureGapLine = z.infer<typeof CaptureGapLineSchema>;

export const CaptureGapSchema = CaptureGapLineSchema.extend({
  /** to − from, seconds. */
  seconds: z.number().nonnegative(),
});
export type CaptureGap = z.infer<typeof CaptureGapSchema>;

export const CaptureGapsSchema = z.object({
  /** Oldest first; the newest `limit` when there are more. */
  gaps: z.array(CaptureGapSchema),
  /** Gaps recorded in all. */
  total: z.number().int().nonnegative(),
  /** Lines that are not a gap (a line torn by a crash mid-write): skipped. */
  unreadableLines: z.number().int().nonnegative(),
});
export type CaptureGaps = z.infer<typeof CaptureGapsSchema>;

/** Bridge.captureGaps options: the newest `limit` gaps (default 1000). */
export const CaptureGapsOptionsSchema = z.object({ limit: z.number().int().min(1).max(100_000).optional() }).strict();
export type CaptureGapsOptions = z.infer<typeof CaptureGapsOptionsSchema>;
