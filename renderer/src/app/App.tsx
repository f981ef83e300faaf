/** The window: top bar, the current view, the import tray, drop target and notices. */
import { CapturePanel } from '../capture/CapturePanel.js';
import { FilesPageView } from '../files-page/FilesPageView.js';
import { FlowsView } from '../flows/FlowsView.js';
import { HistoricalView } from '../historical/HistoricalView.js';
import { DropOverlay } from '../import/DropOverlay.js';
import { ImportTray } from '../import/ImportTray.js';
import { RealtimeView } from '../realtime/RealtimeView.js';
import { SensorWindow } from '../sensor-window/SensorWindow.js';
import { SettingsView } from '../settings/SettingsView.js';
import { StoreView } from '../store-panel/StoreView.js';
import { AuthBanner } from './AuthBanner.js';
import { Header } from './Header.js';
import { useStore } from 'zustand';
import { useApp, useServices } from './services-context.js';
import { Toasts } from './Toasts.js';

export function App() {
  const view = useApp((s) => s.view);
  const sensorsOpen = useStore(useServices().sensorWindow, (s) => s.open);
  return (
    <div className="app">
      <Header />
      <AuthBanner />
      <main className="app-main">
        {/* The flows grid stays mounted so its scroll position survives a visit elsewhere; the other
            views keep their state in their stores (one grid in the DOM at a time keeps focus simple). */}
        {view === 'realtime' ? (
          <section id="panel-realtime" role="tabpanel" aria-labelledby="tab-realtime" className="view">
            <RealtimeView active />
          </section>
        ) : null}
        <section id="panel-flows" role="tabpanel" aria-labelledby="tab-flows" className="view" hidden={view !== 'flows'}>
          <FlowsView active={view === 'flows'} />
        </section>
        {view === 'historical' ? (
          <section id="panel-historical" role="tabpanel" aria-labelledby="tab-historical" className="view view-scroll">
            <HistoricalView active />
          </section>
        ) : null}
        {view === 'files' ? (
          <section id="panel-files" role="tabpanel" aria-labelledby="tab-files" className="view view-scroll">
            <FilesPageView />
          </section>
        ) : null}
        {view === 'store' ? (
          <section id="panel-store" role="tabpanel" aria-labelledby="tab-store" className="view view-scroll">
            <CapturePanel />
            <StoreView />
          </section>
        ) : null}
        {view === 'settings' ? (
          <section id="panel-settings" role="tabpanel" aria-labelledby="tab-settings" className="view view-scroll">
            <SettingsView />
          </section>
        ) : null}
      </main>
      {sensorsOpen ? <SensorWindow /> : null}
      <ImportTray />
      <DropOverlay />
      <Toasts />
    </div>
  );
}
