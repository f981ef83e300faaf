/**
 * threshold / detection_filter bookkeeping across flows: per rule and tracked address, a count
 * within a window that starts at the first match and lasts `seconds`. Environment-free.
 *   limit:     alert on the first `count` matches of each window
 *   threshold: alert on every count-th match (the count restarts after each alert)
 *   both:      alert once per window, at the count-th match
 *   detection_filter: alert on every match after the first `count` of the window
 */
import type { Rule } from './rule-types.js';

interface Window {
  startSec: number;
  count: number;
}

const MAX_TRACKED = 100_000;

export class ThresholdState {
  private readonly windows = new Map<string, Window>();

  /** Whether this match of rule r (at time sec, between src and dst) may alert. */
  allow(r: Rule, sec: number, src: string, dst: string): boolean {
    const t = r.threshold;
    if (!t) return true;
    const who = t.track === 'by_src' ? src : t.track === 'by_dst' ? dst : t.track === 'by_both' ? `${src}|${dst}` : '';
    const key = `${r.gid}:${r.sid}:${who}`;
    let w = this.windows.get(key);
    if (!w || sec - w.startSec >= t.seconds) {
      if (!w && this.windows.size >= MAX_TRACKED) this.windows.clear();
      w = { startSec: sec, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    if (t.kind === 'detection_filter') return w.count > t.count;
    switch (t.type) {
      case 'limit':
        return w.count <= t.count;
      case 'threshold':
        if (w.count >= t.count) {
          w.count = 0;
          return true;
        }
        return false;
      case 'both':
        return w.count === t.count;
    }
  }
}
