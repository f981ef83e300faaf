/**
 * Exports the sensor's events to SIEMs: each event mapped once (common/logs/export-format.ts) to
 * the seed's syslog line and/or CEF, sent to every configured output, and copied to the bounded
 * debug file when asked. Kinds exported by default: everything durable except received logs
 * (forwarding every received log back out would echo a log relay) and import progress.
 */
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import { cefSyslogMessage, exportRecord, seedSyslogMessage, type CefIdentity, type SeedIdentity } from '../../../common/logs/export-format.js';
import type { DebugCopy } from './debug-copy.js';
import type { SyslogOutput } from './syslog-output.js';

export const DEFAULT_EXPORT_KINDS: readonly string[] = ['flow', 'file', 'notice', 'import', 'ranking', 'class-match', 'ids', 'discovery'];

export interface EventExporterOptions {
  seedOutputs: SyslogOutput[];
  cefOutputs: SyslogOutput[];
  seed: SeedIdentity;
  cef: CefIdentity;
  debug?: DebugCopy | null;
  kinds?: readonly string[];
  facility?: number;
}

export class EventExporter {
  exported = 0;
  private readonly kinds: ReadonlySet<string>;

  constructor(private readonly opts: EventExporterOptions) {
    this.kinds = new Set(opts.kinds ?? DEFAULT_EXPORT_KINDS);
  }

  get active(): boolean {
    return this.opts.seedOutputs.length + this.opts.cefOutputs.length > 0;
  }

  /** Whether events of this kind are exported. */
  wants(kind: string): boolean {
    return this.kinds.has(kind);
  }

  export(e: TaplineEvent): void {
    if (!this.kinds.has(e.kind)) return;
    const r = exportRecord(e);
    if (!r) return;
    this.exported++;
    if (this.opts.seedOutputs.length) {
      const m = seedSyslogMessage(r, this.opts.seed, this.opts.facility);
      for (const o of this.opts.seedOutputs) o.send(m);
      this.opts.debug?.write(m);
    }
    if (this.opts.cefOutputs.length) {
      const m = cefSyslogMessage(r, this.opts.cef, this.opts.facility);
      for (const o of this.opts.cefOutputs) o.send(m);
      this.opts.debug?.write(m);
    }
  }

  async close(): Promise<void> {
    for (const o of [...this.opts.seedOutputs, ...this.opts.cefOutputs]) await o.close();
    await this.opts.debug?.flush();
  }
}
