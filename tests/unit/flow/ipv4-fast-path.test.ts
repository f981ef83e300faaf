/**
 * The import's IPv4 fast path (ipv4-fast-path.ts + FlowTable.addFastIpv4) must build exactly the
 * index the general decoder builds: same flows, orientation, counters, TCP state and packet
 * offsets. Checked field by field against decodePacketAt on generated and mutated frames, and
 * index byte for byte on random packet sequences and on every corpus capture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CaptureIndexer } from '../../../common/flow/capture-indexer.js';
import { encodeIndex } from '../../../common/index/index-writer.js';
import { createPcapParser } from '../../../common/capture/pcap-parser.js';
import { decodePacketAt } from '../../../common/packet/decode-packet.js';
import { DecodeStatus, FragmentKind, createDecodedPacket } from '../../../common/packet/decoded-packet.js';
import { createFastIpv4, decodeFastIpv4 } from '../../../common/packet/ipv4-fast-path.js';
import { readCaptureFile } from '../../../node/capture/read-capture-file.js';
import { capturePath, corpusCaptures, corpusSkipReason } from '../../helpers/corpus.js';
import { bytes, ethernet, icmp, ipv4, ipv6, le16, le32, tcp, udp, type VlanTag } from '../../helpers/packet-builders.js';

const TPIDS = [0x8100, 0x88a8, 0x9100, 0x8100];

/** A frame built from a spec, then possibly mutated: the inputs the fast path must judge right. */
const frameArb = fc
  .record({
    tags: fc.oneof(fc.constant<VlanTag[]>([]), fc.constant<VlanTag[]>([]), fc.array<VlanTag>(fc.record({ tpid: fc.constantFrom(...TPIDS), vid: fc.constantFrom(1, 100, 4095) }), { maxLength: 3 })),
    kind: fc.constantFrom('tcp', 'udp', 'tcp', 'udp', 'icmp', 'gre', 'v6', 'arp'),
    src: fc.constantFrom<number[]>([10, 0, 0, 1], [10, 0, 0, 2], [192, 168, 1, 9]),
    dst: fc.constantFrom<number[]>([10, 0, 0, 1], [10, 0, 0, 2], [8, 8, 8, 8]),
    sport: fc.constantFrom(53, 80, 443, 40000, 40001),
    dport: fc.constantFrom(53, 80, 443, 40000, 40001),
    flags: fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x14, 0x102, 0),
    dataOffsetWords: fc.constantFrom(undefined, undefined, 2, 15),
    payload: fc.array(fc.nat(255), { maxLength: 24 }),
    options: fc.constantFrom<number[]>([], [], [1, 1, 1, 0]),
    mutate: fc.nat(2),
    mf: fc.boolean(),
    fragOffset: fc.constantFrom(0, 0, 0, 0, 8, 1480),
    totalLength: fc.constantFrom(undefined, undefined, undefined, 0, 10, 21, 30, 4000),
    versionIhl: fc.constantFrom(undefined, undefined, undefined, undefined, 0x44, 0x46, 0x65, 0x4f),
    cut: fc.option(fc.nat(80), { nil: undefined }),
    flips: fc.array(fc.record({ at: fc.nat(60), value: fc.nat(255) }), { maxLength: 2 }),
  })
  .map((s) => {
    // two frames in three are well-formed: the fast path's accepting branch is exercised as much
    // as its refusals
    const m = s.mutate === 0;
    let l4: Uint8Array;
    let proto = 6;
    if (s.kind === 'tcp') l4 = tcp({ sport: s.sport, dport: s.dport, flags: s.flags, dataOffsetWords: m ? s.dataOffsetWords : undefined, payload: s.payload });
    else if (s.kind === 'udp') {
      proto = 17;
      l4 = udp(s.sport, s.dport, s.payload);
    } else if (s.kind === 'icmp') {
      proto = 1;
      l4 = icmp(8, 0, [0, 1, 0, 1], s.payload);
    } else {
      proto = 47;
      l4 = new Uint8Array(s.payload);
    }
    let frame: Uint8Array;
    if (s.kind === 'v6') frame = ethernet(0x86dd, ipv6({ nextHeader: 6, payload: tcp({ sport: s.sport, dport: s.dport, flags: s.flags }) }), s.tags);
    else if (s.kind === 'arp') frame = ethernet(0x0806, new Uint8Array(28), s.tags);
    else {
      const ip = ipv4({
        src: s.src,
        dst: s.dst,
        proto,
        payload: l4,
        options: s.options,
        mf: m && s.mf,
        fragOffset: m ? s.fragOffset : 0,
        totalLength: m ? s.totalLength : undefined,
        versionIhl: m ? s.versionIhl : undefined,
      });
      frame = ethernet(0x0800, ip, s.tags);
    }
    frame = frame.slice();
    if (m) {
      for (const f of s.flips) if (f.at < frame.length) frame[f.at] = f.value;
      if (s.cut !== undefined && s.cut < frame.length) frame = frame.subarray(0, s.cut);
    }
    return frame;
  });

/** One TCP conversation's packets in both directions: FIN/RST then a pure SYN must restart the flow. */
const conversationArb = fc
  .record({ fromClient: fc.boolean(), flags: fc.constantFrom(0x02, 0x12, 0x10, 0x11, 0x04, 0x18), vlan: fc.constantFrom(-1, 7) })
  .map(({ fromClient, flags, vlan }) => {
    const seg = tcp({ sport: fromClient ? 40000 : 80, dport: fromClient ? 80 : 40000, flags });
    const ip = ipv4({ src: fromClient ? [10, 0, 0, 1] : [10, 0, 0, 2], dst: fromClient ? [10, 0, 0, 2] : [10, 0, 0, 1], proto: 6, payload: seg });
    return ethernet(0x0800, ip, vlan < 0 ? [] : [{ tpid: 0x8100, vid: vlan }]);
  });

test('every frame the fast path accepts decodes to the same flow fields with the general decoder', () => {
  const fast = createFastIpv4();
  const d = createDecodedPacket();
  let accepted = 0;
  fc.assert(
    fc.property(frameArb, fc.nat(8), (frame, pad) => {
      // the record sits inside a larger chunk: nothing outside [start, end) may be read
      const chunk = new Uint8Array(pad + frame.length + 8).fill(0xee);
      chunk.set(frame, pad);
      const ok = decodeFastIpv4(chunk, pad, pad + frame.length, fast);
      decodePacketAt(1, chunk, pad, pad + frame.length, d);
      const generalWouldTake =
        d.status === DecodeStatus.Ip && d.ipVersion === 4 && d.fragment === FragmentKind.None && d.hasPorts && (d.proto === 6 || d.proto === 17);
      if (!ok) return;
      accepted++;
      assert.ok(generalWouldTake, 'fast path accepted a frame the general decoder does not see as IPv4 TCP/UDP with ports');
      const word = (a: Uint8Array): number => ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
      assert.deepEqual(
        [fast.vlan, fast.vlanInner, fast.src, fast.dst, fast.proto, fast.srcPort, fast.dstPort, fast.tcpFlags],
        [d.vlan, d.vlanInner, word(d.src), word(d.dst), d.proto, d.srcPort, d.dstPort, d.tcpFlags],
      );
    }),
    { numRuns: 3000, seed: 7 },
  );
  assert.ok(accepted > 500, `only ${accepted} frames took the fast path: the generator no longer exercises it`);
});

function pcapFile(frames: { frame: Uint8Array; sec: number; usec: number }[]): Uint8Array {
  const parts: Array<Uint8Array | number[]> = [[0xd4, 0xc3, 0xb2, 0xa1], le16(2), le16(4), le32(0), le32(0), le32(65535), le32(1)];
  for (const f of frames) parts.push(le32(f.sec), le32(f.usec), le32(f.frame.length), le32(f.frame.length + 4), f.frame);
  return bytes(...parts);
}

function indexBytes(capture: Uint8Array, fastPath: boolean): Uint8Array {
  const ix = new CaptureIndexer({ fastPath });
  const parser = createPcapParser(ix);
  // uneven chunks: records straddle pushes, as in a real read
  for (let p = 0; p < capture.length; p += 1000) parser.push(capture.subarray(p, Math.min(capture.length, p + 1000)));
  parser.end();
  return encodeWhole(ix);
}

function encodeWhole(ix: CaptureIndexer): Uint8Array {
  ix.finish();
  const enc = encodeIndex(ix.table, {
    writer: 'test',
    createdAt: '',
    source: { path: '/x', size: 0, mtimeMs: 0, fingerprint: '0'.repeat(64) },
    format: 'pcap',
    compressed: null,
    pcapHeaderHex: null,
    nanosecond: false,
    littleEndian: true,
    interfaces: ix.interfaces,
    packets: ix.packets,
    bytes: ix.bytes,
    indexedBytes: 0,
    firstTs: ix.firstTs,
    lastTs: ix.lastTs,
    damage: null,
    counts: { nonIpPackets: ix.nonIpPackets, undecodedPackets: ix.undecodedPackets, malformedPackets: ix.malformedPackets },
  });
  const out = new Uint8Array(enc.size);
  let at = 0;
  for (const c of enc.chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

test('random packet sequences give byte-identical indexes with and without the fast path', () => {
  fc.assert(
    fc.property(
      // gaps up to 1,000 s cross the UDP (120 s) and other idle limits; FIN/RST then SYN restarts TCP flows
      fc.array(fc.tuple(fc.oneof(frameArb, conversationArb), fc.constantFrom(0, 0, 1, 5, 130, 1000), fc.nat(999_999)), { minLength: 1, maxLength: 120 }),
      (pkts) => {
        let sec = 1_700_000_000;
        const frames = pkts.map(([frame, gap, usec]) => {
          sec += gap;
          return { frame, sec, usec };
        });
        const file = pcapFile(frames);
        assert.deepEqual(indexBytes(file, true), indexBytes(file, false));
      },
    ),
    { numRuns: 400, seed: 11 },
  );
});

test('every corpus capture gives a byte-identical index with and without the fast path', { skip: corpusSkipReason }, async () => {
  for (const path of corpusCaptures()) {
    const withFast = new CaptureIndexer({ fastPath: true });
    const without = new CaptureIndexer({ fastPath: false });
    await readCaptureFile(capturePath(path), withFast);
    await readCaptureFile(capturePath(path), without);
    assert.deepEqual(encodeWhole(withFast), encodeWhole(without), path);
  }
});
