/**
 * "From server" beside Import (serve mode with --import-dir): the captures already on the server,
 * imported in place without an upload, so their first flows show a moment after the click. The
 * button appears only when the server answers the listing (it has an import directory).
 */
import { useEffect, useRef, useState } from 'react';
import { BridgeCallError } from '../../../common/bridge/bridge.js';
import type { ServerFile } from '../../../common/bridge/server-files.js';
import { useImports, useServices } from '../app/services-context.js';
import { hasServerFileSource } from '../bridge/capabilities.js';
import { formatBytes } from '../format/numbers.js';

export function ServerFilesButton() {
  const { bridge } = useServices();
  const importServerFile = useImports((s) => s.importServerFile);
  const [available, setAvailable] = useState(false);
  const [open, setOpen] = useState(false);
  const [files, setFiles] = useState<ServerFile[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const source = hasServerFileSource(bridge) ? bridge : null;

  useEffect(() => {
    if (!source) return;
    let live = true;
    source.listServerFiles().then(
      () => live && setAvailable(true),
      () => undefined, // no import directory (404) or no session yet: no button
    );
    return () => {
      live = false;
    };
  }, [source]);

  // a click elsewhere or Escape closes the list
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      const t = e.target as Node | null;
      if (t && (button.current?.contains(t) || (t instanceof Element && t.closest('.server-files')))) return;
      setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  if (!source || !available) return null;

  const toggle = () => {
    if (open) {
      setOpen(false);
      return;
    }
    setOpen(true);
    setFiles(null);
    setError(null);
    source.listServerFiles().then(setFiles, (e: unknown) => {
      const err = e instanceof BridgeCallError ? e : new BridgeCallError(String((e as Error)?.message ?? e));
      setError(err.hint ? `${err.message} ${err.hint}` : err.message);
    });
  };

  const r = button.current?.getBoundingClientRect();
  return (
    <>
      <button ref={button} type="button" className="btn" aria-haspopup="menu" aria-expanded={open} onClick={toggle} title="Import a capture that is already on the server (no upload)">
        From server
      </button>
      {open ? (
        <div className="menu server-files" role="menu" aria-label="Captures on the server" style={{ top: `${(r?.bottom ?? 48) + 4}px`, right: `${Math.max(8, window.innerWidth - (r?.right ?? 0))}px` }}>
          {error ? <div className="menu-note">{error}</div> : null}
          {files === null && !error ? <div className="menu-note">Listing…</div> : null}
          {files?.length === 0 ? <div className="menu-note">The server's import directory holds no capture files.</div> : null}
          {files?.map((f) => (
            <button
              key={f.name}
              type="button"
              role="menuitem"
              className="menu-item"
              title={f.name}
              onClick={() => {
                setOpen(false);
                void importServerFile(f);
              }}
            >
              {f.name} <span className="muted">{formatBytes(f.size)}</span>
            </button>
          ))}
        </div>
      ) : null}
    </>
  );
}
