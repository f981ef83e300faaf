/**
 * Property tests for the flow table and the index: random packets in; every query answered
 * through the postings and time order equals a linear scan of all flows, and the packet offsets
 * of the flows partition the input packets, each in the flow of its own 5-tuple.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PacketRecordView } from '../../../common/capture/capture-types.js';
import { FlowTable } from '../../../common/flow/flow-table.js';
import { IndexView, decodeOffsets, communityIdOf, type FlowQuery, type FlowRecord } from '../../../common/index/index-reader.js';
import { encodeIndex } from '../../../common/index/index-writer.js';
import { SectionType, HEADER_SIZE, type IndexMeta } from '../../../common/index/index-format.js';
import { parseAddressRange, rangeContains, type AddressRange } from '../../../common/net/address-range.js';
import { DecodeStatus, FragmentKind, createDecodedPacket } from '../../../common/packet/decoded-packet.js';
import { compareTs } from '../../../common/time/timestamp.js';
import { ipToString } from '../../../common/packet/community-id.js';

const V4 = ['10.0.0.1', '192.168.5.9', '8.8.8.8'];
const V6 = ['2001:db8::1', '2001:db8::2', 'fe80::1'];

interface Pkt {
  v6: boolean;
  src: number;
  dst: number;
  proto: number;
  sport: number;
  dport: number;
  flags: number;
  dt: number;
  len: number;
  repeat: number;
}

const pktArb = fc.record({
  v6: fc.boolean(),
  // small pools so 5-tuples recur and flows last long enough to straddle query windows
  src: fc.nat(2),
  dst: fc.nat(2),
  proto: fc.constantFrom(6, 17, 1, 6, 17, 132, 47),
  sport: fc.constantFrom(80, 50000, 53),
  dport: fc.constantFrom(80, 50000, 53),
  flags: fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x11, 0x04),
  // ns since the previous packet: mostly seconds (long flows), sometimes minutes (idle splits)
  dt: fc.oneof(
    { arbitrary: fc.integer({ min: 1, max: 10 }).map((x) => x * 1e9 - 123_456), weight: 9 },
    { arbitrary: fc.integer({ min: 100, max: 400 }).map((x) => x * 1e9 + 7), weight: 1 },
  ),
  len: fc.integer({ min: 60, max: 1514 }),
  /** continue the previous packet's conversation (either direction), so flows last */
  repeat: fc.constantFrom(0, 0, 1, 2, 2),
});

function addrBytes(v6: boolean, i: number): Uint8Array {
  const text = v6 ? V6[i % V6.length] : V4[i % V4.length];
  const r = parseAddressRange(text);
  if (!r) throw new Error('bad test address');
  const out = new Uint8Array(16);
  if (v6) out.set(r.lo);
  else out.set(r.lo.subarray(12, 16));
  return out;
}

function build(pkts: Pkt[]): { view: IndexView; offsetsOf: (r: FlowRecord) => Float64Array; fed: { offset: number; key: string }[] } {
  const table = new FlowTable();
  const d = createDecodedPacket();
  const rec: PacketRecordView = { index: 0, recordOffset: 24, recordLength: 0, interfaceId: 0, linkType: 1, tsSec: 1_600_000_000, tsNsec: 0, capLen: 0, origLen: 0, dataOffset: 0, data: new Uint8Array(0), buffer: new Uint8Array(0), bufferOffset: 0, blockType: 0 };
  let offset = 24;
  let ns = 0;
  const fed: { offset: number; key: string }[] = [];
  let prev: Pkt | null = null;
  for (const orig of pkts) {
    let p = orig;
    if (prev && p.repeat) {
      const rev = p.repeat === 2;
      p = { ...prev, src: rev ? prev.dst : prev.src, dst: rev ? prev.src : prev.dst, sport: rev ? prev.dport : prev.sport, dport: rev ? prev.sport : prev.dport, flags: orig.flags, dt: orig.dt, len: orig.len };
    }
    prev = p;
    ns += p.dt;
    rec.tsSec = 1_600_000_000 + Math.floor(ns / 1e9);
    rec.tsNsec = ns % 1e9;
    rec.recordOffset = offset;
    rec.origLen = p.len;
    rec.capLen = p.len;
    d.status = DecodeStatus.Ip;
    d.ipVersion = p.v6 ? 6 : 4;
    d.src.set(addrBytes(p.v6, p.src));
    d.dst.set(addrBytes(p.v6, p.dst));
    d.proto = p.proto;
    d.hasPorts = p.proto === 6 || p.proto === 17 || p.proto === 132;
    d.srcPort = d.hasPorts ? p.sport : 0;
    d.dstPort = d.hasPorts ? p.dport : 0;
    d.icmpType = p.proto === 1 ? 8 : -1;
    d.icmpCode = p.proto === 1 ? 0 : -1;
    d.tcpFlags = p.proto === 6 ? p.flags : 0;
    d.fragment = FragmentKind.None;
    d.vlan = -1;
    d.vlanInner = -1;
    table.add(rec, d);
    const a = `${ipToString(d.ipVersion as 4 | 6, d.src.subarray(0, p.v6 ? 16 : 4))}|${d.hasPorts ? d.srcPort : ''}`;
    const b = `${ipToString(d.ipVersion as 4 | 6, d.dst.subarray(0, p.v6 ? 16 : 4))}|${d.hasPorts ? d.dstPort : ''}`;
    fed.push({ offset, key: `${p.proto}/${[a, b].sort().join('/')}` });
    offset += 16 + p.len;
  }
  table.finish();
  const meta = {
    writer: 'test',
    createdAt: '',
    source: { path: '/x', size: offset, mtimeMs: 0, fingerprint: '0'.repeat(64) },
    format: 'pcap' as const,
    compressed: null,
    pcapHeaderHex: null,
    nanosecond: false,
    littleEndian: true,
    interfaces: [],
    packets: pkts.length,
    bytes: 0,
    indexedBytes: offset,
    firstTs: null,
    lastTs: null,
    damage: null,
    counts: { nonIpPackets: 0, undecodedPackets: 0, malformedPackets: 0 },
  };
  const enc = encodeIndex(table, meta);
  const file = new Uint8Array(enc.size);
  let at = 0;
  for (const c of enc.chunks) {
    file.set(c, at);
    at += c.length;
  }
  // locate sections through the table written at the end, as a reader on disk does
  const dv = new DataView(file.buffer);
  const tableOffset = dv.getFloat64(file.length - 32, true);
  const count = dv.getUint32(file.length - 24, true);
  const sections = new Map<number, Uint8Array>();
  for (let i = 0; i < count; i++) {
    const e = tableOffset + i * 24;
    const off = dv.getFloat64(e + 8, true);
    const len = dv.getFloat64(e + 16, true);
    assert.ok(off >= HEADER_SIZE);
    sections.set(dv.getUint32(e, true), file.slice(off, off + len));
  }
  const get = (t: number): Uint8Array => sections.get(t) as Uint8Array;
  const view = new IndexView({
    meta: JSON.parse(new TextDecoder().decode(get(SectionType.Meta))) as IndexMeta,
    flows: get(SectionType.Flows),
    ipPostings: get(SectionType.IpPostings),
    portPostings: get(SectionType.PortPostings),
    protoPostings: get(SectionType.ProtoPostings),
    timeOrder: get(SectionType.TimeOrder),
  });
  const offsets = get(SectionType.Offsets);
  return { view, fed, offsetsOf: (r) => decodeOffsets(offsets.subarray(r.offsetsStart, r.offsetsStart + r.offsetsLength), r.clientPackets + r.serverPackets) };
}

function key16(r: FlowRecord, server: boolean): Uint8Array {
  const a = server ? r.server : r.client;
  const k = new Uint8Array(16);
  if (r.ipVersion === 4) {
    k[10] = 0xff;
    k[11] = 0xff;
    k.set(a.subarray(0, 4), 12);
  } else k.set(a);
  return k;
}

/** The query semantics, evaluated on one record without any index structure. */
function scanMatches(r: FlowRecord, q: FlowQuery): boolean {
  const hosts = q.hosts ?? [];
  const on = (h: AddressRange, server: boolean): boolean => rangeContains(h, key16(r, server));
  if (hosts.length === 2 && !((on(hosts[0], false) && on(hosts[1], true)) || (on(hosts[0], true) && on(hosts[1], false)))) return false;
  if (hosts.length === 1 && !(on(hosts[0], false) || on(hosts[0], true))) return false;
  if (q.port !== undefined && !(r.hasPorts && (r.clientPort === q.port || r.serverPort === q.port))) return false;
  if (q.proto !== undefined && r.proto !== q.proto) return false;
  if (q.since && compareTs(r.lastSec, r.lastNsec, q.since.sec, q.since.nsec) < 0) return false;
  if (q.until && compareTs(r.firstSec, r.firstNsec, q.until.sec, q.until.nsec) > 0) return false;
  if (q.communityId !== undefined && communityIdOf(r) !== q.communityId) return false;
  return true;
}

const hostArb = fc.constantFrom('10.0.0.1', '10.0.0.0/24', '10.0.0.0/8', '0.0.0.0/0', '192.168.5.9', '2001:db8::/32', '2001:db8::2', 'fe80::1', '8.8.8.8/32', '1.2.3.4');
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 2 });
/** Query shapes chosen explicitly so time-only queries (the time-order path) are common. */
const queryArb = fc.record({
  hosts: fc.oneof(fc.constant<string[]>([]), fc.array<string>(hostArb, { minLength: 1, maxLength: 2 })),
  port: maybe(fc.constantFrom(80, 443, 53, 50000, 9999)),
  proto: maybe(fc.constantFrom(6, 17, 1, 132, 47, 58)),
  /** since/until as fractions of the capture's time span */
  since: maybe(fc.noBias(fc.integer({ min: -100, max: 1100 })).map((x) => x / 1000)),
  until: maybe(fc.noBias(fc.integer({ min: -100, max: 1100 })).map((x) => x / 1000)),
});

test('every flow query through postings and time order equals a linear scan of all flows', () => {
  fc.assert(
    fc.property(fc.array(pktArb, { minLength: 1, maxLength: 300, size: 'max' }), fc.array(queryArb, { minLength: 1, maxLength: 20 }), (pkts, queries) => {
      const { view } = build(pkts);
      const span = pkts.reduce((n, p) => n + p.dt, 0) / 1e9;
      const at = (f: number): { sec: number; nsec: number } => {
        const t = Math.max(0, f * span);
        return { sec: 1_600_000_000 + Math.floor(t), nsec: Math.floor((t % 1) * 1e9) };
      };
      const records = Array.from({ length: view.flowCount }, (_, i) => view.record(i));
      const probeCid = records.length ? communityIdOf(records[records.length >> 1]) : null;
      for (const raw of queries) {
        const q: FlowQuery = {
          hosts: raw.hosts.map((h) => parseAddressRange(h) as AddressRange),
          port: raw.port,
          proto: raw.proto,
          since: raw.since !== undefined ? at(raw.since) : undefined,
          until: raw.until !== undefined ? at(raw.until) : undefined,
        };
        const expected = records.filter((r) => scanMatches(r, q)).map((r) => r.index);
        assert.deepEqual(Array.from(view.match(q)), expected, JSON.stringify(raw));
      }
      // boundaries are inclusive: probe exactly at a flow's first and last packet times
      if (records.length) {
        const r = records[records.length >> 1];
        for (const q of [{ until: { sec: r.firstSec, nsec: r.firstNsec } }, { since: { sec: r.lastSec, nsec: r.lastNsec } }]) {
          assert.deepEqual(Array.from(view.match(q)), records.filter((x) => scanMatches(x, q)).map((x) => x.index), 'inclusive time bounds');
        }
      }
      if (probeCid) {
        const expected = records.filter((r) => communityIdOf(r) === probeCid).map((r) => r.index);
        assert.deepEqual(Array.from(view.match({ communityId: probeCid })), expected);
      }
    }),
    { numRuns: 150, seed: 20261121 },
  );
});

test('flows partition the packets: each packet offset appears once, in capture order, in the flow of its own 5-tuple', () => {
  fc.assert(
    fc.property(fc.array(pktArb, { minLength: 1, maxLength: 400, size: 'max' }), (pkts) => {
      const { view, fed, offsetsOf } = build(pkts);
      const byOffset = new Map(fed.map((f) => [f.offset, f.key]));
      const seen = new Set<number>();
      for (let i = 0; i < view.flowCount; i++) {
        const r = view.record(i);
        const offs = Array.from(offsetsOf(r));
        assert.deepEqual(offs, [...offs].sort((a, b) => a - b), 'capture order');
        const c = `${ipToString(r.ipVersion as 4 | 6, r.client.subarray(0, r.ipVersion === 4 ? 4 : 16))}|${r.hasPorts ? r.clientPort : ''}`;
        const s = `${ipToString(r.ipVersion as 4 | 6, r.server.subarray(0, r.ipVersion === 4 ? 4 : 16))}|${r.hasPorts ? r.serverPort : ''}`;
        const key = `${r.proto}/${[c, s].sort().join('/')}`;
        for (const o of offs) {
          assert.ok(!seen.has(o), 'offset in one flow only');
          seen.add(o);
          assert.equal(byOffset.get(o), key, 'packet in the flow of its 5-tuple');
        }
      }
      assert.equal(seen.size, fed.length, 'every packet is in a flow');
    }),
    { numRuns: 150, seed: 7 },
  );
});
