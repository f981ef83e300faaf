/**
 * The Real-Time view's columns (the seed's Real-Time Event View): what each cell shows, and
 * which cells cover several values ("3 servers": a click opens the full list).
 */
import { formatBytes, formatCount } from '../format/numbers.js';
import { protoName } from '../format/protocols.js';
import { formatGridTime } from '../format/time.js';
import { rankText } from '../flows/columns.js';
import type { AggregateRow, ListField } from './aggregate-store.js';

export type RtColumnId = 'time' | 'sensor' | 'rank' | 'bytes' | 'packets' | 'flows' | 'server' | 'client' | 'serverPorts' | 'clientPorts' | 'events' | 'proto';

export interface RtColumn {
  id: RtColumnId;
  label: string;
  numeric: boolean;
  /** The list a cell opens when it covers several values. */
  list?: ListField;
  text(row: AggregateRow, zone: string, sensorName: (id: string) => string): string;
}

const NOUNS: Record<ListField, [string, string]> = {
  servers: ['server', 'servers'],
  clients: ['client', 'clients'],
  serverPorts: ['server port', 'server ports'],
  clientPorts: ['client port', 'client ports'],
};

/** One value as is, several as "N servers" (etc.), none as empty. */
export function multiText(values: readonly (string | number)[], field: ListField): string {
  if (values.length === 0) return '';
  if (values.length === 1) return String(values[0]);
  return `${values.length.toLocaleString('en-US')} ${NOUNS[field][1]}`;
}

export const RT_COLUMNS: readonly RtColumn[] = [
  { id: 'time', label: 'Time', numeric: false, text: (r, zone) => formatGridTime(r.lastTs, zone) },
  { id: 'sensor', label: 'Sensor', numeric: false, text: (r, _z, name) => name(r.sensor) },
  { id: 'rank', label: 'Rank', numeric: true, text: (r) => rankText(r.rank) },
  { id: 'bytes', label: 'Bytes', numeric: true, text: (r) => (r.bytes ? formatBytes(r.bytes) : '') },
  { id: 'packets', label: 'Packets', numeric: true, text: (r) => (r.packets ? formatCount(r.packets) : '') },
  { id: 'flows', label: 'Flows', numeric: true, text: (r) => (r.flows ? formatCount(r.flows) : '') },
  { id: 'server', label: 'Server', numeric: false, list: 'servers', text: (r) => multiText(r.servers, 'servers') },
  { id: 'client', label: 'Client', numeric: false, list: 'clients', text: (r) => multiText(r.clients, 'clients') },
  { id: 'serverPorts', label: 'Server Ports', numeric: true, list: 'serverPorts', text: (r) => multiText(r.serverPorts, 'serverPorts') },
  { id: 'clientPorts', label: 'Client Ports', numeric: true, list: 'clientPorts', text: (r) => multiText(r.clientPorts, 'clientPorts') },
  { id: 'events', label: 'Events', numeric: true, text: (r) => (r.events ? formatCount(r.events) : '') },
  { id: 'proto', label: 'Proto', numeric: false, text: (r) => (r.proto === null ? '' : protoName(r.proto)) },
];

/** How many values a list cell covers. */
export function listSize(row: AggregateRow, field: ListField): number {
  return row[field].length;
}

/** The line below a row's addresses: what the row is (event rows) and the events tied to its addresses. */
export function subline(row: AggregateRow, zone: string): string {
  const parts: string[] = [];
  if (row.rowKind === 'event') parts.push(`${row.kind}${row.sid !== null ? ` [${row.sid}]` : ''}: ${row.message}`);
  if (row.logs > 0) parts.push(`${formatCount(row.logs)} log message${row.logs === 1 ? '' : 's'}`);
  for (const t of row.tied.slice(0, 3)) parts.push(`${t.address} ${t.kind} ${formatGridTime(t.ts, zone).slice(6)}: ${t.message}`);
  if (row.tied.length > 3) parts.push(`+${row.tied.length - 3} more`);
  return parts.join('  ·  ');
}
