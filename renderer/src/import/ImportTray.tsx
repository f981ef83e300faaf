/** The imports of this session: one progress bar per file, then its result. */
import { useImports } from '../app/services-context.js';
import { formatBytes, plural } from '../format/numbers.js';
import { IconClose, IconFile } from '../ui/icons.js';
import type { ImportEntry } from './import-store.js';

const STATUS_WORDS: Record<string, string> = {
  indexed: 'Indexed',
  reindexed: 'Re-indexed',
  unchanged: 'Already imported',
  relinked: 'Re-linked (moved file)',
  duplicate: 'Duplicate of an imported capture',
  failed: 'Failed',
};

/** Progress 0..1: uploading counts for the first half in serve mode, indexing for the rest. */
function progressOf(e: ImportEntry): number {
  if (e.phase === 'done' || e.phase === 'failed') return 1;
  const idx = e.indexTotal > 0 ? Math.min(1, e.indexed / e.indexTotal) : 0;
  if (e.phase === 'uploading') return e.size > 0 ? (e.sent / e.size) * 0.5 : 0;
  if (e.phase === 'indexing') return e.sent > 0 ? 0.5 + idx * 0.5 : idx;
  return 0;
}

function phaseText(e: ImportEntry): string {
  switch (e.phase) {
    case 'queued':
      return 'Waiting';
    case 'uploading':
      return `Uploading ${formatBytes(e.sent)} of ${formatBytes(e.size)}`;
    case 'indexing':
      return e.indexed > 0 ? `Indexing ${formatBytes(e.indexed)} of ${formatBytes(e.indexTotal)}` : 'Indexing…';
    case 'done': {
      const r = e.result;
      if (!r) return 'Done';
      return `${STATUS_WORDS[r.status] ?? r.status}: ${plural(r.packets, 'packet')}, ${plural(r.flows, 'flow')}`;
    }
    case 'failed':
      return e.message ?? 'Failed';
  }
}

function Entry({ e }: { e: ImportEntry }) {
  const pct = Math.round(progressOf(e) * 100);
  return (
    <li className={`import-entry import-${e.phase}`}>
      <IconFile className="import-icon" />
      <div className="import-main">
        <div className="import-line">
          <span className="import-name" title={e.serverPath ?? e.name}>
            {e.name}
          </span>
          <span className="import-size">{formatBytes(e.size)}</span>
          {!e.local ? <span className="tag">other client</span> : null}
        </div>
        <div
          className="progress"
          role="progressbar"
          aria-label={`Import of ${e.name}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={pct}
          aria-valuetext={phaseText(e)}
        >
          <div className="progress-fill" style={{ width: `${pct}%` }} />
        </div>
        <div className="import-status">{phaseText(e)}</div>
        {e.phase === 'done' && e.result?.message ? <div className="import-note">{e.result.message}</div> : null}
      </div>
    </li>
  );
}

export function ImportTray() {
  const entries = useImports((s) => s.entries);
  const open = useImports((s) => s.open);
  const setOpen = useImports((s) => s.setOpen);
  const clearFinished = useImports((s) => s.clearFinished);
  if (!open || entries.length === 0) return null;
  const running = entries.filter((e) => e.phase !== 'done' && e.phase !== 'failed').length;
  return (
    <aside className="import-tray" aria-label="Imports">
      <div className="tray-head">
        <h2 className="tray-title">Imports {running ? <span className="muted">({running} running)</span> : null}</h2>
        <button type="button" className="btn btn-ghost btn-small" onClick={clearFinished} disabled={running === entries.length}>
          Clear finished
        </button>
        <button type="button" className="icon-btn" aria-label="Close the import tray" onClick={() => setOpen(false)}>
          <IconClose />
        </button>
      </div>
      <ul className="import-list">
        {entries.map((e) => (
          <Entry key={e.key} e={e} />
        ))}
      </ul>
    </aside>
  );
}
