/**
 * Turns found flows into a capture file: each capture's packet offsets come from the index (a
 * seek-and-copy, never a scan); packets keep capture order within a capture, and slices spanning
 * several captures are merged in time order (ties keep store order).
 */
import type { IndexMeta } from '../../common/index/index-format.js';
import { compareTs, type Timestamp } from '../../common/time/timestamp.js';
import { writePcapRecordHeader } from '../../common/capture/pcap-writer.js';
import { readCaptureFile } from '../capture/read-capture-file.js';
import { CaptureReader, type RecordView } from './capture-reader.js';
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
  /** The entry id of a live segment (retention may delete it while it is read), else null. */
  segment: string | null;
}

function inWindow(sec: number, nsec: number, req: SliceRequest): boolean {
  if (req.stime && compareTs(sec, nsec, req.stime.sec, req.stime.nsec) < 0) return false;
  if (req.etime && compareTs(sec, nsec, req.etime.sec, req.etime.nsec) > 0) return false;
  return true;
}

/** Record offsets of one capture file, from several flows or pieces, merged in capture order. */
export function inCaptureOrder(lists: readonly Float64Array[]): Float64Array {
  if (lists.length === 1) return lists[0];
  const all = new Float64Array(lists.reduce((n, l) => n + l.length, 0));
  let at = 0;
  for (const l of lists) {
    all.set(l, at);
    at += l.length;
  }
  return all.sort();
}

async function gatherParts(store: Store, flows: FoundFlow[]): Promise<Part[]> {
  // a flow that crossed live segment rotations or index parts is read through its pieces; the
  // pieces of one capture file (its index parts) are read together, in capture order
  const byFile = new Map<string, FoundFlow[]>();
  for (const f of flows.flatMap((x) => x.pieces ?? [x])) {
    const key = store.captureOf(f.capture).id;
    const l = byFile.get(key);
    if (l) l.push(f);
    else byFile.set(key, [f]);
  }
  const parts: Part[] = [];
  for (const entry of store.captures) {
    const fl = byFile.get(entry.id);
    if (!fl) continue;
    const segment = store.isLiveSegment(entry.id) ? entry.id : null;
    try {
      const lists: Float64Array[] = [];
      let meta: IndexMeta | null = null;
      for (const f of fl) {
        const m = await store.indexMeta(f.capture);
        if (!m) throw new Error(`capture ${entry.path} is not available for slicing`);
        lists.push(await store.packetOffsets(f.capture, f.record));
        // the latest part knows every interface the earlier ones do
        if (!meta || m.interfaces.length > meta.interfaces.length) meta = m;
      }
      if (meta) parts.push({ meta, path: entry.path, offsets: inCaptureOrder(lists), segment });
    } catch (e) {
      if (await deletedByRetention(store, segment)) continue;
      throw e;
    }
  }
  return parts;
}

/**
 * Records of a gzip-compressed capture at the indexed offsets (offsets in the decompressed
 * stream): gzip cannot seek, so this is one streaming pass, stopping after the last one wanted.
 * pcap record headers are re-encoded from the parsed fields, which gives the original bytes for
 * the file's own byte order and precision.
 */
async function readCompressed(part: Part): Promise<RecordView[]> {
  const out: RecordView[] = [];
  const wanted = part.offsets;
  let next = 0;
  const le = part.meta.littleEndian;
  const stop = new AbortController();
  await readCaptureFile(
    part.path,
    {
      onFileInfo: () => undefined,
      onInterface: () => undefined,
      onPacket: (rec) => {
        while (next < wanted.length && wanted[next] < rec.recordOffset) next++;
        if (next >= wanted.length || wanted[next] !== rec.recordOffset) return;
        next++;
        const data = rec.data.slice();
        let raw = data;
        if (part.meta.format === 'pcap') {
          raw = new Uint8Array(16 + data.length);
          writePcapRecordHeader(raw, 0, rec.tsSec, part.meta.nanosecond ? rec.tsNsec : Math.floor(rec.tsNsec / 1000), rec.capLen, rec.origLen, le);
          raw.set(data, 16);
        }
        out.push({ raw, data: part.meta.format === 'pcap' ? raw.subarray(16) : data, tsSec: rec.tsSec, tsNsec: rec.tsNsec, capLen: rec.capLen, origLen: rec.origLen, interfaceId: rec.interfaceId, linkType: rec.linkType });
        if (next >= wanted.length) stop.abort();
      },
    },
    { signal: stop.signal },
  ).catch((e: unknown) => {
    if (!stop.signal.aborted) throw e;
  });
  if (out.length !== wanted.length) throw new Error(`${part.path}: found ${out.length} of ${wanted.length} indexed packets (the capture changed after it was indexed?)`);
  return out;
}

interface PartReader {
  /** Record i when it is at hand without I/O (no promise), else null. */
  tryRead: (i: number) => RecordView | null;
  read: (i: number) => Promise<RecordView>;
  close: () => Promise<void>;
}

/** Reads records in offset order, from a seekable file or a compressed stream. */
async function openPart(part: Part): Promise<PartReader> {
  if (part.meta.compressed) {
    const recs = await readCompressed(part);
    return { tryRead: (i) => recs[i], read: async (i) => recs[i], close: async () => undefined };
  }
  const r = await CaptureReader.open(part.path, part.meta);
  // the reader knows every offset it will be asked for: each disk read covers a run of them
  r.setPlan(part.offsets);
  return {
    tryRead: (i) => {
      const rec = r.tryRead(part.offsets[i]);
      return typeof rec === 'number' ? null : rec;
    },
    read: (i) => r.read(part.offsets[i]),
    close: () => r.close(),
  };
}

/**
 * A live segment that retention deleted after its flows were found: its packets are no longer
 * stored, so a read leaves it out instead of failing (whatever the failed read said: a missing
 * file, an index gone). Any other failure stands.
 */
async function deletedByRetention(store: Store, segment: string | null): Promise<boolean> {
  return segment !== null && store.liveSegmentDeleted(segment);
}

/** Opens the parts' readers (closing those opened when one fails), leaving out segments retention deleted meanwhile. */
async function openParts(store: Store, all: Part[]): Promise<{ parts: Part[]; readers: PartReader[] }> {
  const parts: Part[] = [];
  const readers: PartReader[] = [];
  try {
    for (const p of all) {
      try {
        readers.push(await openPart(p));
        parts.push(p);
      } catch (e) {
        if (!(await deletedByRetention(store, p.segment))) throw e;
      }
    }
  } catch (e) {
    for (const r of readers) await r.close();
    throw e;
  }
  return { parts, readers };
}

/** One packet of a flow read back from its capture, with the capture it came from. */
export interface FlowPacket {
  /** Reused by the next iteration: copy what you keep. */
  record: RecordView;
  /** Index into the captures of this read (0-based, store order). */
  part: number;
  meta: IndexMeta;
}

/**
 * The packets of the given flows, read by offset from their captures: capture order within a
 * capture, several captures merged by time (ties keep store order), filtered to the inclusive
 * window. The one reader behind slices, follow-stream and carving.
 */
export async function* flowPackets(store: Store, req: Omit<SliceRequest, 'format'>): AsyncGenerator<FlowPacket> {
  const { parts, readers } = await openParts(store, await gatherParts(store, req.flows));
  yield* packetsOfParts(parts, readers, req);
}

/** What eachFlowPacket's callback returns: 'stop' ends the read early; a promise is awaited first. */
export type PacketVisit = void | 'stop' | Promise<void | 'stop'>;

/**
 * flowPackets as a callback: same packets, same order, but the records of one capture that are
 * already buffered are handed over in a plain loop (no promise per packet); the only awaits are
 * disk reads (one per run of nearby records) and promises the callback returns.
 */
export async function eachFlowPacket(store: Store, req: Omit<SliceRequest, 'format'>, visit: (p: FlowPacket) => PacketVisit): Promise<void> {
  const { parts, readers } = await openParts(store, await gatherParts(store, req.flows));
  if (parts.length !== 1) {
    for await (const p of packetsOfParts(parts, readers, req)) {
      let v = visit(p);
      if (v instanceof Promise) v = await v;
      if (v === 'stop') return;
    }
    return;
  }
  const part = parts[0];
  const reader = readers[0];
  const windowed = req.stime !== undefined || req.etime !== undefined;
  const p: FlowPacket = { record: null as unknown as RecordView, part: 0, meta: part.meta };
  try {
    const n = part.offsets.length;
    for (let i = 0; i < n; i++) {
      p.record = reader.tryRead(i) ?? (await reader.read(i));
      if (windowed && !inWindow(p.record.tsSec, p.record.tsNsec, req)) continue;
      let v = visit(p);
      if (v instanceof Promise) v = await v;
      if (v === 'stop') return;
    }
  } finally {
    await reader.close();
  }
}

/** Merges the opened parts' packets by time; closes the readers when done. */
async function* packetsOfParts(parts: Part[], readers: PartReader[], req: Omit<SliceRequest, 'format'>): AsyncGenerator<FlowPacket> {
  try {
    // One pass, merging the captures' packet sequences by time: each capture keeps its own order
    // (a capture whose clock steps back is not reordered), ties go to the earlier capture. Each
    // reader reuses its record view, so a head stays valid until its own reader advances.
    const next = new Array<number>(parts.length).fill(0);
    const heads = new Array<RecordView | null>(parts.length).fill(null);
    const advance = async (pi: number): Promise<void> => {
      heads[pi] = null;
      while (next[pi] < parts[pi].offsets.length) {
        const i = next[pi]++;
        const r = readers[pi].tryRead(i) ?? (await readers[pi].read(i));
        if (inWindow(r.tsSec, r.tsNsec, req)) {
          heads[pi] = r;
          return;
        }
      }
    };
    for (let pi = 0; pi < parts.length; pi++) await advance(pi);
    for (;;) {
      let best = -1;
      for (let pi = 0; pi < parts.length; pi++) {
        const h = heads[pi];
        if (h && (best < 0 || compareTs(h.tsSec, h.tsNsec, (heads[best] as RecordView).tsSec, (heads[best] as RecordView).tsNsec) < 0)) best = pi;
      }
      if (best < 0) return;
      yield { record: heads[best] as RecordView, part: best, meta: parts[best].meta };
      await advance(best);
    }
  } finally {
    for (const r of readers) await r.close();
  }
}

export async function writeSlice(store: Store, req: SliceRequest, outPath: string): Promise<SliceResult> {
  const { parts, readers } = await openParts(store, await gatherParts(store, req.flows));
  const plan = planSlice(
    parts.map((p) => p.meta),
    req.format,
  );
  let writer: SliceWriter;
  try {
    writer = await SliceWriter.create(outPath, plan, parts.map((p) => p.meta));
  } catch (e) {
    for (const r of readers) await r.close();
    throw e;
  }
  try {
    for await (const p of packetsOfParts(parts, readers, req)) await writer.add(p.record, p.part);
    await writer.commit();
  } catch (e) {
    await writer.abort();
    throw e;
  }
  return { packets: writer.packets, flows: req.flows.length, format: plan.format };
}
