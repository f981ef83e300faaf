/** The flow as the CLI (`flows --json`) and the HTTP API print it: one field set everywhere. */
import { ipToString } from '../packet/community-id.js';
import { communityIdOf, type FlowRecord } from '../index/index-reader.js';
import { formatTs } from '../time/timestamp.js';
import { FlowKind } from './flow-table.js';

export interface FlowJson {
  id: string;
  kind: 'ip' | 'non-ip' | 'undecoded' | 'malformed';
  proto: number | null;
  client_ip: string | null;
  client_port: number | null;
  server_ip: string | null;
  server_port: number | null;
  first_ts: string;
  last_ts: string;
  packets: number;
  bytes: number;
  client_packets: number;
  client_bytes: number;
  server_packets: number;
  server_bytes: number;
  community_id: string | null;
  vlan: number | null;
  tcp_flags: number | null;
  icmp_type: number | null;
  icmp_code: number | null;
  /** EtherType (non-ip) or link type (undecoded, malformed) of non-IP flows. */
  l2_type: number | null;
  fragmented: boolean;
  /** Why a flow is not an IP flow, in words. */
  note: string | null;
}

const KIND_NAMES = ['ip', 'non-ip', 'undecoded', 'malformed'] as const;

export function flowToJson(id: string, r: FlowRecord): FlowJson {
  const ip = r.kind === FlowKind.Ip;
  return {
    id,
    kind: KIND_NAMES[r.kind] ?? 'malformed',
    proto: ip ? r.proto : null,
    client_ip: ip ? ipToString(r.ipVersion as 4 | 6, r.client.subarray(0, r.ipVersion === 4 ? 4 : 16)) : null,
    client_port: ip && r.hasPorts ? r.clientPort : null,
    server_ip: ip ? ipToString(r.ipVersion as 4 | 6, r.server.subarray(0, r.ipVersion === 4 ? 4 : 16)) : null,
    server_port: ip && r.hasPorts ? r.serverPort : null,
    first_ts: formatTs(r.firstSec, r.firstNsec),
    last_ts: formatTs(r.lastSec, r.lastNsec),
    packets: r.clientPackets + r.serverPackets,
    bytes: r.clientBytes + r.serverBytes,
    client_packets: r.clientPackets,
    client_bytes: r.clientBytes,
    server_packets: r.serverPackets,
    server_bytes: r.serverBytes,
    community_id: communityIdOf(r),
    vlan: r.vlan >= 0 ? r.vlan : null,
    tcp_flags: ip && r.proto === 6 && r.hasPorts ? r.tcpFlags : null,
    icmp_type: r.hasIcmp ? r.icmpType : null,
    icmp_code: r.hasIcmp ? r.icmpCode : null,
    l2_type: ip ? null : r.l2Type,
    fragmented: r.fragmented,
    note: noteFor(r),
  };
}

function noteFor(r: FlowRecord): string | null {
  switch (r.kind) {
    case FlowKind.NonIp:
      return r.l2Type === 0
        ? 'frames too short for their link-layer header'
        : `non-IP traffic, EtherType 0x${r.l2Type.toString(16).padStart(4, '0')}`;
    case FlowKind.Undecoded:
      return `link type ${r.l2Type} is not decoded; packets are stored and sliceable by flow id`;
    case FlowKind.Malformed:
      return `frames whose IP header could not be decoded (link type ${r.l2Type})`;
    default:
      return r.hasPorts || r.proto === 1 || r.proto === 58 || !r.fragmented ? null : 'fragments whose first fragment was not captured: ports unknown';
  }
}

/** tcp_flags as tcpdump-style letters, for tables. */
export function tcpFlagLetters(flags: number): string {
  const names: [number, string][] = [
    [0x02, 'S'],
    [0x10, 'A'],
    [0x08, 'P'],
    [0x01, 'F'],
    [0x04, 'R'],
    [0x20, 'U'],
    [0x40, 'E'],
    [0x80, 'W'],
  ];
  return names.filter(([b]) => flags & b).map(([, n]) => n).join('');
}
