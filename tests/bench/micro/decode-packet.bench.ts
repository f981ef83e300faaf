/**
 * Throughput of decodePacket over every packet of the shared corpus, repeated to ~10M calls.
 * Run: node --import tsx tests/unit/packet/decode-packet.bench.ts   (not part of the test run)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { decodePacket } from '../../../common/packet/decode-packet.js';
import { createDecodedPacket } from '../../../common/packet/decoded-packet.js';
import { corpusPresent as corpusAvailable, corpusDir } from '../../helpers/corpus.js';

if (!corpusAvailable) {
  console.error(`corpus not found at ${corpusDir}`);
  process.exit(1);
}

const linkTypes: number[] = [];
const packets: Uint8Array[] = [];
for (const name of readdirSync(resolve(corpusDir, 'pcaps')).sort()) {
  const parser = createCaptureParser({
    onFileInfo() {},
    onInterface() {},
    onPacket(rec) {
      linkTypes.push(rec.linkType);
      packets.push(rec.data.slice()); // the parser reuses its view
    },
  });
  parser.push(readFileSync(resolve(corpusDir, 'pcaps', name)));
  parser.end();
}

const out = createDecodedPacket();
const n = packets.length;
const target = Number(process.env.BENCH_CALLS ?? 10_000_000);
// Many short timed runs: on a shared machine the best ones are the least disturbed.
const RUNS = 20;
const roundsPerRun = Math.max(1, Math.round(target / RUNS / n));

function run(roundCount: number): number {
  let sink = 0;
  for (let r = 0; r < roundCount; r++) {
    for (let i = 0; i < n; i++) {
      decodePacket(linkTypes[i], packets[i], out);
      sink += out.srcPort + out.payloadLength; // keep the work observable
    }
  }
  return sink;
}

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
  `${n} corpus packets, ${RUNS} runs × ${callsPerRun} calls (${RUNS * callsPerRun} total): ` +
    `best ${best.toFixed(1)} ns/packet, median ${median.toFixed(1)} ns/packet (${(1000 / best).toFixed(1)} M packets/s) [${sink}]`,
);
