/**
 * Live capture on a local interface through Tapline's capture addon (native/capture): libpcap's
 * loop runs in a native thread that writes packets straight into batch buffers in the store
 * writer's layout and hands one batch at a time to this thread, which transfers it to the writer
 * thread untouched. Nothing runs here per packet.
 *
 * Buffers come from the sink (the threaded store writer's takeBatchBuffer, so its hand-off bound
 * covers them); a sink that takes single packets only (tests' collectors) gets each record of
 * the batch through packet(), and the buffer goes back to the thread.
 *
 * When the thread has no buffer it waits, and the kernel ring absorbs the wait; a ring that
 * overflows is counted by the kernel (ps_drop, reported as kernel drops).
 */
import type { LiveLink, LivePacketSink } from '../../../common/capture/live-packet-sink.js';
import { forEachBatchRecord, forEachBatchRun } from '../../store/live/packet-batch.js';
import { linuxLinkTypeOf } from '../interfaces.js';
import { checkLibpcapOptions, type LibpcapSourceOptions } from './libpcap-source.js';
import { dltOfLinkType, linkTypeOfDlt, nativeErrorCode, type NativeCaptureAddon, type NativeCaptureHandle, type NativeCaptureStats } from './native-capture-addon.js';
import { SourceConfigError, emptySourceStats, isBatchPacketSink, type BatchPacketSink, type LiveSource, type SourceEnd, type SourceStats } from './source-types.js';

/** Buffers lent to the capture thread at once: it fills one while the others travel. */
const LENT_BUFFERS = 8;
/** Buffers this source allocates itself, for sinks that take single packets only. */
const OWN_BATCH_BYTES = 1 << 20;

export class NativeLibpcapSource implements LiveSource {
  readonly description: string;
  readonly ended: Promise<SourceEnd>;
  private settle!: (end: SourceEnd) => void;
  private settled = false;
  private handle: NativeCaptureHandle | null = null;
  /** Buffers the capture thread holds (lent, not yet back in onBatch). */
  private lentCount = 0;
  private readonly counters: SourceStats = emptySourceStats();
  private last: NativeCaptureStats | null = null;
  private readonly batchSink: BatchPacketSink | null;
  private readonly snapLen: number;
  private readonly bufferSize: number;
  private threadEnded: Promise<string | null> | null = null;
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly opts: LibpcapSourceOptions,
    private readonly sink: LivePacketSink,
    private readonly addon: NativeCaptureAddon,
  ) {
    this.description = `libpcap ${opts.iface} (native capture thread)`;
    ({ snapLen: this.snapLen, bufferSize: this.bufferSize } = checkLibpcapOptions(opts));
    this.batchSink = isBatchPacketSink(sink) ? sink : null;
    this.ended = new Promise((resolve) => (this.settle = resolve));
  }

  async start(): Promise<void> {
    const o = this.opts;
    if (!/^[^\0/\s][^\0\s]{0,63}$/.test(o.iface) && o.iface !== 'any') throw new SourceConfigError(`"${o.iface}" is not an interface name`, 'bad-interface');
    const filter = o.filter ?? '';
    // compiled first against the link type the interface will have (Ethernet when unknown,
    // which still catches every syntax error), so a typo never opens the interface
    if (filter.includes('\0')) throw new SourceConfigError('BPF filter contains a NUL character', 'bad-filter');
    if (filter.length > 64 * 1024) throw new SourceConfigError('BPF filter is longer than 65536 characters', 'bad-filter');
    if (filter.trim() !== '') {
      try {
        this.addon.compileFilter(filter, dltOfLinkType(linuxLinkTypeOf(o.iface) ?? 1), this.snapLen);
      } catch (e) {
        throw new SourceConfigError(`invalid BPF filter "${filter}": ${e instanceof Error ? e.message : String(e)}`, 'bad-filter');
      }
    }
    let opened;
    try {
      opened = this.addon.open({ iface: o.iface, filter, snapLen: this.snapLen, promiscuous: o.promiscuous ?? true, bufferSize: this.bufferSize, timeoutMs: o.timeoutMs ?? 100, linkId: 0 });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const native = nativeErrorCode(e);
      if (native === 'ERR_BAD_FILTER') throw new SourceConfigError(`invalid BPF filter "${filter}": ${msg}`, 'bad-filter');
      const code = native === 'ERR_PCAP_PERM' || /permission|not permitted/i.test(msg) ? 'permission-denied' : native === 'ERR_PCAP_NO_DEVICE' || /no such device|doesn't exist/i.test(msg) ? 'bad-interface' : 'open-failed';
      const hint = code === 'permission-denied' ? ' (the capture worker needs cap_net_raw,cap_net_admin: see docs/CAPTURE.md)' : '';
      throw new SourceConfigError(`cannot capture on ${o.iface}: ${msg}${hint}`, code);
    }
    if (opened.warning) process.stderr.write(`libpcap warning (${o.iface}): ${opened.warning}\n`);
    const handle = opened.handle;
    const link: LiveLink = { id: 0, linkType: linkTypeOfDlt(opened.dlt), snapLen: this.snapLen, name: o.iface };
    try {
      this.sink.link(link);
      this.handle = handle;
      this.batchSink?.onBatchBufferFree(() => this.lend());
      this.lend();
      this.threadEnded = new Promise((resolveEnd) => {
        this.addon.start(
          handle,
          (buf, len, packets, bytes) => this.onBatch(buf, len, packets, bytes),
          (error) => {
            resolveEnd(error);
            // a read error ends the capture by itself; a requested stop settles in stop()
            if (error !== null && this.stopping === null) this.stopping = this.finish({ kind: 'error', message: error });
          },
        );
      });
    } catch (e) {
      // no thread runs (or it could not start): release the handle, nothing is captured
      this.batchSink?.onBatchBufferFree(null);
      this.handle = null;
      this.addon.close(handle);
      throw new SourceConfigError(`cannot capture on ${o.iface}: ${e instanceof Error ? e.message : String(e)}`, 'open-failed');
    }
  }

  /** Tops the capture thread up to LENT_BUFFERS buffers (as far as the sink's bound allows). */
  private lend(): void {
    const h = this.handle;
    while (h !== null && this.lentCount < LENT_BUFFERS) {
      const b = this.batchSink ? this.batchSink.takeBatchBuffer() : new Uint8Array(OWN_BATCH_BYTES);
      if (b === null) return;
      this.addon.give(h, b);
      this.lentCount++;
    }
  }

  /** Once per batch, called from the capture thread through the addon's threadsafe function. */
  private onBatch(buf: ArrayBuffer | Uint8Array, len: number, packets: number, bytes: number): void {
    this.lentCount--;
    this.counters.packets += packets;
    this.counters.bytes += bytes;
    // the addon hands back the object lent: always a Uint8Array here
    const batch = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
    if (this.batchSink !== null) {
      this.batchSink.packetBatch(batch, len, packets, bytes);
      this.lend();
      return;
    }
    forEachBatchRun(batch, len, (linkId, from, to) => {
      forEachBatchRecord(batch.subarray(from, to), to - from, linkId, (p) => this.sink.packet(p));
    });
    if (this.handle !== null) {
      this.addon.give(this.handle, batch);
      this.lentCount++;
    }
  }

  stats(): SourceStats {
    if (this.handle !== null) this.last = this.addon.stats(this.handle);
    const st = this.last;
    return {
      ...this.counters,
      kernelDrops: st?.statsOk ? st.psDrop : null,
      ifDrops: st?.statsOk ? st.psIfdrop : null,
      handoffDrops: st?.ringDrops ?? 0,
    };
  }

  /** Drains the ring, waits for the thread's last batch, then closes the handle. */
  stop(): Promise<void> {
    if (this.stopping === null) this.stopping = this.finish({ kind: 'stopped' });
    return this.stopping;
  }

  private async finish(end: SourceEnd): Promise<void> {
    const h = this.handle;
    if (h !== null) {
      this.addon.stop(h);
      // every batch the thread handed over comes before onEnd (one FIFO queue)
      if (this.threadEnded) await this.threadEnded;
      this.last = this.addon.stats(h);
      this.batchSink?.onBatchBufferFree(null);
      this.handle = null;
      this.addon.close(h);
    }
    if (!this.settled) {
      this.settled = true;
      this.settle(end);
    }
  }
}
