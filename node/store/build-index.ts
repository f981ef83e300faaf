/**
 * Builds the index of one capture file: read → decode → flow table → index file. With a memory
 * budget, the index is built in parts: when the flow table passes the budget (checked every few
 * hundred packets, CaptureIndexer), the part is written and the import goes on with a fresh table
 * that continues the flows still open (FlowTable.nextPart); each part records which of its flows
 * continue one of an earlier part, and the store links them back into one flow.
 */
import { open, unlink } from 'node:fs/promises';
import { CaptureIndexer, type IndexerPart } from '../../common/flow/capture-indexer.js';
import { CARRIED_FLOW_BYTES } from '../../common/flow/carried-flows.js';
import type { FlowTable } from '../../common/flow/flow-table.js';
import { encodeIndex } from '../../common/index/index-writer.js';
import type { IndexMeta } from '../../common/index/index-format.js';
import { readCaptureFile, type ReadCaptureOptions } from '../capture/read-capture-file.js';
import { nativeCrc32, writeIndexFile } from './index-file.js';
import { TAPLINE_VERSION } from '../version.js';

/** Carried flows an index part may always hand to the next (~6.5 MiB), whatever the budget. */
const MIN_CARRY = 65536;

/** Default flow-table budget of an import (see BuildIndexOptions.memoryBudget). */
export const DEFAULT_IMPORT_MEMORY_BUDGET = 128 * 1024 * 1024;

export interface BuildIndexOptions {
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * After each read, the flow table as built so far (read it, never change it): lets the caller
   * publish flows while the import runs. Flow f becomes flow `<id of index part>-f`. A part's
   * table is handed over once more when the part ends, with bytesRead = totalBytes (complete).
   */
  onFlowTable?: (table: FlowTable, bytesRead: number, totalBytes: number, part: number) => void;
  signal?: AbortSignal;
  /** How to open the capture (a file still arriving: node/store/growing-file.ts). */
  open?: ReadCaptureOptions['open'];
  /**
   * The source's identity, asked once every byte was read and before the index is written
   * (a file that arrived while it was read: its mtime, and a check of its fingerprint). A
   * rejection fails the build and removes every part written.
   */
  finalSource?: () => Promise<{ fingerprint: string; size: number; mtimeMs: number }>;
  /**
   * Bytes the flow table may hold before the index is split into parts (flow columns, hash,
   * packet offsets, carried flows; checked every PART_CHECK_PACKETS packets, so parts end at
   * the same packets whatever the read size). Unset: one index, however large. Parts need partPath.
   */
  memoryBudget?: number;
  /** Where index part n (> 0) goes; part 0 is the index path given. */
  partPath?: (part: number) => string;
}

export interface BuiltIndex {
  /** The last part's metadata (the only part's for a capture indexed whole). */
  meta: IndexMeta;
  /** Number of index parts (1: indexed whole). */
  parts: number;
  /** Records indexed, over all parts. */
  packets: number;
  /** Flows over all parts, a flow continued across parts counted once. */
  flows: number;
  indexBytes: number;
}

type SourceIdentity = { fingerprint: string; size: number; mtimeMs: number };

export async function buildIndex(sourcePath: string, indexPath: string, source: SourceIdentity, opts: BuildIndexOptions = {}): Promise<BuiltIndex> {
  const budget = opts.memoryBudget ?? Infinity;
  // carried flows take at most a quarter of the budget (two sets are held while one part hands
  // over to the next), but never fewer than MIN_CARRY: below that a budget would break flows
  // still open at a part boundary
  const maxCarry = Math.max(MIN_CARRY, Math.floor(budget / 4 / CARRIED_FLOW_BYTES));
  const ix = new CaptureIndexer(Number.isFinite(budget) ? { partBudget: Math.max(1, budget), maxCarry } : {});
  const partPath = (n: number): string => {
    if (n === 0) return indexPath;
    if (!opts.partPath) throw new Error('an index built in parts needs partPath');
    return opts.partPath(n);
  };
  const written: string[] = [];
  let packets = 0;
  let flows = 0;
  let indexBytes = 0;
  const onFlowTable = opts.onFlowTable;
  const onProgress = (done: number, size: number): void => {
    total = size;
    opts.onProgress?.(done, size);
    onFlowTable?.(ix.table, done, size, ix.partsEnded);
  };
  const commonMeta = (info: NonNullable<CaptureIndexer['fileInfo']>, pcapHeaderHex: string | null, compressed: 'gzip' | null, src: SourceIdentity) => ({
    writer: TAPLINE_VERSION,
    createdAt: new Date().toISOString(),
    source: { path: sourcePath, ...src },
    format: info.format,
    compressed,
    pcapHeaderHex,
    nanosecond: info.nanosecond,
    littleEndian: info.littleEndian,
    // a copy: interfaces found later belong to later parts
    interfaces: ix.interfaces.slice(),
  });
  let head: CaptureHead | null = null;
  const writePart = async (p: IndexerPart, n: number, last: { indexedBytes: number; damage: IndexMeta['damage']; src: SourceIdentity } | null): Promise<IndexMeta> => {
    const info = ix.fileInfo;
    if (!info) throw new Error(`${sourcePath}: not a capture file`);
    head ??= await captureHead(sourcePath, info.format, opts.open);
    const encoded = encodeIndex(
      p.table,
      {
        ...commonMeta(info, head.pcapHeaderHex, head.compressed, last?.src ?? source),
        packets: p.packets,
        bytes: p.bytes,
        indexedBytes: last?.indexedBytes ?? 0,
        firstTs: p.firstTs,
        lastTs: p.lastTs,
        damage: last?.damage ?? null,
        counts: { nonIpPackets: p.nonIpPackets, undecodedPackets: p.undecodedPackets, malformedPackets: p.malformedPackets },
        ...(last && n === 0 ? {} : { part: { number: n } }),
      },
      nativeCrc32,
    );
    const path = partPath(n);
    await writeIndexFile(path, encoded);
    written.push(path);
    packets += p.packets;
    flows += p.table.count - p.table.continuations;
    indexBytes += encoded.size;
    return encoded.meta;
  };
  let nextToWrite = 0;
  let total = 0;
  const writeEnded = async (): Promise<void> => {
    for (const p of ix.takeParts()) {
      // the part's last flows: once more, complete, before the next part's table replaces it
      onFlowTable?.(p.table, total, total, nextToWrite);
      await writePart(p, nextToWrite++, null);
    }
  };
  try {
    const afterChunk = Number.isFinite(budget) ? writeEnded : undefined;
    const res = await readCaptureFile(sourcePath, ix, { onProgress, signal: opts.signal, open: opts.open, afterChunk });
    if (opts.signal?.aborted) throw new Error('import interrupted');
    if (!ix.fileInfo) throw res.error ?? new Error(`${sourcePath}: not a capture file`);
    const src = opts.finalSource ? await opts.finalSource() : source;
    await writeEnded();
    ix.finish();
    const finalPart: IndexerPart = {
      table: ix.table,
      packets: ix.packets,
      bytes: ix.bytes,
      nonIpPackets: ix.nonIpPackets,
      undecodedPackets: ix.undecodedPackets,
      malformedPackets: ix.malformedPackets,
      firstTs: ix.firstTs,
      lastTs: ix.lastTs,
    };
    const damage = res.error ? { message: res.error.message, offset: res.error.offset } : null;
    const part = ix.partsEnded;
    const meta = await writePart(finalPart, part, { indexedBytes: res.consumed, damage, src });
    return { meta, parts: part + 1, packets, flows, indexBytes };
  } catch (e) {
    // parts already written describe a build that did not finish
    for (const p of written) await unlink(p).catch(() => undefined);
    throw e;
  }
}

interface CaptureHead {
  compressed: 'gzip' | null;
  /** pcap: the 24-byte global header as hex (slices of a single pcap source reuse it verbatim). */
  pcapHeaderHex: string | null;
}

/** Compression and pcap header, from the file's first bytes (read once they arrived). */
async function captureHead(path: string, format: 'pcap' | 'pcapng', openFile: ReadCaptureOptions['open']): Promise<CaptureHead> {
  const fh = openFile ? await openFile(path) : await open(path, 'r');
  try {
    const b = new Uint8Array(24);
    let got = 0;
    while (got < 24) {
      const { bytesRead } = await fh.read(b, got, 24 - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got >= 2 && b[0] === 0x1f && b[1] === 0x8b) return { compressed: 'gzip', pcapHeaderHex: null };
    return { compressed: null, pcapHeaderHex: format === 'pcap' && got === 24 ? Buffer.from(b).toString('hex') : null };
  } finally {
    await fh.close();
  }
}
