/**
 * The Real-Time detail pane: everything about the selected row. The aggregate's own numbers,
 * then the full records looked up for it (row-detail.ts): its flows (every API field, times to
 * the nanosecond, Community ID, rank, classes) with their forensic actions (pcap, follow, files),
 * its own events and the events tied to it (every field: an alert's rule msg/sid/rev/classtype, a
 * log's message and parsed fields), and the file records with their hashes.
 */
import { memo, useEffect, type KeyboardEvent, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { CarvedFile, FlowRow, TaplineEvent } from '../../../../common/bridge/messages.js';
import { useApp, useRealtime, useServices, useSettings } from '../../app/services-context.js';
import { rankClass, rankText } from '../../flows/columns.js';
import { splitTs } from '../../flows/row-store.js';
import { formatBytes, formatCount } from '../../format/numbers.js';
import { protoName } from '../../format/protocols.js';
import { formatFullTime } from '../../format/time.js';
import type { MenuAction } from '../../menu/flow-menu.js';
import { runMenuAction } from '../../menu/run-menu-action.js';
import { IconClose, IconRefresh } from '../../ui/icons.js';
import { TimeValue } from '../../ui/TimeValue.js';
import type { AggregateRow } from '../aggregate-store.js';
import { buildAggregateMenu } from '../realtime-menu.js';
import { eventHeadline, eventLines, flowHeadline, flowLines, type FieldLine } from './event-fields.js';
import type { RowDetail } from './row-detail.js';
import './row-detail.css';

function Lines({ lines, zone }: { lines: FieldLine[]; zone: string }) {
  return (
    <dl className="detail-list rt-detail-lines">
      {lines.map((l) => (
        <div key={l.path} className="rt-detail-line" data-path={l.path}>
          <dt title={l.path}>{l.label}</dt>
          <dd className="mono">
            {l.time ? <TimeValue ts={l.value} zone={zone} /> : l.path === 'rank' ? <span className={`rank rank-${rankClass(Number(l.value))}`}>{rankText(Number(l.value))}</span> : l.value}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="rt-detail-line">
      <dt>{label}</dt>
      <dd className="mono">{children}</dd>
    </div>
  );
}

/** Min and max of decimal epoch texts, compared exactly (no float rounding). */
function span(times: readonly string[]): [string, string] | null {
  if (!times.length) return null;
  const key = (t: string) => splitTs(t);
  let lo = times[0];
  let hi = times[0];
  for (const t of times) {
    const [s, n] = key(t);
    const [ls, ln] = key(lo);
    const [hs, hn] = key(hi);
    if (s < ls || (s === ls && n < ln)) lo = t;
    if (s > hs || (s === hs && n > hn)) hi = t;
  }
  return [lo, hi];
}

function rowSpan(detail: RowDetail | null): [string, string] | null {
  if (!detail) return null;
  if (detail.row.rowKind === 'flow') return span(detail.flows.flatMap((f) => [f.flow.first_ts, f.flow.last_ts]));
  return span(detail.events.map((e) => e.ts));
}

function ActionButton({ label, action }: { label: string; action: MenuAction }) {
  const services = useServices();
  return (
    <button type="button" className="btn btn-small" onClick={() => void runMenuAction(services, action)}>
      {label}
    </button>
  );
}

function flowActions(f: FlowRow): { id: string; label: string; action: MenuAction }[] {
  const out: { id: string; label: string; action: MenuAction }[] = [{ id: 'pcap', label: 'Download pcap', action: { kind: 'download', target: { flow: f.id, sensor: f.sensor } } }];
  if (f.kind === 'ip' && (f.proto === 6 || f.proto === 17) && f.client_port !== null && f.server_port !== null) {
    const label = flowHeadline(f);
    out.push({ id: 'follow', label: 'Follow stream', action: { kind: 'follow', flow: f.id, sensor: f.sensor, label } });
    if (f.proto === 6) out.push({ id: 'files', label: 'Show files', action: { kind: 'files', flow: f.id, sensor: f.sensor, label } });
  }
  if (f.community_id) out.push({ id: 'cid', label: 'Copy Community ID', action: { kind: 'copy', text: f.community_id, what: 'Community ID' } });
  return out;
}

function FlowBlock({ flow, source, zone, first }: { flow: FlowRow; source: string; zone: string; first: boolean }) {
  return (
    <details className="rt-detail-record" data-flow-id={flow.id} open={first}>
      <summary>
        <span className="mono">{flowHeadline(flow)}</span>
        {flow.log_count ? <span className="badge log-badge">{formatCount(flow.log_count)} logs</span> : null}
        <span className="muted"> · {flow.id}</span>
      </summary>
      <div className="detail-actions">
        {flowActions(flow).map((a) => (
          <ActionButton key={a.id} label={a.label} action={a.action} />
        ))}
      </div>
      {source !== 'store' ? <p className="muted rt-detail-note">{source === 'grid' ? 'As the flows grid holds it (the store did not answer for it).' : 'As its last live event reported it (the store did not answer for it).'}</p> : null}
      <Lines lines={flowLines(flow)} zone={zone} />
    </details>
  );
}

function EventBlock({ event, zone, first }: { event: TaplineEvent; zone: string; first: boolean }) {
  return (
    <details className="rt-detail-record" data-event-kind={event.kind} open={first}>
      <summary>
        <span className={`rt-kind rt-kind-${event.kind.replace(/[^a-z0-9-]/gi, '')}`}>{event.kind}</span> {eventHeadline(event)}
      </summary>
      <Lines lines={eventLines(event)} zone={zone} />
    </details>
  );
}

function FileTable({ files }: { files: CarvedFile[] }) {
  const services = useServices();
  const url = (f: CarvedFile): string | null => {
    try {
      return services.bridge.fileUrl(f.sha256, { sensor: f.sensor, download: true, name: f.name ?? undefined });
    } catch {
      return null;
    }
  };
  return (
    <table className="rt-detail-files" aria-label="Files of this row">
      <thead>
        <tr>
          <th>Name</th>
          <th>Type</th>
          <th>Size</th>
          <th>Hashes</th>
        </tr>
      </thead>
      <tbody>
        {files.map((f) => {
          const href = url(f);
          return (
            <tr key={`${f.sensor}:${f.id}`} data-sha256={f.sha256}>
              <td>
                {href ? (
                  <a href={href} download={f.name ?? f.sha256}>
                    {f.name ?? '(no name)'}
                  </a>
                ) : (
                  (f.name ?? '(no name)')
                )}
                {f.url ? <div className="muted mono">{f.url}</div> : null}
              </td>
              <td>{f.mime ?? f.declaredType ?? '—'}</td>
              <td className="num">{formatBytes(f.size)}</td>
              <td className="mono rt-detail-hashes">
                <div>SHA-256 {f.sha256}</div>
                <div>MD5 {f.md5}</div>
                <div>SHA-1 {f.sha1}</div>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function RowSummary({ row, detail, zone, sensorName }: { row: AggregateRow; detail: RowDetail | null; zone: string; sensorName: (id: string) => string }) {
  const exact = rowSpan(detail);
  return (
    <dl className="detail-list rt-detail-lines" aria-label="Row summary">
      <Item label="kind">{row.rowKind === 'flow' ? 'flows of one client and service' : row.kind}</Item>
      <Item label="sensor">
        {sensorName(row.sensor)} {sensorName(row.sensor) !== row.sensor ? <span className="muted">({row.sensor})</span> : null}
      </Item>
      <Item label="rank">
        <span className={`rank rank-${rankClass(row.rank)}`}>{rankText(row.rank)}</span>
      </Item>
      <Item label="first">{exact ? <TimeValue ts={exact[0]} zone={zone} /> : formatFullTime(Math.floor(row.firstTs), Math.round((row.firstTs % 1) * 1e9), zone)}</Item>
      <Item label="last">{exact ? <TimeValue ts={exact[1]} zone={zone} /> : formatFullTime(Math.floor(row.lastTs), Math.round((row.lastTs % 1) * 1e9), zone)}</Item>
      {row.flows ? <Item label="flows">{formatCount(row.flows)}</Item> : null}
      <Item label="events">{formatCount(row.events)}</Item>
      {row.bytes ? <Item label="bytes">{`${formatCount(row.bytes)} (${formatBytes(row.bytes)})`}</Item> : null}
      {row.packets ? <Item label="packets">{formatCount(row.packets)}</Item> : null}
      <Item label={row.rowKind === 'flow' ? 'servers' : 'destination'}>{row.servers.join('\n') || '—'}</Item>
      <Item label={row.rowKind === 'flow' ? 'clients' : 'source'}>{row.clients.join('\n') || '—'}</Item>
      <Item label="server ports">{row.serverPorts.join(', ') || '—'}</Item>
      <Item label="client ports">{row.clientPorts.length > 20 ? `${row.clientPorts.slice(0, 20).join(', ')} … (${row.clientPorts.length})` : row.clientPorts.join(', ') || '—'}</Item>
      <Item label="protocol">{row.proto === null ? '—' : `${protoName(row.proto)} (${row.proto})`}</Item>
      {row.sid !== null ? <Item label="sid">{row.sid}</Item> : null}
      {row.message ? <Item label="message">{row.message}</Item> : null}
    </dl>
  );
}

/**
 * Loads the selected row and reloads it as it grows (the store throttles). Alone in subscribing
 * to the per-frame version, so under live load the pane itself re-renders only when a load ends.
 */
function DetailLoader({ selected }: { selected: number }) {
  const services = useServices();
  const version = useRealtime((s) => s.version);
  useEffect(() => {
    void services.rowDetail.getState().show(services.realtime.getState().agg.row(selected));
  }, [services, selected, version]);
  return null;
}

function RowDetailPaneImpl() {
  const services = useServices();
  const store = services.rowDetail;
  const selected = useRealtime((s) => s.selected);
  const zone = useSettings((s) => s.timeZone);
  const sensorName = useApp((s) => s.sensorName);
  const detail = useStore(store, (s) => s.detail);
  const loading = useStore(store, (s) => s.loading);
  const error = useStore(store, (s) => s.error);
  const agg = services.realtime.getState().agg;
  // the row as loaded (consistent with its records); the live row until its first load ends
  const row = detail && detail.row.index === selected ? detail.row : agg.row(selected);

  const close = () => {
    store.getState().setOpen(false);
    document.querySelector<HTMLElement>('.rt-grid')?.focus({ preventScroll: true });
  };
  const onKey = (e: KeyboardEvent<HTMLElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  };

  const lastId = row?.flowIds[row.flowIds.length - 1];
  const flowsRows = services.flows.getState().rows;
  const latestFlow = detail?.flows[0]?.flow ?? (row && lastId ? flowsRows.row(flowsRows.find(row.sensor, lastId)) : null);
  const rowActions = row ? buildAggregateMenu(row, null, latestFlow, (t) => services.bridge.pcapUrl(t)).filter((i) => i.group === 0) : [];

  return (
    <aside className="detail rt-detail" aria-label="Row details" onKeyDown={onKey}>
      <DetailLoader selected={selected} />
      <div className="detail-head">
        <h2 className="detail-title">{row ? (row.rowKind === 'flow' ? 'Flow row' : `${row.kind} event row`) : 'Details'}</h2>
        {loading ? <span className="muted rt-detail-loading">Loading…</span> : null}
        <button type="button" className="icon-btn" aria-label="Reload the details" title="Reload" disabled={!row} onClick={() => void store.getState().show(agg.row(selected), { force: true })}>
          <IconRefresh />
        </button>
        <button type="button" className="icon-btn" aria-label="Close the details (Esc)" title="Close (Esc)" onClick={close}>
          <IconClose />
        </button>
      </div>
      {!row ? (
        <p className="muted detail-empty">Select a row (click, or arrows and Enter) to see every field of its flows and events.</p>
      ) : (
        <div className="rt-detail-body">
          {rowActions.length ? (
            <div className="detail-actions">
              {rowActions.map((i) => (
                <ActionButton key={i.id} label={i.label} action={i.action} />
              ))}
            </div>
          ) : null}
          <RowSummary row={row} detail={detail} zone={zone} sensorName={sensorName} />
          {error ? (
            <div className="dialog-failure" role="alert">
              The details could not be loaded: {error}
            </div>
          ) : null}
          {detail?.problems.length ? (
            <div className="dialog-failure" role="alert">
              {detail.problems.map((p) => (
                <div key={p}>{p}</div>
              ))}
              <div className="muted">What could be found is shown below.</div>
            </div>
          ) : null}
          {detail ? (
            <>
              {detail.row.rowKind === 'event' || detail.events.length ? (
                <section className="rt-detail-section" aria-label="Events of this row">
                  <h3>
                    Events {detail.eventsFound > detail.events.length ? `(newest ${detail.events.length} of ${formatCount(detail.eventsFound)})` : `(${detail.events.length})`}
                  </h3>
                  {detail.eventsSource === 'journal' ? <p className="muted rt-detail-note">From the back end's event journal (not in this window's archive).</p> : null}
                  {detail.events.length ? detail.events.map((e, i) => <EventBlock key={`${e.sensor}:${e.id}`} event={e} zone={zone} first={i === 0} />) : <p className="muted">Found neither in this window's event archive nor in the back end's event journal (transient events are not journaled).</p>}
                </section>
              ) : null}
              <section className="rt-detail-section" aria-label="Flows of this row">
                <h3>
                  Flows ({detail.flows.length}
                  {detail.moreFlows ? ` of ${formatCount(detail.flows.length + detail.missingFlows.length + detail.moreFlows)}` : ''})
                </h3>
                {detail.flows.map((f, i) => (
                  <FlowBlock key={f.flow.id} flow={f.flow} source={f.source} zone={zone} first={i === 0} />
                ))}
                {detail.missingFlows.length ? <p className="muted">Not found in the store, the flows grid or the archive: {detail.missingFlows.join(', ')}</p> : null}
                {!detail.flows.length && !detail.missingFlows.length ? <p className="muted">{row.rowKind === 'flow' ? 'No flows.' : 'The events name no flow.'}</p> : null}
              </section>
              {detail.files.length ? (
                <section className="rt-detail-section" aria-label="Files">
                  <h3>Files ({detail.files.length})</h3>
                  <FileTable files={detail.files} />
                </section>
              ) : null}
              <section className="rt-detail-section" aria-label="Related events">
                <h3>Related events {detail.tiedFound > detail.tied.length ? `(newest ${detail.tied.length} of ${formatCount(detail.tiedFound)})` : `(${detail.tied.length})`}</h3>
                {detail.tied.length ? detail.tied.map((e) => <EventBlock key={`${e.sensor}:${e.id}`} event={e} zone={zone} first={false} />) : <p className="muted">No service, host, log, alert or file events tied to these addresses or flows.</p>}
              </section>
            </>
          ) : null}
        </div>
      )}
    </aside>
  );
}

/** Memoized: the Real-Time view re-renders every frame under live load; the pane only when its own state changes. */
export const RowDetailPane = memo(RowDetailPaneImpl);
