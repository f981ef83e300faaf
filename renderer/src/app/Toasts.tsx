/** Notices from the back end and the UI, bottom right; errors stay until dismissed. */
import { useEffect } from 'react';
import { IconClose } from '../ui/icons.js';
import type { Notice } from './app-store.js';
import { useApp } from './services-context.js';

const AUTO_DISMISS_MS = 5000;

function Toast({ n, dismiss }: { n: Notice; dismiss: (id: number) => void }) {
  useEffect(() => {
    if (n.sticky) return;
    const t = window.setTimeout(() => dismiss(n.id), AUTO_DISMISS_MS);
    return () => window.clearTimeout(t);
  }, [n, dismiss]);
  return (
    <div className={`toast toast-${n.level}`} role={n.level === 'error' ? 'alert' : 'status'}>
      <div className="toast-body">
        <div className="toast-text">{n.text}</div>
        {n.hint ? <div className="toast-hint">{n.hint}</div> : null}
      </div>
      <button type="button" className="icon-btn" aria-label="Dismiss notice" onClick={() => dismiss(n.id)}>
        <IconClose />
      </button>
    </div>
  );
}

export function Toasts() {
  const notices = useApp((s) => s.notices);
  const dismiss = useApp((s) => s.dismiss);
  return (
    <section className="toasts" aria-label="Notices" aria-live="polite">
      {notices.map((n) => (
        <Toast key={n.id} n={n} dismiss={dismiss} />
      ))}
    </section>
  );
}
