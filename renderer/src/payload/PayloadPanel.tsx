/**
 * The payload panels opened from the flows menu: "Follow stream" (the reassembled payload in
 * order, client and server coloured differently, ASCII or hex, gaps and truncation shown) and
 * "Show files in flow" (carved files with a preview). Carved bytes are hostile input: they are
 * only ever shown as escaped text, a hex dump, or a raster image from the API (which serves
 * nothing else with a renderable type).
 */
import { useEffect, useMemo, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { CarvedFile, FollowResult } from '../../../common/bridge/messages.js';
import { usePayload, useServices } from '../app/services-context.js';
import { formatBytes } from '../format/numbers.js';
import { fileOriginLines } from './file-origin.js';
import { asciiText, displayName, followBlocks, hexDump, PREVIEW_BYTES, previewKind } from './payload-format.js';

export function PayloadPanel() {
  const services = useServices();
  const panel = usePayload((s) => s.panel);
  if (!panel) return null;
  const close = () => {
    services.payload.getState().close();
    document.querySelector<HTMLElement>('.grid')?.focus({ preventScroll: true });
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  };
  const title = panel.kind === 'follow' ? 'Follow stream' : 'Files in flow';
  return (
    <div className="dialog-backdrop payload-backdrop">
      <section className="dialog payload-panel" role="dialog" aria-modal="true" aria-labelledby="payload-title" onKeyDown={onKeyDown} tabIndex={-1}>
        <header className="payload-head">
          <h2 id="payload-title">
            {title} <span className="muted">{panel.target.label}</span>
          </h2>
          <button type="button" className="btn" onClick={close} autoFocus>
            Close
          </button>
        </header>
        {panel.status === 'loading' ? <p className="muted">{panel.kind === 'follow' ? 'Reassembling the stream…' : 'Carving files…'}</p> : null}
        {panel.status === 'error' && panel.error ? (
          <div className="dialog-failure" role="alert">
            {panel.error.message}
            {panel.error.hint ? <div className="muted">{panel.error.hint}</div> : null}
          </div>
        ) : null}
        {panel.kind === 'follow' && panel.result ? <FollowView result={panel.result} /> : null}
        {panel.kind === 'files' && panel.status === 'ready' ? <FilesView files={panel.files} /> : null}
      </section>
    </div>
  );
}

function FollowView({ result }: { result: FollowResult }) {
  const [mode, setMode] = useState<'ascii' | 'hex'>('ascii');
  const blocks = useMemo(() => followBlocks(result), [result]);
  return (
    <div className="follow-view">
      <div className="follow-bar">
        <div className="segmented" role="radiogroup" aria-label="Show as">
          {(['ascii', 'hex'] as const).map((m) => (
            <label key={m} className={`segment${mode === m ? ' is-on' : ''}`}>
              <input type="radio" name="follow-mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
              <span>{m === 'ascii' ? 'ASCII' : 'Hex'}</span>
            </label>
          ))}
        </div>
        <span className="follow-legend dir-0">
          client {result.client.ip}:{result.client.port} → {formatBytes(result.bytes[0])}
        </span>
        <span className="follow-legend dir-1">
          server {result.server.ip}:{result.server.port} → {formatBytes(result.bytes[1])}
        </span>
        {result.gap_bytes[0] + result.gap_bytes[1] > 0 ? <span className="follow-legend">{formatBytes(result.gap_bytes[0] + result.gap_bytes[1])} missing from the capture</span> : null}
      </div>
      {result.truncated ? (
        <p className="follow-truncated" role="status">
          Showing the first {formatBytes(result.max_bytes)} of the stream; download the pcap or use <code>tapline follow</code> for all of it.
        </p>
      ) : null}
      <div className="follow-stream" data-testid="follow-stream">
        {blocks.length === 0 ? <p className="muted">This flow carried no payload.</p> : null}
        {blocks.map((b) => (
          <div key={b.key}>
            {b.gapBefore > 0 ? <div className="follow-gap">[{b.gapBefore.toLocaleString('en-US')} bytes missing in capture]</div> : null}
            <pre className={`follow-block dir-${b.dir}`}>{mode === 'ascii' ? asciiText(b.bytes) : hexDump(b.bytes, b.offset)}</pre>
          </div>
        ))}
      </div>
    </div>
  );
}

function FilesView({ files }: { files: CarvedFile[] }) {
  const [selected, setSelected] = useState<CarvedFile | null>(files[0] ?? null);
  if (files.length === 0) return <p className="muted">No files were carved from this flow (HTTP, SMTP, POP3, IMAP, FTP data, TFTP and SMB2 transfers are carved).</p>;
  return (
    <div className="files-view">
      <FilesTable>
        {files.map((f) => (
          <FileRow key={f.id} file={f} selected={selected?.id === f.id} onSelect={() => setSelected(f)} />
        ))}
      </FilesTable>
      {selected ? <FilePreview key={selected.id} file={selected} /> : null}
    </div>
  );
}

/** The carved-files table (name, type, size, hashes, URL/host/mail) around FileRow rows. */
export function FilesTable({ label, children }: { label?: string; children: ReactNode }) {
  return (
    <table className="files-table" aria-label={label}>
      <thead>
        <tr>
          <th>Name</th>
          <th>Type</th>
          <th>Size</th>
          <th>Hashes</th>
          <th>URL / host / mail</th>
          <th />
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

export function FileRow({ file, selected, onSelect }: { file: CarvedFile; selected: boolean; onSelect: () => void }) {
  const services = useServices();
  let href: string | null = null;
  try {
    href = services.bridge.fileUrl(file.sha256, { sensor: file.sensor, download: true, name: file.name ?? undefined });
  } catch {
    href = null;
  }
  return (
    <tr className={`file-row${selected ? ' is-selected' : ''}`} data-sha256={file.sha256} onClick={onSelect} onMouseEnter={onSelect} aria-selected={selected}>
      <td className="file-name">
        {displayName(file)}
        {file.incomplete ? <span className="muted"> (incomplete)</span> : null}
      </td>
      <td>
        {file.mime ?? 'unknown'}
        {file.declaredType && file.declaredType !== file.mime ? <div className="muted">declared {file.declaredType}</div> : null}
      </td>
      <td>{formatBytes(file.size)}</td>
      <td className="file-hashes">
        <div>
          md5 <code>{file.md5}</code>
        </div>
        <div>
          sha1 <code>{file.sha1}</code>
        </div>
        <div>
          sha256 <code className="file-sha256">{file.sha256}</code>
        </div>
      </td>
      <td className="file-url">
        {fileOriginLines(file).map((line, i) => (
          <div key={i}>{line}</div>
        ))}
      </td>
      <td>{href ? <a href={href} download={file.name ?? file.sha256} rel="noopener noreferrer">Download</a> : null}</td>
    </tr>
  );
}

type Loaded = { status: 'loading' } | { status: 'ready'; bytes: Uint8Array } | { status: 'error'; message: string };

/** The first bytes of a carved file (text and hex previews). */
async function fetchHead(url: string, signal: AbortSignal): Promise<Uint8Array> {
  const res = await fetch(url, { signal, credentials: 'same-origin' });
  if (!res.ok || !res.body) throw new Error(`the server answered ${res.status}`);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  while (n < PREVIEW_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    n += value.length;
  }
  void reader.cancel().catch(() => undefined);
  const out = new Uint8Array(Math.min(n, PREVIEW_BYTES));
  let at = 0;
  for (const p of parts) {
    const take = p.subarray(0, out.length - at);
    out.set(take, at);
    at += take.length;
    if (at >= out.length) break;
  }
  return out;
}

export function FilePreview({ file }: { file: CarvedFile }) {
  const services = useServices();
  const kind = previewKind(file);
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  let url: string | null = null;
  try {
    url = services.bridge.fileUrl(file.sha256, { sensor: file.sensor });
  } catch {
    url = null;
  }
  useEffect(() => {
    if (kind === 'image' || url === null) return;
    const ac = new AbortController();
    fetchHead(url, ac.signal).then(
      (bytes) => setLoaded({ status: 'ready', bytes }),
      (e: unknown) => {
        if (!ac.signal.aborted) setLoaded({ status: 'error', message: (e as Error).message });
      },
    );
    return () => ac.abort();
  }, [kind, url]);
  if (url === null) return <p className="muted">No preview: carved files are not reachable from this window.</p>;
  return (
    <div className="file-preview" data-preview={kind}>
      <div className="muted">
        Preview of {displayName(file)}
        {kind === 'inert' ? ' — shown as plain text, never rendered' : ''}
        {kind !== 'image' && file.size > PREVIEW_BYTES ? ` (first ${formatBytes(PREVIEW_BYTES)})` : ''}
      </div>
      {kind === 'image' ? <img src={url} alt={displayName(file)} className="file-image" /> : null}
      {kind !== 'image' && loaded.status === 'loading' ? <p className="muted">Loading…</p> : null}
      {kind !== 'image' && loaded.status === 'error' ? <p className="dialog-failure">Could not load the preview: {loaded.message}</p> : null}
      {kind !== 'image' && loaded.status === 'ready' ? <pre className="file-text">{kind === 'hex' ? hexDump(loaded.bytes) : new TextDecoder('utf-8', { fatal: false }).decode(loaded.bytes)}</pre> : null}
    </div>
  );
}
