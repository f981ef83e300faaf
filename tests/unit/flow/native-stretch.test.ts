/**
 * The live writer's native indexing of packets of existing flows (native/flow-index,
 * node/store/live/native-stretch.ts) must leave a flow table exactly as the TypeScript path
 * does: a capture indexed by stretches of native calls, with every record the C code does not
 * take indexed by onPacket as the writer does (indexRecord), gives byte for byte the index the
 * general decoder gives (fastPath: false) for the same pcap file, and the TypeScript fast
 * path's. Random sequences with idle gaps across the UDP/TCP limits, FIN/RST-then-SYN restarts,
 * VLANs, fragments, timestamps going back and nanoseconds past a second; a table that grows,
 * rehashes and needs a second offset arena page in the middle of stretches; every corpus capture.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { PacketRecord } from '../../../common/capture/packet-record.js';
import type { CaptureFileInfo, CaptureInterface, PacketRecordView } from '../../../common/capture/capture-types.js';
import { CaptureIndexer } from '../../../common/flow/capture-indexer.js';
import { readCaptureFile } from '../../../node/capture/read-capture-file.js';
import { loadFlowIndexAddon } from '../../../node/native/flow-index-addon.js';
import { NativeStretchIndexer } from '../../../node/store/live/native-stretch.js';
import { capturePath, corpusCaptures, corpusSkipReason } from '../../helpers/corpus.js';
import { conversationArb, frameArb } from '../../helpers/frame-arbitraries.js';
import { encodeWholeIndex } from '../../helpers/index-bytes.js';

const load = loadFlowIndexAddon();
const skip = load.ok ? undefined : `flow-index addon not loaded: ${load.reason}`;

interface Frame {
  frame: Uint8Array;
  sec: number;
  nsec: number;
  origLen?: number;
}

const PCAP_HEADER = 24;

/** A nanosecond little-endian pcap file of Ethernet frames: header, then records (the batch layout). */
function nsPcap(frames: Frame[]): { file: Uint8Array; records: number } {
  let size = PCAP_HEADER;
  for (const f of frames) size += 16 + f.frame.length;
  const file = new Uint8Array(size);
  const v = new DataView(file.buffer);
  v.setUint32(0, 0xa1b23c4d, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 262144, true);
  v.setUint32(20, 1, true);
  let at = PCAP_HEADER;
  for (const f of frames) {
    v.setUint32(at, f.sec >>> 0, true);
    v.setUint32(at + 4, f.nsec >>> 0, true);
    v.setUint32(at + 8, f.frame.length, true);
    v.setUint32(at + 12, f.origLen ?? f.frame.length + 4, true);
    file.set(f.frame, at + 16);
    at += 16 + f.frame.length;
  }
  return { file, records: PCAP_HEADER };
}

/** The general decoder's (or the TypeScript fast path's) index of a pcap file. */
function importIndex(file: Uint8Array, fastPath: boolean): Uint8Array {
  const ix = new CaptureIndexer({ fastPath });
  const parser = createCaptureParser(ix);
  for (let p = 0; p < file.length; p += 4096) parser.push(file.subarray(p, Math.min(file.length, p + 4096)));
  parser.end();
  return encodeWholeIndex(ix);
}

/**
 * The writer's way: the file's header through the parser (file info, interface), then its
 * records in batches of `batchBytes`: native stretches, each record they leave handed to onPacket
 * as LiveWriter.indexRecord does. `limit`: the segment bound handed to run (file offsets).
 * `spread`: batch k's records are put k * spread bytes further into the file than they lie (a
 * larger file, as far as offsets go), for offset deltas beyond 2^27. `nat` null: every record
 * through onPacket (the TypeScript path, the oracle where offsets are not the file's).
 */
function nativeIndex(file: Uint8Array, nat: NativeStretchIndexer | null, batchBytes: number, limit = Infinity, spread = 0): { index: Uint8Array; native: number } {
  const ix = new CaptureIndexer();
  createCaptureParser(ix).push(file.subarray(0, PCAP_HEADER));
  const rec = new PacketRecord();
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  let native = 0;
  let index = 0;
  let k = 0;
  for (let from = PCAP_HEADER; from < file.length; k++) {
    // whole records up to batchBytes (at least one)
    let to = from;
    do to += 16 + v.getUint32(to + 8, true);
    while (to < file.length && to + 16 + v.getUint32(to + 8, true) - from <= batchBytes);
    // the batch is its own buffer (a slot): run reads it from 0, records at file offset from + x
    const batch = file.slice(from, to);
    const len = batch.length;
    const base = from + k * spread;
    nat?.setBatch(batch);
    for (let at = 0; at < len; ) {
      const stop = nat ? nat.run(ix, at, len, base, limit) : at;
      if (nat && stop > at) {
        assert.ok(base + stop <= limit, 'no record taken past the segment bound');
        native += nat.takenPackets;
        at = stop;
        index += nat.takenPackets;
        if (at >= len) break;
      }
      let tsSec = v.getUint32(from + at, true);
      let tsNsec = v.getUint32(from + at + 4, true);
      const capLen = v.getUint32(from + at + 8, true);
      if (tsNsec >= 1e9) {
        const carry = Math.floor(tsNsec / 1e9);
        tsSec += carry;
        tsNsec -= carry * 1e9;
      }
      rec.index = index++;
      rec.recordOffset = base + at;
      rec.recordLength = 16 + capLen;
      rec.linkType = 1;
      rec.tsSec = tsSec;
      rec.tsNsec = tsNsec;
      rec.capLen = capLen;
      rec.origLen = v.getUint32(from + at + 12, true);
      rec.dataOffset = base + at + 16;
      rec.setSource(batch, at + 16);
      ix.onPacket(rec);
      at += 16 + capLen;
    }
    from = to;
  }
  return { index: encodeWholeIndex(ix), native };
}

test('random packet sequences: native stretches give the general decoder\'s index byte for byte', { skip }, () => {
  const nat = NativeStretchIndexer.create() as NativeStretchIndexer;
  let native = 0;
  let packets = 0;
  fc.assert(
    fc.property(
      // gaps up to 1,000 s cross the UDP (120 s) and TCP limits, -1 s goes back in time; nanoseconds
      // up to 4.29e9 are carried into the seconds
      fc.array(
        fc.tuple(
          fc.oneof({ arbitrary: conversationArb, weight: 6 }, { arbitrary: frameArb, weight: 1 }),
          fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 1, 5, 119, 121, 130, 899, 901, 1000, -1),
          fc.oneof(fc.nat(999_999_999), fc.constantFrom(0, 999_999_999, 1_000_000_000, 4_294_967_295)),
        ),
        { minLength: 1, maxLength: 300, size: 'max' },
      ),
      fc.constantFrom(64, 300, 4096, 1 << 20),
      fc.option(fc.nat(20_000)),
      (pkts, batchBytes, limit) => {
        let sec = 1_700_000_000;
        const frames = pkts.map(([frame, gap, nsec]) => {
          sec += gap;
          return { frame, sec, nsec };
        });
        const { file } = nsPcap(frames);
        const want = importIndex(file, false);
        assert.deepEqual(importIndex(file, true), want, 'the TypeScript fast path');
        const got = nativeIndex(file, nat, batchBytes, limit ?? Infinity);
        assert.deepEqual(got.index, want, 'native stretches');
        native += got.native;
        packets += frames.length;
      },
    ),
    { numRuns: 500, seed: 13 },
  );
  // the generator must keep the C code busy, or this compares the TypeScript with itself
  assert.ok(native > packets / 4, `${native} of ${packets} packets indexed natively`);
});

/** Ethernet/IPv4/UDP from 10.1.x.y:port to 10.9.0.1:53 (VLAN optional). */
function udpFrame(flow: number, payload: number, vlan = -1): Uint8Array {
  const tag = vlan >= 0 ? 4 : 0;
  const f = new Uint8Array(14 + tag + 20 + 8 + payload);
  const v = new DataView(f.buffer);
  let o = 12;
  if (vlan >= 0) {
    v.setUint16(o, 0x8100);
    v.setUint16(o + 2, vlan);
    o += 4;
  }
  v.setUint16(o, 0x0800);
  o += 2;
  f[o] = 0x45;
  v.setUint16(o + 2, 20 + 8 + payload);
  f[o + 8] = 64;
  f[o + 9] = 17;
  f.set([10, 1, (flow >> 8) & 0xff, flow & 0xff, 10, 9, 0, 1], o + 12);
  v.setUint16(o + 20, 1024 + (flow >> 16), false);
  v.setUint16(o + 22, 53);
  v.setUint16(o + 24, 8 + payload);
  return f;
}

test('packets between an address and port and itself, and between two ports of one address (orientation ties)', { skip }, () => {
  const same = (sport: number, dport: number, proto: 6 | 17, flags = 0x10): Uint8Array => {
    const f = udpFrame(0, proto === 6 ? 12 : 0);
    const ip = 14;
    f[ip + 9] = proto;
    f.set([10, 0, 0, 5, 10, 0, 0, 5], ip + 12);
    const v = new DataView(f.buffer);
    v.setUint16(ip + 20, sport);
    v.setUint16(ip + 22, dport);
    if (proto === 6) {
      f[ip + 20 + 12] = 0x50;
      f[ip + 20 + 13] = flags;
    }
    return f;
  };
  const frames: Frame[] = [];
  for (let i = 0; i < 40; i++) {
    const f = [same(7, 7, 17), same(7, 9, 17), same(9, 7, 17), same(80, 80, 6, i === 0 ? 0x02 : 0x10), same(80, 81, 6)][i % 5];
    frames.push({ frame: f, sec: 1_700_000_000 + i, nsec: i * 7 });
  }
  const { file } = nsPcap(frames);
  const got = nativeIndex(file, NativeStretchIndexer.create() as NativeStretchIndexer, 1 << 20);
  assert.deepEqual(got.index, importIndex(file, false));
  assert.ok(got.native > 20, `${got.native} packets indexed natively`);
});

test('offset deltas of 2^27 bytes and more (5-byte and longer deltas, across blocks)', { skip }, () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 400; i++) frames.push({ frame: udpFrame(i % 9, i % 3), sec: 1_700_000_000, nsec: i });
  const { file } = nsPcap(frames);
  for (const spread of [2 ** 27, 2 ** 31 + 5, 2 ** 40]) {
    const nat = NativeStretchIndexer.create() as NativeStretchIndexer;
    const got = nativeIndex(file, nat, 200, Infinity, spread);
    assert.deepEqual(got.index, nativeIndex(file, null, 200, Infinity, spread).index, `spread ${spread}`);
    assert.ok(got.native > 300, `${got.native} packets indexed natively`);
  }
});

test('a table that grows, rehashes and needs a second arena page in the middle of stretches', { skip }, () => {
  const frames: Frame[] = [];
  let t = 0;
  // 32,700 one-packet flows: the table grows and rehashes, and the arena's first page (32,768
  // blocks) is all but used
  for (let f = 0; f < 32_700; f++) frames.push({ frame: udpFrame(f, 0), sec: 1_700_000_000 + (t >> 10), nsec: (t++ % 1000) * 1000 });
  // then 60 flows of 80 packets each, interleaved: their offsets need new blocks, past the page
  for (let i = 0; i < 80; i++) {
    for (let f = 0; f < 60; f++) frames.push({ frame: udpFrame(f * 7, i % 5, f % 3 === 0 ? 5 : -1), sec: 1_700_000_000 + (t >> 10), nsec: (t++ % 1000) * 1000 });
  }
  const { file } = nsPcap(frames);
  const want = importIndex(file, false);
  const nat = NativeStretchIndexer.create() as NativeStretchIndexer;
  const got = nativeIndex(file, nat, 1 << 20);
  assert.deepEqual(got.index, want);
  assert.ok(got.native > 60 * 70, `${got.native} packets indexed natively`);
});

test('every corpus capture: native stretches give the general decoder\'s index byte for byte', { skip: skip ?? corpusSkipReason }, async () => {
  const nat = NativeStretchIndexer.create() as NativeStretchIndexer;
  let compared = 0;
  let native = 0;
  let total = 0;
  for (const name of corpusCaptures()) {
    // the Ethernet records of a one-interface capture, as a nanosecond pcap (what a segment holds)
    const frames: Frame[] = [];
    let ifaces = 0;
    let ethernet = false;
    await readCaptureFile(capturePath(name), {
      onFileInfo: (_i: CaptureFileInfo) => undefined,
      onInterface: (i: CaptureInterface) => {
        ifaces++;
        ethernet = i.linkType === 1;
      },
      onPacket: (r: PacketRecordView) => {
        frames.push({ frame: r.buffer.slice(r.bufferOffset, r.bufferOffset + r.capLen), sec: r.tsSec, nsec: r.tsNsec, origLen: r.origLen });
      },
    });
    if (ifaces !== 1 || !ethernet || frames.length === 0) continue;
    const { file } = nsPcap(frames);
    const want = importIndex(file, false);
    const got = nativeIndex(file, nat, 1 << 20);
    assert.deepEqual(got.index, want, name);
    compared++;
    native += got.native;
    total += frames.length;
  }
  console.log(`${compared} captures compared, ${native} of ${total} packets indexed natively`);
  assert.ok(compared > 20, `${compared} captures compared`);
  assert.ok(native > total / 4, `${native} of ${total} packets indexed natively`);
});

test('the addon refuses a context without its in/out words and a run before a table is bound', { skip }, () => {
  if (!load.ok) return;
  const a = load.addon;
  assert.throws(() => a.createContext(new Float64Array(3)), /Float64Array/);
  const ctx = a.createContext(new Float64Array(16));
  a.setBatch(ctx, new Uint8Array(64));
  assert.throws(() => a.run(ctx, 0, 64), /before bindTable/);
  // a bound table: a run past the batch is refused
  const ix = new CaptureIndexer();
  a.bindTable(ctx, ix.table.nativeColumns());
  assert.throws(() => a.run(ctx, 0, 65), /past the batch/);
  assert.equal(a.run(ctx, 0, 0), 0);
  assert.throws(() => a.bindTable(ctx, { ...ix.table.nativeColumns(), slotMask: 12 }), /columns/);
});
