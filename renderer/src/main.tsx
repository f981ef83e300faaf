/** Entry point: pick the bridge, create the stores, apply the theme, render. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { z } from 'zod';
import { App } from './app/App.js';
import { ServicesProvider } from './app/services-context.js';
import { createServices, startServices } from './app/services.js';
import { selectBridge } from './bridge/select-bridge.js';
import { applyTheme, createSettingsStore } from './settings/settings-store.js';
import './styles/base.css';
import './styles/app.css';
import './styles/grid.css';
import './styles/panels.css';

// The page's CSP has no 'unsafe-eval': tell zod not to try compiling validators with new Function().
z.config({ jitless: true });

const settings = createSettingsStore();
applyTheme(settings.getState().theme);
settings.subscribe((s, prev) => {
  if (s.theme !== prev.theme) applyTheme(s.theme);
});

const services = createServices(selectBridge(), settings, {
  now: () => Date.now(),
  frame: (fn) => requestAnimationFrame(fn),
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
