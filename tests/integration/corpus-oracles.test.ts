/**
 * The packet store against real captures and tshark's oracles: flows aggregated by bidirectional
 * 5-tuple equal tshark's (packets and bytes per direction), and every oracle slice is reproduced
 * record for record.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowToJson, type FlowJson } from '../../common/flow/flow-json.js';
import { parseAddressRange } from '../../common/net/address-range.js';
import { parseTimestamp } from '../../common/time/timestamp.js';
import { writeSlice } from '../../node/store/slicer.js';
import { Store } from '../../node/store/store.js';
import {
  capturePath,
  corpusCaptures,
  corpusSkipReason,
  readOracle,
  type OracleFlow,
  type OracleFlows,
  type OracleSlices,
} from '../helpers/corpus.js';

interface Agg {
  packets: number;
  bytes: number;
  /** per endpoint "addr|port": packets and bytes it sent */
  sent: Map<string, [number, number]>;
}

const PROTO_L4 = new Set([6, 17, 132]);

function endpointKey(addr: string, port: number | null): string {
  return `${addr}|${port ?? ''}`;
}

function flowKey(l3: string, proto: number | null, e1: [string, number | null], e2: [string, number | null]): string {
  const s = [e1, e2].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : (a[1] ?? -1) - (b[1] ?? -1)));
  return `${l3}/${proto}/${endpointKey(...s[0])}/${endpointKey(...s[1])}`;
}

function addAgg(m: Map<string, Agg>, key: string, packets: number, bytes: number, sends: [string, number, number][]): void {
  let a = m.get(key);
  if (!a) {
    a = { packets: 0, bytes: 0, sent: new Map() };
    m.set(key, a);
  }
  a.packets += packets;
  a.bytes += bytes;
  for (const [ep, p, b] of sends) {
    const cur = a.sent.get(ep) ?? [0, 0];
    a.sent.set(ep, [cur[0] + p, cur[1] + b]);
  }
}

/**
 * How a flow is compared: by 5-tuple, or (where fragments are involved, see below) by address
 * pair alone, since tshark files IPv6 fragments under protocol 44 and non-reassembling IPv4
 * fragments without ports while we attribute them to their 5-tuple flow.
 */
type PairOnly = (l3: string, a: string, b: string) => boolean;

function aggregateOurs(flows: FlowJson[], pairOnly: PairOnly): Map<string, Agg> {
  const m = new Map<string, Agg>();
  for (const f of flows) {
    if (f.kind !== 'ip' || f.client_ip === null || f.server_ip === null) continue;
    const l3 = f.client_ip.includes(':') ? 'ipv6' : 'ipv4';
    const po = pairOnly(l3, f.client_ip, f.server_ip);
    const cp = po ? null : f.client_port;
    const sp = po ? null : f.server_port;
    const key = flowKey(l3, po ? null : f.proto, [f.client_ip, cp], [f.server_ip, sp]);
    addAgg(m, key, f.packets, f.bytes, [
      [endpointKey(f.client_ip, cp), f.client_packets, f.client_bytes],
      [endpointKey(f.server_ip, sp), f.server_packets, f.server_bytes],
    ]);
  }
  return m;
}

function aggregateOracle(flows: OracleFlow[], pairOnly: PairOnly): Map<string, Agg> {
  const m = new Map<string, Agg>();
  for (const f of flows) {
    if (f.a_addr === '') continue; // IP header unreadable: compared with our malformed flows
    const po = pairOnly(f.l3, f.a_addr, f.b_addr);
    const ap = po ? null : f.a_port;
    const bp = po ? null : f.b_port;
    addAgg(m, flowKey(f.l3, po ? null : f.proto, [f.a_addr, ap], [f.b_addr, bp]), f.packets, f.bytes, [
      [endpointKey(f.a_addr, ap), f.packets_a_to_b, f.bytes_a_to_b],
      [endpointKey(f.b_addr, bp), f.packets_b_to_a, f.bytes_b_to_a],
    ]);
  }
  return m;
}

/** Rewrites nanosecond pcap records to microseconds (truncating), as tshark -F pcap does. */
function recordsToMicroseconds(records: Uint8Array): Uint8Array {
  const out = new Uint8Array(records);
  const v = new DataView(out.buffer);
  for (let at = 0; at + 16 <= out.length; at += 16 + v.getUint32(at + 8, true)) v.setUint32(at + 4, Math.floor(v.getUint32(at + 4, true) / 1000), true);
  return out;
}

function plain(m: Map<string, Agg>): Record<string, { packets: number; bytes: number; sent: Record<string, [number, number]> }> {
  const out: Record<string, { packets: number; bytes: number; sent: Record<string, [number, number]> }> = {};
  for (const [k, v] of [...m].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const sent: Record<string, [number, number]> = {};
    for (const [e, pb] of [...v.sent].sort(([a], [b]) => (a < b ? -1 : 1))) if (pb[0] > 0) sent[e] = pb;
    out[k] = { packets: v.packets, bytes: v.bytes, sent };
  }
  return out;
}

const SLICE_RE = /\((ipv6|ip)\.src==(\S+) && \1\.dst==(\S+) && (tcp|udp|sctp)\.srcport==(\d+) && \4\.dstport==(\d+)\)/;
const WINDOW_RE = /frame\.time_epoch >= ([\d.]+) && frame\.time_epoch <= ([\d.]+)/;
const PROTO_NUM: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

const captures = corpusCaptures();

describe('packet store against the shared corpus oracles', { skip: corpusSkipReason }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapline-corpus-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const name of captures) {
    test(`${name}: flows equal tshark's per 5-tuple and every oracle slice is reproduced byte for byte`, async () => {
      const oracle = readOracle<OracleFlows>(name, 'flows.json');
      assert.ok(oracle, `no flows.json oracle for ${name}`);
      const storeDir = join(dir, name);
      const store = await Store.open(storeDir, { create: true });
      try {
        const [res] = await store.import([capturePath(name)]);
        assert.notEqual(res.status, 'failed', `import failed: ${res.message}`);
        const found = await store.findFlows({});
        const ours = found.map((f) => flowToJson(f.id, f.record));

        // Address pairs where we attribute fragments to the 5-tuple but tshark keeps them apart
        // (tshark gives ports only to the reassembling fragment): compare those per address pair.
        const fragmentedPairs = new Set<string>();
        const pairKey = (l3: string, a: string, b: string): string => [l3, ...[a, b].sort()].join('/');
        for (const f of ours) if (f.fragmented && f.client_ip && f.server_ip) fragmentedPairs.add(pairKey(f.client_ip.includes(':') ? 'ipv6' : 'ipv4', f.client_ip, f.server_ip));
        for (const f of oracle.flows) {
          const portlessL4 = f.a_port === null && f.proto !== null && PROTO_L4.has(f.proto);
          if (portlessL4 || (f.l3 === 'ipv6' && f.proto === 44)) fragmentedPairs.add(pairKey(f.l3, f.a_addr, f.b_addr));
        }
        const pairOnly: PairOnly = (l3, a, b) => fragmentedPairs.has(pairKey(l3, a, b));

        assert.deepEqual(plain(aggregateOurs(ours, pairOnly)), plain(aggregateOracle(oracle.flows, pairOnly)));
        const count = (kinds: string[]): number => ours.filter((f) => kinds.includes(f.kind)).reduce((n, f) => n + f.packets, 0);
        assert.equal(count(['non-ip', 'undecoded']), oracle.non_ip.packets, 'non-IP packet count');
        const unreadableIp = oracle.flows.filter((f) => f.a_addr === '').reduce((n, f) => n + f.packets, 0);
        assert.equal(count(['malformed']), unreadableIp, 'packets whose IP header is unreadable');
        // every fragment belongs to its 5-tuple flow when its first fragment was captured
        for (const f of ours) if (f.fragmented && f.proto !== null && PROTO_L4.has(f.proto) && f.client_port === null) assert.ok(f.note, 'portless fragment flow explains itself');

        const slices = readOracle<OracleSlices>(name, 'slices.json');
        // tshark -F pcap on a nanosecond input truncates timestamps to microseconds; we keep ns
        const lossyOracle = slices?.input_file_type === 'nsecpcap' && slices.output_format === 'pcap';
        const overMatched = new Set((slices?.slices ?? []).filter((s) => s.frames_equal_flows_json === false).map((s) => s.id));
        for (const s of slices?.slices ?? []) {
          const m = SLICE_RE.exec(s.display_filter);
          assert.ok(m, `cannot parse oracle filter ${s.display_filter}`);
          const [, , a, b, l4, pa, pb] = m;
          const w = WINDOW_RE.exec(s.display_filter);
          const q = {
            sip: parseAddressRange(a)!,
            dip: parseAddressRange(b)!,
            spt: Number(pa),
            dpt: Number(pb),
            proto: PROTO_NUM[l4],
            stime: w ? parseTimestamp(w[1])! : undefined,
            etime: w ? parseTimestamp(w[2])! : undefined,
          };
          const flows = await store.findTuple(q);
          const out = join(storeDir, `${s.id}.pcap`);
          const r = await writeSlice(store, { flows, stime: q.stime, etime: q.etime }, out);
          const fragmented = flows.some((f) => f.record.fragmented);
          if (fragmented) {
            // tshark's filter sees ports only on reassembling fragments; we keep every fragment
            assert.ok(r.packets >= s.packet_count, `${s.id}: fragmented flow slice has all of tshark's packets`);
            continue;
          }
          // tshark's display filter also matched other flows' packets (ICMP errors quoting the
          // tuple, tunnels; see the corpus README): the window slice of such a flow too
          if (overMatched.has(s.id) || overMatched.has(s.id.replace(/-window$/, ''))) continue;
          const bytes = await readFile(out);
          assert.equal(r.packets, s.packet_count, `${s.id}: packet count`);
          const records = lossyOracle ? recordsToMicroseconds(bytes.subarray(24)) : bytes.subarray(24);
          assert.equal(createHash('sha256').update(records).digest('hex'), s.records_sha256, `${s.id}: records identical to tshark's slice`);
        }
      } finally {
        await store.close();
      }
    });
  }
});
