/**
 * This store's capture gaps for a view that marks them (the Historical time chart): fetched
 * through the Bridge when `key` changes (a new chart); a failure leaves no marks (the sensor
 * window says why).
 */
import { useEffect, useState } from 'react';
import type { CaptureGap } from '../../../common/capture/capture-gap.js';
import { useServices } from '../app/services-context.js';
import { GAPS_LIMIT } from './capture-gaps-store.js';

export function useCaptureGaps(key: unknown): CaptureGap[] {
  const { bridge } = useServices();
  const [gaps, setGaps] = useState<CaptureGap[]>([]);
  useEffect(() => {
    let live = true;
    bridge.captureGaps({ limit: GAPS_LIMIT }).then(
      (r) => {
        if (live) setGaps(r.gaps);
      },
      () => {
        if (live) setGaps([]);
      },
    );
    return () => {
      live = false;
    };
  }, [bridge, key]);
  return gaps;
}
