/** Parsing and validating command-line values, with messages that say what was expected. */
import type { FlowQuery } from '../../common/index/index-reader.js';
import { parseAddressRange, type AddressRange } from '../../common/net/address-range.js';
import { parseTimestamp, type Timestamp } from '../../common/time/timestamp.js';

/** A user error: printed as one line, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function needString(v: string | boolean | undefined, name: string): string {
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function parseTimeArg(v: string, name: string): Timestamp {
  const t = parseTimestamp(v);
  if (!t) throw new UsageError(`--${name} "${v}" is not a time (decimal epoch seconds with up to 9 fractional digits, or ISO 8601)`);
  return t;
}

export function parseHostArg(v: string, name = 'host'): AddressRange {
  const r = parseAddressRange(v);
  if (!r) throw new UsageError(`--${name} "${v}" is not an IP address or CIDR block`);
  return r;
}

export function parsePortArg(v: string, name = 'port'): number {
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new UsageError(`--${name} "${v}" is not a port (0-65535)`);
  return Number(v);
}

const PROTO_NAMES: Record<string, number> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmp6: 58, icmpv6: 58, sctp: 132 };

export function parseProtoArg(v: string, name = 'proto'): number {
  const lower = v.toLowerCase();
  if (lower in PROTO_NAMES) return PROTO_NAMES[lower];
  if (/^\d{1,3}$/.test(v) && Number(v) <= 255) return Number(v);
  throw new UsageError(`--${name} "${v}" is not a protocol (tcp, udp, icmp, icmp6, sctp, gre, or a number 0-255)`);
}

export function parseLimitArg(v: string): number {
  if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw new UsageError(`--limit "${v}" is not a positive whole number`);
  return Number(v);
}

/** parseArgs options for the flow filters shared by `flows` and `carve`. */
export const FLOW_FILTER_OPTIONS = {
  store: { type: 'string' },
  host: { type: 'string', multiple: true },
  port: { type: 'string' },
  proto: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'community-id': { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface FlowFilterValues {
  host?: string[];
  port?: string;
  proto?: string;
  since?: string;
  until?: string;
  'community-id'?: string;
  limit?: string;
}

/** The flow query and limit from the shared filter options. */
export function flowFilterFrom(values: FlowFilterValues): { query: FlowQuery; limit: number } {
  return {
    query: {
      hosts: (values.host ?? []).map((h) => parseHostArg(h)),
      port: values.port !== undefined ? parsePortArg(values.port) : undefined,
      proto: values.proto !== undefined ? parseProtoArg(values.proto) : undefined,
      since: values.since !== undefined ? parseTimeArg(values.since, 'since') : undefined,
      until: values.until !== undefined ? parseTimeArg(values.until, 'until') : undefined,
      communityId: values['community-id'],
    },
    limit: values.limit !== undefined ? parseLimitArg(values.limit) : Infinity,
  };
}

/** "500M", "2G", "1048576", "64KiB" → bytes (binary units). */
export function parseSizeArg(v: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`--${name} "${v}" is not a size (e.g. 500M, 2G)`);
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const n = Math.floor(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`--${name} "${v}" is out of range`);
  return n;
}
