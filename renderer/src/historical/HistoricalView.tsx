/**
 * The Historical view: the "Search Events or Flows" form (time range, IP or CIDR, port, protocol,
 * sid, message text, rank, sensor), charts, and the results — events from the local archive,
 * paged by key and sortable; flows from the back end — with CSV and JSON export.
 */
import { useState, type FormEvent } from 'react';
import { useApp, useHistorical, useServices, useSettings } from '../app/services-context.js';
import type { HistoryField, SortKey } from '../archive/event-query.js';
import { formatBytes, formatCount } from '../format/numbers.js';
import { protoName } from '../format/protocols.js';
import { formatGridTime, LOCAL_ZONE, localZoneName } from '../format/time.js';
import { rankClass, rankText } from '../flows/columns.js';
import { FormField } from '../ui/FormField.js';
import { ContextMenu } from '../menu/ContextMenu.js';
import type { MenuItem } from '../menu/flow-menu.js';
import { runMenuAction } from '../menu/run-menu-action.js';
import { queryAround } from '../files-page/files-page-store.js';
import { HistoryCharts, type Pivot } from './HistoryCharts.js';
import { PAGE_SIZE } from './historical-store.js';

interface FieldSpec {
  field: Exclude<HistoryField, 'target'>;
  label: string;
  placeholder: string;
}

const FIELDS: readonly FieldSpec[] = [
  { field: 'since', label: 'Since', placeholder: '-24h, 2024-03-01 14:00' },
  { field: 'until', label: 'Until', placeholder: 'now' },
  { field: 'ip', label: 'IP', placeholder: 'address or CIDR' },
  { field: 'port', label: 'Port', placeholder: 'any' },
  { field: 'proto', label: 'Proto', placeholder: 'tcp, udp, 47' },
  { field: 'sid', label: 'SID', placeholder: 'rule id' },
  { field: 'text', label: 'Message', placeholder: 'text in the message' },
  { field: 'minRank', label: 'Rank ≥', placeholder: '-100…100' },
  { field: 'kind', label: 'Kind', placeholder: 'alert, syslog…' },
];

function Field({ spec, zoneLabel }: { spec: FieldSpec; zoneLabel: string }) {
  const value = useHistorical((s) => s.form[spec.field]);
  const error = useHistorical((s) => s.errors[spec.field]);
  const setField = useHistorical((s) => s.setField);
  const isTime = spec.field === 'since' || spec.field === 'until';
  return (
    <FormField
      id={`hist-${spec.field}`}
      name={spec.field}
      label={spec.label}
      className={`f-hist-${spec.field}`}
      value={value}
      error={error}
      placeholder={spec.placeholder}
      timeZoneLabel={isTime ? zoneLabel : undefined}
      onChange={(v) => setField(spec.field, v)}
    />
  );
}

function SearchForm() {
  const submit = useHistorical((s) => s.submit);
  const target = useHistorical((s) => s.form.target);
  const sensor = useHistorical((s) => s.form.sensor);
  const setField = useHistorical((s) => s.setField);
  const loading = useHistorical((s) => s.status.kind === 'loading');
  const sensors = useApp((s) => s.info?.sensors ?? []);
  const zone = useSettings((s) => s.timeZone);
  const zoneLabel = zone === LOCAL_ZONE ? `local time (${localZoneName()})` : zone;
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit();
  };
  return (
    <form className="searchbar hist-form" role="search" aria-label="Search Events or Flows" onSubmit={onSubmit} noValidate>
      <div className="field">
        <label htmlFor="hist-target">Search</label>
        <select id="hist-target" value={target} onChange={(e) => setField('target', e.currentTarget.value)}>
          <option value="events">Events (archive)</option>
          <option value="flows">Flows (store)</option>
        </select>
      </div>
      {FIELDS.map((f) => (
        <Field key={f.field} spec={f} zoneLabel={zoneLabel} />
      ))}
      <div className="field">
        <label htmlFor="hist-sensor">Sensor</label>
        <select id="hist-sensor" value={sensor} onChange={(e) => setField('sensor', e.currentTarget.value)}>
          <option value="">All sensors</option>
          {sensors.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name || s.id}
            </option>
          ))}
        </select>
      </div>
      <div className="search-actions">
        <button type="submit" className="btn btn-primary" disabled={loading} aria-busy={loading}>
          {loading ? 'Searching…' : 'Search'}
        </button>
      </div>
    </form>
  );
}

const EVENT_COLUMNS: readonly { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'ts', label: 'Time' },
  { key: 'sensor', label: 'Sensor' },
  { key: 'kind', label: 'Kind' },
  { key: 'rank', label: 'Rank', numeric: true },
  { key: 'src', label: 'Source / client' },
  { key: 'dst', label: 'Destination / server' },
  { key: 'ports', label: 'Ports' },
  { key: 'proto', label: 'Proto' },
  { key: 'sid', label: 'SID', numeric: true },
  { key: 'message', label: 'Message' },
  { key: 'bytes', label: 'Bytes', numeric: true },
];

function download(name: string, text: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function EventsTable({ onIpMenu }: { onIpMenu(ip: string, x: number, y: number): void }) {
  const events = useHistorical((s) => s.events);
  const sort = useHistorical((s) => s.sort);
  const setSort = useHistorical((s) => s.setSort);
  const zone = useSettings((s) => s.timeZone);
  const sensorName = useApp((s) => s.sensorName);
  return (
    <table className="hist-table" aria-label="Events found">
      <thead>
        <tr>
          {EVENT_COLUMNS.map((c) => (
            <th key={c.key} aria-sort={sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'} className={c.numeric ? 'num' : undefined}>
              <button type="button" className="th-sort" onClick={() => void setSort({ key: c.key, dir: sort.key === c.key && sort.dir === 'desc' ? 'asc' : 'desc' })}>
                {c.label}
                {sort.key === c.key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}
              </button>
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.uid} data-event-id={e.id}>
            <td className="mono">{formatGridTime(e.ts, zone)}</td>
            <td>{sensorName(e.sensor)}</td>
            <td>{e.kind}</td>
            <td className="num">
              <span className={`rank rank-${rankClass(e.rank)}`}>{rankText(e.rank)}</span>
            </td>
            {[0, 1].map((i) => (
              <td key={i} className="mono" onContextMenu={(ev) => {
                const ip = e.ips[i];
                if (!ip) return;
                ev.preventDefault();
                onIpMenu(ip, ev.clientX, ev.clientY);
              }}>
                {e.ips[i] ?? ''}
              </td>
            ))}
            <td className="mono">{e.ports.join(' → ')}</td>
            <td>{e.proto < 0 ? '' : protoName(e.proto)}</td>
            <td className="num mono">{e.sid < 0 ? '' : e.sid}</td>
            <td className="hist-msg" title={e.message}>
              {e.message}
            </td>
            <td className="num mono">{e.bytes ? formatBytes(e.bytes) : ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function FlowsTable({ onIpMenu }: { onIpMenu(ip: string, x: number, y: number): void }) {
  const flows = useHistorical((s) => s.flows);
  const zone = useSettings((s) => s.timeZone);
  const sensorName = useApp((s) => s.sensorName);
  return (
    <table className="hist-table" aria-label="Flows found">
      <thead>
        <tr>
          <th>Time</th>
          <th>Sensor</th>
          <th className="num">Rank</th>
          <th>Client</th>
          <th>Server</th>
          <th>Ports</th>
          <th>Proto</th>
          <th className="num">Packets</th>
          <th className="num">Bytes</th>
        </tr>
      </thead>
      <tbody>
        {flows.slice(0, 2000).map((f) => (
          <tr key={`${f.sensor}:${f.id}`} data-flow-id={f.id}>
            <td className="mono">{formatGridTime(Number(f.first_ts), zone)}</td>
            <td>{sensorName(f.sensor)}</td>
            <td className="num">
              <span className={`rank rank-${rankClass(f.rank)}`}>{rankText(f.rank)}</span>
            </td>
            {[f.client_ip, f.server_ip].map((ip, i) => (
              <td key={i} className="mono" onContextMenu={(ev) => {
                if (!ip) return;
                ev.preventDefault();
                onIpMenu(ip, ev.clientX, ev.clientY);
              }}>
                {ip ?? ''}
              </td>
            ))}
            <td className="mono">
              {f.client_port ?? ''} → {f.server_port ?? ''}
            </td>
            <td>{f.proto === null ? '' : protoName(f.proto)}</td>
            <td className="num mono">{formatCount(f.packets)}</td>
            <td className="num mono">{formatBytes(f.bytes)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function pivotItems(p: Pivot, since: number | null, until: number | null): MenuItem[] {
  switch (p.kind) {
    case 'ip': {
      const items: MenuItem[] = [
        { id: 'p-events', label: `Search events by ${p.value}`, group: 0, action: { kind: 'history', fields: { ip: p.value, target: 'events' } } },
        { id: 'p-flows', label: `Search flows by ${p.value}`, group: 0, action: { kind: 'history', fields: { ip: p.value, target: 'flows' } } },
        { id: 'p-grid', label: `Filter the Flows view by ${p.value}`, group: 1, action: { kind: 'search-ip', ip: p.value } },
        { id: 'p-classify', label: `Classify ${p.value}…`, group: 2, action: { kind: 'classify', field: 'address', value: p.value } },
      ];
      if (since !== null && until !== null)
        items.splice(2, 0, { id: 'p-files', label: `Show files of ${p.value} (±1 h)`, group: 1, action: { kind: 'files-page', query: queryAround({ hosts: [p.value], firstTs: since, lastTs: until }) } });
      return items;
    }
    case 'port':
      return [
        { id: 'p-events', label: `Search events by port ${p.value}`, group: 0, action: { kind: 'history', fields: { port: String(p.value), target: 'events' } } },
        { id: 'p-flows', label: `Search flows by port ${p.value}`, group: 0, action: { kind: 'history', fields: { port: String(p.value), target: 'flows' } } },
        { id: 'p-classify', label: `Classify port ${p.value}…`, group: 2, action: { kind: 'classify', field: 'port', value: p.value } },
      ];
    case 'signature':
      return [
        p.sid !== null
          ? { id: 'p-sid', label: `Search events with sid ${p.sid}`, group: 0, action: { kind: 'history', fields: { sid: String(p.sid), target: 'events' } } }
          : { id: 'p-text', label: `Search events with "${p.text.slice(0, 40)}"`, group: 0, action: { kind: 'history', fields: { text: p.text.slice(0, 200), target: 'events' } } },
      ];
    case 'range':
      return [{ id: 'p-range', label: 'Search this interval', group: 0, action: { kind: 'history', fields: { since: String(p.since), until: String(Math.ceil(p.until)) } } }];
  }
}

export function HistoricalView({ active }: { active: boolean }) {
  const services = useServices();
  const status = useHistorical((s) => s.status);
  const target = useHistorical((s) => s.target);
  const events = useHistorical((s) => s.events);
  const flows = useHistorical((s) => s.flows);
  const pageIndex = useHistorical((s) => s.pageIndex);
  const hasNext = useHistorical((s) => s.hasNext);
  const archive = useHistorical((s) => s.archive);
  const volatile = useHistorical((s) => s.archiveVolatile);
  const query = useHistorical((s) => s.query);
  const journalError = useHistorical((s) => s.journalError);
  const [menu, setMenu] = useState<{ x: number; y: number; items: MenuItem[] } | null>(null);

  const onPivot = (p: Pivot, x: number, y: number) => {
    const since = query?.since ?? null;
    const until = query?.until ?? (query?.since !== undefined ? Date.now() / 1000 : null);
    setMenu({ x, y, items: pivotItems(p, since, until) });
  };

  const doExport = async (format: 'csv' | 'json') => {
    try {
      const r = await services.historical.getState().exportData(format);
      download(r.name, r.text, r.mime);
    } catch (e) {
      services.app.getState().notify({ level: 'error', text: `Export failed: ${(e as Error).message}`, hint: 'Narrow the search and export again.' });
    }
  };

  const shown = target === 'events' ? events.length : flows.length;
  return (
    <div className="hist-view">
      <SearchForm />
      <div className="livebar hist-status" aria-live="polite">
        <span>
          {status.kind === 'loading'
            ? 'Searching…'
            : status.kind === 'error'
              ? ''
              : status.kind === 'done'
                ? target === 'events'
                  ? `Page ${pageIndex + 1}: ${shown.toLocaleString('en-US')} event${shown === 1 ? '' : 's'}${hasNext ? ' (more on the next page)' : ''}`
                  : `${shown.toLocaleString('en-US')} flow${shown === 1 ? '' : 's'}${shown > 2000 ? ' (first 2,000 listed; export has all)' : ''}`
                : 'Search the archived events or the stored flows.'}
        </span>
        {target === 'events' && status.kind === 'done' ? (
          <span className="hist-paging">
            <button type="button" className="btn btn-small" disabled={pageIndex === 0} onClick={() => void services.historical.getState().prevPage()}>
              Previous {PAGE_SIZE}
            </button>
            <button type="button" className="btn btn-small" disabled={!hasNext} onClick={() => void services.historical.getState().nextPage()}>
              Next {PAGE_SIZE}
            </button>
          </span>
        ) : null}
        <span className="topbar-spacer" />
        <span className="muted">
          Archive: {archive ? `${archive.count.toLocaleString('en-US')} events` : '…'}
          {volatile ? ' (in memory only: this browser refused IndexedDB)' : ''}
          {archive?.notArchived ? ` · ${archive.notArchived.toLocaleString('en-US')} not archived (writing fell behind)` : ''}
          {archive?.writeError ? ` · last write failed: ${archive.writeError}` : ''}
        </span>
        <button type="button" className="btn btn-small" disabled={status.kind !== 'done' || shown === 0} onClick={() => void doExport('csv')}>
          Export CSV
        </button>
        <button type="button" className="btn btn-small" disabled={status.kind !== 'done' || shown === 0} onClick={() => void doExport('json')}>
          Export JSON
        </button>
      </div>
      {status.kind === 'error' ? (
        <div className="banner banner-error" role="alert">
          <strong>{status.message}</strong>
          {status.hint ? <div>{status.hint}</div> : null}
        </div>
      ) : null}
      {journalError && status.kind === 'done' && target === 'events' ? (
        <div className="banner" role="status">
          Only this window's archive answered: the back end's event journal could not be read ({journalError}). Check the connection, then search again.
        </div>
      ) : null}
      <div className="hist-body">
        <HistoryCharts onPivot={onPivot} />
        {status.kind === 'done' && shown === 0 ? (
          <div className="grid-empty-title hist-none">
            {target === 'events' ? 'No archived events match. The archive holds what the live stream delivered while this window was open.' : 'No stored flows match.'}
          </div>
        ) : null}
        {target === 'events' ? <EventsTable onIpMenu={(ip, x, y) => onPivot({ kind: 'ip', value: ip }, x, y)} /> : <FlowsTable onIpMenu={(ip, x, y) => onPivot({ kind: 'ip', value: ip }, x, y)} />}
      </div>
      {menu && active ? (
        <ContextMenu
          x={menu.x}
          y={menu.y}
          items={menu.items}
          label="Pivot"
          onPick={(item) => {
            setMenu(null);
            void runMenuAction(services, item.action);
          }}
          onClose={() => setMenu(null)}
        />
      ) : null}
    </div>
  );
}
