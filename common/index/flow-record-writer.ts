/**
 * Writes one flow of a FlowTable as a 112-byte flow record (layout in index-format.ts). The
 * import's encodeIndex and the live segments' incremental encoder both write records through
 * these two functions, so the two index writers cannot drift apart; the packet offsets
 * (bytes 96-107) are placed by each writer itself.
 */
import { FlowKind, type FlowTable } from '../flow/flow-table.js';
import { flowCommunityIdFnv } from '../flow/flow-identity.js';
import { FlowFlag } from './index-format.js';

/**
 * The parts that identify the flow (kind, IP version, protocol, ICMP type/code, VLANs, link
 * type, client and server addresses and ports, Community ID hash). Leaves endpoint A's and B's
 * addresses in addrA/addrB (16 bytes each) for the caller's postings.
 */
export function writeFlowIdentity(t: FlowTable, f: number, raw: Uint8Array, v: DataView, at: number, addrA: Uint8Array, addrB: Uint8Array): void {
  const kind = t.kind[f];
  const clientIsA = t.clientIsA[f] === 1;
  t.addressOf(f, 0, addrA);
  t.addressOf(f, 1, addrB);
  const client = clientIsA ? addrA : addrB;
  const server = clientIsA ? addrB : addrA;
  const pa = t.portOf(f, 0);
  const pb = t.portOf(f, 1);
  const hasIcmp = t.icmpType[f] >= 0;
  raw[at] = kind;
  raw[at + 1] = t.ipVersion[f];
  raw[at + 2] = t.proto[f];
  raw[at + 6] = hasIcmp ? t.icmpType[f] : 0;
  raw[at + 7] = hasIcmp ? t.icmpCode[f] : 0;
  v.setUint16(at + 8, t.vlan[f] + 1, true);
  v.setUint16(at + 10, t.vlanInner[f] + 1, true);
  v.setUint32(at + 12, t.l2Type[f], true);
  // the table stores IPv4 in the first 4 bytes of its big-endian words: copy as is
  raw.set(client, at + 16);
  raw.set(server, at + 32);
  v.setUint16(at + 48, clientIsA ? pa : pb, true);
  v.setUint16(at + 50, clientIsA ? pb : pa, true);
  const cidHash =
    kind === FlowKind.Ip
      ? flowCommunityIdFnv(t.ipVersion[f], t.proto[f], client, server, t.hasPorts[f] === 1, clientIsA ? pa : pb, clientIsA ? pb : pa, hasIcmp ? t.icmpType[f] : -1, hasIcmp ? t.icmpCode[f] : -1)
      : 0;
  v.setUint32(at + 108, cidHash, true);
}

/** The parts that grow with packets (flags, TCP flags, times, counters); returns the exact duration in seconds. */
export function writeFlowCounters(t: FlowTable, f: number, raw: Uint8Array, v: DataView, at: number): number {
  const clientIsA = t.clientIsA[f] === 1;
  raw[at + 3] = (t.hasPorts[f] === 1 ? FlowFlag.HasPorts : 0) | (t.icmpType[f] >= 0 ? FlowFlag.HasIcmp : 0) | (t.fragmented[f] ? FlowFlag.Fragmented : 0);
  v.setUint16(at + 4, t.tcpFlags[f], true);
  v.setUint32(at + 52, t.firstNsec[f], true);
  v.setFloat64(at + 56, t.firstSec[f], true);
  const dur = t.lastSec[f] - t.firstSec[f];
  v.setUint32(at + 64, dur, true);
  v.setUint32(at + 68, t.lastNsec[f], true);
  v.setUint32(at + 72, clientIsA ? t.pktsA[f] : t.pktsB[f], true);
  v.setUint32(at + 76, clientIsA ? t.pktsB[f] : t.pktsA[f], true);
  v.setFloat64(at + 80, clientIsA ? t.bytesA[f] : t.bytesB[f], true);
  v.setFloat64(at + 88, clientIsA ? t.bytesB[f] : t.bytesA[f], true);
  return dur + (t.lastNsec[f] - t.firstNsec[f]) / 1e9;
}
