/** Every field of the selected flow, with times in the chosen zone and in UTC. */
import type { ReactNode } from 'react';
import { tcpFlagLetters } from '../../../common/flow/flow-json.js';
import { useApp, useFlows, useServices, useSettings } from '../app/services-context.js';
import { formatBytes, formatCount } from '../format/numbers.js';
import { protoName } from '../format/protocols.js';
import { TimeValue } from '../ui/TimeValue.js';
import { runMenuAction } from '../menu/run-menu-action.js';
import { IconClose, IconCopy, IconDownload } from '../ui/icons.js';
import { rankClass, rankText } from './columns.js';
import { splitTs, type GridRow } from './row-store.js';

function Item({ label, children, mono = true }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <>
      <dt>{label}</dt>
      <dd className={mono ? 'mono' : undefined}>{children}</dd>
    </>
  );
}

function endpoint(ip: string | null, port: number | null): string {
  if (ip === null) return '—';
  if (port === null) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function duration(row: GridRow): string {
  const [fs, fn] = splitTs(row.first_ts);
  const [ls, ln] = splitTs(row.last_ts);
  const ns = (ls - fs) * 1e9 + (ln - fn);
  if (ns < 1e6) return `${(ns / 1e3).toFixed(0)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(1)} ms`;
  const s = ns / 1e9;
  return s < 120 ? `${s.toFixed(2)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export function DetailPane() {
  const services = useServices();
  const slot = useFlows((s) => s.selectedSlot);
  useFlows((s) => s.version); // re-read the row when it was updated
  const setDetailOpen = useFlows((s) => s.setDetailOpen);
  const zone = useSettings((s) => s.timeZone);
  const sensorName = useApp((s) => s.sensorName);
  const row = services.flows.getState().rows.row(slot);

  return (
    <aside className="detail" aria-label="Flow details">
      <div className="detail-head">
        <h2 className="detail-title">Flow details</h2>
        <button type="button" className="icon-btn" aria-label="Close flow details" onClick={() => setDetailOpen(false)}>
          <IconClose />
        </button>
      </div>
      {!row ? (
        <p className="muted detail-empty">Select a flow to see its details.</p>
      ) : (
        <>
          <div className="detail-actions">
            <button type="button" className="btn btn-small" onClick={() => void runMenuAction(services, { kind: 'download', target: { flow: row.id, sensor: row.sensor } })}>
              <IconDownload />
              <span>Download pcap</span>
            </button>
            {row.community_id ? (
              <button type="button" className="btn btn-small btn-ghost" onClick={() => void runMenuAction(services, { kind: 'copy', text: row.community_id ?? '', what: 'Community ID' })}>
                <IconCopy />
                <span>Copy Community ID</span>
              </button>
            ) : null}
          </div>
          <dl className="detail-list">
            <Item label="Flow ID">{row.id}</Item>
            <Item label="Sensor" mono={false}>
              {sensorName(row.sensor)} {sensorName(row.sensor) !== row.sensor ? <span className="muted">({row.sensor})</span> : null}
            </Item>
            <Item label="Rank">
              <span className={`rank rank-${rankClass(row.rank)}`}>{rankText(row.rank)}</span>
            </Item>
            <Item label="Classes" mono={false}>
              {row.classes.length ? row.classes.join(', ') : '—'}
            </Item>
            <Item label="Kind" mono={false}>{row.kind}</Item>
            <Item label="Protocol">{row.proto === null ? '—' : `${protoName(row.proto)} (${row.proto})`}</Item>
            <Item label="Client">{endpoint(row.client_ip, row.client_port)}</Item>
            <Item label="Server">{endpoint(row.server_ip, row.server_port)}</Item>
            <Item label="First packet">
              <TimeValue ts={row.first_ts} zone={zone} />
            </Item>
            <Item label="Last packet">
              <TimeValue ts={row.last_ts} zone={zone} />
            </Item>
            <Item label="Duration">{duration(row)}</Item>
            <Item label="Packets">
              {formatCount(row.packets)} <span className="muted">(client {formatCount(row.client_packets)} · server {formatCount(row.server_packets)})</span>
            </Item>
            <Item label="Bytes">
              {formatCount(row.bytes)} <span className="muted">({formatBytes(row.bytes)}; client {formatCount(row.client_bytes)} · server {formatCount(row.server_bytes)})</span>
            </Item>
            <Item label="Community ID">{row.community_id ?? '—'}</Item>
            <Item label="VLAN">{row.vlan ?? '—'}</Item>
            <Item label="TCP flags">{row.tcp_flags === null ? '—' : `${tcpFlagLetters(row.tcp_flags) || 'none'} (0x${row.tcp_flags.toString(16).padStart(2, '0')})`}</Item>
            <Item label="ICMP type / code">{row.icmp_type === null ? '—' : `${row.icmp_type} / ${row.icmp_code ?? '—'}`}</Item>
            <Item label="Link / EtherType">{row.l2_type === null ? '—' : `0x${row.l2_type.toString(16).padStart(4, '0')} (${row.l2_type})`}</Item>
            <Item label="Fragmented" mono={false}>{row.fragmented ? 'yes' : 'no'}</Item>
            {row.log_count !== undefined ? <Item label="Log messages">{formatCount(row.log_count)}</Item> : null}
            {row.note ? (
              <Item label="Note" mono={false}>
                {row.note}
              </Item>
            ) : null}
          </dl>
        </>
      )}
    </aside>
  );
}
