/**
 * The right-click menu of a Real-Time row (an aggregate of flows or events) and of the cell
 * clicked: the payload page for the row's flows ±1 h, the latest flow's pcap and stream, and
 * pivots by the cell's value (archived events, flows, classify).
 */
import type { FlowRow, SliceTarget } from '../../../common/bridge/messages.js';
import { queryAround } from '../files-page/files-page-store.js';
import { bpfFilter } from '../menu/forensic-filters.js';
import type { MenuItem } from '../menu/flow-menu.js';
import type { AggregateRow } from './aggregate-store.js';
import type { RtColumnId } from './realtime-columns.js';

export function buildAggregateMenu(row: AggregateRow, column: RtColumnId | null, latest: FlowRow | null, pcapUrl: (t: SliceTarget) => string): MenuItem[] {
  const items: MenuItem[] = [];
  const hosts = [...(row.clients.length === 1 ? row.clients : []), ...(row.servers.length === 1 ? row.servers : [])];
  if (hosts.length) {
    const query = queryAround({
      hosts,
      port: row.serverPorts.length === 1 ? row.serverPorts[0] : null,
      proto: row.proto,
      firstTs: row.firstTs,
      lastTs: row.lastTs,
      sensor: row.sensor || undefined,
      flowIds: row.flowIds,
    });
    items.push({ id: 'files-page', label: row.flows > 1 ? `Show files in ${row.flows.toLocaleString('en-US')} flows (±1 h)` : 'Show files in flow(s) (±1 h)', group: 0, action: { kind: 'files-page', query } });
  }
  const lastId = row.flowIds[row.flowIds.length - 1];
  if (lastId) {
    const target: SliceTarget = { flow: lastId, sensor: row.sensor };
    items.push({ id: 'download', label: row.flows > 1 ? 'Download pcap of the latest flow' : 'Download pcap', group: 0, action: { kind: 'download', target } });
    if (latest && latest.client_port !== null && latest.server_port !== null && (latest.proto === 6 || latest.proto === 17)) {
      const label = `${latest.client_ip}:${latest.client_port} → ${latest.server_ip}:${latest.server_port}`;
      items.push({ id: 'follow', label: row.flows > 1 ? 'Follow the latest stream' : 'Follow stream', group: 0, action: { kind: 'follow', flow: latest.id, sensor: latest.sensor, label } });
    }
    const bpf = latest ? bpfFilter(latest) : null;
    if (bpf) items.push({ id: 'copy-bpf', label: 'Copy the latest flow as BPF filter', group: 1, action: { kind: 'copy', text: bpf, what: 'BPF filter' } });
    items.push({ id: 'copy-capme', label: 'Copy CapMe URL of the latest flow', group: 1, action: { kind: 'copy', text: pcapUrl(target), what: 'CapMe URL' } });
  }

  const single = (values: readonly string[]): string | null => (values.length === 1 ? values[0] : null);
  const ip = column === 'server' ? single(row.servers) : column === 'client' ? single(row.clients) : null;
  const port = column === 'serverPorts' ? single(row.serverPorts.map(String)) : column === 'clientPorts' ? single(row.clientPorts.map(String)) : null;
  if (ip) {
    items.push(
      { id: 'history-ip', label: `Search archived events by ${ip}`, group: 2, action: { kind: 'history', fields: { ip, target: 'events' } } },
      { id: 'search-ip', label: `Search flows by ${ip}`, group: 2, action: { kind: 'search-ip', ip } },
      { id: 'classify', label: `Classify ${ip}…`, group: 3, action: { kind: 'classify', field: 'address', value: ip } },
    );
  }
  if (port) {
    items.push(
      { id: 'history-port', label: `Search archived events by port ${port}`, group: 2, action: { kind: 'history', fields: { port, target: 'events' } } },
      { id: 'classify', label: `Classify port ${port}…`, group: 3, action: { kind: 'classify', field: 'port', value: Number(port) } },
    );
  }
  if (row.rowKind === 'event') {
    if (row.sid !== null) items.push({ id: 'history-sid', label: `Search archived events by sid ${row.sid}`, group: 2, action: { kind: 'history', fields: { sid: String(row.sid), target: 'events' } } });
    else if (row.message) items.push({ id: 'history-text', label: 'Search archived events with this message', group: 2, action: { kind: 'history', fields: { text: row.message.slice(0, 200), kind: row.kind, target: 'events' } } });
  }
  return items;
}
