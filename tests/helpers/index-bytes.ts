/** The whole index of a finished CaptureIndexer as one byte array (what tests compare between two ways of indexing). */
import type { CaptureIndexer } from '../../common/flow/capture-indexer.js';
import { encodeIndex } from '../../common/index/index-writer.js';

export function encodeWholeIndex(ix: CaptureIndexer): Uint8Array {
  ix.finish();
  const enc = encodeIndex(ix.table, {
    writer: 'test',
    createdAt: '',
    source: { path: '/x', size: 0, mtimeMs: 0, fingerprint: '0'.repeat(64) },
    format: 'pcap',
    compressed: null,
    pcapHeaderHex: null,
    nanosecond: false,
    littleEndian: true,
    interfaces: ix.interfaces,
    packets: ix.packets,
    bytes: ix.bytes,
    indexedBytes: 0,
    firstTs: ix.firstTs,
    lastTs: ix.lastTs,
    damage: null,
    counts: { nonIpPackets: ix.nonIpPackets, undecodedPackets: ix.undecodedPackets, malformedPackets: ix.malformedPackets },
  });
  return new Uint8Array(Buffer.concat(enc.chunks, enc.size));
}
