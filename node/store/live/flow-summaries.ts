/**
 * Flow summaries of the open segment, read straight from its FlowTable (the same table the
 * index is written from): which flows started, changed or ended since the last batch.
 */
import { FlowKind, TcpState, type FlowTable } from '../../../common/flow/flow-table.js';
import { flowToJson } from '../../../common/flow/flow-json.js';
import type { FlowRecord } from '../../../common/index/index-reader.js';
import type { LiveFlowSummary } from './live-writer-options.js';

const TCP_IDLE_SEC = 900;
const OTHER_IDLE_SEC = 120;

/** A FlowRecord (the index reader's shape) of flow f of a live table. */
export function tableFlowRecord(t: FlowTable, f: number): FlowRecord {
  const a = new Uint8Array(16);
  const b = new Uint8Array(16);
  t.addressOf(f, 0, a);
  t.addressOf(f, 1, b);
  const cA = t.clientIsA[f] === 1;
  const pa = t.portOf(f, 0);
  const pb = t.portOf(f, 1);
  return {
    index: f,
    kind: t.kind[f] as FlowKind,
    ipVersion: t.ipVersion[f],
    proto: t.proto[f],
    hasPorts: t.hasPorts[f] === 1,
    hasIcmp: t.icmpType[f] >= 0,
    fragmented: t.fragmented[f] === 1,
    tcpFlags: t.tcpFlags[f],
    icmpType: t.icmpType[f] >= 0 ? t.icmpType[f] : 0,
    icmpCode: t.icmpType[f] >= 0 ? t.icmpCode[f] : 0,
    vlan: t.vlan[f],
    vlanInner: t.vlanInner[f],
    l2Type: t.l2Type[f],
    client: cA ? a : b,
    server: cA ? b : a,
    clientPort: cA ? pa : pb,
    serverPort: cA ? pb : pa,
    firstSec: t.firstSec[f],
    firstNsec: t.firstNsec[f],
    lastSec: t.lastSec[f],
    lastNsec: t.lastNsec[f],
    clientPackets: cA ? t.pktsA[f] : t.pktsB[f],
    serverPackets: cA ? t.pktsB[f] : t.pktsA[f],
    clientBytes: cA ? t.bytesA[f] : t.bytesB[f],
    serverBytes: cA ? t.bytesB[f] : t.bytesA[f],
    offsetsStart: 0,
    offsetsLength: 0,
  };
}

/** Tracks what was last reported for each flow of one segment's table. */
export class FlowSummaryTracker {
  private reported = new Float64Array(1024);
  private ended = new Uint8Array(1024);
  private known = 0;

  constructor(
    private readonly segmentId: string,
    private readonly table: FlowTable,
  ) {}

  /**
   * Summaries since the last call. `nowSec` is the newest packet time seen: flows idle past the
   * flow table's timeouts at that time have ended. `closing`: the segment closes, every flow not
   * yet ended ends with it.
   */
  collect(nowSec: number, closing: boolean): LiveFlowSummary[] {
    const t = this.table;
    const n = t.count;
    if (n > this.reported.length) {
      let cap = this.reported.length;
      while (cap < n) cap *= 2;
      const r = new Float64Array(cap);
      r.set(this.reported);
      this.reported = r;
      const e = new Uint8Array(cap);
      e.set(this.ended);
      this.ended = e;
    }
    const out: LiveFlowSummary[] = [];
    for (let f = 0; f < n; f++) {
      if (this.ended[f]) continue;
      const pk = t.pktsA[f] + t.pktsB[f];
      const isNew = f >= this.known;
      const changed = isNew || pk !== this.reported[f];
      const st = t.tcpState[f];
      const tcp = t.kind[f] === FlowKind.Ip && t.proto[f] === 6 && t.hasPorts[f] === 1;
      let reason: LiveFlowSummary['reason'] = null;
      if (tcp && st & TcpState.Rst) reason = 'rst';
      else if (tcp && (st & (TcpState.FinFromA | TcpState.FinFromB)) === (TcpState.FinFromA | TcpState.FinFromB)) reason = 'fin';
      else if (nowSec - t.lastSec[f] > (tcp ? TCP_IDLE_SEC : OTHER_IDLE_SEC)) reason = 'idle';
      else if (closing) reason = 'segment-closed';
      if (!changed && reason === null) continue;
      this.reported[f] = pk;
      const flow = flowToJson(`${this.segmentId}-${f}`, tableFlowRecord(t, f));
      if (isNew) out.push({ event: 'start', reason: null, flow });
      if (reason !== null) {
        this.ended[f] = 1;
        out.push({ event: 'end', reason, flow });
      } else if (!isNew) out.push({ event: 'update', reason: null, flow });
    }
    this.known = n;
    return out;
  }
}
