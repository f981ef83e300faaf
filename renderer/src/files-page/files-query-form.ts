/** The Files page's query bar: its text fields and their conversion to a FilesQuery (pure). */
import { parseAddressRange } from '../../../common/net/address-range.js';
import { parseTimeInput } from '../flows/search-form.js';
import type { FilesQuery } from './files-page-store.js';

export interface QueryForm {
  hosts: string;
  port: string;
  since: string;
  until: string;
}

export function toForm(q: FilesQuery | null): QueryForm {
  return { hosts: q?.hosts.join(' ') ?? '', port: q?.port === undefined ? '' : String(q.port), since: q?.since ?? '-1h', until: q?.until ?? '' };
}

/** The edited query, or a message naming the wrong field. */
export function formToFilesQuery(f: QueryForm, base: FilesQuery | null, zone: string, nowMs: number): { query: FilesQuery } | { error: string } {
  const hosts = f.hosts.split(/[\s,]+/).filter(Boolean);
  if (hosts.length > 2) return { error: 'Hosts: at most two addresses or CIDR blocks' };
  for (const h of hosts) if (!parseAddressRange(h)) return { error: `Hosts: "${h}" is not an IP address or CIDR block` };
  let port: number | undefined;
  if (f.port.trim()) {
    if (!/^\d{1,5}$/.test(f.port.trim()) || Number(f.port) > 65535) return { error: 'Port: a number from 0 to 65535' };
    port = Number(f.port);
  }
  const since = parseTimeInput(f.since || '-1h', zone, nowMs);
  if ('error' in since) return { error: `Since: ${since.error}` };
  const until = f.until.trim() ? parseTimeInput(f.until, zone, nowMs) : { value: String(Math.ceil(nowMs / 1000)) };
  if ('error' in until) return { error: `Until: ${until.error}` };
  if (Number(until.value) < Number(since.value)) return { error: 'Until: ends before the start' };
  return {
    query: {
      hosts,
      ...(port !== undefined ? { port } : {}),
      ...(base?.proto !== undefined ? { proto: base.proto } : {}),
      since: since.value,
      until: until.value,
      ...(base?.sensor ? { sensor: base.sensor } : {}),
      // editing the query widens it to every flow it matches
    },
  };
}

