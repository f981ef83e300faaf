/**
 * The single sequential pass (node/carve/carve-pass.ts) and the per-flow path (carveFlow) must
 * carve the same files: same records (ids, names, hashes, sizes, types, flow ids, first/last
 * times and packets, notes) for every flow, on every corpus capture and on generated captures
 * whose flows interleave packet by packet, with reordered and retransmitted segments, and with
 * fewer flows allowed open at once than there are (several passes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../common/capture/pcap-writer.js';
import type { CarvedFileRecord } from '../../common/carve/carved-record.js';
import { carveFlow, type CarveFlowResult } from '../../node/carve/carve-flow.js';
import { carveFlowsInOnePass, mergeOffsets } from '../../node/carve/carve-pass.js';
import { ftpControlFlows } from '../../node/carve/ftp-lookup.js';
import { tftpRequestFlows } from '../../node/carve/tftp-lookup.js';
import { Store, type FoundFlow } from '../../node/store/store.js';
import { capturePath, corpusCaptures, corpusSkipReason } from '../helpers/corpus.js';
import { ethernet, ipv4, tcp } from '../helpers/packet-builders.js';
import { prng } from '../helpers/prng.js';
import { carvesInOnePass } from '../../electron/cli/carve-command.js';

/** What must agree between the two paths (everything the record says). */
function comparable(r: CarveFlowResult): unknown {
  return { flowId: r.flowId, http: r.http, protocols: r.protocols, issueCount: r.issueCount, issues: r.issues, files: r.files };
}

async function bothWays(store: Store, flows: FoundFlow[], maxActiveFlows?: number): Promise<{ perFlow: CarveFlowResult[]; onePass: CarveFlowResult[]; streamed: number }> {
  const ftpControls = await ftpControlFlows(store);
  const tftpRequests = await tftpRequestFlows(store);
  const perFlow: CarveFlowResult[] = [];
  for (const f of flows) perFlow.push(await carveFlow(store, f, { ftpControls }));
  let streamed = 0;
  const onePass = await carveFlowsInOnePass(store, flows, { ftpControls, tftpRequests, maxActiveFlows, onResult: () => void streamed++ });
  return { perFlow, onePass, streamed };
}

function assertSame(perFlow: CarveFlowResult[], onePass: CarveFlowResult[], what: string): void {
  assert.equal(onePass.length, perFlow.length, `${what}: one result per flow`);
  for (let i = 0; i < perFlow.length; i++) assert.deepEqual(comparable(onePass[i]), comparable(perFlow[i]), `${what}: flow ${perFlow[i].flowId}`);
}

test('single pass and per-flow carving give identical files on every corpus capture', { skip: corpusSkipReason }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-carve-pass-corpus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open(dir, { create: true });
  t.after(() => store.close());
  await store.import(corpusCaptures().map(capturePath));
  const flows = (await store.findFlows({})).filter((f) => f.record.proto === 6 || f.record.proto === 17);
  const { perFlow, onePass, streamed } = await bothWays(store, flows);
  assertSame(perFlow, onePass, 'corpus');
  assert.equal(streamed, flows.length);
  const files = perFlow.reduce((n, r) => n + r.files.length, 0);
  const protocols = new Set(perFlow.flatMap((r) => r.files.map((f) => f.protocol)));
  // the comparison covered real work: files of every protocol the corpus carries
  assert.ok(files > 50, `${files} files compared`);
  for (const p of ['http', 'smtp', 'ftp-data', 'tftp']) assert.ok(protocols.has(p as CarvedFileRecord['protocol']), `${p} files compared`);
});

const SYN = 2;
const FIN = 1;
const PSH = 8;
const ACK = 16;
const MSS = 1000;

interface Pkt {
  flow: number;
  frame: Uint8Array;
}

/**
 * `flows` keep-alive HTTP connections whose packets are interleaved at random (each connection's
 * own order kept, except for swapped and repeated segments), bodies of 1 byte to 60 KB, some
 * chunked. Returns the capture and the sha256 of every body.
 */
function interleavedCapture(path: string, flows: number, seed: number): string[] {
  const rnd = prng(seed);
  const perFlow: Pkt[][] = [];
  const bodies: string[] = [];
  for (let f = 0; f < flows; f++) {
    const cport = 30000 + f;
    const client = [10, 9, f >> 8, f & 0xff];
    const server = [10, 8, 0, 1 + (f % 3)];
    const pk: Pkt[] = [];
    const seg = (c2s: boolean, seq: number, flags: number, payload: Uint8Array = new Uint8Array(0)): void => {
      const t = tcp({ sport: c2s ? cport : 80, dport: c2s ? 80 : cport, seq, ack: 1, flags, payload: [...payload] });
      pk.push({ flow: f, frame: ethernet(0x0800, ipv4({ src: c2s ? client : server, dst: c2s ? server : client, proto: 6, payload: t })) });
    };
    let cs = 100;
    let ss = 7000;
    seg(true, cs - 1, SYN);
    seg(false, ss - 1, SYN | ACK);
    const requests = 1 + Math.floor(rnd() * 3);
    for (let q = 0; q < requests; q++) {
      const size = 1 + Math.floor(rnd() ** 2 * 60_000);
      const body = Buffer.alloc(size);
      for (let i = 0; i < size; i++) body[i] = (i * 31 + f * 7 + q) & 0xff;
      body.write(`flow ${f} request ${q} `, 0, 'latin1');
      bodies.push(createHash('sha256').update(body).digest('hex'));
      const req = Buffer.from(`GET /f${f}/${q}.bin HTTP/1.1\r\nHost: gen.example\r\n\r\n`, 'latin1');
      seg(true, cs, PSH | ACK, req);
      cs += req.length;
      const chunked = rnd() < 0.3;
      const head = `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n${chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${size}`}\r\n\r\n`;
      const payload = chunked ? Buffer.concat([Buffer.from(head), Buffer.from(`${size.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]) : Buffer.concat([Buffer.from(head), body]);
      const segs: [number, Uint8Array][] = [];
      for (let i = 0; i < payload.length; i += MSS) segs.push([ss + i, payload.subarray(i, Math.min(payload.length, i + MSS))]);
      // reorder neighbours and repeat segments now and then (first received bytes win, duplicates are dropped)
      for (let i = 0; i + 1 < segs.length; i++) if (rnd() < 0.05) [segs[i], segs[i + 1]] = [segs[i + 1], segs[i]];
      for (const [seq, data] of segs) {
        seg(false, seq, PSH | ACK, data);
        if (rnd() < 0.03) seg(false, seq, PSH | ACK, data);
      }
      ss += payload.length;
    }
    seg(true, cs, FIN | ACK);
    seg(false, ss, FIN | ACK);
    perFlow.push(pk);
  }
  // interleave: pick a random connection that still has packets
  const parts: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false })];
  const next = perFlow.map(() => 0);
  const live = perFlow.map((_, i) => i);
  let ts = 1_700_000_000_000_000;
  while (live.length > 0) {
    const k = Math.floor(rnd() * live.length);
    const f = live[k];
    const p = perFlow[f][next[f]++];
    if (next[f] === perFlow[f].length) live.splice(k, 1);
    const rec = new Uint8Array(16 + p.frame.length);
    writePcapRecordHeader(rec, 0, Math.floor(ts / 1e6), ts % 1e6, p.frame.length, p.frame.length);
    rec.set(p.frame, 16);
    parts.push(rec);
    ts += 137;
  }
  writeFileSync(path, Buffer.concat(parts));
  return bodies;
}

test('single pass and per-flow carving give identical files on interleaved generated flows, also over several passes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-carve-pass-gen-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pcap = join(dir, 'interleaved.pcap');
  const bodies = interleavedCapture(pcap, 24, 6);
  const store = await Store.open(join(dir, 'store'), { create: true });
  t.after(() => store.close());
  await store.import([pcap]);
  const flows = await store.findFlows({});
  assert.equal(flows.length, 24);
  for (const maxActiveFlows of [undefined, 5]) {
    const { perFlow, onePass, streamed } = await bothWays(store, flows, maxActiveFlows);
    assertSame(perFlow, onePass, `generated, maxActiveFlows ${maxActiveFlows ?? 'default'}`);
    assert.equal(streamed, flows.length);
    // and both carved every body the generator wrote
    assert.deepEqual(onePass.flatMap((r) => r.files.map((f) => f.sha256)).sort(), [...bodies].sort());
  }
});

test('mergeOffsets lists every record once, in file order, with the flow that owns it', () => {
  const lists = [new Float64Array([24, 300, 900]), new Float64Array([100, 200]), new Float64Array([]), new Float64Array([40, 1000])];
  const { offsets, owner } = mergeOffsets(lists);
  assert.deepEqual([...offsets], [24, 40, 100, 200, 300, 900, 1000]);
  assert.deepEqual([...owner], [0, 3, 1, 1, 0, 0, 3]);
  // a record listed by two flows goes to both
  const dup = mergeOffsets([new Float64Array([10, 20]), new Float64Array([20, 30])]);
  assert.deepEqual([...dup.offsets], [10, 20, 20, 30]);
  assert.deepEqual([...dup.owner].sort(), [0, 0, 1, 1]);
});

test('mergeOffsets gives the order of a sort by (offset, list) for contiguous, interleaved and shared offsets', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rnd = prng(seed);
    const k = 1 + Math.floor(rnd() * 12);
    const lists: Float64Array[] = [];
    let base = 0;
    for (let f = 0; f < k; f++) {
      // some lists follow one another (runs), some interleave, some repeat another's offsets
      const n = Math.floor(rnd() * 40);
      const start = rnd() < 0.5 ? base : Math.floor(rnd() * base + 1);
      const step = 1 + Math.floor(rnd() * 3);
      const l = Float64Array.from({ length: n }, (_, i) => start + i * step);
      lists.push(rnd() < 0.15 && f > 0 ? lists[f - 1].slice() : l);
      base = start + n * step;
    }
    const want = lists.flatMap((l, f) => [...l].map((o) => [o, f])).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const { offsets, owner } = mergeOffsets(lists);
    assert.deepEqual([...offsets], want.map((w) => w[0]), `seed ${seed}`);
    assert.deepEqual([...owner], want.map((w) => w[1]), `seed ${seed}`);
  }
});

test('the CLI reads a capture in one pass when the flows hold a quarter of its bytes or are many, else flow by flow', () => {
  const capture = (id: string, size: number) => ({ id, path: `/c/${id}`, fingerprint: '0'.repeat(64), size, mtimeMs: 0, importedAt: '' });
  const flow = (c: ReturnType<typeof capture>, bytes: number, i: number): FoundFlow => ({ id: `${c.id}-${i}`, capture: c, record: { clientBytes: bytes, serverBytes: 0 } as FoundFlow['record'] });
  const a = capture('aaaaaaaaaaaa', 1_000_000);
  const b = capture('bbbbbbbbbbbb', 1_000_000);
  // a: two flows with 30% of the capture; b: one flow with 1%
  assert.deepEqual(carvesInOnePass([flow(a, 150_000, 0), flow(a, 150_000, 1), flow(b, 10_000, 0)]), [true, true, false]);
  // many small flows of one capture: one pass
  const many = Array.from({ length: 256 }, (_, i) => flow(b, 10, i));
  assert.ok(carvesInOnePass(many).every(Boolean));
  assert.ok(!carvesInOnePass(many.slice(0, 255)).some(Boolean));
});
