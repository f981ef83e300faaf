/** Download names for slices that say what they hold. */
import type { Timestamp } from '../../common/time/timestamp.js';

function safe(s: string): string {
  return s.replace(/[^0-9A-Za-z.-]+/g, '-');
}

function stamp(t: Timestamp | undefined): string {
  if (!t) return '';
  return `_${new Date(t.sec * 1000).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
}

export function tupleSliceName(sip: string, spt: number | undefined, dip: string, dpt: number | undefined, stime: Timestamp | undefined, ext: string): string {
  const ep = (ip: string, p?: number): string => (p === undefined ? safe(ip) : `${safe(ip)}_${p}`);
  return `tapline_${ep(sip, spt)}-${ep(dip, dpt)}${stamp(stime)}.${ext}`;
}

export function flowSliceName(flowId: string, client: string | null, server: string | null, first: Timestamp, ext: string): string {
  const who = client && server ? `_${safe(client)}-${safe(server)}` : '';
  return `tapline_flow-${safe(flowId)}${who}${stamp(first)}.${ext}`;
}
