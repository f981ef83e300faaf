/**
 * What every log parser produces: one shape for RFC 3164, RFC 5424, CEF, OSSEC/Wazuh, the seed's
 * export format and raw lines. Environment-free (common/): used by the receivers, the capture
 * sniffer, the exporters' round-trip tests and, later, the renderer.
 */

export const LOG_FORMATS = ['rfc3164', 'rfc5424', 'cef', 'ossec', 'seed', 'raw'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Seconds since the epoch plus nanoseconds (common/time/timestamp.ts's Timestamp). */
export interface LogTime {
  sec: number;
  nsec: number;
  /** Set when the text stated its zone (RFC 3339 offset, "Z", epoch ms); absent when UTC was assumed. */
  zoned?: true;
}

/** Addresses and ports a message names (source/destination as the message states them). */
export interface NamedEndpoints {
  srcIp: string | null;
  srcPort: number | null;
  dstIp: string | null;
  dstPort: number | null;
  /** IP protocol number when the message names it (tcp 6, udp 17, icmp 1, ...). */
  proto: number | null;
}

export interface ParsedLog {
  /** The innermost format understood: a CEF payload inside an RFC 3164 envelope is "cef". */
  format: LogFormat;
  /** The syslog envelope the payload came in, when there was one. */
  envelope: 'rfc3164' | 'rfc5424' | null;
  facility: number | null;
  severity: number | null;
  /** Time the message states (null when it states none or it does not parse). */
  time: LogTime | null;
  host: string | null;
  app: string | null;
  /** The human-readable message (CEF: the Name; OSSEC: the rule description and log). */
  message: string;
  /** Parsed fields by name: structured data, CEF extensions, OSSEC fields, firewall keys. */
  fields: Record<string, string>;
  endpoints: NamedEndpoints;
  /** Why a line fell back to raw, or what part of it was not understood. */
  problem: string | null;
}

/** At most this many fields are kept per message (a hostile line cannot grow an event without bound). */
export const MAX_FIELDS = 256;

export function emptyEndpoints(): NamedEndpoints {
  return { srcIp: null, srcPort: null, dstIp: null, dstPort: null, proto: null };
}

/**
 * Sets a field. The MAX_FIELDS bound is applied once per message when the result is built
 * (capFields): counting keys on every call made filling a message's fields quadratic. Memory
 * stays bounded meanwhile: only the first MAX_PARSE_CHARS characters of a line are parsed.
 */
export function setField(fields: Record<string, string>, name: string, value: string): void {
  fields[name] = value;
}

/** The first MAX_FIELDS fields (the object itself when it has no more). */
export function capFields(fields: Record<string, string>): Record<string, string> {
  let n = 0;
  for (const k in fields) if (Object.prototype.hasOwnProperty.call(fields, k)) n++;
  if (n <= MAX_FIELDS) return fields;
  const out: Record<string, string> = {};
  n = 0;
  for (const k of Object.keys(fields)) {
    if (n++ >= MAX_FIELDS) break;
    out[k] = fields[k];
  }
  return out;
}

export const PROTO_NUMBERS: Readonly<Record<string, number>> = { icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, icmpv6: 58, 'ipv6-icmp': 58, sctp: 132 };

/** The names as a map: a name of Object.prototype's ("constructor", "__proto__") is no protocol. */
const PROTO_BY_NAME = new Map<string, number>(Object.entries(PROTO_NUMBERS));

/** A protocol number (1-3 digits, at most 255) or name (PROTO_NUMBERS, any case), spaces around it ignored. */
export function protoNumber(text: string): number | null {
  const t = text.trim();
  // digits by a loop, not a pattern (every message naming a protocol asks)
  if (t.length >= 1 && t.length <= 3) {
    let n = 0;
    let i = 0;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
    }
    if (i === t.length) return n <= 255 ? n : null;
  }
  return PROTO_BY_NAME.get(t.toLowerCase()) ?? null;
}

/** 1 to 5 decimal digits up to 65535 (a loop, not a pattern: every message with endpoints asks twice). */
export function portNumber(text: string | undefined): number | null {
  if (text === undefined || text.length === 0 || text.length > 5) return null;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  return n <= 65535 ? n : null;
}
