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
import { createPcapParser } from '../../../common/capture/pcap-parser.js';
import { decodePacketAt } from '../../../common/packet/decode-packet.js';
import { DecodeStatus, FragmentKind, createDecodedPacket } from '../../../common/packet/decoded-packet.js';
import { createFastIpv4, decodeFastIpv4 } from '../../../common/packet/ipv4-fast-path.js';
import { readCaptureFile } from '../../../node/capture/read-capture-file.js';
import { capturePath, corpusCaptures, corpusSkipReason } from '../../helpers/corpus.js';
import { conversationArb, frameArb, pcapFile } from '../../helpers/frame-arbitraries.js';
import { encodeWholeIndex } from '../../helpers/index-bytes.js';

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

function indexBytes(capture: Uint8Array, fastPath: boolean): Uint8Array {
  const ix = new CaptureIndexer({ fastPath });
  const parser = createPcapParser(ix);
  // uneven chunks: records straddle pushes, as in a real read
  for (let p = 0; p < capture.length; p += 1000) parser.push(capture.subarray(p, Math.min(capture.length, p + 1000)));
  parser.end();
  return encodeWholeIndex(ix);
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
    assert.deepEqual(encodeWholeIndex(withFast), encodeWholeIndex(without), path);
  }
});
