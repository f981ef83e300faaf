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

/**
 * The log work after an import, on one journal, one count index and one correlator: syslog
 * overheard in the store's captures becomes log events (idempotent: each flow read once), then
 * logs the journal held before these captures were imported are counted for their flows
 * (log-count-backfill.ts; once per capture).
 */
export async function logsAfterImport(
  store: Store,
  captureIds: readonly string[],
  opts: { ports?: readonly number[]; sensor?: string; log?: (line: string) => void } = {},
): Promise<{ sniffed: SniffResult; counted: BackfillResult }> {
  const journal = await EventJournal.open(store.dir);
  const sensor = opts.sensor ?? defaultSensorId();
  const counts = await FlowLogIndex.open(store.dir);
  const correlator = new Correlator(store);
  const intake = new LogIntake({
    sensor,
    persist: (events: LogEvent[]) => journal.append(events),
    onStored: (events) => void counts.add(events),
    correlator,
    log: opts.log,
  });
  const sniffed = await sniffSyslog(store, intake, sensor, { ports: opts.ports });
  await journal.flush();
  const counted = await backfillLogCounts(store, journal, counts, correlator, captureIds);
  await counts.flush();
  return { sniffed, counted };
}
