/**
 * An import split into index parts (CaptureIndexer.nextPart → FlowTable.nextPart) must describe
 * exactly the flows one table builds: every flow of the whole table is one chain of the parts'
 * flows, linked by their continuation fields, with the same identity, orientation, packet and
 * byte counts per side, TCP flags, first and last times and packet offsets. Checked on random
 * packet sequences (TCP restarts after FIN/RST, idle gaps beyond every timeout, VLANs, IPv4
 * fragments arriving before and after their first fragment) split at random packets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CaptureIndexer } from '../../../common/flow/capture-indexer.js';
import type { FlowTable } from '../../../common/flow/flow-table.js';
import { createPcapParser } from '../../../common/capture/pcap-parser.js';
import { conversationArb, frameArb, pcapFile } from '../../helpers/frame-arbitraries.js';
import { ethernet, ipv4, udp } from '../../helpers/packet-builders.js';

/** A UDP datagram in three IPv4 fragments, in any order (a later fragment may precede the first). */
const fragmentsArb = fc
  .record({
    id: fc.constantFrom(1, 2),
    src: fc.constantFrom<number[]>([10, 0, 0, 1], [10, 0, 0, 2]),
    order: fc.constantFrom([0, 1, 2], [1, 0, 2], [2, 1, 0], [0, 2, 1]),
    sport: fc.constantFrom(5000, 5001),
  })
  .map(({ id, src, order, sport }) => {
    const dst = src[3] === 1 ? [10, 0, 0, 2] : [10, 0, 0, 1];
    const whole = udp(sport, 53, Array.from({ length: 40 }, (_, i) => i));
    const pieces = [whole.subarray(0, 16), whole.subarray(16, 32), whole.subarray(32)];
    const frames = pieces.map((p, k) => ethernet(0x0800, ipv4({ src, dst, proto: 17, id, payload: p, mf: k < 2, fragOffset: k * 16 })));
    return order.map((k) => frames[k]);
  });

interface Summary {
  identity: string;
  offsets: number[];
  counts: number[];
  flags: number;
  fragmented: number;
  first: string;
  last: string;
}

function identity(t: FlowTable, f: number): string {
  return JSON.stringify([
    Array.from(t.keys.subarray(f * 12, f * 12 + 12)),
    t.kind[f],
    t.ipVersion[f],
    t.proto[f],
    t.hasPorts[f],
    t.clientIsA[f],
    t.vlan[f],
    t.vlanInner[f],
    t.l2Type[f],
    t.icmpType[f],
    t.icmpCode[f],
  ]);
}

const ts = (sec: number, nsec: number): string => `${sec}.${String(nsec).padStart(9, '0')}`;
const before = (a: [number, number], b: [number, number]): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** Flows of one table, by their first packet's offset. */
function wholeFlows(t: FlowTable): Map<number, Summary> {
  const out = new Map<number, Summary>();
  for (let f = 0; f < t.count; f++) {
    const offsets = Array.from(t.offsetsOf(f));
    out.set(offsets[0], {
      identity: identity(t, f),
      offsets,
      counts: [t.pktsA[f], t.pktsB[f], t.bytesA[f], t.bytesB[f]],
      flags: t.tcpFlags[f],
      fragmented: t.fragmented[f],
      first: ts(t.firstSec[f], t.firstNsec[f]),
      last: ts(t.lastSec[f], t.lastNsec[f]),
    });
  }
  return out;
}

/** Flows of the parts, each chain of continuations merged, by first packet offset. */
function mergedFlows(parts: FlowTable[]): Map<number, Summary> {
  // the flow (part, flow) that continues each flow
  const next = new Map<string, [number, number]>();
  for (let p = 0; p < parts.length; p++) {
    const t = parts[p];
    for (let f = 0; f < t.count; f++) {
      if (t.contPart[f] < 0) continue;
      const from = `${t.contPart[f]}/${t.contFlow[f]}`;
      assert.ok(t.contPart[f] < p, 'a continuation points to a later part');
      assert.equal(next.has(from), false, `flow ${from} is continued twice`);
      next.set(from, [p, f]);
    }
  }
  const out = new Map<number, Summary>();
  for (let p = 0; p < parts.length; p++) {
    const t = parts[p];
    for (let f = 0; f < t.count; f++) {
      if (t.contPart[f] >= 0) continue;
      const offsets: number[] = [];
      const counts = [0, 0, 0, 0];
      let flags = 0;
      let fragmented = 0;
      let first: [number, number] = [Infinity, 0];
      let last: [number, number] = [-Infinity, 0];
      for (let at: [number, number] | undefined = [p, f]; at; at = next.get(`${at[0]}/${at[1]}`)) {
        const q: number = at[0];
        const g: number = at[1];
        const u: FlowTable = parts[q];
        assert.equal(identity(u, g), identity(t, f), 'a continuation changed the flow identity or orientation');
        offsets.push(...u.offsetsOf(g));
        counts[0] += u.pktsA[g];
        counts[1] += u.pktsB[g];
        counts[2] += u.bytesA[g];
        counts[3] += u.bytesB[g];
        flags |= u.tcpFlags[g];
        fragmented |= u.fragmented[g];
        if (before([u.firstSec[g], u.firstNsec[g]], first)) first = [u.firstSec[g], u.firstNsec[g]];
        if (before(last, [u.lastSec[g], u.lastNsec[g]])) last = [u.lastSec[g], u.lastNsec[g]];
      }
      offsets.sort((a, b) => a - b);
      out.set(offsets[0], { identity: identity(t, f), offsets, counts, flags, fragmented, first: ts(...first), last: ts(...last) });
    }
  }
  return out;
}

/** Indexes the file's records, calling nextPart before the records listed in `splits`. */
function indexInParts(file: Uint8Array, splits: ReadonlySet<number>, maxCarry?: number): FlowTable[] {
  const ix = new CaptureIndexer();
  const parser = createPcapParser(ix);
  const parts: FlowTable[] = [];
  parser.push(file.subarray(0, 24));
  let at = 24;
  for (let r = 0; at < file.length; r++) {
    if (splits.has(r)) parts.push(ix.nextPart(parts.length, maxCarry).table);
    const len = new DataView(file.buffer, file.byteOffset + at + 8, 4).getUint32(0, true);
    parser.push(file.subarray(at, at + 16 + len));
    at += 16 + len;
  }
  parser.end();
  ix.finish();
  parts.push(ix.table);
  return parts;
}

const packetsArb = fc.array(
  fc.tuple(fc.oneof(frameArb.map((f) => [f]), conversationArb.map((f) => [f]), conversationArb.map((f) => [f]), fragmentsArb), fc.constantFrom(0, 0, 0, 1, 5, 61, 130, 1000), fc.nat(999_999)),
  { minLength: 1, maxLength: 150 },
);

function captureOf(pkts: [Uint8Array[], number, number][]): { file: Uint8Array; records: number } {
  let sec = 1_700_000_000;
  const frames: { frame: Uint8Array; sec: number; usec: number }[] = [];
  for (const [group, gap, usec] of pkts) {
    sec += gap;
    for (const frame of group) frames.push({ frame, sec, usec });
  }
  return { file: pcapFile(frames), records: frames.length };
}

test('flows split into index parts at any packets are, linked back, exactly the flows of one table', () => {
  let continued = 0;
  fc.assert(
    fc.property(packetsArb, fc.array(fc.nat(400), { maxLength: 6 }), (pkts, cuts) => {
      const { file, records } = captureOf(pkts);
      const whole = indexInParts(file, new Set());
      const parts = indexInParts(file, new Set(cuts.map((c) => c % Math.max(1, records))));
      continued += parts.reduce((n, t) => n + t.continuations, 0);
      assert.deepEqual(mergedFlows(parts), wholeFlows(whole[0]));
    }),
    { numRuns: 500, seed: 23 },
  );
  assert.ok(continued > 200, `only ${continued} continuations: the generator no longer crosses parts with open flows`);
});

test('a part boundary before every packet still gives the flows of one table', () => {
  fc.assert(
    fc.property(packetsArb, (pkts) => {
      const { file, records } = captureOf(pkts);
      const all = new Set(Array.from({ length: records }, (_, i) => i));
      assert.deepEqual(mergedFlows(indexInParts(file, all)), wholeFlows(indexInParts(file, new Set())[0]));
    }),
    { numRuns: 150, seed: 5 },
  );
});

test('the flows carried to the next part are bounded by maxCarry, the most recently active kept', () => {
  // 3,000 UDP flows, one packet each, one second apart, then one more packet of flows 2950 and 2949
  const flow = (i: number, sec: number) => ({
    frame: ethernet(0x0800, ipv4({ src: [10, 1, i >> 8, i & 0xff], dst: [10, 0, 0, 1], proto: 17, payload: udp(40000, 53) })),
    sec,
    usec: 0,
  });
  const t0 = 1_700_000_000;
  const frames = Array.from({ length: 3000 }, (_, i) => flow(i, t0 + i));
  frames.push(flow(2950, t0 + 3000), flow(2949, t0 + 3000));
  const file = pcapFile(frames);
  // only flows active within the UDP idle timeout (120 s) plus the slack (60 s) of the last packet can be continued
  const fresh = indexInParts(file, new Set([3000]));
  assert.equal(fresh[1].carried, 181);
  assert.equal(fresh[1].continuations, 2);
  const capped = indexInParts(file, new Set([3000]), 50);
  assert.equal(capped[1].carried, 50);
  // flow 2950 was among the 50 most recent and continues; 2949 was not and starts anew
  assert.deepEqual(Array.from(capped[1].contPart.subarray(0, 2)), [0, -1]);
  assert.equal(capped[1].contFlow[0], 2950);
});
