/**
 * Capture gaps on a time chart whose x axis is buckets (each bucket's start `t`, `bucketSeconds`
 * wide): the bucket where each gap starts and the one where it ends, for gaps that overlap the
 * charted span, so the chart can shade "not captured" instead of showing a quiet stretch.
 */
import type { CaptureGap } from '../../../common/capture/capture-gap.js';

export interface GapSpan {
  /** Bucket starts (x values of the chart) of the first and last bucket the gap touches. */
  x1: number;
  x2: number;
  gap: CaptureGap;
}

export function gapBucketSpans(gaps: readonly CaptureGap[], bucketStarts: readonly number[], bucketSeconds: number): GapSpan[] {
  if (bucketStarts.length === 0 || bucketSeconds <= 0) return [];
  const first = bucketStarts[0];
  const last = bucketStarts[bucketStarts.length - 1];
  const end = last + bucketSeconds;
  /** The start of the bucket holding time s (buckets are contiguous from `first`). */
  const bucketOf = (s: number): number => {
    const k = Math.floor((s - first) / bucketSeconds);
    return first + Math.min(Math.max(k, 0), bucketStarts.length - 1) * bucketSeconds;
  };
  const out: GapSpan[] = [];
  for (const g of gaps) {
    const from = Number(g.from);
    const to = Number(g.to);
    if (to < first || from >= end) continue;
    out.push({ x1: bucketOf(from), x2: bucketOf(to), gap: g });
  }
  return out;
}
