/** Entry point: pick the bridge, create the stores, apply the theme, render. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import { App } from './app/App.js';
import { ServicesProvider } from './app/services-context.js';
import { createServices, startServices } from './app/services.js';
import { DexieEventArchive } from './archive/event-archive.js';
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

// IndexedDB may be refused (private windows): the archive then lives in memory, and says so.
const archive = typeof indexedDB === 'undefined' ? { archive: new MemoryEventArchive(), volatile: true } : { archive: new DexieEventArchive(), volatile: false };

const services = createServices(selectBridge(), settings, {
  now: () => Date.now(),
  frame: (fn) => requestAnimationFrame(fn),
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
