/**
 * The live writer thread's warm-up (writer-warm-up.ts): it runs the real write path on generated
 * traffic of the mix real links carry, rotating segments and encoding snapshots and final
 * indexes, and nothing of it reaches a store, a file or a flow summary: a writer that warmed up
 * stores and reports exactly what one that did not stores and reports.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PacketRecord } from '../../../common/capture/packet-record.js';
import { CaptureIndexer } from '../../../common/flow/capture-indexer.js';
import { openThreadedLiveWriter, type LiveFlowSummary } from '../../../node/store/live/index.js';
import { BATCH_RECORD_HEADER, forEachBatchRun } from '../../../node/store/live/packet-batch.js';
import { fillWarmUpBatch, warmUpTraffic } from '../../../node/store/live/warm-up-traffic.js';
import { LiveWriter } from '../../../node/store/live/live-writer.js';
import { warmUpFromEnv, warmUpLiveWriter } from '../../../node/store/live/writer-warm-up.js';
import { Store } from '../../../node/store/store.js';
import { asStored, liveTraffic, storedPackets, type StoredPacket } from '../../helpers/live-traffic.js';

const root = mkdtempSync(join(tmpdir(), 'tl-livestore-warm-'));
after(() => rmSync(root, { recursive: true, force: true }));
const ETH = { id: 0, linkType: 1, snapLen: 262144, name: 'eth-test' };

/** Runs fn with the working directory in a fresh empty folder; returns that folder's entries after. */
async function inEmptyCwd(fn: () => Promise<void>): Promise<string[]> {
  const dir = mkdtempSync(join(root, 'cwd-'));
  const prev = process.cwd();
  process.chdir(dir);
  try {
    await fn();
  } finally {
    process.chdir(prev);
  }
  return readdirSync(dir, { recursive: true }) as string[];
}

describe('writer warm-up', () => {
  test('generated batches decode as IPv4 and IPv6 TCP, UDP and ICMP flows, VLAN-tagged and not, with ARP, none malformed', () => {
    const buf = new Uint8Array(new SharedArrayBuffer(1 << 20));
    const view = new DataView(buf.buffer);
    const t = warmUpTraffic(1500, Date.UTC(2026, 0, 1));
    const ix = new CaptureIndexer();
    const rec = new PacketRecord();
    let records = 0;
    for (let b = 0; b < 8; b++) {
      const len = fillWarmUpBatch(buf, view, 0, t);
      forEachBatchRun(buf, len, (linkId, from, to) => {
        assert.equal(linkId, 0);
        for (let at = from; at < to; ) {
          const capLen = view.getUint32(at + 8, true);
          rec.index = records++;
          rec.recordOffset = at;
          rec.recordLength = BATCH_RECORD_HEADER + capLen;
          rec.linkType = 1;
          rec.tsSec = view.getUint32(at, true);
          rec.tsNsec = view.getUint32(at + 4, true);
          rec.capLen = capLen;
          rec.origLen = view.getUint32(at + 12, true);
          rec.dataOffset = at + BATCH_RECORD_HEADER;
          rec.setSource(buf, at + BATCH_RECORD_HEADER);
          ix.onPacket(rec);
          at += BATCH_RECORD_HEADER + capLen;
        }
      });
    }
    assert.equal(ix.packets, t.n);
    assert.equal(ix.malformedPackets, 0);
    assert.equal(ix.undecodedPackets, 0);
    assert.ok(ix.nonIpPackets > 0, 'ARP frames');
    const tab = ix.table;
    const kinds = new Set<string>();
    let vlans = 0;
    for (let f = 0; f < tab.count; f++) {
      if (tab.ipVersion[f] !== 0) kinds.add(`v${tab.ipVersion[f]}/${tab.proto[f]}`);
      if (tab.vlan[f] > 0) vlans++;
    }
    assert.deepEqual([...kinds].sort(), ['v4/1', 'v4/17', 'v4/6', 'v6/17', 'v6/58', 'v6/6']);
    assert.ok(vlans > 0, 'VLAN-tagged flows');
    // more flows than the table's first 1024 slots' half: it grows and rehashes
    assert.ok(tab.count > 1500, `${tab.count} flows`);
  });

  test('runs rotations, snapshots and final indexes on generated packets and touches no file', async () => {
    let report: Awaited<ReturnType<typeof warmUpLiveWriter>> | null = null;
    const left = await inEmptyCwd(async () => {
      report = await warmUpLiveWriter({ packets: 20_000, maxMs: 60_000 });
    });
    assert.deepEqual(left, []);
    const r = report as unknown as Awaited<ReturnType<typeof warmUpLiveWriter>>;
    assert.ok(r.packets >= 20_000, `${r.packets} packets`);
    assert.ok(r.segments >= 2, `${r.segments} segments closed`);
    assert.ok(r.snapshots >= 2, `${r.snapshots} snapshots`);
  });

  test('a dry writer stores nothing and emits no flow summary, however it is driven', async () => {
    const left = await inEmptyCwd(async () => {
      const w = LiveWriter.dry({ segmentBytes: 64 * 1024, summaries: true });
      w.link(ETH);
      for (const p of liveTraffic({ seed: 3, count: 2000 })) w.packet(p);
      w.gap({ from: { sec: 1, nsec: 0 }, to: { sec: 2, nsec: 0 }, reason: 'test' });
      await w.flush();
      await w.close();
      const st = w.stats();
      assert.equal(st.storedPackets, 2000);
      assert.ok(st.segments >= 2);
    });
    assert.deepEqual(left, []);
  });

  test('TAPLINE_WRITER_WARMUP: 0/false/off turn it off, a number sets the packets, anything else keeps the defaults', () => {
    for (const v of ['0', 'false', 'off', ' OFF ']) assert.equal(warmUpFromEnv({ TAPLINE_WRITER_WARMUP: v }), null);
    assert.deepEqual(warmUpFromEnv({}), {});
    assert.deepEqual(warmUpFromEnv({ TAPLINE_WRITER_WARMUP: '1' }), {});
    assert.deepEqual(warmUpFromEnv({ TAPLINE_WRITER_WARMUP: '50000' }), { packets: 50_000 });
  });

  test('a threaded writer that warmed up stores and reports exactly what one that did not does', async () => {
    const runs: { packets: StoredPacket[]; flows: unknown[]; received: number; logs: string[]; found: number }[] = [];
    for (const warmUp of [true, false]) {
      const dir = join(root, `store-${warmUp}`);
      const flows: LiveFlowSummary[] = [];
      const logs: string[] = [];
      const w = await openThreadedLiveWriter(dir, { segmentBytes: 200_000, warmUp, onFlows: (b) => flows.push(...b), log: (l) => logs.push(l) });
      w.link(ETH);
      const sent: StoredPacket[] = [];
      let i = 0;
      for (const p of liveTraffic({ seed: 7, count: 3000, flows: 40 })) {
        w.packet(p);
        sent.push(asStored(p));
        if (++i % 500 === 0) await new Promise((r) => setImmediate(r));
      }
      await w.close();
      const store = await Store.open(dir);
      try {
        const packets = await storedPackets(store);
        assert.deepEqual(packets, sent);
        runs.push({
          packets,
          // when starts and updates go out depends on the flush timer; every flow ends exactly
          // once, with its final counters, at the latest when its segment closes (rotation is by
          // size: the same packets in each). The segment a summary names is a fresh id per run.
          flows: flows
            .filter((f) => f.event === 'end')
            .map((f) => JSON.stringify({ ...f, flow: { ...f.flow, segment: undefined, id: undefined } }))
            .sort(),
          received: w.stats().receivedPackets,
          logs,
          found: (await store.findFlows({})).length,
        });
      } finally {
        await store.close();
      }
    }
    const [warm, cold] = runs;
    assert.ok(warm.logs.some((l) => /warmed up on \d+ generated packets/.test(l)), 'the warm-up ran');
    assert.ok(!cold.logs.some((l) => /warmed up/.test(l)), 'warmUp: false skips it');
    assert.equal(warm.received, 3000);
    assert.equal(warm.found, cold.found);
    assert.ok(cold.flows.length >= 40, `${cold.flows.length} flow ends`);
    assert.deepEqual(warm.flows, cold.flows);
  });
});
