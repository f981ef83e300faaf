/**
 * Under the search bar: what the grid holds (results, live additions), the search's error in
 * words with what to do next, exclusions as removable chips, and live pause / resume.
 */
import { useApp, useFlows } from '../app/services-context.js';
import { formatCount } from '../format/numbers.js';
import { protoName } from '../format/protocols.js';
import { IconClose, IconPause, IconPlay, IconWarning } from '../ui/icons.js';
import type { Exclusion } from './row-store.js';

function exclusionText(e: Exclusion): string {
  if (e.field === 'port') return `port ${e.value}`;
  if (e.field === 'proto') return protoName(Number(e.value));
  return String(e.value);
}

function StatusText() {
  const status = useFlows((s) => s.status);
  const visible = useFlows((s) => s.visibleCount);
  const dropped = useFlows((s) => s.dropped);
  switch (status.kind) {
    case 'idle':
      return <span className="muted">No search yet</span>;
    case 'loading':
      return <span className="muted">Searching…</span>;
    case 'error':
      return null;
    case 'done':
      return (
        <span>
          <strong>{formatCount(visible)}</strong> flow{visible === 1 ? '' : 's'}
          <span className="muted">
            {' '}
            · search returned {formatCount(status.count)} in {Math.max(1, Math.round(status.elapsedMs))} ms
          </span>
          {status.truncated ? <span className="warn-text"> · limit reached: narrow the search or raise the limit</span> : null}
          {dropped ? <span className="muted"> · {formatCount(dropped)} oldest rows dropped from view (still in the store)</span> : null}
        </span>
      );
  }
}

function SearchError() {
  const status = useFlows((s) => s.status);
  // A lost session is explained once, by the banner at the top of the window.
  if (status.kind !== 'error' || status.status === 401) return null;
  return (
    <div className="inline-error" role="alert">
      <IconWarning />
      <div>
        <div className="inline-error-msg">{status.message}</div>
        {status.hint ? <div className="inline-error-hint">{status.hint}</div> : null}
      </div>
    </div>
  );
}

function PauseControl() {
  const pause = useFlows((s) => s.pause);
  const pendingNew = useFlows((s) => s.pendingNew);
  const pendingUpdates = useFlows((s) => s.pendingUpdates);
  const refreshHeld = useFlows((s) => s.refreshHeld);
  const setPaused = useFlows((s) => s.setPaused);
  const link = useApp((s) => s.connection.kind);
  const streaming = link === 'connected' || link === 'local';
  const paused = pause !== 'live';
  const held: string[] = [];
  if (pendingNew) held.push(`${formatCount(pendingNew)} new`);
  if (pendingUpdates) held.push(`${formatCount(pendingUpdates)} updated`);
  if (refreshHeld) held.push('import finished');
  return (
    <div className="live-control">
      <span className={`live-state ${paused ? 'live-paused' : streaming ? 'live-on' : 'live-waiting'}`} role="status" aria-live="polite">
        {paused ? (
          <>
            {pause === 'auto' ? 'Paused while scrolled' : 'Paused'}
            {held.length ? <span className="held-count"> · {held.join(', ')}</span> : <span className="muted"> · nothing new</span>}
          </>
        ) : streaming ? (
          'Live'
        ) : (
          'Live updates waiting for the connection'
        )}
      </span>
      <button
        type="button"
        className="btn btn-small"
        aria-pressed={paused}
        onClick={() => setPaused(paused ? 'live' : 'manual')}
        title={paused ? 'Show the rows that arrived while paused' : 'Hold new rows back so the grid stays still'}
      >
        {paused ? <IconPlay /> : <IconPause />}
        <span>{paused ? 'Resume' : 'Pause'}</span>
      </button>
    </div>
  );
}

export function LiveBar() {
  const exclusions = useFlows((s) => s.exclusions);
  const removeExclusion = useFlows((s) => s.removeExclusion);
  return (
    <div className="livebar">
      <div className="livebar-status">
        <StatusText />
        {exclusions.length ? (
          <ul className="chips" aria-label="Excluded values">
            {exclusions.map((e, i) => (
              <li key={`${e.field}:${e.value}`} className="chip">
                <span>not {exclusionText(e)}</span>
                <button type="button" className="chip-x" aria-label={`Stop excluding ${exclusionText(e)}`} onClick={() => removeExclusion(i)}>
                  <IconClose />
                </button>
              </li>
            ))}
          </ul>
        ) : null}
      </div>
      <PauseControl />
      <SearchError />
    </div>
  );
}
