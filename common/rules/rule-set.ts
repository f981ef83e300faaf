/**
 * A loaded rule set compiled for matching: rules split by what they inspect (packets, HTTP
 * request or response, DNS queries, TLS client hellos), and per group and buffer one
 * Aho-Corasick automaton over each rule's fast pattern (its fast_pattern content, else its
 * longest non-negated content). A rule is verified only when its fast pattern occurs, or when it
 * has none. Rules that set flowbits are ordered before rules that test them, so a bit set by one
 * rule is seen by another on the same packet. Environment-free.
 */
import { AhoCorasick } from './aho-corasick.js';
import { BANNER_PROTOS, isFileRule, isSearch, RESPONSE_BUFFERS, type BufferName, type ContentMatch, type PatternMatch, type Rule } from './rule-types.js';

export type InspectionKind = 'packet' | 'http-request' | 'http-response' | 'dns' | 'tls' | 'file' | 'http-event';
/** Prefilter groups: the inspection kinds, plus the packet rules split for TCP flows into those
 * that inspect the reassembled stream and those that stay per packet. */
export type GroupKind = InspectionKind | 'stream' | 'packet-nonstream';

export interface CompiledRule {
  /** Index in RuleSet.rules (evaluation order). */
  index: number;
  rule: Rule;
  /** The rule's patterns grouped by buffer, each list in rule order. */
  byBuffer: [BufferName, PatternMatch[]][];
  fast: ContentMatch | null;
  /**
   * A packet-group rule with a positive pattern and no dsize: on TCP flows it inspects the
   * reassembled stream (each chunk, once, retransmissions excluded) instead of packets.
   */
  stream: boolean;
  /** Stream rule that may also inspect the seam between two chunks: no absolute positions. */
  seam: boolean;
}

/** Bytes on each side of a chunk boundary inspected for matches that straddle it. */
export const SEAM_BYTES = 256;

export interface RuleGroup {
  rules: CompiledRule[];
  /** Rules without a fast pattern: always verified. */
  always: CompiledRule[];
  /** Per buffer: the automaton and, per pattern id, the rule. */
  prefilters: Map<BufferName, { ac: AhoCorasick; owners: CompiledRule[]; target: Int32Array }>;
}

export class RuleSet {
  readonly rules: CompiledRule[];
  readonly groups: Record<GroupKind, RuleGroup>;
  /** Candidate marks: marks[i] === stamp means rule i is a candidate of the current call. */
  private readonly marks: Uint32Array;
  private stamp = 0;
  private readonly hits: number[] = [];

  constructor(rules: readonly Rule[]) {
    const sorted = [...rules].sort((a, b) => setsBits(b) - setsBits(a));
    this.rules = sorted.map((rule, index) => compile(rule, index));
    const by: Record<InspectionKind, CompiledRule[]> = { packet: [], 'http-request': [], 'http-response': [], dns: [], tls: [], file: [], 'http-event': [] };
    for (const c of this.rules) by[inspectionOf(c.rule)].push(c);
    this.marks = new Uint32Array(this.rules.length);
    this.needsStripped = this.rules.some((c) => c.rule.matches.some((m) => m.buffer === 'file.data.stripped'));
    this.groups = {
      packet: group(by.packet),
      'http-request': group(by['http-request']),
      'http-response': group(by['http-response']),
      dns: group(by.dns),
      tls: group(by.tls),
      file: group(by.file),
      'http-event': group(by['http-event']),
      stream: group(by.packet.filter((c) => c.stream)),
      'packet-nonstream': group(by.packet.filter((c) => !c.stream)),
    };
  }

  /** Rules that inspect carved files (the caller then supplies the flow's files). */
  get hasFileRules(): boolean {
    return this.groups.file.rules.length > 0;
  }

  /** Some rule inspects file.data with strip_whitespace. */
  readonly needsStripped: boolean = false;

  /** A file rule looks at file.magic (the caller then runs libmagic on each file). */
  get needsFileMagic(): boolean {
    return this.groups.file.rules.some((c) => c.rule.matches.some((m) => m.buffer === 'file.magic'));
  }

  /** Candidate rules for one inspection, in evaluation order. `buffers` are the ones present. */
  candidates(kind: GroupKind, buffers: ReadonlyMap<BufferName, Uint8Array>, out: CompiledRule[]): CompiledRule[] {
    const g = this.groups[kind];
    out.length = 0;
    if (!g.rules.length) return out;
    const mark = this.marks;
    const st = (this.stamp = (this.stamp + 1) >>> 0 || 1);
    if (st === 1) mark.fill(0);
    const hits = this.hits;
    hits.length = 0;
    for (const c of g.always) {
      mark[c.index] = st;
      hits.push(c.index);
    }
    for (const [b, pf] of g.prefilters) {
      const buf = buffers.get(b);
      if (!buf || !buf.length) continue;
      pf.ac.mark(buf, pf.target, mark, st, hits);
    }
    // evaluation order is rule order (flowbit setters first)
    if (hits.length > 1) hits.sort((x, y) => x - y);
    for (const i of hits) out.push(this.rules[i]);
    return out;
  }
}

function setsBits(r: Rule): number {
  return r.flowbits.some((f) => f.op === 'set' || f.op === 'unset' || f.op === 'toggle') ? 1 : 0;
}

/** Where a rule is evaluated. */
export function inspectionOf(r: Rule): InspectionKind {
  // file rules run once per file of the flow; app-layer-event rules once per HTTP transaction
  if (isFileRule(r)) return 'file';
  if (r.appEvents.length) return 'http-event';
  switch (r.proto) {
    case 'http': {
      const response = r.flow?.dir === 1 || r.matches.some((m) => RESPONSE_BUFFERS.has(m.buffer) || ((m.buffer === 'file.data' || m.buffer === 'file.data.stripped') && r.flow?.dir !== 0));
      return response ? 'http-response' : 'http-request';
    }
    case 'dns':
      return 'dns';
    case 'tls':
      return 'tls';
    default:
      return 'packet';
  }
}

function compile(rule: Rule, index: number): CompiledRule {
  const map = new Map<BufferName, PatternMatch[]>();
  for (const m of rule.matches) {
    const l = map.get(m.buffer);
    if (l) l.push(m);
    else map.set(m.buffer, [m]);
  }
  const positives = rule.matches.filter((m): m is ContentMatch => m.kind === 'content' && !m.negated);
  const fast = positives.find((m) => m.fastPattern) ?? positives.reduce<ContentMatch | null>((best, m) => (!best || m.bytes.length > best.bytes.length ? m : best), null);
  const tcpCapable = rule.proto === 'tcp' || rule.proto === 'ip' || BANNER_PROTOS.has(rule.proto);
  const stream = tcpCapable && inspectionOf(rule) === 'packet' && rule.dsize === null && rule.matches.some((m) => !m.negated && isSearch(m));
  // cursor keywords (byte_test, isdataat, …) read positions: never on a seam
  const absolute = rule.matches.some((m) => (m.kind === 'content' ? m.offset !== null || m.depth !== null || m.startswith || m.endswith : m.kind === 'pcre' ? /[\^$]/.test(m.re.source.replace(/\\./g, '')) || m.relative : true));
  return { index, rule, byBuffer: [...map], fast, stream, seam: stream && !absolute };
}

function group(rules: CompiledRule[]): RuleGroup {
  const always: CompiledRule[] = [];
  const pats = new Map<BufferName, { pats: Uint8Array[]; owners: CompiledRule[] }>();
  for (const c of rules) {
    if (!c.fast) {
      always.push(c);
      continue;
    }
    let p = pats.get(c.fast.buffer);
    if (!p) pats.set(c.fast.buffer, (p = { pats: [], owners: [] }));
    // the automaton folds case; a case-sensitive content is re-checked when the rule is verified
    p.pats.push(c.fast.bytes);
    p.owners.push(c);
  }
  const prefilters = new Map<BufferName, { ac: AhoCorasick; owners: CompiledRule[]; target: Int32Array }>();
  for (const [b, p] of pats) prefilters.set(b, { ac: new AhoCorasick(p.pats), owners: p.owners, target: Int32Array.from(p.owners.map((o) => o.index)) });
  return { rules, always, prefilters };
}
