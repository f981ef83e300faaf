/**
 * The right-click menu of a flow (row) and, when a cell was clicked, of its value. Only actions
 * that work for the flow are listed: Follow stream for TCP and UDP flows, Show files for TCP.
 * Address and port cells can be classified (an event class from the value: new or existing).
 */
import type { SliceTarget } from '../../../common/bridge/messages.js';
import { protoName } from '../format/protocols.js';
import { cellValue, type ColumnId } from '../flows/columns.js';
import type { GridRow } from '../flows/row-store.js';
import type { HistoryForm } from '../archive/event-query.js';
import { queryAround, type FilesQuery } from '../files-page/files-page-store.js';
import { bpfFilter, capmeTarget, wiresharkFilter } from './forensic-filters.js';

export type MenuAction =
  | { kind: 'download'; target: SliceTarget }
  | { kind: 'follow' | 'files'; flow: string; sensor: string; label: string }
  | { kind: 'copy'; text: string; what: string }
  | { kind: 'filter'; field: 'ip' | 'port' | 'proto'; value: string | number; exclude: boolean }
  | { kind: 'search-ip'; ip: string }
  | { kind: 'classify'; field: 'address' | 'port'; value: string | number }
  /** The Historical Flow and Payload Data page for a query. */
  | { kind: 'files-page'; query: FilesQuery }
  /** The Historical view, searching by these fields. */
  | { kind: 'history'; fields: Partial<HistoryForm> };

export interface MenuItem {
  id: string;
  label: string;
  action: MenuAction;
  /** Starts a new group (drawn with a separator above). */
  group: number;
}

export function buildFlowMenu(row: GridRow, column: ColumnId | null, pcapUrl: (t: SliceTarget) => string): MenuItem[] {
  const items: MenuItem[] = [{ id: 'download', label: 'Download pcap', group: 0, action: { kind: 'download', target: { flow: row.id, sensor: row.sensor } } }];

  // payload: reassembled stream (TCP, UDP) and carved files (HTTP over TCP)
  if (row.kind === 'ip' && (row.proto === 6 || row.proto === 17) && row.client_port !== null && row.server_port !== null) {
    const ep = (ip: string | null, port: number | null): string => (ip !== null && ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
    const label = `${ep(row.client_ip, row.client_port)} → ${ep(row.server_ip, row.server_port)}`;
    items.push({ id: 'follow', label: 'Follow stream', group: 0, action: { kind: 'follow', flow: row.id, sensor: row.sensor, label } });
    if (row.proto === 6) {
      items.push({ id: 'files', label: 'Show files in flow', group: 0, action: { kind: 'files', flow: row.id, sensor: row.sensor, label } });
      const hosts = [row.client_ip, row.server_ip].filter((h): h is string => h !== null);
      const query = queryAround({ hosts, port: row.server_port, proto: row.proto, firstTs: Number(row.first_ts), lastTs: Number(row.last_ts), sensor: row.sensor, flowIds: [row.id] });
      items.push({ id: 'files-page', label: 'Show files in flow(s) page (±1 h)', group: 0, action: { kind: 'files-page', query } });
    }
  }

  const bpf = bpfFilter(row);
  if (bpf) items.push({ id: 'copy-bpf', label: 'Copy as BPF filter', group: 1, action: { kind: 'copy', text: bpf, what: 'BPF filter' } });
  const ws = wiresharkFilter(row);
  if (ws) items.push({ id: 'copy-wireshark', label: 'Copy as Wireshark display filter', group: 1, action: { kind: 'copy', text: ws, what: 'Wireshark display filter' } });
  const capme = capmeTarget(row);
  if (capme) items.push({ id: 'copy-capme', label: 'Copy as CapMe URL', group: 1, action: { kind: 'copy', text: pcapUrl(capme), what: 'CapMe URL' } });
  if (row.community_id)
    items.push({ id: 'copy-cid', label: 'Copy Community ID', group: 1, action: { kind: 'copy', text: row.community_id, what: 'Community ID' } });

  const cell = column ? cellValue(row, column) : null;
  if (cell) {
    const shown = cell.field === 'ip' ? cell.value : cell.field === 'port' ? `port ${cell.value}` : protoName(cell.value);
    items.push(
      { id: 'filter-in', label: `Filter by ${shown}`, group: 2, action: { kind: 'filter', field: cell.field, value: cell.value, exclude: false } },
      { id: 'filter-out', label: `Exclude ${shown}`, group: 2, action: { kind: 'filter', field: cell.field, value: cell.value, exclude: true } },
    );
    if (cell.field === 'ip') {
      items.push({ id: 'search-ip', label: 'Search records by this IP', group: 3, action: { kind: 'search-ip', ip: cell.value } });
      items.push({ id: 'history-ip', label: 'Search archived events by this IP', group: 3, action: { kind: 'history', fields: { ip: cell.value, target: 'events' } } });
    }
    if (cell.field === 'ip' || cell.field === 'port')
      items.push({ id: 'classify', label: `Classify ${shown}…`, group: 4, action: { kind: 'classify', field: cell.field === 'ip' ? 'address' : 'port', value: cell.value } });
  }
  return items;
}
