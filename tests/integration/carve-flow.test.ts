/**
 * carveFlow end to end on a generated capture (no corpus needed): import → store → TCP
 * reassembly → HTTP carver → stored files and records. HTTP on a non-standard port, segments out
 * of order and retransmitted, a lost segment, and a flow that is not HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../common/capture/pcap-writer.js';
import { carveFlow } from '../../node/carve/carve-flow.js';
import { FileStore } from '../../node/carve/file-store.js';
import { Store } from '../../node/store/store.js';
import { ethernet, ipv4, tcp } from '../helpers/packet-builders.js';

const SYN = 2;
const FIN = 1;
const PSH = 8;
const ACK = 16;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Seg {
  from: 'c' | 's';
  seq: number;
  flags: number;
  payload?: Uint8Array;
}

/** A TCP conversation between 192.0.2.1:cport and 198.51.100.7:sport, one packet per segment, 1 ms apart. */
function conversation(cport: number, sport: number, segs: Seg[], t0: number): { ts: number; frame: Uint8Array }[] {
  return segs.map((s, i) => {
    const c2s = s.from === 'c';
    const seg = tcp({ sport: c2s ? cport : sport, dport: c2s ? sport : cport, seq: s.seq, ack: 1, flags: s.flags, payload: [...(s.payload ?? [])] });
    const ip = ipv4({ src: c2s ? [192, 0, 2, 1] : [198, 51, 100, 7], dst: c2s ? [198, 51, 100, 7] : [192, 0, 2, 1], proto: 6, payload: seg });
    return { ts: t0 + i * 1000, frame: ethernet(0x0800, ip) };
  });
}

function writePcap(path: string, packets: { ts: number; frame: Uint8Array }[]): void {
  const parts: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false })];
  for (const p of packets.sort((a, b) => a.ts - b.ts)) {
    const rec = new Uint8Array(16 + p.frame.length);
    writePcapRecordHeader(rec, 0, Math.floor(p.ts / 1e6), p.ts % 1e6, p.frame.length, p.frame.length);
    rec.set(p.frame, 16);
    parts.push(rec);
  }
  writeFileSync(path, Buffer.concat(parts));
}

const enc = (s: string) => Buffer.from(s, 'latin1');

test('carveFlow: HTTP found on any port through the store reassembly, with gaps reported', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-carve-flow-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const body = Buffer.from(Array.from({ length: 3000 }, (_, i) => `row ${i}\n`).join(''));
  const gz = gzipSync(body);
  const head = enc(`HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Encoding: gzip\r\nContent-Disposition: attachment; filename="export.csv"\r\nContent-Length: ${gz.length}\r\n\r\n`);
  const resp = Buffer.concat([head, gz]);
  const third = Math.ceil(resp.length / 3);
  const [r1, r2, r3] = [resp.subarray(0, third), resp.subarray(third, 2 * third), resp.subarray(2 * third)];
  const req = enc('GET /reports/export?id=7 HTTP/1.1\r\nHost: reports.example:8888\r\nUser-Agent: test-agent\r\n\r\n');
  const C = 1001;
  const S = 5001;
  // flow 1: response segments out of order (3 before 2) plus a retransmission of 1
  const flow1 = conversation(40000, 8888, [
    { from: 'c', seq: C - 1, flags: SYN },
    { from: 's', seq: S - 1, flags: SYN | ACK },
    { from: 'c', seq: C, flags: ACK },
    { from: 'c', seq: C, flags: PSH | ACK, payload: req },
    { from: 's', seq: S, flags: ACK, payload: r1 },
    { from: 's', seq: S + r1.length + r2.length, flags: ACK, payload: r3 },
    { from: 's', seq: S, flags: ACK, payload: r1 },
    { from: 's', seq: S + r1.length, flags: ACK, payload: r2 },
    { from: 's', seq: S + resp.length, flags: FIN | ACK },
    { from: 'c', seq: C + req.length, flags: FIN | ACK },
  ], 1_700_000_000_000_000);
  // flow 2: an identity download whose middle segment was never captured
  const plain = Buffer.alloc(3000, 0x41);
  const resp2 = Buffer.concat([enc(`HTTP/1.1 200 OK\r\nContent-Length: ${plain.length}\r\n\r\n`), plain]);
  const req2 = enc('GET /a.bin HTTP/1.1\r\nHost: h\r\n\r\n');
  const flow2 = conversation(40001, 80, [
    { from: 'c', seq: C - 1, flags: SYN },
    { from: 's', seq: S - 1, flags: SYN | ACK },
    { from: 'c', seq: C, flags: PSH | ACK, payload: req2 },
    { from: 's', seq: S, flags: ACK, payload: resp2.subarray(0, 1000) },
    { from: 's', seq: S + 2000, flags: ACK, payload: resp2.subarray(2000) },
    { from: 's', seq: S + resp2.length, flags: FIN | ACK },
    { from: 'c', seq: C + req2.length, flags: FIN | ACK },
  ], 1_700_000_001_000_000);
  // flow 3: not HTTP
  const flow3 = conversation(40002, 8888, [
    { from: 'c', seq: C - 1, flags: SYN },
    { from: 's', seq: S - 1, flags: SYN | ACK },
    { from: 'c', seq: C, flags: PSH | ACK, payload: Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5]) },
  ], 1_700_000_002_000_000);
  const pcap = join(dir, 'http.pcap');
  writePcap(pcap, [...flow1, ...flow2, ...flow3]);
  const store = await Store.open(join(dir, 'store'), { create: true });
  t.after(() => store.close());
  await store.import([pcap]);
  const flows = (await store.findFlows({})).sort((a, b) => a.record.clientPort - b.record.clientPort);
  assert.equal(flows.length, 3);

  const r1res = await carveFlow(store, flows[0].id);
  assert.equal(r1res.http, true);
  const decoded = r1res.files.find((f) => f.content === 'decoded');
  const encoded = r1res.files.find((f) => f.content === 'encoded');
  assert.ok(decoded && encoded);
  assert.equal(decoded.sha256, sha(body));
  assert.equal(encoded.sha256, sha(gz));
  assert.equal(decoded.name, 'export.csv');
  assert.equal(decoded.url, 'http://reports.example:8888/reports/export?id=7');
  assert.equal(decoded.host, 'reports.example:8888');
  assert.equal(decoded.userAgent, 'test-agent');
  assert.equal(decoded.mime, 'text/plain');
  assert.equal(decoded.declaredType, 'text/csv');
  assert.equal(decoded.flowId, flows[0].id);
  assert.equal(decoded.incomplete, false);
  assert.ok(decoded.firstTs.startsWith('1700000000.'));
  const files = FileStore.open(join(dir, 'store'));
  assert.deepEqual(readFileSync(files.contentPath(decoded.sha256)), body);
  assert.deepEqual(await files.readFlowRecords(flows[0].id), r1res.files);

  const r2res = await carveFlow(store, flows[1].id);
  assert.equal(r2res.files.length, 1);
  const [partial] = r2res.files;
  assert.equal(partial.incomplete, true);
  assert.equal(partial.missingBytes, 1000);
  assert.equal(partial.size, plain.length - 1000, 'the lost bytes are not invented');

  const r3res = await carveFlow(store, flows[2].id);
  assert.deepEqual([r3res.http, r3res.files], [false, []]);
});
