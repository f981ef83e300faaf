/**
 * One live capture: a source (libpcap, ssh, PCAP-over-IP, a pipe) feeding the store writer, with
 * stats once a second. Used by the capture worker (the privileged process) and, for sources that
 * need no privilege (`--read -`), by the CLI in-process.
 *
 * Store writer: until the live store writer (issue 5 part B) is merged, PcapngSegmentSink writes
 * segments under STORE/captures/ and each closed segment is indexed with the ordinary import.
 * Options that only the live writer implements (retention bounds, conditional mode) are refused
 * with a clear error instead of being silently ignored.
 */
import { join } from 'node:path';
import type { LiveGap, LiveLink, LivePacket, LivePacketSink } from '../../common/capture/live-packet-sink.js';
import type { CaptureEvent, CaptureSourceConfig, CaptureStats, CaptureStoreOptions } from '../../common/worker/capture-worker-protocol.js';
import { Store } from '../store/store.js';
import { LiveFlowTracker } from './live-flow-tracker.js';
import { PcapngSegmentSink } from './pcapng-segment-sink.js';
import { LibpcapSource } from './sources/libpcap-source.js';
import { SourceConfigError, type LiveSource, type SourceEnd } from './sources/source-types.js';
import { SshSource } from './sources/ssh-source.js';
import { createPcapOverIpSource } from './sources/stream-source.js';

export interface LiveCaptureHooks {
  onStats?: (s: CaptureStats) => void;
  onEvent?: (e: CaptureEvent) => void;
  log?: (line: string) => void;
}

export function createSource(config: CaptureSourceConfig, sink: LivePacketSink): LiveSource {
  switch (config.kind) {
    case 'libpcap':
      return new LibpcapSource({ iface: config.iface, filter: config.filter, snapLen: config.snapLen, promiscuous: config.promiscuous, bufferSize: config.bufferSize }, sink);
    case 'ssh':
      return new SshSource({ ...config }, sink);
    case 'pcap-over-ip':
      return createPcapOverIpSource(config.host, config.port, sink);
  }
}

/** Refuses store options the interim writer cannot honour. */
export function checkStoreOptions(o: CaptureStoreOptions): void {
  const unsupported: string[] = [];
  if (o.maxStoreBytes !== undefined) unsupported.push('--max-store');
  if (o.maxAgeSec !== undefined) unsupported.push('--max-age');
  if (o.mode === 'conditional') unsupported.push('--mode conditional');
  if (unsupported.length) {
    throw new SourceConfigError(`${unsupported.join(', ')} need the live store writer (issue 5 part B), which this build does not include yet`, 'unsupported');
  }
}

/** Hands every packet to the flow tracker and then to the store writer. */
class TrackingSink implements LivePacketSink {
  private readonly linkTypes: number[] = [];
  private now = Math.floor(Date.now() / 1000);
  constructor(
    private readonly inner: LivePacketSink,
    readonly tracker: LiveFlowTracker,
  ) {}
  /** The wall-clock second, refreshed by the stats timer (no clock read per packet). */
  setNow(sec: number): void {
    this.now = sec;
  }
  link(l: LiveLink): void {
    this.linkTypes[l.id] = l.linkType;
    this.inner.link(l);
  }
  packet(p: LivePacket): void {
    this.tracker.observe(this.linkTypes[p.linkId] ?? 1, p.data, p.capLen, p.origLen, p.tsSec, p.tsNsec, this.now);
    this.inner.packet(p);
  }
  gap(g: LiveGap): void {
    this.inner.gap(g);
  }
}

export class LiveCapture {
  private tracking: TrackingSink | null = null;
  private source: LiveSource | null = null;
  private sink: PcapngSegmentSink | null = null;
  private store: Store | null = null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private startedAt = 0;
  private indexing: Promise<void> = Promise.resolve();
  private stopping: Promise<{ stats: CaptureStats; segments: string[] }> | null = null;
  /** Settles when the capture ends, however it ends. */
  ended: Promise<SourceEnd> = new Promise(() => {});

  constructor(private readonly hooks: LiveCaptureHooks = {}) {}

  get running(): boolean {
    return this.source !== null && this.stopping === null;
  }

  /**
   * Opens the store and the source. Rejects with a SourceConfigError (bad filter, unknown
   * interface, host key refused...) before anything is written.
   */
  async start(config: CaptureSourceConfig | ((sink: LivePacketSink) => LiveSource), storeOptions: CaptureStoreOptions): Promise<string> {
    if (this.source !== null) throw new SourceConfigError('a capture is already running', 'busy');
    checkStoreOptions(storeOptions);
    const store = await Store.open(storeOptions.dir, { create: true, log: (l) => this.hooks.log?.(l) });
    const sink = new PcapngSegmentSink({
      dir: join(storeOptions.dir, 'captures'),
      segmentBytes: storeOptions.segmentBytes,
      onSegmentClosed: (path, packets) => {
        this.indexing = this.indexing.then(() => this.indexSegment(path, packets));
      },
    });
    const tracking = new TrackingSink(sink, new LiveFlowTracker());
    let source: LiveSource;
    try {
      source = typeof config === 'function' ? config(tracking) : createSource(config, tracking);
      await source.start();
    } catch (e) {
      sink.close();
      await store.close();
      throw e;
    }
    this.store = store;
    this.sink = sink;
    this.tracking = tracking;
    this.source = source;
    this.startedAt = performance.now();
    this.statsTimer = setInterval(() => this.tick(), 1000);
    this.ended = source.ended.then((end) => {
      if (end.kind !== 'stopped') this.hooks.onEvent?.({ kind: 'capture-ended', reason: end.kind, message: end.kind === 'error' ? end.message : `${source.description}: input ended` });
      return end;
    });
    return source.description;
  }

  /** Once a second: stats, then the flow summaries of that second. */
  private tick(): void {
    const now = Math.floor(Date.now() / 1000);
    this.hooks.onStats?.(this.stats());
    const t = this.tracking;
    if (t === null) return;
    t.setNow(now);
    this.emitFlows(now);
  }

  private emitFlows(now: number): void {
    const t = this.tracking;
    if (t === null) return;
    const { flows, pending } = t.tracker.drain(now, 1000);
    if (flows.length) this.hooks.onEvent?.({ kind: 'flows', flows, pending });
  }

  stats(): CaptureStats {
    const s = this.source?.stats();
    return {
      running: this.running,
      source: this.source?.description ?? null,
      elapsedMs: this.source ? Math.round(performance.now() - this.startedAt) : 0,
      packets: s?.packets ?? 0,
      bytes: s?.bytes ?? 0,
      kernelDrops: s?.kernelDrops ?? null,
      ifDrops: s?.ifDrops ?? null,
      storeBytes: this.sink?.totalBytes ?? 0,
      activeFlows: this.tracking?.tracker.activeFlows ?? null,
      reconnects: s?.reconnects ?? 0,
    };
  }

  /** Stops the source, writes and indexes everything received. Idempotent. */
  stop(opts: { index?: boolean } = {}): Promise<{ stats: CaptureStats; segments: string[] }> {
    if (this.stopping === null) this.stopping = this.doStop(opts.index ?? true);
    return this.stopping;
  }

  private async doStop(index: boolean): Promise<{ stats: CaptureStats; segments: string[] }> {
    const source = this.source;
    const sink = this.sink;
    if (source === null || sink === null) return { stats: this.stats(), segments: [] };
    await source.stop();
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    // The last second's summaries (flows still open stay 'update'; the index has the rest).
    this.emitFlows(Math.floor(Date.now() / 1000));
    if (!index) {
      // Parent gone: make the data durable, leave indexing to the next import.
      sink.close();
    } else {
      sink.close();
      await this.indexing;
    }
    const stats = this.stats();
    stats.running = false;
    const failure = sink.failure;
    await this.store?.close();
    this.store = null;
    if (failure) throw new SourceConfigError(`writing the capture failed: ${failure.message}`, 'write-failed');
    return { stats, segments: [...sink.segments] };
  }

  private async indexSegment(path: string, packets: number): Promise<void> {
    const store = this.store;
    if (store === null) return;
    try {
      const results = await store.import([path]);
      const r = results[0];
      this.hooks.onEvent?.({ kind: 'segment', path, packets, status: r?.status ?? 'failed', message: r?.message ?? null });
    } catch (e) {
      this.hooks.onEvent?.({ kind: 'segment', path, packets, status: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  }
}
