/**
 * What the Historical view's charts draw, computed from the matching events (pure): events and
 * bytes over time in even buckets, and the top talkers, ports and signatures.
 */
import type { ArchivedEvent } from './event-query.js';

export interface TimeBucket {
  /** Bucket start, epoch seconds. */
  t: number;
  events: number;
  bytes: number;
}

export interface TopEntry {
  key: string;
  count: number;
  bytes: number;
}

export interface ChartData {
  buckets: TimeBucket[];
  bucketSeconds: number;
  talkers: TopEntry[];
  ports: TopEntry[];
  signatures: TopEntry[];
}

const STEPS = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400];

/** A round bucket width giving at most `maxBuckets` buckets over the span. */
export function bucketSeconds(spanSeconds: number, maxBuckets = 120): number {
  for (const s of STEPS) if (spanSeconds / s <= maxBuckets) return s;
  return Math.ceil(spanSeconds / maxBuckets / 86400) * 86400;
}

function top(m: Map<string, TopEntry>, n: number): TopEntry[] {
  return [...m.values()].sort((a, b) => b.count - a.count || b.bytes - a.bytes || a.key.localeCompare(b.key)).slice(0, n);
}

function bump(m: Map<string, TopEntry>, key: string, bytes: number): void {
  const e = m.get(key);
  if (e) {
    e.count++;
    e.bytes += bytes;
  } else m.set(key, { key, count: 1, bytes });
}

export function chartData(rows: readonly ArchivedEvent[], opts: { topN?: number; maxBuckets?: number } = {}): ChartData {
  const topN = opts.topN ?? 10;
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of rows) {
    if (r.ts < lo) lo = r.ts;
    if (r.ts > hi) hi = r.ts;
  }
  const talkers = new Map<string, TopEntry>();
  const ports = new Map<string, TopEntry>();
  const signatures = new Map<string, TopEntry>();
  if (!rows.length) return { buckets: [], bucketSeconds: 1, talkers: [], ports: [], signatures: [] };
  const width = bucketSeconds(Math.max(1, hi - lo), opts.maxBuckets);
  const start = Math.floor(lo / width) * width;
  const count = Math.floor((hi - start) / width) + 1;
  const buckets: TimeBucket[] = Array.from({ length: count }, (_, i) => ({ t: start + i * width, events: 0, bytes: 0 }));
  for (const r of rows) {
    const b = buckets[Math.floor((r.ts - start) / width)];
    b.events++;
    b.bytes += r.bytes;
    for (const ip of r.ips) bump(talkers, ip, r.bytes);
    // the service side: the lower port of the two is the better guess for flows without a role
    if (r.ports.length) bump(ports, String(r.kind === 'flow' && r.ports.length > 1 ? r.ports[1] : Math.min(...r.ports)), r.bytes);
    if (r.kind !== 'flow' && r.message) bump(signatures, r.sid >= 0 ? `${r.sid} ${r.message}` : `${r.kind}: ${r.message}`.slice(0, 120), r.bytes);
  }
  return { buckets, bucketSeconds: width, talkers: top(talkers, topN), ports: top(ports, topN), signatures: top(signatures, topN) };
}
