/** Entry point: pick the bridge, create the stores, apply the theme, render. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import { App } from './app/App.js';
import { ServicesProvider } from './app/services-context.js';
import { createServices, startServices } from './app/services.js';
import { ArchiveDbWriter } from './archive/archive-db.js';
import { WorkerArchiveWriter } from './archive/archive-writer.js';
import { DexieEventArchive, type ArchiveWriterFactory } from './archive/event-archive.js';
import { MemoryEventArchive } from './archive/memory-archive.js';
import { selectBridge } from './bridge/select-bridge.js';
import { applyTheme, createSettingsStore } from './settings/settings-store.js';
import './styles/base.css';
import './styles/app.css';
import './styles/grid.css';
import './styles/panels.css';
import './styles/realtime.css';
import './styles/historical.css';

// The page's CSP has no 'unsafe-eval': tell zod not to try compiling validators with new Function().
z.config({ jitless: true });

const settings = createSettingsStore();
applyTheme(settings.getState().theme);
settings.subscribe((s, prev) => {
  if (s.theme !== prev.theme) applyTheme(s.theme);
});

// Archive writes run in a worker, off the main thread; in the page where no worker can start.
const ARCHIVE_DB = 'tapline-archive';
const archiveWriter: ArchiveWriterFactory = (db, maxEvents) => {
  const inPage = new ArchiveDbWriter(db, maxEvents);
  try {
    const worker = new Worker(new URL('./archive/archive-writer.worker.ts', import.meta.url), { type: 'module', name: 'tapline-archive-writer' });
    const writer = new WorkerArchiveWriter(worker, { dbName: ARCHIVE_DB, maxEvents }, inPage);
    worker.onmessage = (ev: MessageEvent<unknown>) => writer.handleReply(ev.data);
    worker.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      writer.handleFailure();
    };
    return writer;
  } catch {
    return inPage;
  }
};

// IndexedDB may be refused (private windows): the archive then lives in memory, and says so.
const archive =
  typeof indexedDB === 'undefined' ? { archive: new MemoryEventArchive(), volatile: true } : { archive: new DexieEventArchive(ARCHIVE_DB, undefined, archiveWriter), volatile: false };

const services = createServices(selectBridge(), settings, {
  now: () => Date.now(),
  frame: (fn) => requestAnimationFrame(fn),
  // live floods re-render the grids ~10 times a second, not 60 (ui/publish-pacer.ts)
  livePublishMs: 100,
  archive,
});
startServices(services);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <ServicesProvider services={services}>
      <App />
    </ServicesProvider>
  </StrictMode>,
);
