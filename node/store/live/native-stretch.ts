/**
 * The live writer's native indexing of packets of existing flows (native/flow-index): for a
 * stretch of records of a pcap segment of an Ethernet link, what indexRecord → onPacket →
 * decodeFastIpv4 + addFastIpv4 does per packet, done in C on the segment's FlowTable in one call,
 * up to the first record it cannot take (a new flow, a restart, a packet for the general decoder,
 * a new arena page, the segment's end), which the writer then indexes the usual way.
 * TAPLINE_NATIVE_FLOWS=0 (or the addon missing, stale, TAPLINE_NATIVE=0) keeps every packet in
 * TypeScript: the equivalence tests compare the two.
 */
import type { CaptureIndexer } from '../../../common/flow/capture-indexer.js';
import type { FlowTable } from '../../../common/flow/flow-table.js';
import { FlowIndexIo, loadFlowIndexAddon, type FlowIndexAddon, type FlowIndexContext } from '../../native/flow-index-addon.js';

export class NativeStretchIndexer {
  private readonly io = new Float64Array(FlowIndexIo.words);
  private readonly ctx: FlowIndexContext;
  private boundTable: FlowTable | null = null;
  private boundLayout = -1;

  private constructor(private readonly addon: FlowIndexAddon) {
    this.ctx = addon.createContext(this.io);
  }

  /** The native indexer, or null when the addon is not to be used (switched off, missing, stale). */
  static create(): NativeStretchIndexer | null {
    return NativeStretchIndexer.load().indexer;
  }

  /** create() with the reason when there is none. */
  static load(): { indexer: NativeStretchIndexer; reason: null } | { indexer: null; reason: string } {
    if (process.env.TAPLINE_NATIVE_FLOWS === '0') return { indexer: null, reason: 'switched off (TAPLINE_NATIVE_FLOWS=0)' };
    const load = loadFlowIndexAddon();
    return load.ok ? { indexer: new NativeStretchIndexer(load.addon), reason: null } : { indexer: null, reason: load.reason };
  }

  /** The batch the next runs read (held until the next setBatch). */
  setBatch(batch: Uint8Array): void {
    this.addon.setBatch(this.ctx, batch);
  }

  /**
   * Indexes records of the batch from `at` (before `len`) into `indexer` (eligible, of an
   * Ethernet pcap segment) while it can: the record at batch position x lies at file offset
   * base + x, and one ending past `limit` (base + its end) is not taken. Returns where it
   * stopped; what it added is in takenPackets, takenOrigBytes and takenNewestRawSec.
   */
  run(indexer: CaptureIndexer, at: number, len: number, base: number, limit: number): number {
    const table = indexer.table;
    if (table !== this.boundTable || table.layoutVersion !== this.boundLayout) {
      this.addon.bindTable(this.ctx, table.nativeColumns());
      this.boundTable = table;
      this.boundLayout = table.layoutVersion;
    }
    const io = this.io;
    io[FlowIndexIo.base] = base;
    io[FlowIndexIo.limit] = limit;
    io[FlowIndexIo.nextBlock] = table.arena.nextFreeBlock;
    const stop = this.addon.run(this.ctx, at, len);
    if (stop > at) {
      indexer.addedNatively(this.takenPackets, this.takenOrigBytes, io[FlowIndexIo.firstSec], io[FlowIndexIo.firstNsec] | 0, io[FlowIndexIo.lastSec], io[FlowIndexIo.lastNsec] | 0, io[FlowIndexIo.nextBlock] | 0);
    }
    return stop;
  }

  // What the last run that took records added, read from the in/out words themselves, and the
  // counts as small integers (`| 0`, where they are), as the TypeScript path stores them: copied
  // into an object's fields, or stored as doubles into fields that had held small integers, they
  // changed those fields' representation, and the maps' deprecation aborted the writer loop's
  // optimization in the warm-up and again in the capture.

  /** Records the last run took (when it took any). */
  get takenPackets(): number {
    return this.io[FlowIndexIo.packets] | 0;
  }

  /** Their original bytes. */
  get takenOrigBytes(): number {
    const b = this.io[FlowIndexIo.origBytes];
    return b === (b | 0) ? b | 0 : b;
  }

  /** Their largest raw tsSec (before the nanosecond carry), as borrowRuns' newestSec reads it. */
  get takenNewestRawSec(): number {
    return this.io[FlowIndexIo.newestRawSec];
  }
}
