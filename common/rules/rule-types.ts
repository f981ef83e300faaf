/**
 * The parsed, checked form of a Snort/Suricata rule: what the loader produces and the matcher
 * runs. Environment-free.
 */
import type { NetMatcher, PortMatcher } from './net-list.js';

/** Where a content or pcre looks. `payload` = the packet payload (transport rules) or the raw
 * request/response head (app-layer rules without a sticky buffer). */
export const BUFFERS = [
  'payload',
  'http.uri',
  'http.uri.raw',
  'http.method',
  'http.host',
  'http.user_agent',
  'http.header',
  'http.header.raw',
  'http.request_header',
  'http.cookie',
  'http.client_body',
  'http.stat_code',
  'file.data',
  'dns.query',
  'tls.sni',
] as const;
export type BufferName = (typeof BUFFERS)[number];

/** Buffers that only exist on the response side of an HTTP transaction. */
export const RESPONSE_BUFFERS: ReadonlySet<BufferName> = new Set(['http.stat_code']);

export interface ContentMatch {
  kind: 'content';
  buffer: BufferName;
  /** The pattern; lowercased when nocase. */
  bytes: Uint8Array;
  nocase: boolean;
  negated: boolean;
  offset: number | null;
  depth: number | null;
  distance: number | null;
  within: number | null;
  startswith: boolean;
  endswith: boolean;
  fastPattern: boolean;
}

export interface PcreMatch {
  kind: 'pcre';
  buffer: BufferName;
  re: RegExp;
  negated: boolean;
  /** R: starts where the previous match in the buffer ended. */
  relative: boolean;
  source: string;
}

export type PatternMatch = ContentMatch | PcreMatch;

export type RuleProto = 'ip' | 'tcp' | 'udp' | 'icmp' | 'http' | 'dns' | 'tls' | BannerProto;
/** TCP protocols recognised from their first lines (FlowAppLayer.appProto); their rules inspect
 * the reassembled stream of flows recognised as that protocol. */
export type BannerProto = 'ssh' | 'ftp' | 'smtp' | 'pop3' | 'imap';
export const BANNER_PROTOS: ReadonlySet<string> = new Set(['ssh', 'ftp', 'smtp', 'pop3', 'imap']);
export const APP_PROTOS: ReadonlySet<RuleProto> = new Set(['http', 'dns', 'tls']);

export interface FlowOption {
  /** 0 = only client → server, 1 = only server → client, null = either. */
  dir: 0 | 1 | null;
  established: boolean | null;
  stateless: boolean;
}

export interface DsizeOption {
  op: '=' | '<' | '>' | '<>' | '!';
  a: number;
  b: number;
}

export type FlowbitsOp =
  | { op: 'set' | 'unset' | 'toggle'; names: string[] }
  | { op: 'isset' | 'isnotset'; names: string[]; any: boolean }
  | { op: 'noalert' };

export interface ThresholdOption {
  kind: 'threshold' | 'detection_filter';
  type: 'limit' | 'threshold' | 'both';
  track: 'by_src' | 'by_dst' | 'by_rule' | 'by_both';
  count: number;
  seconds: number;
}

export interface Rule {
  action: 'alert' | 'log' | 'drop' | 'reject' | 'sdrop';
  proto: RuleProto;
  src: NetMatcher;
  srcPorts: PortMatcher;
  dst: NetMatcher;
  dstPorts: PortMatcher;
  bidirectional: boolean;
  gid: number;
  sid: number;
  rev: number;
  msg: string;
  classtype: string | null;
  priority: number;
  references: string[];
  matches: PatternMatch[];
  flow: FlowOption | null;
  dsize: DsizeOption | null;
  flowbits: FlowbitsOp[];
  noalert: boolean;
  threshold: ThresholdOption | null;
  /** Line in the file where the rule starts (1-based). */
  line: number;
  source: string;
}

export function usesBuffer(r: Rule, pred: (b: BufferName) => boolean): boolean {
  return r.matches.some((m) => pred(m.buffer));
}
