/**
 * Intake for tools that have a store but no services (the CLI's `import`): log events go
 * straight to the store's journal, correlated with the store's flows.
 */
import { hostname } from 'node:os';
import type { LogEvent } from '../../common/bridge/messages.js';
import { EventJournal } from '../store/event-journal.js';
import type { Store } from '../store/store.js';
import { Correlator } from './correlate.js';
import { FlowLogIndex } from './flow-log-index.js';
import { LogIntake } from './log-intake.js';
import { backfillLogCounts, type BackfillResult } from './log-count-backfill.js';
import { sniffSyslog, type SniffResult } from './sniff-syslog.js';

/** The sensor id the services use by default (the host name, as in TaplineServices.open). */
export function defaultSensorId(): string {
  return hostname().replace(/[^0-9A-Za-z._-]/g, '-').slice(0, 64) || 'local';
}

/** Reads syslog overheard in the store's captures into its journal (idempotent). */
export async function sniffStoreSyslog(store: Store, opts: { ports?: readonly number[]; sensor?: string; log?: (line: string) => void } = {}): Promise<SniffResult> {
  const journal = await EventJournal.open(store.dir);
  const sensor = opts.sensor ?? defaultSensorId();
  const counts = await FlowLogIndex.open(store.dir);
  const intake = new LogIntake({
    sensor,
    persist: (events: LogEvent[]) => journal.append(events),
    onStored: (events) => void counts.add(events),
    correlator: new Correlator(store),
    log: opts.log,
  });
  const r = await sniffSyslog(store, intake, sensor, { ports: opts.ports });
  await journal.flush();
  await counts.flush();
  return r;
}

/** After an import: logs already in the journal counted for the new captures' flows (log-count-backfill.ts). */
export async function backfillStoreLogCounts(store: Store, captureIds: readonly string[]): Promise<BackfillResult> {
  const journal = await EventJournal.open(store.dir);
  const counts = await FlowLogIndex.open(store.dir);
  return backfillLogCounts(store, journal, counts, new Correlator(store), captureIds);
}
