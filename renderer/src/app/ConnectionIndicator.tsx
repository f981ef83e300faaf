/** The live link's state: connected, reconnecting (with a countdown), logged out, or local IPC. */
import { useEffect, useState } from 'react';
import type { ConnectionState } from '../bridge/capabilities.js';
import { useApp } from './services-context.js';

function useSecondsUntil(ms: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (ms === null) return;
    const t = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(t);
  }, [ms]);
  return ms === null ? null : Math.max(0, Math.ceil((ms - now) / 1000));
}

function describe(c: ConnectionState, secs: number | null): { tone: string; label: string; title: string } {
  switch (c.kind) {
    case 'local':
      return { tone: 'ok', label: 'Local', title: 'Connected to the local back end (desktop app)' };
    case 'connected':
      return { tone: 'ok', label: 'Live', title: 'Receiving live events over WebSocket' };
    case 'connecting':
      return { tone: 'wait', label: 'Connecting…', title: 'Opening the live connection' };
    case 'reconnecting':
      return {
        tone: 'warn',
        label: secs ? `Reconnecting in ${secs}s` : 'Reconnecting…',
        title: `Live connection lost (${c.reason}); attempt ${c.attempt}. Missed events are replayed on reconnect.`,
      };
    case 'logged-out':
      return { tone: 'bad', label: 'Logged out', title: 'The server needs you to log in again' };
  }
}

export function ConnectionIndicator() {
  const c = useApp((s) => s.connection);
  const secs = useSecondsUntil(c.kind === 'reconnecting' ? c.retryAt : null);
  const d = describe(c, secs);
  return (
    <div className={`conn conn-${d.tone}`} role="status" aria-live="polite" title={d.title}>
      <span className="conn-dot" aria-hidden="true" />
      <span className="conn-label">{d.label}</span>
    </div>
  );
}
