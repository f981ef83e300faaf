/** The top bar: product, views, import, connection. */
import type { KeyboardEvent } from 'react';
import { ImportButton } from '../import/ImportButton.js';
import { ServerFilesButton } from '../import/ServerFilesButton.js';
import { Logo } from '../ui/icons.js';
import type { ViewId } from './app-store.js';
import { ConnectionIndicator } from './ConnectionIndicator.js';
import { useStore } from 'zustand';
import { useApp, useServices } from './services-context.js';

export const VIEWS: readonly { id: ViewId; label: string }[] = [
  { id: 'realtime', label: 'Real-Time' },
  { id: 'flows', label: 'Flows' },
  { id: 'historical', label: 'Historical' },
  { id: 'files', label: 'Files' },
  { id: 'store', label: 'Store' },
  { id: 'settings', label: 'Settings' },
];

/** The worst status among the sensors: bad (error), warn (offline or connecting), else ok. */
function sensorsTone(sensors: readonly { status: string }[]): 'ok' | 'warn' | 'bad' {
  if (sensors.some((s) => s.status === 'error')) return 'bad';
  if (sensors.some((s) => s.status !== 'connected')) return 'warn';
  return 'ok';
}

export function Header() {
  const view = useApp((s) => s.view);
  const setView = useApp((s) => s.setView);
  const info = useApp((s) => s.info);
  const sensorWindow = useServices().sensorWindow;
  const sensorsOpen = useStore(sensorWindow, (s) => s.open);

  // Arrow keys move between tabs (WAI-ARIA tabs pattern).
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = VIEWS.findIndex((v) => v.id === view);
    let next = -1;
    if (e.key === 'ArrowRight') next = (i + 1) % VIEWS.length;
    else if (e.key === 'ArrowLeft') next = (i - 1 + VIEWS.length) % VIEWS.length;
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = VIEWS.length - 1;
    if (next < 0) return;
    e.preventDefault();
    setView(VIEWS[next].id);
    document.getElementById(`tab-${VIEWS[next].id}`)?.focus();
  };

  const sensors = info?.sensors ?? [];
  return (
    <header className="topbar">
      <div className="brand">
        <Logo />
        <span className="brand-name">Tapline</span>
      </div>
      <div className="tabs" role="tablist" aria-label="Views" onKeyDown={onKey}>
        {VIEWS.map((v) => (
          <button
            key={v.id}
            id={`tab-${v.id}`}
            type="button"
            role="tab"
            aria-selected={view === v.id}
            aria-controls={`panel-${v.id}`}
            tabIndex={view === v.id ? 0 : -1}
            className="tab"
            onClick={() => setView(v.id)}
          >
            {v.label}
          </button>
        ))}
      </div>
      <div className="topbar-spacer" />
      {/* the sensor connection window: status, rates, drops and errors per sensor */}
      <button
        id="sensors-button"
        type="button"
        className={`btn btn-small btn-ghost sensors sensors-button tone-${sensorsTone(sensors)}`}
        aria-haspopup="dialog"
        aria-expanded={sensorsOpen}
        title={sensors.length ? sensors.map((s) => `${s.name || s.id}: ${s.status}${s.message ? ` (${s.message})` : ''}`).join('\n') : 'Sensors'}
        onClick={() => sensorWindow.getState().setOpen(!sensorsOpen)}
      >
        <span className="conn-dot" aria-hidden="true" />
        <span>{sensors.length === 1 ? `Sensor ${sensors[0].name || sensors[0].id}` : sensors.length ? `${sensors.length} sensors` : 'Sensors'}</span>
      </button>
      <ImportButton />
      <ServerFilesButton />
      <ConnectionIndicator />
      {info ? <span className="version">{/^\d/.test(info.version) ? `v${info.version}` : info.version}</span> : null}
    </header>
  );
}
