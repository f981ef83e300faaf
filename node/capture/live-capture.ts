/**
 * One live capture: a source (libpcap, ssh, PCAP-over-IP, a pipe) feeding the live store writer
 * (node/store/live: segments, live index durable every second, retention, conditional mode,
 * flow summaries), with stats once a second. Used by the capture worker (the privileged
 * process) and, for sources that need no privilege (`--read -`), by the CLI in-process.
 */
import type { LiveGap, LiveLink, LivePacket, LivePacketSink } from '../../common/capture/live-packet-sink.js';
import type { CaptureEvent, CaptureSourceConfig, CaptureStats, CaptureStoreOptions } from '../../common/worker/capture-worker-protocol.js';
import { openThreadedLiveWriter, type LiveFlowSummary, type LiveStoreWriter } from '../store/live/index.js';
import { LibpcapSource, type LibpcapSourceOptions } from './sources/libpcap-source.js';
import { loadNativeCapture } from './sources/native-capture-addon.js';
import { NativeLibpcapSource } from './sources/native-libpcap-source.js';
import { SourceConfigError, type BatchPacketSink, type LiveSource, type SourceEnd } from './sources/source-types.js';
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
      return createLibpcapSource({ iface: config.iface, filter: config.filter, snapLen: config.snapLen, promiscuous: config.promiscuous, bufferSize: config.bufferSize }, sink);
    case 'ssh':
      return new SshSource({ ...config }, sink);
    case 'pcap-over-ip':
      return createPcapOverIpSource(config.host, config.port, sink);
  }
}

/**
 * The native capture thread (native/capture) when its addon loads, else the `pcap` package's
 * per-packet loop; the description (the capture's status `source`) says which and why.
 */
export function createLibpcapSource(opts: LibpcapSourceOptions, sink: LivePacketSink): LiveSource {
  const native = loadNativeCapture();
  if (native.ok) return new NativeLibpcapSource(opts, sink, native.addon);
  return new LibpcapSource(opts, sink, `pcap package loop: ${native.reason}`);
}

/** Store options that contradict each other are refused before anything is opened. */
export function checkStoreOptions(o: CaptureStoreOptions): void {
  if (o.mode === 'conditional' && o.triggerPayload === undefined && o.triggerRules === undefined) {
    throw new SourceConfigError('conditional mode needs an alert trigger: --trigger-rules FILE (Snort/Suricata rules) or --trigger-payload TEXT', 'bad-option');
  }
  if (o.mode !== 'conditional' && (o.triggerPayload !== undefined || o.triggerRules !== undefined || o.preAlertPackets !== undefined)) {
    throw new SourceConfigError('--trigger-rules, --trigger-payload and --pre-alert-packets apply to --mode conditional only', 'bad-option');
  }
}

/** Passes everything to the writer and reports gaps to the parent as they happen. */
class GapReportingSink implements BatchPacketSink {
  constructor(
    private readonly inner: BatchPacketSink,
    private readonly onGap: (g: LiveGap) => void,
  ) {}
  link(l: LiveLink): void {
    this.inner.link(l);
  }
  packet(p: LivePacket): void {
    this.inner.packet(p);
  }
  packetFrom(linkId: number, tsSec: number, tsNsec: number, src: Uint8Array, capLen: number, origLen: number): void {
    this.inner.packetFrom(linkId, tsSec, tsNsec, src, capLen, origLen);
  }
  packetBatch(buf: Uint8Array, len: number, packets: number, bytes: number): void {
    this.inner.packetBatch(buf, len, packets, bytes);
  }
  takeBatchBuffer(): Uint8Array | null {
    return this.inner.takeBatchBuffer();
  }
  onBatchBufferFree(listener: (() => void) | null): void {
    this.inner.onBatchBufferFree(listener);
  }
  gap(g: LiveGap): void {
    this.inner.gap(g);
    this.onGap(g);
  }
}

const FLOWS_PER_EVENT = 1000;

export class LiveCapture {
  private source: LiveSource | null = null;
  private writer: LiveStoreWriter | null = null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private startedAt = 0;
  private stopping: Promise<{ stats: CaptureStats }> | null = null;
  /** Settles when the capture ends, however it ends. */
  ended: Promise<SourceEnd> = new Promise(() => {});

  constructor(private readonly hooks: LiveCaptureHooks = {}) {}

  get running(): boolean {
    return this.source !== null && this.stopping === null;
  }

  /**
   * Opens the store writer and the source. Rejects with a SourceConfigError (bad filter, unknown
   * interface, host key refused...) after releasing the store, with nothing captured.
   */
  async start(config: CaptureSourceConfig | ((sink: LivePacketSink) => LiveSource), storeOptions: CaptureStoreOptions): Promise<string> {
    if (this.source !== null) throw new SourceConfigError('a capture is already running', 'busy');
    checkStoreOptions(storeOptions);
    // the writer (decode, index, flushes, rotation) runs in its own thread: however long a flush
    // takes, this thread keeps draining the source (libpcap's kernel ring, a socket)
    const writer = await openThreadedLiveWriter(storeOptions.dir, {
      segmentBytes: storeOptions.segmentBytes,
      maxStoreBytes: storeOptions.maxStoreBytes,
      maxAgeSeconds: storeOptions.maxAgeSec,
      mode: storeOptions.mode,
      triggerPayload: storeOptions.triggerPayload,
      triggerRules: storeOptions.triggerRules,
      ruleClassification: storeOptions.ruleClassification,
      preAlertPackets: storeOptions.preAlertPackets,
      onFlows: storeOptions.flowSummaries === false ? undefined : (batch) => this.emitFlows(batch),
      onError: (e) => this.hooks.onEvent?.({ kind: 'store-error', message: e.message.slice(0, 4000) }),
      log: (l) => this.hooks.log?.(l),
    });
    const sink = new GapReportingSink(writer, (g) => this.hooks.onEvent?.({ kind: 'gap', from: g.from, to: g.to, reason: g.reason.slice(0, 4000) }));
    let source: LiveSource;
    try {
      source = typeof config === 'function' ? config(sink) : createSource(config, sink);
      await source.start();
    } catch (e) {
      await writer.close();
      throw e;
    }
    this.writer = writer;
    this.source = source;
    this.startedAt = performance.now();
    this.statsTimer = setInterval(() => this.hooks.onStats?.(this.stats()), 1000);
    this.ended = source.ended.then((end) => {
      if (end.kind !== 'stopped') this.hooks.onEvent?.({ kind: 'capture-ended', reason: end.kind, message: end.kind === 'error' ? end.message : `${source.description}: input ended` });
      return end;
    });
    return source.description;
  }

  private emitFlows(batch: LiveFlowSummary[]): void {
    for (let i = 0; i < batch.length; i += FLOWS_PER_EVENT) this.hooks.onEvent?.({ kind: 'flows', flows: batch.slice(i, i + FLOWS_PER_EVENT) });
  }

  stats(): CaptureStats {
    const s = this.source?.stats();
    const w = this.writer?.stats();
    return {
      running: this.running,
      source: this.source?.description ?? null,
      elapsedMs: this.source ? Math.round(performance.now() - this.startedAt) : 0,
      packets: s?.packets ?? 0,
      bytes: s?.bytes ?? 0,
      kernelDrops: s?.kernelDrops ?? null,
      ifDrops: s?.ifDrops ?? null,
      storedPackets: w?.storedPackets ?? 0,
      durablePackets: w?.durablePackets ?? 0,
      storeDrops: w ? w.droppedBacklog + w.droppedDiskFull + w.droppedUnknownLink : 0,
      handoffDrops: (w?.droppedHandoff ?? 0) + (s?.handoffDrops ?? 0),
      storeBytes: w?.storeBytes ?? 0,
      activeFlows: w?.activeFlows ?? null,
      reconnects: s?.reconnects ?? 0,
      storeError: w?.error ?? null,
      segmentWrites: w?.segmentWrites ?? null,
    };
  }

  /** Stops the source, then closes the writer: everything received is written and indexed. Idempotent. */
  stop(): Promise<{ stats: CaptureStats }> {
    if (this.stopping === null) this.stopping = this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<{ stats: CaptureStats }> {
    const source = this.source;
    const writer = this.writer;
    if (source === null || writer === null) return { stats: this.stats() };
    await source.stop();
    if (this.statsTimer !== null) clearInterval(this.statsTimer);
    await writer.close();
    const stats = this.stats();
    stats.running = false;
    return { stats };
  }
}
