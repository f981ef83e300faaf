/**
 * Live flow summaries of a connection that crosses a segment rotation, as one flow. The live
 * writer ends each open flow when its segment closes (`reason: 'segment-closed'`) and the
 * connection goes on as a new flow id in the next segment; the store's flow list joins those
 * pieces (node/store/flow-chains.ts), and this joins the live `flow` events the same way, so the
 * grid updates one row under the first piece's id with packets and bytes summed and the first
 * time of the first piece.
 *
 * Same rule as the store: a new piece continues the flow with the same key (VLAN, protocol, both
 * endpoints in either orientation) that ended at a rotation when it starts within the idle
 * timeout (TCP 900 s, others 120 s) and is not a TCP connection reopened (SYN after FIN/RST).
 * Memory is bounded: at most `maxKeys` keys (oldest dropped) of at most 1024 pieces each.
 */
import type { LiveFlowSummaryMessage } from '../../common/capture/live-flow-summary.js';

type LiveFlow = LiveFlowSummaryMessage['flow'];

const TCP_IDLE_SEC = 900;
const OTHER_IDLE_SEC = 120;

interface Piece {
  /** Its latest summary. */
  f: LiveFlow;
  /** Its segment (the id's prefix): segment ids sort in creation order. */
  seg: string;
}

/** Pieces of one key kept at most (oldest dropped: a connection of more segments undercounts). */
const MAX_PIECES = 1024;

const endpoint = (ip: string | null, port: number | null): string => `${ip ?? ''}|${port ?? ''}`;

function keyOf(f: LiveFlow): string {
  const a = endpoint(f.client_ip, f.client_port);
  const b = endpoint(f.server_ip, f.server_port);
  return `${f.vlan ?? ''}/${f.proto ?? ''}/${a < b ? `${a}/${b}` : `${b}/${a}`}`;
}

const segmentOf = (id: string): string => id.slice(0, id.lastIndexOf('-'));

/** Decimal epoch texts compared exactly (doubles cannot tell nanoseconds apart at today's epoch). */
function compareTsText(a: string, b: string): number {
  const [as, af = ''] = a.split('.');
  const [bs, bf = ''] = b.split('.');
  if (as !== bs) return Number(as) - Number(bs);
  const x = af.padEnd(9, '0');
  const y = bf.padEnd(9, '0');
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Piece order: segment, then first time (two flows of one key in one segment: the table split them). */
function before(a: Piece, b: Piece): boolean {
  if (a.seg !== b.seg) return a.seg < b.seg;
  return compareTsText(a.f.first_ts, b.f.first_ts) < 0;
}

export class LiveFlowJoiner {
  /** The pieces of each key, in order (insertion order of keys = age, for the bound). */
  private readonly byKey = new Map<string, Piece[]>();

  constructor(private readonly maxKeys = 100_000) {}

  /**
   * The summary's flow as the grid should show it: joined to the other pieces of its flow, under
   * the first piece's id. Summaries may come in any order across segments (the next segment's
   * first summaries can precede the last ones of the segment it continues): the pieces of a key
   * are kept in segment order and the store's rule is applied to them on every summary.
   */
  join(s: LiveFlowSummaryMessage): LiveFlow {
    const f = s.flow;
    if (f.kind !== 'ip') return f;
    const key = keyOf(f);
    let list = this.byKey.get(key);
    if (!list) {
      list = [];
      this.byKey.set(key, list);
      this.prune();
    }
    let at = list.findIndex((p) => p.f.id === f.id);
    if (at >= 0) list[at].f = f;
    else {
      const piece = { f, seg: segmentOf(f.id) };
      at = list.length;
      while (at > 0 && before(piece, list[at - 1])) at--;
      list.splice(at, 0, piece);
      if (list.length > MAX_PIECES) {
        list.shift();
        at--;
      }
    }
    // the flow of piece `at`: back to its first piece, forward while pieces continue
    let first = at;
    while (first > 0 && continues(list[first - 1], list[first])) first--;
    let last = at;
    while (last + 1 < list.length && continues(list[last], list[last + 1])) last++;
    if (first === last) return f;
    return joined(list.slice(first, last + 1), f);
  }

  private prune(): void {
    if (this.byKey.size <= this.maxKeys) return;
    // the oldest keys go first: their flows are the least likely to have another piece coming
    for (const k of this.byKey.keys()) {
      if (this.byKey.size <= this.maxKeys) break;
      this.byKey.delete(k);
    }
  }
}

/** Whether piece b (a later segment) continues piece a: the store's rule (node/store/flow-chains.ts). */
function continues(a: Piece, b: Piece): boolean {
  if (a.seg === b.seg) return false;
  const gap = Number(b.f.first_ts) - Number(a.f.last_ts);
  if (gap > (b.f.proto === 6 ? TCP_IDLE_SEC : OTHER_IDLE_SEC)) return false;
  if (b.f.proto === 6 && ((a.f.tcp_flags ?? 0) & 0x05) !== 0 && ((b.f.tcp_flags ?? 0) & 0x02) !== 0) return false;
  return true;
}

const sameOrientation = (a: LiveFlow, b: LiveFlow): boolean => a.client_ip === b.client_ip && a.client_port === b.client_port;

/** The pieces summed under the first one's id and orientation; the rest of the row is f's. */
function joined(pieces: readonly Piece[], f: LiveFlow): LiveFlow {
  const h = pieces[0].f;
  let clientPackets = 0;
  let serverPackets = 0;
  let clientBytes = 0;
  let serverBytes = 0;
  let flags = 0;
  let fragmented = false;
  let lastTs = h.last_ts;
  for (const { f: p } of pieces) {
    const same = sameOrientation(h, p);
    clientPackets += same ? p.client_packets : p.server_packets;
    serverPackets += same ? p.server_packets : p.client_packets;
    clientBytes += same ? p.client_bytes : p.server_bytes;
    serverBytes += same ? p.server_bytes : p.client_bytes;
    flags |= p.tcp_flags ?? 0;
    fragmented ||= p.fragmented;
    if (compareTsText(p.last_ts, lastTs) > 0) lastTs = p.last_ts;
  }
  return {
    ...f,
    id: h.id,
    client_ip: h.client_ip,
    client_port: h.client_port,
    server_ip: h.server_ip,
    server_port: h.server_port,
    community_id: h.community_id,
    first_ts: h.first_ts,
    last_ts: lastTs,
    packets: clientPackets + serverPackets,
    bytes: clientBytes + serverBytes,
    client_packets: clientPackets,
    server_packets: serverPackets,
    client_bytes: clientBytes,
    server_bytes: serverBytes,
    tcp_flags: f.tcp_flags === null ? null : flags,
    fragmented,
  };
}
