/**
 * Any event the live stream or a search delivers, reduced to the facts the Real-Time view, the
 * archive and the charts work with: who (addresses, ports, protocol), when, where (sensor), how
 * bad (rank), what (kind, signature id, message) and how much (bytes, packets).
 *
 * The UI is generic over event kinds: kinds it knows (flow, file, notice, ...) are read from
 * their schemas; kinds added later by the back end (IDS alerts, discovery, syslog) are read by
 * the field names those records conventionally use, and always keep their common fields (id,
 * sensor, ts, rank, kind), so a new kind shows up before the UI learns its details.
 */
import type { FlowRow, TaplineEvent } from '../../../common/bridge/messages.js';
import { parseIp } from '../../../common/packet/community-id.js';

export interface EventFacts {
  id: string;
  sensor: string;
  kind: string;
  /** Epoch seconds (fractional). */
  ts: number;
  /** The event's time as sent ("sec.nnnnnnnnn"). */
  tsText: string;
  rank: number;
  /** Source / client side. */
  srcIp: string | null;
  srcPort: number | null;
  /** Destination / server side. */
  dstIp: string | null;
  dstPort: number | null;
  proto: number | null;
  sid: number | null;
  message: string;
  bytes: number;
  packets: number;
  /** The flow the event belongs to (flow events, carved files), when known. */
  flowId: string | null;
  classes: readonly string[];
}

/** Kinds about the workstation itself (imports, notices shown as toasts, ranking bookkeeping), not network events: not archived, not rows. */
export const BOOKKEEPING_KINDS: ReadonlySet<string> = new Set(['import-progress', 'import', 'notice', 'class-match', 'ranking', 'capture']);

type Rec = Readonly<Record<string, unknown>>;

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(r: Rec, ...keys: string[]): string | null {
  for (const k of keys) {
    const v = r[k];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return null;
}

/** A string field that holds an IP address (hostnames and other text are not addresses). */
function ip(r: Rec, ...keys: string[]): string | null {
  for (const k of keys) {
    const v = r[k];
    if (typeof v === 'string' && v.length <= 64 && isIp(v)) return v;
  }
  return null;
}

/** Addresses repeat from event to event: remember the verdicts (bounded). */
const ipVerdicts = new Map<string, boolean>();
function isIp(v: string): boolean {
  let ok = ipVerdicts.get(v);
  if (ok === undefined) {
    ok = parseIp(v) !== null;
    if (ipVerdicts.size >= 20_000) ipVerdicts.clear();
    ipVerdicts.set(v, ok);
  }
  return ok;
}

function num(r: Rec, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = r[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && /^\d{1,10}$/.test(v)) return Number(v);
  }
  return null;
}

const PROTO_NAMES: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, icmp6: 58, ipv6_icmp: 58, sctp: 132, gre: 47 };

function protoOf(r: Rec): number | null {
  const n = num(r, 'proto', 'protocol', 'ip_proto');
  if (n !== null) return n;
  const s = str(r, 'proto', 'protocol', 'transport');
  return s === null ? null : (PROTO_NAMES[s.toLowerCase()] ?? null);
}

/** Facts of a kind this build does not know, from the common fields and conventional names. */
function genericFacts(e: Rec, base: Omit<EventFacts, 'srcIp' | 'srcPort' | 'dstIp' | 'dstPort' | 'proto' | 'sid' | 'message' | 'bytes' | 'packets' | 'flowId'>): EventFacts {
  // A nested record (e.g. { alert: {...} } or { log: {...} }) is searched after the top level.
  let nested: Rec[] | null = null;
  const pick = <T,>(f: (r: Rec) => T | null): T | null => {
    const top = f(e);
    if (top !== null) return top;
    nested ??= Object.values(e).filter(isRec);
    for (const n of nested) {
      const v = f(n);
      if (v !== null) return v;
    }
    return null;
  };
  return {
    ...base,
    srcIp: pick((r) => ip(r, 'src_ip', 'client_ip', 'source_ip', 'src', 'ip', 'host_ip', 'address', 'host')),
    srcPort: pick((r) => num(r, 'src_port', 'client_port', 'source_port', 'sport')),
    dstIp: pick((r) => ip(r, 'dst_ip', 'server_ip', 'dest_ip', 'destination_ip', 'dst')),
    dstPort: pick((r) => num(r, 'dst_port', 'server_port', 'dest_port', 'destination_port', 'dport', 'port')),
    proto: pick(protoOf),
    sid: pick((r) => num(r, 'sid', 'signature_id', 'rule_id')),
    message: pick((r) => str(r, 'message', 'msg', 'signature', 'text', 'summary', 'service', 'name')) ?? '',
    bytes: pick((r) => num(r, 'bytes')) ?? 0,
    packets: pick((r) => num(r, 'packets')) ?? 0,
    flowId: pick((r) => str(r, 'flow_id', 'flowId', 'flow')),
  };
}

/** "1362692526.869344000" → 1362692526.869344 (precise enough to order and bucket events). */
export function tsSeconds(ts: string): number {
  const n = Number(ts);
  return Number.isFinite(n) ? n : 0;
}

const NO_CLASSES: readonly string[] = Object.freeze([]);

/** A flow event's facts, built directly: this runs for every live flow (thousands a second). */
function flowFacts(e: { id: string; sensor: string; ts: string; rank: number; classes?: readonly string[] }, f: FlowRow): EventFacts {
  return {
    id: e.id,
    sensor: e.sensor,
    kind: 'flow',
    ts: tsSeconds(e.ts),
    tsText: e.ts,
    rank: e.rank,
    classes: e.classes ?? NO_CLASSES,
    srcIp: f.client_ip,
    srcPort: f.client_port,
    dstIp: f.server_ip,
    dstPort: f.server_port,
    proto: f.proto,
    sid: null,
    message: f.note ?? '',
    bytes: f.bytes,
    packets: f.packets,
    flowId: f.id,
  };
}

export function eventFacts(event: TaplineEvent | Rec): EventFacts {
  const known = event as TaplineEvent;
  if (known.kind === 'flow' && typeof known.flow === 'object' && known.flow !== null) return flowFacts(known, known.flow);
  const e = event as Rec;
  const tsText = typeof e.ts === 'string' ? e.ts : '0';
  const base = {
    id: typeof e.id === 'string' ? e.id : '',
    sensor: typeof e.sensor === 'string' ? e.sensor : '',
    kind: typeof e.kind === 'string' ? e.kind : 'unknown',
    ts: tsSeconds(tsText),
    tsText,
    rank: typeof e.rank === 'number' ? e.rank : 0,
    classes: Array.isArray(e.classes) ? e.classes.filter((c): c is string => typeof c === 'string') : [],
  };
  switch (base.kind) {
    case 'file': {
      if (known.kind !== 'file') break;
      const f = known.file;
      return {
        ...base,
        srcIp: null,
        srcPort: null,
        dstIp: null,
        dstPort: null,
        proto: 6,
        sid: null,
        message: [f.name ?? f.sha256.slice(0, 12), f.mime, f.url].filter(Boolean).join(' '),
        bytes: f.size,
        packets: 0,
        flowId: f.flowId,
      };
    }
    case 'notice':
      if (known.kind === 'notice') return { ...genericFacts(e, base), message: known.message };
      break;
    case 'import':
      if (known.kind === 'import') return { ...genericFacts(e, base), message: `${known.result.status} ${known.result.path}`, bytes: known.result.bytes };
      break;
  }
  return genericFacts(e, base);
}

/** The addresses an event touches (for "events tied to these addresses"). */
export function factAddresses(f: EventFacts): string[] {
  const out: string[] = [];
  if (f.srcIp !== null) out.push(f.srcIp);
  if (f.dstIp !== null && f.dstIp !== f.srcIp) out.push(f.dstIp);
  return out;
}
