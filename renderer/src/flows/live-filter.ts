/**
 * The current search as a test on live flows, with the back end's semantics (common/index): each
 * host is an endpoint (with two hosts, one on each side), the port is either side's, the time
 * window overlaps the flow. Live flows that do not match the search are not added to the grid.
 */
import type { FlowRow, FlowSearch } from '../../../common/bridge/messages.js';
import { parseProto } from '../../../common/bridge/query-parse.js';
import { parseAddressRange, rangeContains, type AddressRange } from '../../../common/net/address-range.js';
import { parseIp } from '../../../common/packet/ip-address.js';
import { compareTs, parseTimestamp, type Timestamp } from '../../../common/time/timestamp.js';
import { splitTs } from './row-store.js';

export type FlowPredicate = (f: FlowRow) => boolean;

/** An address in the index's 16-byte key space (IPv4 as ::ffff:a.b.c.d). */
function addressKey(text: string | null): Uint8Array | null {
  if (text === null) return null;
  const ip = parseIp(text);
  if (!ip) return null;
  if (ip.version === 6) return ip.bytes;
  const k = new Uint8Array(16);
  k[10] = 0xff;
  k[11] = 0xff;
  k.set(ip.bytes.subarray(0, 4), 12);
  return k;
}

function inRange(r: AddressRange, key: Uint8Array | null): boolean {
  return key !== null && rangeContains(r, key);
}

function before(t: string, bound: Timestamp): boolean {
  const [s, n] = splitTs(t);
  return compareTs(s, n, bound.sec, bound.nsec) < 0;
}

function after(t: string, bound: Timestamp): boolean {
  const [s, n] = splitTs(t);
  return compareTs(s, n, bound.sec, bound.nsec) > 0;
}

/** Compiles a (valid) search; parts the UI cannot interpret are left to the back end (match). */
export function compileFlowSearch(q: FlowSearch): FlowPredicate {
  const hosts = (q.hosts ?? []).map((h) => parseAddressRange(h)).filter((r): r is AddressRange => r !== null);
  let proto: number | undefined;
  try {
    proto = q.proto !== undefined ? parseProto(q.proto) : undefined;
  } catch {
    proto = undefined;
  }
  const since = q.since ? parseTimestamp(q.since) : null;
  const until = q.until ? parseTimestamp(q.until) : null;
  return (f) => {
    if (q.sensor !== undefined && f.sensor !== q.sensor) return false;
    if (proto !== undefined && f.proto !== proto) return false;
    if (q.port !== undefined && f.client_port !== q.port && f.server_port !== q.port) return false;
    if (q.community_id && f.community_id !== q.community_id) return false;
    if (since && before(f.last_ts, since)) return false;
    if (until && after(f.first_ts, until)) return false;
    if (hosts.length) {
      const c = addressKey(f.client_ip);
      const s = addressKey(f.server_ip);
      if (hosts.length === 2) {
        const direct = inRange(hosts[0], c) && inRange(hosts[1], s);
        if (!direct && !(inRange(hosts[0], s) && inRange(hosts[1], c))) return false;
      } else if (!hosts.every((h) => inRange(h, c) || inRange(h, s))) return false;
    }
    return true;
  };
}
