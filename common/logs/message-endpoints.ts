/**
 * Addresses and ports named inside free-text messages: key=value pairs (iptables, Fortinet,
 * many firewalls), Cisco ASA "iface:ip/port" and IOS "ip(port) -> ip(port)" forms, and sshd's
 * "from IP port N". Conservative: only strict IP address text counts, nothing is resolved.
 */
import { isIp, isIpv4 } from './ip-text.js';
import { emptyEndpoints, portNumber, protoNumber, setField, type NamedEndpoints } from './parsed-log.js';

const KV = /(?:^|[\s,;])([A-Za-z_][\w.-]{0,63})=("(?:[^"\\]|\\.){0,4096}"|[^\s,;]*)/g;

/** key=value pairs of a message ("" for empty values; quotes removed). At most 256 pairs. */
export function keyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text.includes('=')) return out; // the common case, without running the pattern
  KV.lastIndex = 0;
  let n = 0;
  for (let m = KV.exec(text); m !== null && n < 256; m = KV.exec(text), n++) {
    let v = m[2];
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, '$1');
    setField(out, m[1], v);
  }
  return out;
}

const SRC = ['src', 'srcip', 'src_ip', 'source', 'sourceip', 'source_ip', 'saddr', 'ip.src'];
const DST = ['dst', 'dstip', 'dst_ip', 'destination', 'destip', 'dest_ip', 'daddr', 'ip.dst'];
const SPT = ['spt', 'srcport', 'src_port', 'sport', 'sourceport', 'source_port'];
const DPT = ['dpt', 'dstport', 'dst_port', 'dport', 'destport', 'dest_port', 'destination_port'];
const PROTO = ['proto', 'protocol', 'ip.proto'];
/** Key names (lower case) by role: source address, destination address, source port, destination port, protocol. */
export const ROLE_NAMES: readonly (readonly string[])[] = [SRC, DST, SPT, DPT, PROTO];

/** Lower-case key name → its role (index into the picked values below). */
const ROLE = new Map<string, number>();
// upper-case too: firewall keys are often written so (SRC=, DPT=), found then without lower-casing
for (const [role, names] of ROLE_NAMES.entries()) for (const n of names) ROLE.set(n, role).set(n.toUpperCase(), role);

/**
 * Whether a key could be a role name once lower-cased: every name starts with s, d, p or i
 * (either case); a key starting elsewhere in ASCII cannot (only non-ASCII letters lower-case to
 * something else), so it is skipped without a lower-cased copy.
 */
function mayBeRole(k: string): boolean {
  const c = k.charCodeAt(0);
  if (c >= 0x80) return true;
  const l = c | 0x20;
  return l === 0x73 || l === 0x64 || l === 0x70 || l === 0x69;
}

/** Endpoints from key=value pairs (keys matched case-insensitively; per role, the first key in the pairs' order). */
export function endpointsFromKeyValues(kv: Record<string, string>): NamedEndpoints {
  const e = emptyEndpoints();
  // one pass over the keys (not one per role): a firewall line has a dozen keys
  let s: string | undefined;
  let d: string | undefined;
  let spt: string | undefined;
  let dpt: string | undefined;
  let p: string | undefined;
  for (const k of Object.keys(kv)) {
    const role = ROLE.get(k) ?? (mayBeRole(k) ? ROLE.get(k.toLowerCase()) : undefined);
    if (role === undefined) continue;
    if (role === 0) s ??= kv[k];
    else if (role === 1) d ??= kv[k];
    else if (role === 2) spt ??= kv[k];
    else if (role === 3) dpt ??= kv[k];
    else p ??= kv[k];
  }
  if (s && isIp(s)) e.srcIp = s;
  if (d && isIp(d)) e.dstIp = d;
  e.srcPort = portNumber(spt);
  e.dstPort = portNumber(dpt);
  e.proto = p !== undefined ? protoNumber(p) : null;
  return e;
}

const ASA_PAIR = /(?:^|[\s(])(?:[\w.-]{1,64}:)?(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,5})\b/g;
const IOS_PAIR = /(\d{1,3}(?:\.\d{1,3}){3})\((\d{1,5})\)\s*->\s*(\d{1,3}(?:\.\d{1,3}){3})\((\d{1,5})\)/;
const SSHD_FROM = /\bfrom (\S{2,45}) port (\d{1,5})\b/;
const PROTO_WORD = /\b(TCP|UDP|ICMP|tcp|udp|icmp|SCTP|sctp|GRE|gre)\b/;

/** Endpoints from Cisco-style and sshd-style prose; empty when the message names none. */
export function endpointsFromProse(msg: string): NamedEndpoints {
  const e = emptyEndpoints();
  // cheap substring checks first: each pattern costs a scan of the whole message
  const ios = msg.includes('->') ? IOS_PAIR.exec(msg) : null;
  if (ios && isIpv4(ios[1]) && isIpv4(ios[3])) {
    e.srcIp = ios[1];
    e.srcPort = portNumber(ios[2]);
    e.dstIp = ios[3];
    e.dstPort = portNumber(ios[4]);
  } else {
    ASA_PAIR.lastIndex = 0;
    const pairs: { ip: string; port: number | null }[] = [];
    for (let m = msg.includes('/') ? ASA_PAIR.exec(msg) : null; m !== null && pairs.length < 2; m = ASA_PAIR.exec(msg)) {
      if (!isIpv4(m[1])) continue;
      // "(10.0.0.1/80)" repeats the mapped address of the pair before it: not a new endpoint
      if (m[0].startsWith('(')) continue;
      pairs.push({ ip: m[1], port: portNumber(m[2]) });
    }
    if (pairs.length > 0) {
      e.srcIp = pairs[0].ip;
      e.srcPort = pairs[0].port;
    }
    if (pairs.length > 1) {
      e.dstIp = pairs[1].ip;
      e.dstPort = pairs[1].port;
    }
    if (pairs.length === 0) {
      const s = msg.includes(' port ') ? SSHD_FROM.exec(msg) : null;
      if (s && isIp(s[1])) {
        e.srcIp = s[1];
        e.srcPort = portNumber(s[2]);
      }
    }
  }
  if (e.srcIp || e.dstIp) {
    const p = PROTO_WORD.exec(msg);
    if (p) e.proto = protoNumber(p[1]);
  }
  return e;
}

export function hasEndpoints(e: NamedEndpoints): boolean {
  return e.srcIp !== null || e.dstIp !== null;
}
