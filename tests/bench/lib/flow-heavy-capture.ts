/**
 * A flow-heavy capture for the store suite (BENCH_FLOW_HEAVY=N): N short flows, the traffic that
 * stresses an indexer's memory rather than its throughput - a SYN scan answered by RSTs and a
 * storm of DNS lookups, interleaved, 10 µs apart (N = 3,000,000: ~450 MB, 6 M packets, 60 s).
 * Indexed whole, such a capture needs about a kilobyte of flow table per flow; the import must
 * stay within its memory budget by splitting the index into parts.
 *
 * Writes FILE, FILE.flows.ndjson (every 1,000th flow, in the generator's FlowRecord shape, so the
 * slicing part of the suite can pick from them) and FILE.meta.json.
 */
import { createWriteStream } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../../common/capture/pcap-writer.js';
import type { CaptureMeta, FlowRecord } from '../generate-capture.js';
import type { BenchCapture } from './capture.js';
import { usToDecimal } from './net.js';

const VERSION = 1;
const T0_US = 1_700_000_000 * 1e6;

function ipv4Frame(out: Buffer, at: number, src: number, dst: number, proto: number, l4: Buffer): number {
  // Ethernet
  out.writeUIntBE(0x020000000001, at, 6);
  out.writeUIntBE(0x020000000002, at + 6, 6);
  out.writeUInt16BE(0x0800, at + 12);
  const ip = at + 14;
  out[ip] = 0x45;
  out[ip + 1] = 0;
  out.writeUInt16BE(20 + l4.length, ip + 2);
  out.writeUInt32BE(0x40000000, ip + 4);
  out[ip + 8] = 64;
  out[ip + 9] = proto;
  out.writeUInt16BE(0, ip + 10);
  out.writeUInt32BE(src >>> 0, ip + 12);
  out.writeUInt32BE(dst >>> 0, ip + 16);
  let sum = 0;
  for (let k = 0; k < 20; k += 2) sum += out.readUInt16BE(ip + k);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  out.writeUInt16BE(~sum & 0xffff, ip + 10);
  l4.copy(out, ip + 20);
  return 14 + 20 + l4.length;
}

function tcpSegment(sport: number, dport: number, flags: number): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt32BE(1000, 4);
  b[12] = 0x50;
  b[13] = flags;
  b.writeUInt16BE(1024, 14);
  return b;
}

function udpDatagram(sport: number, dport: number, len: number): Buffer {
  const b = Buffer.alloc(8 + len);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt16BE(8 + len, 4);
  return b;
}

const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const ipText = (v: number): string => `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;

export async function ensureFlowHeavyCapture(dir: string, flows: number): Promise<BenchCapture> {
  const path = `${dir}/bench-flowheavy-${flows}.pcap`;
  const metaPath = `${path}.meta.json`;
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as CaptureMeta & { flowHeavyVersion?: number };
    if (meta.flowHeavyVersion === VERSION && meta.stats.bytes === statSync(path).size) return { path, flowsPath: `${path}.flows.ndjson`, bytes: meta.stats.bytes, meta, generatedMs: null };
  }
  const started = performance.now();
  const out = createWriteStream(`${path}.partial`);
  const write = (b: Buffer): Promise<void> =>
    new Promise((res, rej) => {
      out.write(b, (e) => (e ? rej(e) : res()));
    });
  await write(Buffer.from(encodePcapGlobalHeader({ littleEndian: true, nanosecond: false, snapLen: 65535, linkType: 1 })));
  const sample: string[] = [];
  const buf = Buffer.alloc(8 << 20);
  let at = 0;
  let packets = 0;
  let bytes = 24;
  let t = T0_US;
  const scanner = ip(10, 66, 0, 1);
  const resolver = ip(10, 53, 0, 53);
  const record = async (frameWriter: (o: Buffer, a: number) => number): Promise<void> => {
    if (at + 2048 > buf.length) {
      await write(Buffer.from(buf.subarray(0, at)));
      at = 0;
    }
    const len = frameWriter(buf, at + 16);
    writePcapRecordHeader(buf, at, Math.floor(t / 1e6), t % 1e6, len, len, true);
    at += 16 + len;
    bytes += 16 + len;
    packets++;
    t += 10;
  };
  for (let i = 0; i < flows; i++) {
    const first = t;
    let rec: FlowRecord;
    if (i % 2 === 0) {
      // SYN scan: one target per flow, answered by RST+ACK
      const target = ip(172, 16 + ((i >>> 16) & 0x0f), (i >>> 8) & 0xff, i & 0xff);
      const dport = 1 + ((i >>> 1) % 1024);
      const sport = 40000 + (i % 20000);
      await record((o, a) => ipv4Frame(o, a, scanner, target, 6, tcpSegment(sport, dport, 0x02)));
      await record((o, a) => ipv4Frame(o, a, target, scanner, 6, tcpSegment(dport, sport, 0x14)));
      rec = { id: i, proto: 'tcp', protoNum: 6, app: 'scan', ipVersion: 4, vlan: null, clientIp: ipText(scanner), clientPort: sport, serverIp: ipText(target), serverPort: dport, first: usToDecimal(first), last: usToDecimal(t - 10), packets: 2, bytes: 108, packetsC2S: 1, packetsS2C: 1, maxIdleSec: 0, midstream: false, end: 'rst' };
    } else {
      // a DNS lookup from one of 65,536 clients, each from its own port
      const client = ip(10, 100 + ((i >>> 16) & 0x3f), (i >>> 8) & 0xff, i & 0xff);
      const sport = 1024 + ((i * 7919) % 60000);
      await record((o, a) => ipv4Frame(o, a, client, resolver, 17, udpDatagram(sport, 53, 32)));
      await record((o, a) => ipv4Frame(o, a, resolver, client, 17, udpDatagram(53, sport, 64)));
      rec = { id: i, proto: 'udp', protoNum: 17, app: 'dns', ipVersion: 4, vlan: null, clientIp: ipText(client), clientPort: sport, serverIp: ipText(resolver), serverPort: 53, first: usToDecimal(first), last: usToDecimal(t - 10), packets: 2, bytes: 74 + 106, packetsC2S: 1, packetsS2C: 1, maxIdleSec: 0, midstream: false, end: 'done' };
    }
    if (i % 1000 === 0) sample.push(JSON.stringify(rec));
  }
  await write(Buffer.from(buf.subarray(0, at)));
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
  await rename(`${path}.partial`, path);
  await writeFile(`${path}.flows.ndjson`, `${sample.join('\n')}\n`);
  const elapsedMs = performance.now() - started;
  const meta: CaptureMeta & { flowHeavyVersion: number } = {
    generatorVersion: 0,
    flowHeavyVersion: VERSION,
    options: { size: bytes, seed: 1, flows, durationSec: Math.ceil((t - T0_US) / 1e6), startEpochSec: T0_US / 1e6 },
    stats: {
      bytes,
      packets,
      flows,
      flowsByKind: { scan: Math.ceil(flows / 2), dns: Math.floor(flows / 2) },
      ipv6Flows: 0,
      vlanFlows: 0,
      midstreamFlows: 0,
      cutFlows: 0,
      maxActiveFlows: 1,
      firstTs: usToDecimal(T0_US),
      lastTs: usToDecimal(t - 10),
      elapsedMs,
      mbPerSec: bytes / 1e6 / (elapsedMs / 1000),
    },
  };
  await writeFile(metaPath, JSON.stringify(meta, null, 1));
  return { path, flowsPath: `${path}.flows.ndjson`, bytes, meta, generatedMs: elapsedMs };
}
