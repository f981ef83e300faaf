/**
 * Log management for one store: the receivers (UDP, TCP, TLS), the intake (parse → correlate →
 * journal → live bus), the sniffer for syslog in captures, a flow's logs, and the SIEM exporter.
 * Owned by the services (electron/services/tapline-services.ts); plain Node.
 */
import { join } from 'node:path';
import type { LogEvent, TaplineEvent } from '../../common/bridge/messages.js';
import { FlowKind } from '../../common/flow/flow-table.js';
import { ipToString } from '../../common/packet/ip-address.js';
import { parseTimestamp } from '../../common/time/timestamp.js';
import type { EventJournal } from '../store/event-journal.js';
import type { Store } from '../store/store.js';
import { Correlator, DEFAULT_CORRELATION_WINDOW_SEC } from './correlate.js';
import { DebugCopy } from './export/debug-copy.js';
import { EventExporter } from './export/event-exporter.js';
import { SyslogOutput, type SyslogOutputStats } from './export/syslog-output.js';
import { endpointText, type LogEndpoint } from './log-endpoint.js';
import { FlowLogIndex, type LogLinks } from './flow-log-index.js';
import { backfillLogCounts, type BackfillResult } from './log-count-backfill.js';
import { HostResolver, type HostResolverStats } from './host-resolver.js';
import type { LogEventBatch } from './log-event-batch.js';
import { LogIntake, type EncodedLines, type LogIntakeStats } from './log-intake.js';
import { sniffSyslog, type SniffResult } from './sniff-syslog.js';
import { StreamLogReceiver } from './stream-receiver.js';
import { UdpLogReceiver } from './udp-receiver.js';

export interface LogExportConfig {
  syslog: LogEndpoint[];
  cef: LogEndpoint[];
  debugFile?: string | null;
  debugMaxBytes?: number;
  /** Event kinds to export (default: event-exporter.ts DEFAULT_EXPORT_KINDS). */
  kinds?: readonly string[];
  /** Seed line "<sensor>.<domain>"; CEF Device Vendor/Product/Version. */
  domain?: string;
  vendor?: string;
  product?: string;
  version?: string;
}

export interface LogServiceOptions {
  store: Store;
  journal: EventJournal;
  sensor: string;
  /** Durable publishing: ranks, writes to the journal (awaited), then the bus. */
  persist: (events: LogEvent[]) => Promise<void>;
  /** The same for events whose journal lines are already encoded (UDP batches). */
  persistEncoded?: (events: LogEvent[], lines: EncodedLines) => Promise<void>;
  /** The same for a UDP batch whose events are built only when asked for (LogIntakeOptions.persistBatch). */
  persistBatch?: (batch: LogEventBatch) => Promise<void>;
  windowSec?: number;
  sniffPorts?: number[];
  queueLimit?: number;
  log?: (line: string) => void;
}

export interface ReceiverInfo {
  url: string;
  transport: 'udp' | 'tcp' | 'tls';
  port: number;
  /** UDP: the kernel receive buffer granted (getsockopt SO_RCVBUF: Linux reports twice the usable size). */
  recv_buffer_bytes?: number;
  /** UDP: datagrams the kernel dropped for this socket (receive buffer full), polled every second; null when unknown. */
  kernel_drops?: number | null;
  /** UDP: the socket thread's nice value (-10 asked; stays 0 without CAP_SYS_NICE). */
  socket_thread_nice?: number | null;
  /** UDP: which receiver reads the socket (native recvmmsg, or the dgram socket thread) and why. */
  udp_receiver?: 'native' | 'dgram';
  udp_receiver_reason?: string;
  /** UDP, native receiver: datagrams dropped for a full ring (also counted in the intake's dropped_queue_full). */
  ring_drops?: number;
  connections?: number;
}

export interface LogServiceStats {
  intake: LogIntakeStats;
  receivers: ReceiverInfo[];
  exports: (SyslogOutputStats & { url: string; format: 'syslog' | 'cef' })[];
  exported_events: number;
  host_names: HostResolverStats;
}

export class LogService {
  readonly intake: LogIntake;
  readonly correlator: Correlator;
  readonly resolver: HostResolver;
  private readonly flowLogIndex: Promise<FlowLogIndex>;
  private readonly udp: { r: UdpLogReceiver; e: LogEndpoint }[] = [];
  private readonly streams: { r: StreamLogReceiver; e: LogEndpoint }[] = [];
  private exporter: EventExporter | null = null;
  private readonly outputs: { o: SyslogOutput; format: 'syslog' | 'cef' }[] = [];

  constructor(private readonly opts: LogServiceOptions) {
    this.correlator = new Correlator(opts.store, opts.windowSec ?? DEFAULT_CORRELATION_WINDOW_SEC);
    this.resolver = new HostResolver({ journal: opts.journal, log: opts.log });
    void this.resolver.load();
    this.flowLogIndex = FlowLogIndex.open(opts.store.dir);
    // a failed open is reported once; the counts are then missing, intake goes on
    this.flowLogIndex.catch((e: Error) => opts.log?.(`error: flow log counts not available: ${e.message}`));
    const onStored = (events: readonly LogLinks[]): void => {
      this.flowLogIndex.then((i) => i.add(events)).catch((e: Error) => opts.log?.(`error: flow log counts not written: ${e.message}`));
    };
    this.intake = new LogIntake({ sensor: opts.sensor, persist: opts.persist, persistEncoded: opts.persistEncoded, persistBatch: opts.persistBatch, onStored, correlator: this.correlator, resolver: this.resolver, queueLimit: opts.queueLimit, log: opts.log });
  }

  /** Starts a receiver; resolves with the port it listens on (0 in the endpoint picks one). */
  async listen(e: LogEndpoint, tls?: { key: string; cert: string } | null): Promise<ReceiverInfo> {
    if (e.transport === 'udp') {
      const r = await UdpLogReceiver.start(this.intake, { host: e.host, port: e.port });
      const at = { ...e, port: r.port };
      this.udp.push({ r, e: at });
      return { url: endpointText(at), transport: 'udp', port: r.port, recv_buffer_bytes: r.recvBufferBytes, socket_thread_nice: r.socketThreadNice, udp_receiver: r.choice.kind, udp_receiver_reason: r.choice.reason };
    }
    if (e.transport === 'tls' && !tls) throw new Error(`${endpointText(e)} needs a TLS certificate`);
    const r = await StreamLogReceiver.start(this.intake, { host: e.host, port: e.port, tls: e.transport === 'tls' ? tls : null });
    const at = { ...e, port: r.port };
    this.streams.push({ r, e: at });
    return { url: endpointText(at), transport: e.transport, port: r.port };
  }

  /** Configures SIEM export (replaces nothing: call once). */
  async startExport(cfg: LogExportConfig): Promise<void> {
    const log = this.opts.log;
    const mk = async (e: LogEndpoint, format: 'syslog' | 'cef'): Promise<SyslogOutput> => {
      const o = await SyslogOutput.open({
        endpoint: e,
        backlogPath: join(this.opts.store.dir, 'logs', `export-backlog-${format}-${e.transport}-${e.host.replace(/[^0-9A-Za-z.-]/g, '_')}-${e.port}.txt`),
        log,
      });
      this.outputs.push({ o, format });
      return o;
    };
    const seedOutputs: SyslogOutput[] = [];
    const cefOutputs: SyslogOutput[] = [];
    for (const e of cfg.syslog) seedOutputs.push(await mk(e, 'syslog'));
    for (const e of cfg.cef) cefOutputs.push(await mk(e, 'cef'));
    const debug = cfg.debugFile ? new DebugCopy(cfg.debugFile, cfg.debugMaxBytes, log) : null;
    this.exporter = new EventExporter({
      seedOutputs,
      cefOutputs,
      debug,
      kinds: cfg.kinds,
      seed: { sensor: this.opts.sensor, domain: cfg.domain ?? 'tapline' },
      cef: { vendor: cfg.vendor ?? 'Tapline', product: cfg.product ?? 'Tapline', version: cfg.version ?? '0.1', host: this.opts.sensor },
    });
  }

  /** Whether onEvent does anything with events of a kind (discovery data for names; exported kinds). */
  wantsEvent(kind: string): boolean {
    return kind === 'discovery' || (this.exporter?.wants(kind) ?? false);
  }

  /** Every event the sensor publishes passes here (for export). */
  onEvent(e: TaplineEvent): void {
    this.resolver.learn(e);
    this.exporter?.export(e);
  }

  /** After an import: logs received before it counted for the new captures' flows (log-count-backfill.ts). */
  async backfillCounts(captureIds: readonly string[]): Promise<BackfillResult> {
    return backfillLogCounts(this.opts.store, this.opts.journal, await this.flowLogIndex, this.correlator, captureIds);
  }

  sniff(): Promise<SniffResult> {
    return sniffSyslog(this.opts.store, this.intake, this.opts.sensor, { ports: this.opts.sniffPorts });
  }

  /**
   * The log events linked to a flow: logs in the journal naming the flow's hosts within the
   * correlation window of the flow's span whose correlation (recomputed now, so logs received
   * before the capture was imported count too) includes this flow, plus logs read from it.
   */
  async flowLogs(flowId: string, limit = 1000): Promise<LogEvent[]> {
    const f = await this.opts.store.flowById(flowId);
    if (!f) return [];
    const w = this.correlator.windowSec;
    const r = f.record;
    const n = r.ipVersion === 6 ? 16 : 4;
    const v = r.ipVersion === 6 ? 6 : 4;
    const hosts = r.kind === FlowKind.Ip ? [ipToString(v, r.client.subarray(0, n)), ipToString(v, r.server.subarray(0, n))] : [];
    // the journal files logs by the time they state; one read as UTC may be up to 14 h off the
    // time correlation uses (received_ts), so the candidates are taken that much wider
    const slack = w + 14 * 3600;
    const since = { sec: r.firstSec - slack, nsec: r.firstNsec };
    const until = { sec: r.lastSec + slack, nsec: r.lastNsec };
    const out = new Map<string, LogEvent>();
    const own = await this.opts.journal.search({ kind: 'log', limit: 100_000 });
    for (const e of own) if (e.kind === 'log' && e.capture_flow === flowId) out.set(e.id, e);
    for (const h of hosts) {
      for (const e of await this.opts.journal.search({ kind: 'log', host: h, since, until, limit: 100_000 })) {
        if (e.kind !== 'log' || out.has(e.id)) continue;
        const ids = e.flow_ids.includes(flowId) ? e.flow_ids : await this.correlator.flowIdsFor(e);
        if (ids.includes(flowId)) out.set(e.id, { ...e, flow_ids: ids });
      }
    }
    return [...out.values()]
      .sort((a, b) => {
        const x = parseTimestamp(a.ts);
        const y = parseTimestamp(b.ts);
        return (x?.sec ?? 0) - (y?.sec ?? 0) || (x?.nsec ?? 0) - (y?.nsec ?? 0);
      })
      .slice(0, limit);
  }

  /** Log events linked to each flow id (flow rows' log_count); an empty map when unavailable. */
  async flowLogCounts(ids: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    const idx = await this.flowLogIndex.catch(() => null);
    if (idx) for (const id of ids) out.set(id, idx.count(id));
    return out;
  }

  stats(): LogServiceStats {
    return {
      intake: { ...this.intake.stats, queued: this.intake.queued },
      receivers: [
        ...this.udp.map(({ r, e }) => ({ url: endpointText(e), transport: 'udp' as const, port: r.port, recv_buffer_bytes: r.recvBufferBytes, kernel_drops: r.kernelDropsSeen, socket_thread_nice: r.socketThreadNice, udp_receiver: r.choice.kind, udp_receiver_reason: r.choice.reason, ring_drops: r.ringDrops })),
        ...this.streams.map(({ r, e }) => ({ url: endpointText(e), transport: e.transport, port: r.port, connections: r.connections })),
      ],
      exports: this.outputs.map(({ o, format }) => ({ ...o.stats, url: endpointText(o.endpoint), format })),
      exported_events: this.exporter?.exported ?? 0,
      host_names: { ...this.resolver.stats },
    };
  }

  /** The UDP receivers, for their kernel drop counts (UdpLogReceiver.kernelDrops). */
  get udpReceivers(): readonly UdpLogReceiver[] {
    return this.udp.map(({ r }) => r);
  }

  async close(): Promise<void> {
    for (const { r } of this.udp) await r.close();
    for (const { r } of this.streams) await r.close();
    await this.intake.flush();
    await this.exporter?.close();
    this.resolver.close();
    await (await this.flowLogIndex.catch(() => null))?.flush();
  }
}
