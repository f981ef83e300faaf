/**
 * The Historical Flow and Payload Data page: the query (hosts, port, time window; ±1 h around
 * the event by default, editable), its flows with their pcap links, and every file carved from
 * them. Hovering a file previews it: raster images as <img>, text as text, HTML, SVG and scripts
 * only as inert text (the server also serves them as text/plain under a sandbox CSP), anything
 * else as a hex dump.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { CarvedFile } from '../../../common/bridge/messages.js';
import { useApp, useFilesPage, useServices, useSettings } from '../app/services-context.js';
import { formatBytes } from '../format/numbers.js';
import { protoName } from '../format/protocols.js';
import { formatGridTime } from '../format/time.js';
import { FilePreview, FileRow, FilesTable } from '../payload/PayloadPanel.js';
import { MAX_FLOWS_CARVED } from './files-page-store.js';
import { formToFilesQuery, toForm, type QueryForm } from './files-query-form.js';

function QueryBar() {
  const services = useServices();
  const query = useFilesPage((s) => s.query);
  const loading = useFilesPage((s) => s.status === 'loading');
  const zone = useSettings((s) => s.timeZone);
  const [form, setForm] = useState<QueryForm>(toForm(query));
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setForm(toForm(query)), [query]);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const r = formToFilesQuery(form, query, zone, Date.now());
    if ('error' in r) {
      setError(r.error);
      return;
    }
    setError(null);
    void services.files.getState().open(r.query);
  };
  const field = (k: keyof QueryForm, label: string, placeholder: string) => (
    <div className="field">
      <label htmlFor={`files-${k}`}>{label}</label>
      <input id={`files-${k}`} type="text" autoComplete="off" spellCheck={false} value={form[k]} placeholder={placeholder} onChange={(e) => setForm({ ...form, [k]: e.currentTarget.value })} />
    </div>
  );
  return (
    <form className="searchbar" role="search" aria-label="Flows and files query" onSubmit={onSubmit} noValidate>
      {field('hosts', 'Hosts', 'IP or CIDR, up to two')}
      {field('port', 'Port', 'any')}
      {field('since', 'Since', '-1h')}
      {field('until', 'Until', 'now')}
      <div className="search-actions">
        <button type="submit" className="btn btn-primary" disabled={loading}>
          {loading ? 'Loading…' : 'Show flows and files'}
        </button>
      </div>
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : query?.flowIds?.length ? (
        <div className="muted files-note">Showing the {query.flowIds.length === 1 ? 'flow' : `${query.flowIds.length} flows`} you picked; search again to see every flow of the query.</div>
      ) : null}
    </form>
  );
}

export function FilesPageView() {
  const services = useServices();
  const status = useFilesPage((s) => s.status);
  const error = useFilesPage((s) => s.error);
  const flows = useFilesPage((s) => s.flows);
  const skipped = useFilesPage((s) => s.skipped);
  const query = useFilesPage((s) => s.query);
  const zone = useSettings((s) => s.timeZone);
  const sensorName = useApp((s) => s.sensorName);
  const [preview, setPreview] = useState<CarvedFile | null>(null);

  const files = flows.flatMap((f) => f.files);
  const pending = flows.filter((f) => f.status === 'waiting' || f.status === 'loading').length;
  const failed = flows.filter((f) => f.status === 'error');
  return (
    <div className="files-page">
      <QueryBar />
      {status === 'error' && error ? (
        <div className="banner banner-error" role="alert">
          <strong>{error.message}</strong>
          {error.hint ? <div>{error.hint}</div> : null}
        </div>
      ) : null}
      {status === 'idle' ? (
        <p className="muted files-intro">Right-click a row in Real-Time or Flows and choose "Show files in flow(s)", or enter hosts and a time window above.</p>
      ) : null}
      {status === 'ready' ? (
        <div className="files-summary" aria-live="polite">
          {flows.length.toLocaleString('en-US')} TCP flow{flows.length === 1 ? '' : 's'}
          {skipped ? ` (and ${skipped.toLocaleString('en-US')} more not carved: narrow the query; at most ${MAX_FLOWS_CARVED} are)` : ''}, {files.length.toLocaleString('en-US')} file
          {files.length === 1 ? '' : 's'}
          {pending ? ` · carving ${pending} flow${pending === 1 ? '' : 's'}…` : ''}
          {failed.length ? ` · ${failed.length} could not be carved (${failed[0].error ?? ''})` : ''}
        </div>
      ) : null}
      <div className="files-page-body">
        <div className="files-page-lists">
          {files.length ? (
            <FilesTable label="Carved files">
              {files.map((f) => (
                <FileRow key={`${f.sensor}:${f.id}`} file={f} selected={preview?.id === f.id} onSelect={() => setPreview(f)} />
              ))}
            </FilesTable>
          ) : status === 'ready' && !pending ? (
            <p className="muted">No files were carved from these TCP flows (HTTP, SMTP, POP3, IMAP and FTP data are carved; TFTP transfers, on UDP, with `tapline carve`).</p>
          ) : null}
          {flows.length ? (
            <table className="hist-table files-flows" aria-label="Flows of the query">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Sensor</th>
                  <th>Client</th>
                  <th>Server</th>
                  <th>Proto</th>
                  <th className="num">Bytes</th>
                  <th>Files</th>
                  <th>Pcap</th>
                </tr>
              </thead>
              <tbody>
                {flows.map(({ flow, status: st, files: ff }) => {
                  let pcap: string | null = null;
                  try {
                    pcap = services.bridge.pcapUrl({ flow: flow.id, sensor: flow.sensor });
                  } catch {
                    pcap = null;
                  }
                  return (
                    <tr key={`${flow.sensor}:${flow.id}`} data-flow-id={flow.id}>
                      <td className="mono">{formatGridTime(Number(flow.first_ts), zone)}</td>
                      <td>{sensorName(flow.sensor)}</td>
                      <td className="mono">
                        {flow.client_ip}:{flow.client_port}
                      </td>
                      <td className="mono">
                        {flow.server_ip}:{flow.server_port}
                      </td>
                      <td>{flow.proto === null ? '' : protoName(flow.proto)}</td>
                      <td className="num mono">{formatBytes(flow.bytes)}</td>
                      <td>{st === 'ready' ? ff.length : st === 'error' ? 'failed' : '…'}</td>
                      <td>
                        {pcap ? (
                          <a href={pcap} rel="noopener noreferrer" download>
                            pcap
                          </a>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          ) : null}
        </div>
        <aside className="files-page-preview" aria-label="Preview">
          {preview ? <FilePreview key={`${preview.sensor}:${preview.id}`} file={preview} /> : files.length ? <p className="muted">Hover a file to preview it.</p> : null}
          {query ? (
            <p className="muted files-window">
              Window: {formatGridTime(Number(query.since), zone)} – {formatGridTime(Number(query.until), zone)}
            </p>
          ) : null}
        </aside>
      </div>
    </div>
  );
}
