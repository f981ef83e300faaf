/** The top bar: product, views, import, connection. */
import type { KeyboardEvent } from 'react';
import { ImportButton } from '../import/ImportButton.js';
import { ServerFilesButton } from '../import/ServerFilesButton.js';
import { Logo } from '../ui/icons.js';
import type { ViewId } from './app-store.js';
import { ConnectionIndicator } from './ConnectionIndicator.js';
import { useApp } from './services-context.js';

export const VIEWS: readonly { id: ViewId; label: string }[] = [
  { id: 'realtime', label: 'Real-Time' },
  { id: 'flows', label: 'Flows' },
  { id: 'historical', label: 'Historical' },
  { id: 'files', label: 'Files' },
  { id: 'store', label: 'Store' },
  { id: 'settings', label: 'Settings' },
];

export function Header() {
  const view = useApp((s) => s.view);
  const setView = useApp((s) => s.setView);
  const info = useApp((s) => s.info);

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
      {sensors.length ? (
        <div className="sensors" title={sensors.map((s) => `${s.name || s.id}: ${s.status}${s.message ? ` (${s.message})` : ''}`).join('\n')}>
          {sensors.length === 1 ? `Sensor ${sensors[0].name || sensors[0].id}` : `${sensors.length} sensors`}
        </div>
      ) : null}
      <ImportButton />
      <ServerFilesButton />
      <ConnectionIndicator />
      {info ? <span className="version">{/^\d/.test(info.version) ? `v${info.version}` : info.version}</span> : null}
    </header>
  );
}
