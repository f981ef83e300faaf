/** Builds the index of one capture file: read → decode → flow table → index file. */
import { open } from 'node:fs/promises';
import { CaptureIndexer } from '../../common/flow/capture-indexer.js';
import type { FlowTable } from '../../common/flow/flow-table.js';
import { encodeIndex } from '../../common/index/index-writer.js';
import type { IndexMeta } from '../../common/index/index-format.js';
import { readCaptureFile, type ReadCaptureOptions } from '../capture/read-capture-file.js';
import { nativeCrc32, writeIndexFile } from './index-file.js';
import { TAPLINE_VERSION } from '../version.js';

export interface BuildIndexOptions {
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /**
   * After each read, the flow table as built so far (read it, never change it): lets the caller
   * publish flows while the import runs. Flow f becomes flow `<capture id>-f` of the index.
   */
  onFlowTable?: (table: FlowTable, bytesRead: number, totalBytes: number) => void;
  signal?: AbortSignal;
  /** How to open the capture (a file still arriving: node/store/growing-file.ts). */
  open?: ReadCaptureOptions['open'];
  /**
   * The source's identity, asked once every byte was read and before the index is written
   * (a file that arrived while it was read: its mtime, and a check of its fingerprint). A
   * rejection fails the build with nothing written.
   */
  finalSource?: () => Promise<{ fingerprint: string; size: number; mtimeMs: number }>;
}

export interface BuiltIndex {
  meta: IndexMeta;
  indexBytes: number;
}

export async function buildIndex(
  sourcePath: string,
  indexPath: string,
  source: { fingerprint: string; size: number; mtimeMs: number },
  opts: BuildIndexOptions = {},
): Promise<BuiltIndex> {
  const ix = new CaptureIndexer();
  const onFlowTable = opts.onFlowTable;
  const onProgress = onFlowTable
    ? (done: number, total: number) => {
        opts.onProgress?.(done, total);
        onFlowTable(ix.table, done, total);
      }
    : opts.onProgress;
  const res = await readCaptureFile(sourcePath, ix, { onProgress, signal: opts.signal, open: opts.open });
  if (opts.signal?.aborted) throw new Error('import interrupted');
  if (opts.finalSource) source = await opts.finalSource();
  ix.finish();
  const info = ix.fileInfo;
  if (!info) throw res.error ?? new Error(`${sourcePath}: not a capture file`);
  let pcapHeaderHex: string | null = null;
  if (info.format === 'pcap' && res.compressed === null) {
    const fh = await open(sourcePath, 'r');
    try {
      const b = Buffer.alloc(24);
      await fh.read(b, 0, 24, 0);
      pcapHeaderHex = b.toString('hex');
    } finally {
      await fh.close();
    }
  }
  const encoded = encodeIndex(
    ix.table,
    {
      writer: TAPLINE_VERSION,
      createdAt: new Date().toISOString(),
      source: { path: sourcePath, ...source },
      format: info.format,
      compressed: res.compressed,
      pcapHeaderHex,
      nanosecond: info.nanosecond,
      littleEndian: info.littleEndian,
      interfaces: ix.interfaces,
      packets: ix.packets,
      bytes: ix.bytes,
      indexedBytes: res.consumed,
      firstTs: ix.firstTs,
      lastTs: ix.lastTs,
      damage: res.error ? { message: res.error.message, offset: res.error.offset } : null,
      counts: { nonIpPackets: ix.nonIpPackets, undecodedPackets: ix.undecodedPackets, malformedPackets: ix.malformedPackets },
    },
    nativeCrc32,
  );
  await writeIndexFile(indexPath, encoded);
  return { meta: encoded.meta, indexBytes: encoded.size };
}
