/**
 * The flows grid's columns: what each shows and which value a cell stands for (the value that
 * "Filter by this value" uses).
 */
import { formatBytes, formatCount } from '../format/numbers.js';
import { protoName } from '../format/protocols.js';
import { formatGridTime } from '../format/time.js';
import type { GridRow } from './row-store.js';

export type ColumnId = 'time' | 'sensor' | 'rank' | 'bytes' | 'packets' | 'server' | 'client' | 'serverPort' | 'clientPort' | 'proto' | 'communityId' | 'logs';

export interface Column {
  id: ColumnId;
  label: string;
  /** Right-aligned numbers. */
  numeric: boolean;
  mono: boolean;
  text(row: GridRow, zone: string, sensorName: (id: string) => string): string;
}

/** What a cell stands for, for filters and copying. */
export type CellValue = { field: 'ip'; value: string; side: 'client' | 'server' } | { field: 'port'; value: number } | { field: 'proto'; value: number };

function kindLabel(row: GridRow): string {
  return row.kind === 'ip' ? '' : row.kind;
}

export function rankText(rank: number | null): string {
  if (rank === null) return '·';
  return rank > 0 ? `+${rank}` : String(rank);
}

/** Rank colours: priority 1 alone is +3, so +5 and above means more than one source agreed (or set it). */
export const HIGH_RANK = 5;

export function rankClass(rank: number | null): 'none' | 'neg' | 'zero' | 'pos' | 'high' {
  if (rank === null) return 'none';
  if (rank < 0) return 'neg';
  if (rank === 0) return 'zero';
  return rank >= HIGH_RANK ? 'high' : 'pos';
}

export const COLUMNS: readonly Column[] = [
  { id: 'time', label: 'Time', numeric: false, mono: true, text: (r, zone) => formatGridTime(Number(r.first_ts.split('.')[0]), zone) },
  { id: 'sensor', label: 'Sensor', numeric: false, mono: false, text: (r, _z, name) => name(r.sensor) },
  { id: 'rank', label: 'Rank', numeric: true, mono: true, text: (r) => rankText(r.rank) },
  { id: 'bytes', label: 'Bytes', numeric: true, mono: true, text: (r) => formatBytes(r.bytes) },
  { id: 'packets', label: 'Packets', numeric: true, mono: true, text: (r) => formatCount(r.packets) },
  { id: 'server', label: 'Server', numeric: false, mono: true, text: (r) => r.server_ip ?? kindLabel(r) },
  { id: 'client', label: 'Client', numeric: false, mono: true, text: (r) => r.client_ip ?? '' },
  { id: 'serverPort', label: 'Server Port', numeric: true, mono: true, text: (r) => (r.server_port === null ? '' : String(r.server_port)) },
  { id: 'clientPort', label: 'Client Port', numeric: true, mono: true, text: (r) => (r.client_port === null ? '' : String(r.client_port)) },
  { id: 'proto', label: 'Proto', numeric: false, mono: true, text: (r) => (r.proto === null ? '' : protoName(r.proto)) },
  { id: 'communityId', label: 'Community ID', numeric: false, mono: true, text: (r) => r.community_id ?? '' },
  // correlated log messages; empty when the sensor does not count them (or counted none)
  { id: 'logs', label: 'Logs', numeric: true, mono: true, text: (r) => (r.log_count ? formatCount(r.log_count) : '') },
];

export function cellValue(row: GridRow, column: ColumnId): CellValue | null {
  switch (column) {
    case 'server':
      return row.server_ip === null ? null : { field: 'ip', value: row.server_ip, side: 'server' };
    case 'client':
      return row.client_ip === null ? null : { field: 'ip', value: row.client_ip, side: 'client' };
    case 'serverPort':
      return row.server_port === null ? null : { field: 'port', value: row.server_port };
    case 'clientPort':
      return row.client_port === null ? null : { field: 'port', value: row.client_port };
    case 'proto':
      return row.proto === null ? null : { field: 'proto', value: row.proto };
    default:
      return null;
  }
}
