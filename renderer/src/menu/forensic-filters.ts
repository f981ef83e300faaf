/**
 * Filters that select one flow's packets in other tools, from the flow's tuple:
 * - BPF (tcpdump, libpcap capture filters): "host A and host B and tcp port X and tcp port Y";
 * - Wireshark display filters, in the form of Wireshark's own conversation filter;
 * - the CapMe-style slice target (tuple + the flow's inclusive time window).
 * Both directions match. A VLAN-tagged flow needs "vlan N" first in BPF, or libpcap reads the
 * IP header at the wrong offset. Port-less protocols (ICMP, GRE, ...) filter on the protocol.
 */
import type { FlowRow, SliceTarget } from '../../../common/bridge/messages.js';

type TupleFields = Pick<FlowRow, 'kind' | 'proto' | 'client_ip' | 'client_port' | 'server_ip' | 'server_port' | 'vlan' | 'first_ts' | 'last_ts' | 'sensor'>;

interface Tuple {
  proto: number;
  a: string;
  b: string;
  aPort: number | null;
  bPort: number | null;
  v6: boolean;
  vlan: number | null;
}

const TCP = 6;
const UDP = 17;
const SCTP = 132;
const ICMP = 1;
const ICMP6 = 58;

function tupleOf(f: TupleFields): Tuple | null {
  if (f.kind !== 'ip' || f.proto === null || f.client_ip === null || f.server_ip === null) return null;
  return {
    proto: f.proto,
    a: f.client_ip,
    b: f.server_ip,
    aPort: f.client_port,
    bPort: f.server_port,
    v6: f.client_ip.includes(':'),
    vlan: f.vlan,
  };
}

/** Whether the flow has an IP tuple (non-IP, undecoded and malformed flows have none). */
export function hasTuple(f: TupleFields): boolean {
  return tupleOf(f) !== null;
}

function portsKnown(t: Tuple): t is Tuple & { aPort: number; bPort: number } {
  return t.aPort !== null && t.bPort !== null && (t.proto === TCP || t.proto === UDP || t.proto === SCTP);
}

function dedupe(parts: string[]): string[] {
  return parts.filter((p, i) => parts.indexOf(p) === i);
}

/** A BPF expression for the flow (both directions), or null for a flow without an IP tuple. */
export function bpfFilter(f: TupleFields): string | null {
  const t = tupleOf(f);
  if (!t) return null;
  const parts: string[] = [];
  if (t.vlan !== null) parts.push(`vlan ${t.vlan}`);
  parts.push(...dedupe([`host ${t.a}`, `host ${t.b}`]));
  const name = t.proto === TCP ? 'tcp' : t.proto === UDP ? 'udp' : t.proto === SCTP ? 'sctp' : null;
  if (name && portsKnown(t)) parts.push(...dedupe([`${name} port ${t.aPort}`, `${name} port ${t.bPort}`]));
  else if (name) parts.push(name);
  else if (t.proto === ICMP && !t.v6) parts.push('icmp');
  else if (t.proto === ICMP6 && t.v6) parts.push('icmp6');
  else parts.push(`${t.v6 ? 'ip6' : 'ip'} proto ${t.proto}`);
  return parts.join(' and ');
}

/** A Wireshark display filter for the flow (both directions), or null without an IP tuple. */
export function wiresharkFilter(f: TupleFields): string | null {
  const t = tupleOf(f);
  if (!t) return null;
  const addr = t.v6 ? 'ipv6.addr' : 'ip.addr';
  const parts: string[] = [];
  if (t.vlan !== null) parts.push(`vlan.id==${t.vlan}`);
  parts.push(`${addr}==${t.a}`, `${addr}==${t.b}`);
  const name = t.proto === TCP ? 'tcp' : t.proto === UDP ? 'udp' : t.proto === SCTP ? 'sctp' : null;
  if (name && portsKnown(t)) parts.push(`${name}.port==${t.aPort}`, `${name}.port==${t.bPort}`);
  else if (name) parts.push(name);
  else if (t.proto === ICMP && !t.v6) parts.push('icmp');
  else if (t.proto === ICMP6 && t.v6) parts.push('icmpv6');
  else parts.push(t.v6 ? `ipv6.nxt==${t.proto}` : `ip.proto==${t.proto}`);
  return parts.join(' && ');
}

/** The CapMe-style slice target: client → server tuple and the flow's time window (inclusive). */
export function capmeTarget(f: TupleFields): SliceTarget | null {
  const t = tupleOf(f);
  if (!t) return null;
  const target: Extract<SliceTarget, { sip: string }> = { sip: t.a, dip: t.b, proto: t.proto, stime: f.first_ts, etime: f.last_ts, sensor: f.sensor };
  if (t.aPort !== null) target.spt = t.aPort;
  if (t.bPort !== null) target.dpt = t.bPort;
  return target;
}
