/**
 * Build step only (carve-loader.ts, writeBundleCache): a small carve run before the carve
 * bundle's V8 code cache is written, so the cache holds the bytecode of the functions a carve
 * runs and not only of those its modules run while they load.
 *
 * Why: V8 compiles a function when it is first called; a code cache holds the functions compiled
 * before it was made. Made right after loading, it left every function of reading, reassembly,
 * HTTP carving, spooling, typing and naming to be compiled from source on the carving thread
 * during the first flow: a 1-flow carve took 0.02-0.06 s less of the carving thread's CPU with a
 * cache made after such a run (6 alternated pairs). The cache is still used only under the same
 * V8 version and flags and for the exact bundle it names (carve-loader.ts).
 *
 * The training capture is generated here (one keep-alive HTTP/1.1 connection: a binary body with
 * Content-Length over many segments, an HTML page, a chunked body), imported into a store in a
 * temporary directory and carved with the bundle's own carveCommand; everything is removed after.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../common/capture/pcap-writer.js';
import { asciiBytes } from '../../common/carve/text.js';
import { Store } from '../../node/store/store.js';
import type { CarveCommandModule } from './carve-loader.js';

const MSS = 1448;
const CLIENT = [10, 9, 0, 2];
const SERVER = [10, 9, 0, 1];

/** Ethernet + IPv4 + TCP (no options) around `payload`. */
function frame(fromClient: boolean, seq: number, ack: number, flags: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(54 + payload.length);
  const v = new DataView(f.buffer);
  f.set([2, 0, 0, 0, 0, fromClient ? 1 : 2, 2, 0, 0, 0, 0, fromClient ? 2 : 1], 0);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  v.setUint16(16, 40 + payload.length);
  f[22] = 64;
  f[23] = 6;
  f.set(fromClient ? CLIENT : SERVER, 26);
  f.set(fromClient ? SERVER : CLIENT, 30);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += v.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  v.setUint16(24, ~sum & 0xffff);
  v.setUint16(34, fromClient ? 40000 : 80);
  v.setUint16(36, fromClient ? 80 : 40000);
  v.setUint32(38, seq >>> 0);
  v.setUint32(42, ack >>> 0);
  f[46] = 0x50;
  f[47] = flags;
  v.setUint16(48, 65535);
  f.set(payload, 54);
  return f;
}

/** The training capture: one connection, three responses (binary with a length, HTML, chunked). */
export function trainingCapture(): Uint8Array {
  const records: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false })];
  let t = 0;
  const packet = (fromClient: boolean, seq: number, ack: number, flags: number, payload: Uint8Array): void => {
    const fr = frame(fromClient, seq, ack, flags, payload);
    const rec = new Uint8Array(16 + fr.length);
    writePcapRecordHeader(rec, 0, 1_700_000_000 + Math.floor(t / 1e6), t % 1e6, fr.length, fr.length);
    rec.set(fr, 16);
    records.push(rec);
    t += 50;
  };
  let cs = 1000;
  let ss = 5000;
  packet(true, cs - 1, 0, 0x02, new Uint8Array(0));
  packet(false, ss - 1, cs, 0x12, new Uint8Array(0));
  let x = 0x2545f491;
  const binary = new Uint8Array(600 * 1024);
  for (let i = 0; i < binary.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    binary[i] = x & 0xff;
  }
  const html = asciiBytes(`<!doctype html><html><head><title>t</title></head><body>${'<p>training</p>'.repeat(200)}</body></html>`);
  const chunked = asciiBytes(`1000\r\n${'c'.repeat(0x1000)}\r\n20\r\n${'d'.repeat(0x20)}\r\n0\r\n\r\n`);
  const responses: [string, string, Uint8Array][] = [
    ['/files/training.bin', 'Content-Type: application/octet-stream\r\nContent-Length: ' + binary.length, binary],
    ['/index.html', 'Content-Type: text/html\r\nContent-Length: ' + html.length, html],
    ['/chunked.txt', 'Content-Type: text/plain\r\nTransfer-Encoding: chunked', chunked],
  ];
  for (const [path, headers, body] of responses) {
    const req = asciiBytes(`GET ${path} HTTP/1.1\r\nHost: training.example\r\nUser-Agent: tapline-build\r\n\r\n`);
    packet(true, cs, ss, 0x18, req);
    cs += req.length;
    const head = asciiBytes(`HTTP/1.1 200 OK\r\n${headers}\r\n\r\n`);
    const resp = new Uint8Array(head.length + body.length);
    resp.set(head, 0);
    resp.set(body, head.length);
    for (let i = 0; i < resp.length; i += MSS) {
      const seg = resp.subarray(i, Math.min(resp.length, i + MSS));
      packet(false, ss, cs, 0x18, seg);
      ss += seg.length;
    }
  }
  packet(true, cs, ss, 0x11, new Uint8Array(0));
  packet(false, ss, cs + 1, 0x11, new Uint8Array(0));
  return Buffer.concat(records);
}

/** Imports the training capture into a temporary store and carves it with `carveCommand`; returns the files carved. */
export async function trainCarve(carveCommand: CarveCommandModule['carveCommand']): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-carve-training-'));
  try {
    const capture = join(dir, 'training.pcap');
    writeFileSync(capture, trainingCapture());
    const store = await Store.open(join(dir, 'store'), { create: true });
    try {
      await store.import([capture], {});
    } finally {
      await store.close();
    }
    let lines = 0;
    const out = new Writable({
      write(chunk: Buffer, _enc, cb): void {
        for (const b of chunk) if (b === 0x0a) lines++;
        cb();
      },
    });
    const problems: string[] = [];
    const code = await carveCommand(['--store', join(dir, 'store'), '-o', join(dir, 'out'), '--json'], out, (line) => problems.push(line));
    if (code !== 0) throw new Error(`training carve failed (${code}): ${problems.join('; ')}`);
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
