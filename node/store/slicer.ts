/**
 * Turns found flows into a capture file: each capture's packet offsets come from the index (a
 * seek-and-copy, never a scan); packets keep capture order within a capture, and slices spanning
 * several captures are merged in time order (ties keep store order).
 */
import type { IndexMeta } from '../../common/index/index-format.js';
import { compareTs, type Timestamp } from '../../common/time/timestamp.js';
import { CaptureReader } from './capture-reader.js';
import { SliceWriter, planSlice, type SliceFormat } from './slice-writer.js';
import type { FoundFlow, Store } from './store.js';

export interface SliceRequest {
  flows: FoundFlow[];
  /** Inclusive packet time window. */
  stime?: Timestamp;
  etime?: Timestamp;
  format?: SliceFormat;
}

export interface SliceResult {
  packets: number;
  flows: number;
  format: SliceFormat;
}

interface Part {
  meta: IndexMeta;
  path: string;
  offsets: Float64Array;
}

function inWindow(sec: number, nsec: number, req: SliceRequest): boolean {
  if (req.stime && compareTs(sec, nsec, req.stime.sec, req.stime.nsec) < 0) return false;
  if (req.etime && compareTs(sec, nsec, req.etime.sec, req.etime.nsec) > 0) return false;
  return true;
}

async function gatherParts(store: Store, flows: FoundFlow[]): Promise<Part[]> {
  const byCapture = new Map<string, FoundFlow[]>();
  for (const f of flows) {
    const l = byCapture.get(f.capture.id);
    if (l) l.push(f);
    else byCapture.set(f.capture.id, [f]);
  }
  const parts: Part[] = [];
  for (const entry of store.captures) {
    const fl = byCapture.get(entry.id);
    if (!fl) continue;
    const file = await store.index(entry);
    if (!file) throw new Error(`capture ${entry.path} is not available for slicing`);
    const lists = await Promise.all(fl.map((f) => file.packetOffsets(f.record)));
    const total = lists.reduce((n, l) => n + l.length, 0);
    const all = new Float64Array(total);
    let at = 0;
    for (const l of lists) {
      all.set(l, at);
      at += l.length;
    }
    if (lists.length > 1) all.sort();
    parts.push({ meta: file.meta, path: entry.path, offsets: all });
  }
  return parts;
}

export async function writeSlice(store: Store, req: SliceRequest, outPath: string): Promise<SliceResult> {
  const parts = await gatherParts(store, req.flows);
  const plan = planSlice(
    parts.map((p) => p.meta),
    req.format,
  );
  const writer = await SliceWriter.create(outPath, plan, parts.map((p) => p.meta));
  const readers: CaptureReader[] = [];
  try {
    for (const p of parts) readers.push(await CaptureReader.open(p.path, p.meta));
    if (parts.length <= 1) {
      const p = parts[0];
      if (p) {
        for (const off of p.offsets) {
          const r = await readers[0].read(off);
          if (inWindow(r.tsSec, r.tsNsec, req)) await writer.add(r, 0);
        }
      }
    } else {
      // first pass: timestamps only, to merge captures in time order
      const order: { sec: number; nsec: number; part: number; off: number }[] = [];
      for (let i = 0; i < parts.length; i++) {
        for (const off of parts[i].offsets) {
          const r = await readers[i].read(off);
          if (inWindow(r.tsSec, r.tsNsec, req)) order.push({ sec: r.tsSec, nsec: r.tsNsec, part: i, off });
        }
      }
      order.sort((a, b) => compareTs(a.sec, a.nsec, b.sec, b.nsec) || a.part - b.part || a.off - b.off);
      for (const o of order) await writer.add(await readers[o.part].read(o.off), o.part);
    }
    await writer.commit();
  } catch (e) {
    await writer.abort();
    throw e;
  } finally {
    for (const r of readers) await r.close();
  }
  return { packets: writer.packets, flows: req.flows.length, format: plan.format };
}
