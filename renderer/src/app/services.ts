/**
 * Creates the window's stores around one bridge and connects them: live events go to the flows
 * grid and the import tray, notices become toasts, a lost session (401) shows the log-in message.
 */
import { BridgeCallError, type Bridge } from '../../../common/bridge/bridge.js';
import type { EventBatch, FlowRow, ImportResult } from '../../../common/bridge/messages.js';
import { captureStoreFor } from '../capture/capture-store.js';
import { hasConnectionSource, hasRejectionSource } from '../bridge/capabilities.js';
import { plural } from '../format/numbers.js';
import { createFlowsStore, type FlowsStore } from '../flows/flows-store.js';
import { createImportStore, type ImportStore } from '../import/import-store.js';
import { createPayloadStore, type PayloadStore } from '../payload/payload-store.js';
import { createRankingStore, type RankingStore } from '../ranking/ranking-store.js';
import { createSensorsStore, type SensorsStore } from '../settings/sensors-store.js';
import type { SettingsStore } from '../settings/settings-store.js';
import { createStatsStore, type StatsStore } from '../store-panel/stats-store.js';
import type { EventArchive } from '../archive/archive-types.js';
import { MemoryEventArchive } from '../archive/memory-archive.js';
import { createFilesPageStore, type FilesPageStore } from '../files-page/files-page-store.js';
import { createHistoricalStore, type HistoricalStore } from '../historical/historical-store.js';
import { importedFlowEvents } from '../realtime/import-feed.js';
import { createRealtimeStore, type RealtimeStore } from '../realtime/realtime-store.js';
import { createRowDetailStore, type RowDetailStore } from '../realtime/detail/detail-store.js';
import { createSensorWindowStore, type SensorWindowStore } from '../sensor-window/sensor-window-store.js';
import { forCapturePanel } from '../sensor-window/capture-routing.js';
import { createAppStore, type AppStore } from './app-store.js';

export interface Services {
  bridge: Bridge;
  app: AppStore;
  settings: SettingsStore;
  flows: FlowsStore;
  imports: ImportStore;
  stats: StatsStore;
  /** Event classes and threat lists (Settings, Classify). */
  ranking: RankingStore;
  /** Remote sensors (Settings → Sensors). */
  sensors: SensorsStore;
  /** The Follow stream and Show files panels. */
  payload: PayloadStore;
  /** The Real-Time view's aggregated rows. */
  realtime: RealtimeStore;
  /** The Real-Time detail pane (the selected row's full records). */
  rowDetail: RowDetailStore;
  /** The sensor connection window (status, rates, drops per sensor). */
  sensorWindow: SensorWindowStore;
  /** Every live event, kept for the Historical view. */
  archive: EventArchive;
  historical: HistoricalStore;
  /** The Historical Flow and Payload Data page. */
  files: FilesPageStore;
}

export interface ServicesEnv {
  now(): number;
  frame(fn: () => void): void;
  /** Least time between two re-renders of the live grids (ms; default 0: every frame). */
  livePublishMs?: number;
  /** The event archive (Dexie in the browser); in memory when absent. */
  archive?: { archive: EventArchive; volatile: boolean };
}

function describeImports(results: ImportResult[]): string {
  const ok = results.filter((r) => r.status !== 'failed');
  const flows = ok.reduce((n, r) => n + r.flows, 0);
  const failed = results.length - ok.length;
  const parts = [`Imported ${ok.length} of ${plural(results.length, 'file')}: ${plural(flows, 'flow')}`];
  if (failed) parts.push(`${failed} failed (see the import tray)`);
  return parts.join('; ');
}

export function createServices(bridge: Bridge, settings: SettingsStore, env: ServicesEnv): Services {
  const app = createAppStore();
  const stats = createStatsStore(bridge, env.now);
  const flows = createFlowsStore({ bridge, zone: () => settings.getState().timeZone, now: env.now, frame: env.frame, livePublishMs: env.livePublishMs });
  const imports = createImportStore({
    bridge,
    onImported: (results) => {
      flows.getState().importFinished();
      void stats.getState().refresh();
      const failed = results.some((r) => r.status === 'failed');
      app.getState().notify({ level: failed ? 'warning' : 'success', text: describeImports(results) });
    },
    onError: (e) => {
      if (e.status === 401) app.getState().setLoggedOut(true);
      app.getState().notify({ level: 'error', text: `Import failed: ${e.message}`, hint: e.hint });
    },
  });
  // new classes or lists change ranks: search again so the grid shows them
  const ranking = createRankingStore({ bridge, onChanged: () => void flows.getState().rerun() });
  const sensors = createSensorsStore({
    bridge,
    onChanged: () => {
      // sensor names and statuses live in BackendInfo (header, Sensor column, search bar)
      bridge.info().then(
        (info) => app.getState().setInfo(info),
        () => undefined,
      );
      void stats.getState().refresh();
    },
  });
  const archive = env.archive ?? { archive: new MemoryEventArchive(), volatile: true };
  const historical = createHistoricalStore({
    bridge,
    archive: archive.archive,
    archiveVolatile: archive.volatile,
    zone: () => settings.getState().timeZone,
    now: env.now,
  });
  const realtime = createRealtimeStore({ frame: env.frame, minMs: env.livePublishMs, now: env.now });
  const rowDetail = createRowDetailStore({
    bridge,
    archive: archive.archive,
    gridFlow: (sensor, id) => {
      const rows = flows.getState().rows;
      return rows.row(rows.find(sensor, id));
    },
    rowNow: (index) => realtime.getState().agg.row(index),
    now: env.now,
  });
  return {
    bridge,
    app,
    settings,
    flows,
    imports,
    stats,
    ranking,
    sensors,
    payload: createPayloadStore(bridge),
    realtime,
    rowDetail,
    sensorWindow: createSensorWindowStore({ bridge, now: env.now }),
    archive: archive.archive,
    historical,
    files: createFilesPageStore(bridge),
  };
}

/** Starts the live stream, loads info, stats and the first search. Returns a stop function. */
export function startServices(s: Services): () => void {
  const stops: (() => void)[] = [];
  const app = s.app.getState();

  if (hasConnectionSource(s.bridge)) {
    app.setConnection(s.bridge.connectionState());
    stops.push(s.bridge.onConnectionChange((c) => s.app.getState().setConnection(c)));
  } else app.setConnection({ kind: 'local' });

  if (hasRejectionSource(s.bridge)) {
    let lastMs = 0;
    stops.push(
      s.bridge.onRejected((detail) => {
        const now = Date.now();
        if (now - lastMs < 10_000) return; // one toast per burst
        lastMs = now;
        s.app.getState().notify({
          level: 'warning',
          text: `Dropped live data that failed validation: ${detail}.`,
          hint: 'The server and this page may be different versions; reload the page.',
        });
      }),
    );
  }

  // A 401 from any call means the session is gone.
  const watch401 = (status: number | null | undefined): void => {
    if (status === 401) s.app.getState().setLoggedOut(true);
  };
  stops.push(s.flows.subscribe((st) => st.status.kind === 'error' && watch401(st.status.status)));
  stops.push(s.stats.subscribe((st) => watch401(st.error?.status)));

  s.bridge.info().then(
    (info) => {
      s.app.getState().setInfo(info);
      s.app.getState().setLoggedOut(false);
    },
    (e: unknown) => {
      const err = e instanceof BridgeCallError ? e : new BridgeCallError(String(e));
      watch401(err.status);
      s.app.getState().setInfo(null, { message: err.message, hint: err.hint });
    },
  );

  stops.push(s.bridge.subscribe((batch) => dispatch(s, batch)));
  void s.flows.getState().submit();
  void s.stats.getState().refresh();
  return () => {
    for (const stop of stops.reverse()) stop();
  };
}

/** An imported capture's flows, to the Real-Time view and the archive (imports publish no flow events). */
function feedImported(s: Services, sensor: string, result: ImportResult): void {
  importedFlowEvents(s.bridge, sensor, result).then(
    (events) => {
      if (!events.length) return;
      s.realtime.getState().ingest(events);
      void s.archive.add(events);
    },
    (e: unknown) => {
      const err = e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error)?.message ?? e));
      s.app.getState().notify({ level: 'warning', text: `The imported flows could not be added to the Real-Time view: ${err.message}`, hint: err.hint ?? 'They are in the Flows view; search there.' });
    },
  );
}

/** Routes one live batch: all events to the Real-Time view and the archive, flows to the grid (in one go), imports to the tray, notices to toasts. */
export function dispatch(s: Services, batch: EventBatch): void {
  // every event goes to the Real-Time view and the archive (both skip bookkeeping kinds)
  if (batch.events.length) {
    s.realtime.getState().ingest(batch.events);
    void s.archive.add(batch.events);
  }
  const flows: { flow: FlowRow; rank: number }[] = [];
  let remoteImport = false;
  for (const e of batch.events) {
    switch (e.kind) {
      case 'flow':
        flows.push({ flow: e.flow, rank: e.rank });
        break;
      case 'import-progress':
        s.imports.getState().onEvent(e);
        break;
      case 'import': {
        const before = s.imports.getState().entries.some((x) => x.local && x.serverPath === e.result.path);
        s.imports.getState().onEvent(e);
        if (!before) remoteImport = true;
        feedImported(s, e.sensor, e.result);
        break;
      }
      case 'notice':
        s.app.getState().notify({ level: e.level, text: e.message });
        break;
      case 'capture': {
        s.sensorWindow.getState().onCapture(e);
        if (forCapturePanel(e, s.app.getState().info)) captureStoreFor(s.bridge).getState().onEvent(e);
        break;
      }
    }
  }
  if (flows.length) s.flows.getState().ingest(flows);
  if (remoteImport) void s.stats.getState().refresh();
  if (batch.missed > 0) {
    s.app.getState().notify({
      level: 'warning',
      text: `${batch.missed.toLocaleString('en-US')} live event${batch.missed === 1 ? ' was' : 's were'} missed (the stream fell behind or the connection was down too long).`,
      hint: 'Run the search again to see every stored flow.',
    });
  }
}
