/**
 * Reading a flow's packets back by offset with coalesced reads: every record byte-identical to
 * the capture and in capture order, for flows interleaved with others, records larger than a
 * read window, and time windows; eachFlowPacket and flowPackets agree.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../../common/capture/pcap-writer.js';
import { ethernet, ipv4, tcp } from '../../helpers/packet-builders.js';
import { prng } from '../../helpers/prng.js';
import { Store } from '../../../node/store/store.js';
import { eachFlowPacket, flowPackets } from '../../../node/store/slicer.js';

interface Written {
  /** Per client port: [start, end) of each record in the file, and its time (µs). */
  records: Map<number, { start: number; end: number; us: number }[]>;
  file: Uint8Array;
}

/** Flows on client ports 1000..1000+flows-1, packets dealt out at random so flows interleave; some payloads far above a read window. */
function writeCapture(path: string, seed: number, flows: number, packets: number): Written {
  const rnd = prng(seed);
  const chunks: Uint8Array[] = [encodePcapGlobalHeader({ linkType: 1, snapLen: 1 << 20, nanosecond: false })];
  let at = chunks[0].length;
  const records = new Map<number, { start: number; end: number; us: number }[]>();
  const seq = new Map<number, number>();
  let us = 1_700_000_000_000_000;
  for (let i = 0; i < packets; i++) {
    // a few flows get most packets, so runs of one flow are both dense and sparse
    const port = 1000 + Math.floor(rnd() ** 2 * flows);
    const r = rnd();
    const size = r < 0.02 ? 300_000 + Math.floor(rnd() * 500_000) : r < 0.1 ? 9000 : Math.floor(rnd() * 1460);
    const payload = new Array<number>(size);
    for (let k = 0; k < size; k++) payload[k] = (k * 7 + i) & 0xff;
    const s = seq.get(port) ?? 1;
    seq.set(port, s + size);
    const flags = s === 1 ? 0x02 : 0x18;
    const frame = ethernet(0x0800, ipv4({ src: [10, 0, 0, 1], dst: [10, 0, 0, 2], proto: 6, payload: tcp({ sport: port, dport: 80, seq: s, ack: 0, flags, payload: s === 1 ? [] : payload }) }));
    const rec = new Uint8Array(16 + frame.length);
    writePcapRecordHeader(rec, 0, Math.floor(us / 1e6), us % 1e6, frame.length, frame.length);
    rec.set(frame, 16);
    chunks.push(rec);
    const list = records.get(port) ?? [];
    list.push({ start: at, end: at + rec.length, us });
    records.set(port, list);
    at += rec.length;
    us += 1000;
  }
  const file = new Uint8Array(Buffer.concat(chunks));
  writeFileSync(path, file);
  return { records, file };
}

test('each flow read back by offset is its records, byte for byte, in capture order (interleaved flows, records above the read window, time windows)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-readback-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cap = join(dir, 'mix.pcap');
  const w = writeCapture(cap, 7, 40, 3000);
  const store = await Store.open(join(dir, 'store'), { create: true });
  try {
    await store.import([cap]);
    const flows = await store.findFlows({});
    assert.equal(flows.length, w.records.size);
    for (const flow of flows) {
      const want = w.records.get(flow.record.clientPort);
      assert.ok(want, `flow on port ${flow.record.clientPort} was written`);
      const got: Uint8Array[] = [];
      await eachFlowPacket(store, { flows: [flow] }, (p) => void got.push(p.record.raw.slice()));
      assert.equal(got.length, want.length, `packets of flow ${flow.id}`);
      got.forEach((g, i) => assert.deepEqual(g, w.file.subarray(want[i].start, want[i].end), `flow ${flow.id} record ${i}`));
      const viaGenerator: Uint8Array[] = [];
      for await (const p of flowPackets(store, { flows: [flow] })) viaGenerator.push(p.record.raw.slice());
      assert.deepEqual(viaGenerator, got);
      // an inclusive time window: only the middle third of the flow's packets
      if (want.length >= 3) {
        const lo = want[Math.floor(want.length / 3)].us;
        const hi = want[Math.floor((2 * want.length) / 3)].us;
        const ts = (x: number) => ({ sec: Math.floor(x / 1e6), nsec: (x % 1e6) * 1000 });
        const inWin = want.filter((r) => r.us >= lo && r.us <= hi);
        const win: Uint8Array[] = [];
        await eachFlowPacket(store, { flows: [flow], stime: ts(lo), etime: ts(hi) }, (p) => void win.push(p.record.raw.slice()));
        assert.deepEqual(win, inWin.map((r) => w.file.subarray(r.start, r.end)));
      }
    }
    // several flows at once: their union in capture order; 'stop' ends the read early
    const all: number[] = [];
    await eachFlowPacket(store, { flows: flows.slice(0, 5) }, (p) => void all.push(p.record.tsSec * 1e6 + p.record.tsNsec / 1000));
    assert.deepEqual(all, [...all].sort((a, b) => a - b));
    let seen = 0;
    await eachFlowPacket(store, { flows: [flows[0]] }, () => (++seen === 2 ? 'stop' : undefined));
    assert.equal(seen, Math.min(2, w.records.get(flows[0].record.clientPort)?.length ?? 0));
  } finally {
    await store.close();
  }
});
