/**
 * Throughput of decodePacket over every packet of the shared corpus, repeated to ~10M calls.
 * Run: node --import tsx tests/unit/packet/decode-packet.bench.ts   (not part of the test run)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { decodePacket } from '../../../common/packet/decode-packet.js';
import { createDecodedPacket } from '../../../common/packet/decoded-packet.js';
import { corpusAvailable, corpusDir } from './corpus-path.js';

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
const rounds = Math.max(1, Math.round(target / n));

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

run(Math.max(1, Math.round(rounds / 10))); // warm up the JIT
// Several timed runs: the minimum is the least disturbed by other processes on the machine.
const calls = rounds * n;
const perPacket: number[] = [];
let sink = 0;
for (let k = 0; k < 5; k++) {
  const t0 = process.hrtime.bigint();
  sink += run(rounds);
  perPacket.push(Number(process.hrtime.bigint() - t0) / calls);
}
const best = Math.min(...perPacket);
const median = [...perPacket].sort((a, b) => a - b)[2];
console.log(
  `${n} corpus packets × ${rounds} rounds = ${calls} calls per run: best ${best.toFixed(1)} ns/packet, ` +
    `median ${median.toFixed(1)} ns/packet (${(1000 / best).toFixed(1)} M packets/s) [${sink}]`,
);
