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
  /** A carved file's name and its libmagic description (file inspections only). */
  'file.name',
  'file.magic',
  /** file.data with the strip_whitespace transform. */
  'file.data.stripped',
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
  /** byte_extract variables used in place of offset/depth/distance/within. */
  vars?: Partial<Record<'offset' | 'depth' | 'distance' | 'within', string>>;
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

/** A number in a rule, or the name of a byte_extract variable set earlier in the rule. */
export type NumRef = number | { var: string };

interface CursorKeyword {
  buffer: BufferName;
  /** Always false: these keywords are not negated patterns (isdataat's `!` is `not`). */
  negated: false;
}

export interface ByteTestMatch extends CursorKeyword {
  kind: 'byte_test';
  nbytes: NumRef;
  op: '<' | '>' | '=' | '<=' | '>=' | '&' | '^';
  not: boolean;
  value: bigint | { var: string };
  offset: NumRef;
  relative: boolean;
  little: boolean;
  string: 'hex' | 'dec' | 'oct' | 'auto' | null;
  bitmask: bigint | null;
}

export interface ByteJumpMatch extends CursorKeyword {
  kind: 'byte_jump';
  nbytes: NumRef;
  offset: NumRef;
  relative: boolean;
  little: boolean;
  string: 'hex' | 'dec' | 'oct' | 'auto' | null;
  bitmask: bigint | null;
  multiplier: number;
  postOffset: number;
  align: boolean;
  from: 'cursor' | 'beginning' | 'end';
}

export interface ByteExtractMatch extends CursorKeyword {
  kind: 'byte_extract';
  nbytes: number;
  offset: number;
  name: string;
  relative: boolean;
  little: boolean;
  string: 'hex' | 'dec' | 'oct' | 'auto' | null;
  multiplier: number;
  /** 0 = none, else 2 or 4. */
  align: number;
}

export interface IsDataAtMatch extends CursorKeyword {
  kind: 'isdataat';
  not: boolean;
  at: NumRef;
  relative: boolean;
}

export interface Base64DecodeMatch extends CursorKeyword {
  kind: 'base64_decode';
  bytes: number;
  offset: number;
  relative: boolean;
  /** The base64_data patterns, inspected on the decoded bytes. */
  then: PatternMatch[];
}

export type CursorMatch = ByteTestMatch | ByteJumpMatch | ByteExtractMatch | IsDataAtMatch | Base64DecodeMatch;

export type PatternMatch = ContentMatch | PcreMatch | CursorMatch;

/** content and pcre: what searches the buffer (the rest only looks at the cursor). */
export function isSearch(m: PatternMatch): m is ContentMatch | PcreMatch {
  return m.kind === 'content' || m.kind === 'pcre';
}

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

/** flowint: `name, op[, value]`; value is a number or another flowint's name. */
export interface FlowintOp {
  name: string;
  op: '=' | '+' | '-' | '==' | '!=' | '<' | '>' | '<=' | '>=' | 'isset' | 'notset';
  value: number | string | null;
}

/** File keywords that are not buffers (filemagic/filename/fileext are contents on file.magic /
 * file.name): checked once per file of the flow (carved by the carving module). */
export type FileCheck =
  | { kind: 'filemd5' | 'filesha1' | 'filesha256'; negated: boolean; hashes: ReadonlySet<string>; list: string }
  | { kind: 'filesize'; op: '=' | '<' | '>' | '<=' | '>=' | '<>' | '!='; a: number; b: number };

/** app-layer-event names this engine raises (others skip the rule). */
export const APP_LAYER_EVENTS: ReadonlySet<string> = new Set(['http.too_many_encoding_layers', 'http.request_header_host_invalid']);

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
  flowint: FlowintOp[];
  files: FileCheck[];
  /** app-layer-event names (negated with a leading !). */
  appEvents: { name: string; negated: boolean }[];
  noalert: boolean;
  threshold: ThresholdOption | null;
  /** Line in the file where the rule starts (1-based). */
  line: number;
  source: string;
}

/** A rule that inspects files: file keywords, file.name/file.magic, or file.data in a mail/ftp rule. */
export function isFileRule(r: Pick<Rule, 'files' | 'matches' | 'proto'>): boolean {
  return r.files.length > 0 || r.matches.some((m) => m.buffer === 'file.name' || m.buffer === 'file.magic' || (BANNER_PROTOS.has(r.proto) && (m.buffer === 'file.data' || m.buffer === 'file.data.stripped')));
}

export function usesBuffer(r: Rule, pred: (b: BufferName) => boolean): boolean {
  return r.matches.some((m) => pred(m.buffer));
}
