/**
 * Decoder throughput, ~10M calls per mode.
 *
 *   decodePacketAt  every packet decoded in place inside one shared buffer (the import path:
 *                   the parser hands out the chunk plus an offset, no per-packet view)
 *   decodePacket    the same packets as separate Uint8Arrays (the view-based wrapper)
 *
 * Packets come from the shared corpus (every link type the decoder knows), or with
 * BENCH_PCAP=FILE from the first BENCH_PCAP_MB (default 64) MiB of a capture such as
 * bench-data/bench-200m.pcap, which has the import benchmark's traffic mix.
 * Run: node --import tsx tests/bench/micro/decode-packet.bench.ts   (not part of the test run)
 */
import { openSync, readSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import * as decoder from '../../../common/packet/decode-packet.js';
import type { DecodedPacket } from '../../../common/packet/decoded-packet.js';
import { createDecodedPacket } from '../../../common/packet/decoded-packet.js';
import { corpusPresent as corpusAvailable, corpusDir } from '../../helpers/corpus.js';

type DecodeAt = (linkType: number, buf: Uint8Array, start: number, end: number, out: DecodedPacket) => void;
// Looked up dynamically so the view-based mode can also be measured on a tree without decodePacketAt.
const decodePacketAt = (decoder as { decodePacketAt?: DecodeAt }).decodePacketAt;
const decodePacket = decoder.decodePacket;

function readHead(path: string, maxBytes: number): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(maxBytes);
    const n = readSync(fd, buf, 0, maxBytes, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

const files: Uint8Array[] = [];
const pcapPath = process.env.BENCH_PCAP;
if (pcapPath !== undefined) {
  files.push(readHead(pcapPath, Number(process.env.BENCH_PCAP_MB ?? 64) * 1024 * 1024));
} else {
  if (!corpusAvailable) {
    console.error(`corpus not found at ${corpusDir} (or set BENCH_PCAP)`);
    process.exit(1);
  }
  for (const name of readdirSync(resolve(corpusDir, 'pcaps')).sort()) files.push(readFileSync(resolve(corpusDir, 'pcaps', name)));
}

// All packets copied back to back into one arena (like records inside a read chunk).
const linkTypes: number[] = [];
const starts: number[] = [];
const ends: number[] = [];
const copies: Uint8Array[] = [];
const parts: Uint8Array[] = [];
let arenaLength = 0;
for (const file of files) {
  const parser = createCaptureParser({
    onFileInfo() {},
    onInterface() {},
    onPacket(rec) {
      const bytes = rec.data.slice(); // the parser reuses its view
      linkTypes.push(rec.linkType);
      starts.push(arenaLength);
      arenaLength += bytes.length;
      ends.push(arenaLength);
      parts.push(bytes);
      copies.push(bytes);
    },
  });
  parser.push(file);
  try {
    parser.end();
  } catch {
    // A BENCH_PCAP prefix usually ends inside a record.
  }
}
const arena = new Uint8Array(arenaLength);
for (let i = 0; i < parts.length; i++) arena.set(parts[i], starts[i]);

const out = createDecodedPacket();
const n = linkTypes.length;
const target = Number(process.env.BENCH_CALLS ?? 10_000_000);
// Many short timed runs: on a shared machine the best ones are the least disturbed.
const RUNS = 20;
const roundsPerRun = Math.max(1, Math.round(target / RUNS / n));

function runAt(decode: DecodeAt, roundCount: number): number {
  let sink = 0;
  for (let r = 0; r < roundCount; r++) {
    for (let i = 0; i < n; i++) {
      decode(linkTypes[i], arena, starts[i], ends[i], out);
      sink += out.srcPort + out.payloadLength; // keep the work observable
    }
  }
  return sink;
}

function runViews(roundCount: number): number {
  let sink = 0;
  for (let r = 0; r < roundCount; r++) {
    for (let i = 0; i < n; i++) {
      decodePacket(linkTypes[i], copies[i], out);
      sink += out.srcPort + out.payloadLength;
    }
  }
  return sink;
}

function measure(label: string, run: (rounds: number) => number): void {
  run(roundsPerRun * 2); // warm up the JIT
  const callsPerRun = roundsPerRun * n;
  const perPacket: number[] = [];
  let sink = 0;
  for (let k = 0; k < RUNS; k++) {
    const t0 = process.hrtime.bigint();
    sink += run(roundsPerRun);
    perPacket.push(Number(process.hrtime.bigint() - t0) / callsPerRun);
  }
  perPacket.sort((a, b) => a - b);
  const best = perPacket[0];
  const median = perPacket[RUNS >> 1];
  console.log(
    `${label.padEnd(15)} ${n} packets, ${RUNS} runs × ${callsPerRun} calls: ` +
      `best ${best.toFixed(1)} ns/packet, median ${median.toFixed(1)} ns/packet (${(1000 / best).toFixed(1)} M packets/s) [${sink}]`,
  );
}

// Each mode in a fresh order per process would be fairer still; BENCH_MODE runs just one.
const mode = process.env.BENCH_MODE ?? 'both';
if (decodePacketAt !== undefined && mode !== 'view') measure('decodePacketAt', (r) => runAt(decodePacketAt, r));
if (mode !== 'at') measure('decodePacket', runViews);
