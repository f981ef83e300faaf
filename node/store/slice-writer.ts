/**
 * Writes a slice. The output keeps the source's link type and timestamp precision:
 * - pcap sources that agree on link type, precision and byte order → pcap with the source's own
 *   global header and every record copied verbatim;
 * - otherwise, when one link type covers every interface involved → pcap (little-endian), in
 *   nanoseconds if any involved interface is finer than microseconds (what tshark does when it
 *   converts pcapng to pcap), record headers re-encoded and packet bytes copied;
 * - several link types, or `format: 'pcapng'` → pcapng with one IDB per source interface; blocks
 *   of a single-section little-endian pcapng source are copied verbatim.
 * The file appears only when complete (AtomicFile).
 */
import {
  encodePcapGlobalHeader,
  encodePcapngEnhancedPacketBlock,
  encodePcapngInterfaceBlock,
  encodePcapngSectionHeader,
  writePcapRecordHeader,
} from '../../common/capture/pcap-writer.js';
import type { IndexInterface, IndexMeta } from '../../common/index/index-format.js';
import { AtomicFile } from '../fs/atomic-file.js';
import type { RecordView } from './capture-reader.js';
import { tsresolOf } from '../../common/capture/pcapng-timestamp.js';

export type SliceFormat = 'pcap' | 'pcapng';

export interface SlicePlan {
  format: SliceFormat;
  /** pcap: copy each source record as is (sources' headers are identical). */
  verbatim: boolean;
  nanosecond: boolean;
  header: Uint8Array;
  /** pcapng: first output interface id of each source. */
  ifaceBase: number[];
  /** pcapng: source indexes whose blocks can be copied unchanged. */
  verbatimSources: Set<number>;
}

function finerThanMicro(i: IndexInterface): boolean {
  return i.tsResolutionPow2 > 20 || i.tsUnitsPerSecond > 1e6;
}

export function planSlice(sources: IndexMeta[], requested?: SliceFormat): SlicePlan {
  const ifaces = sources.flatMap((m) => m.interfaces);
  const linkTypes = new Set(ifaces.map((i) => i.linkType));
  const allPcap = sources.every((m) => m.format === 'pcap' && m.pcapHeaderHex !== null);
  const format: SliceFormat = requested ?? (linkTypes.size <= 1 ? 'pcap' : 'pcapng');
  if (format === 'pcap') {
    if (linkTypes.size > 1) throw new Error(`the slice spans ${linkTypes.size} link types (${[...linkTypes].join(', ')}); a pcap file holds one: use --format pcapng`);
    const headers = new Set(sources.map((m) => m.pcapHeaderHex));
    if (allPcap && headers.size === 1 && sources.length > 0) {
      const m = sources[0];
      return { format, verbatim: true, nanosecond: m.nanosecond, header: Buffer.from(m.pcapHeaderHex as string, 'hex'), ifaceBase: [], verbatimSources: new Set() };
    }
    const nanosecond = sources.some((m) => (m.format === 'pcap' ? m.nanosecond : m.interfaces.some(finerThanMicro)));
    const snapLen = Math.max(0, ...ifaces.map((i) => i.snapLen || 262144));
    const header = encodePcapGlobalHeader({ linkType: ifaces[0]?.linkType ?? 1, snapLen: snapLen || 262144, nanosecond });
    return { format, verbatim: false, nanosecond, header, ifaceBase: [], verbatimSources: new Set() };
  }
  const parts: Uint8Array[] = [encodePcapngSectionHeader({ userAppl: 'Tapline slice' })];
  const ifaceBase: number[] = [];
  const verbatimSources = new Set<number>();
  let next = 0;
  sources.forEach((m, s) => {
    ifaceBase.push(next);
    // blocks can be copied as they are when interface numbering, byte order and timestamp base agree
    const copyable = m.interfaces.every((i) => i.section === 0 && i.tsOffsetSec === 0);
    const verbatim = m.format === 'pcapng' && m.compressed === null && m.littleEndian && copyable && next === 0;
    if (verbatim) verbatimSources.add(s);
    for (const i of m.interfaces) {
      const tsresol = m.format === 'pcap' ? (m.nanosecond ? 9 : 6) : verbatim || !i.tsResolutionPow2 ? tsresolOf(i) : 9;
      parts.push(encodePcapngInterfaceBlock({ linkType: i.linkType, snapLen: i.snapLen, tsresol, name: i.name ?? undefined }));
      next++;
    }
  });
  const total = parts.reduce((n, p) => n + p.length, 0);
  const header = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    header.set(p, at);
    at += p.length;
  }
  return { format, verbatim: false, nanosecond: true, header, ifaceBase, verbatimSources };
}

const FLUSH = 1 << 20;

export class SliceWriter {
  packets = 0;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  private constructor(
    private readonly file: AtomicFile,
    private readonly plan: SlicePlan,
    private readonly sources: IndexMeta[],
  ) {}

  static async create(path: string, plan: SlicePlan, sources: IndexMeta[]): Promise<SliceWriter> {
    const w = new SliceWriter(await AtomicFile.create(path), plan, sources);
    w.push(plan.header);
    return w;
  }

  private push(b: Uint8Array): void {
    this.pending.push(b);
    this.pendingBytes += b.length;
  }

  private async flushIfFull(): Promise<void> {
    if (this.pendingBytes >= FLUSH) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    await this.file.write(Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
  }

  async add(r: RecordView, source: number): Promise<void> {
    const p = this.plan;
    if (p.format === 'pcap') {
      if (p.verbatim) this.push(new Uint8Array(r.raw)); // a copy: r.raw is a view into the reader's window
      else {
        const out = new Uint8Array(16 + r.capLen);
        writePcapRecordHeader(out, 0, r.tsSec, p.nanosecond ? r.tsNsec : Math.floor(r.tsNsec / 1000), r.capLen, r.origLen);
        out.set(r.data, 16);
        this.push(out);
      }
    } else if (p.verbatimSources.has(source) && r.raw[0] === 6) {
      this.push(new Uint8Array(r.raw));
    } else {
      const m = this.sources[source];
      const iface = m.interfaces[r.interfaceId];
      const units = m.format === 'pcap' ? (m.nanosecond ? 1e9 : 1e6) : iface && !iface.tsResolutionPow2 ? iface.tsUnitsPerSecond || 1e6 : 1e9;
      // our IDBs carry no if_tsoffset, so timestamps are written absolute
      this.push(encodePcapngEnhancedPacketBlock(p.ifaceBase[source] + r.interfaceId, r.tsSec, r.tsNsec, units, r.data, r.origLen));
    }
    this.packets++;
    await this.flushIfFull();
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.file.commit();
  }

  async abort(): Promise<void> {
    await this.file.abort();
  }
}
