/**
 * Parser throughput on ~300 MB of synthetic capture fed in 4 MiB chunks (just counting packets;
 * the time includes copying each chunk into the reused buffer, as the file reader does),
 * plus readCaptureFile end to end on a temp file (page cache; touches every packet's first byte).
 * Run: node --import tsx tests/bench/micro/capture-parser.bench.ts   (not part of the test run)
 */
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import {
  encodePcapGlobalHeader,
  encodePcapngEnhancedPacketBlock,
  encodePcapngInterfaceBlock,
  encodePcapngSectionHeader,
  writePcapRecordHeader,
} from '../../../common/capture/pcap-writer.js';
import { readCaptureFile } from '../../../node/capture/read-capture-file.js';
import { concatBytes, prng } from '../../unit/capture/capture-test-helpers.js';

const CHUNK = 4 * 1024 * 1024;
const REPEAT = 72; // 72 x ~4 MiB ≈ 300 MB

/** ~4 MiB of whole records (so repeating it keeps record alignment), realistic size mix. */
function recordBody(format: 'pcap' | 'pcapng', sizes: 'mixed' | 'small'): Uint8Array {
  const rand = prng(1);
  const parts: Uint8Array[] = [];
  let n = 0;
  for (let i = 0; n < CHUNK - 2000; i++) {
    const r = rand();
    const len = sizes === 'small' ? 60 : r < 0.4 ? 60 : r < 0.7 ? 1514 : 60 + Math.floor(rand() * 1455);
    const data = new Uint8Array(len).fill(i & 0xff);
    const sec = 1_700_000_000 + (i >> 10);
    let rec: Uint8Array;
    if (format === 'pcap') {
      rec = new Uint8Array(16 + len);
      writePcapRecordHeader(rec, 0, sec, i % 1_000_000, len, len);
      rec.set(data, 16);
    } else {
      rec = encodePcapngEnhancedPacketBlock(0, sec, (i * 7919) % 1e9, 1e9, data, len);
    }
    parts.push(rec);
    n += rec.length;
  }
  return concatBytes(parts);
}

function header(format: 'pcap' | 'pcapng'): Uint8Array {
  return format === 'pcap'
    ? encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false })
    : concatBytes([encodePcapngSectionHeader(), encodePcapngInterfaceBlock({ linkType: 1, snapLen: 0, tsresol: 9 })]);
}

/**
 * Pushes head + body x REPEAT (~300 MB in memory) through the parser, copying each 4 MiB into one
 * reused chunk buffer as readCaptureFile does; records straddle chunk boundaries.
 */
function benchParser(source: Uint8Array): { mbps: number; mpps: number; packets: number } {
  let packets = 0;
  const p = createCaptureParser({ onFileInfo() {}, onInterface() {}, onPacket() { packets++; } });
  const chunk = new Uint8Array(CHUNK);
  const t0 = process.hrtime.bigint();
  for (let at = 0; at < source.length; at += CHUNK) {
    const n = Math.min(CHUNK, source.length - at);
    chunk.set(source.subarray(at, at + n));
    p.push(chunk.subarray(0, n));
  }
  p.end();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return { mbps: source.length / s / 1e6, mpps: packets / s / 1e6, packets };
}

async function benchFile(head: Uint8Array, body: Uint8Array): Promise<number> {
  const path = join(tmpdir(), `tapline-bench-${process.pid}.cap`);
  const fh = await open(path, 'w');
  await fh.write(head);
  for (let i = 0; i < REPEAT; i++) await fh.write(body);
  await fh.close();
  try {
    let sum = 0;
    const t0 = process.hrtime.bigint();
    const res = await readCaptureFile(path, { onFileInfo() {}, onInterface() {}, onPacket(r) { sum += r.data[0]; } });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (res.error !== null || sum < 0) throw res.error ?? new Error('unreachable');
    return res.bytesRead / s / 1e6;
  } finally {
    await rm(path, { force: true });
  }
}

for (const format of ['pcap', 'pcapng'] as const) {
  for (const sizes of ['mixed', 'small'] as const) {
    const head = header(format);
    const body = recordBody(format, sizes);
    const source = concatBytes([head, ...Array<Uint8Array>(REPEAT).fill(body)]);
    let best = { mbps: 0, mpps: 0, packets: 0 };
    for (let round = 0; round < 4; round++) {
      const r = benchParser(source);
      if (r.mbps > best.mbps) best = r;
    }
    const fileMbps = await benchFile(head, body);
    console.log(
      `${format.padEnd(6)} ${sizes.padEnd(5)} packets: parser ${best.mbps.toFixed(0)} MB/s (${best.mpps.toFixed(1)} Mpps, ` +
        `${best.packets} pkts), readCaptureFile ${fileMbps.toFixed(0)} MB/s`,
    );
  }
}
