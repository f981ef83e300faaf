/**
 * LiveCapture hands packets to the store writer's thread: a source's packets, links and gaps
 * arrive in order, every packet is stored and sliceable after stop(), and the stats report the
 * hand-off drops (none here) apart from kernel and store drops.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LivePacketSink } from '../../../common/capture/live-packet-sink.js';
import { CaptureStatsSchema } from '../../../common/worker/capture-worker-protocol.js';
import { LiveCapture } from '../../../node/capture/live-capture.js';
import { emptySourceStats, type LiveSource, type SourceEnd } from '../../../node/capture/sources/source-types.js';
import { Store } from '../../../node/store/store.js';
import { asStored, liveTraffic, storedPackets, type StoredPacket } from '../../helpers/live-traffic.js';

const root = mkdtempSync(join(tmpdir(), 'tl-cap-thread-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A source that pushes generated traffic in bursts, one burst per event-loop turn, then a gap. */
class BurstSource implements LiveSource {
  readonly description = 'burst test source';
  readonly ended: Promise<SourceEnd>;
  private settle!: (e: SourceEnd) => void;
  readonly sent: StoredPacket[] = [];
  private readonly st = emptySourceStats();
  constructor(private readonly sink: LivePacketSink) {
    this.ended = new Promise((r) => (this.settle = r));
  }
  async start(): Promise<void> {
    this.sink.link({ id: 0, linkType: 1, snapLen: 262144, name: 'burst0' });
    let i = 0;
    for (const p of liveTraffic({ seed: 7, count: 2000 })) {
      this.sink.packet(p);
      this.sent.push(asStored(p));
      this.st.packets++;
      this.st.bytes += p.origLen;
      if (++i % 250 === 0) await new Promise((r) => setImmediate(r));
    }
    this.sink.gap({ from: { sec: 100, nsec: 0 }, to: { sec: 101, nsec: 5 }, reason: 'test gap' });
  }
  async stop(): Promise<void> {
    this.settle({ kind: 'stopped' });
  }
  stats() {
    return { ...this.st };
  }
}

describe('live capture through the writer thread', () => {
  test('every packet handed over is stored byte-exact, the gap recorded, stats exact after stop', async () => {
    const dir = join(root, 'store');
    let source: BurstSource | null = null;
    const cap = new LiveCapture();
    await cap.start(
      (sink) => (source = new BurstSource(sink)),
      { dir, mode: 'full' },
    );
    const { stats } = await cap.stop();
    CaptureStatsSchema.parse(stats);
    const sent = (source as BurstSource | null)?.sent ?? [];
    assert.equal(sent.length, 2000);
    assert.equal(stats.packets, 2000);
    assert.equal(stats.storedPackets, 2000);
    assert.equal(stats.durablePackets, 2000);
    assert.equal(stats.storeDrops, 0);
    assert.equal(stats.handoffDrops, 0);
    const gaps = readFileSync(join(dir, 'segments', 'gaps.ndjson'), 'utf8').trim().split('\n');
    assert.equal(gaps.length, 1);
    assert.equal(JSON.parse(gaps[0]).reason, 'test gap');
    const store = await Store.open(dir);
    try {
      assert.deepEqual(await storedPackets(store), sent);
    } finally {
      await store.close();
    }
  });

  test('flow summaries are sent by default and not at all with flowSummaries: false', async () => {
    const count = async (flowSummaries: boolean | undefined, name: string): Promise<number> => {
      let flows = 0;
      const cap = new LiveCapture({ onEvent: (e) => (flows += e.kind === 'flows' ? e.flows.length : 0) });
      await cap.start((sink) => new BurstSource(sink), { dir: join(root, name), flowSummaries });
      const { stats } = await cap.stop();
      assert.equal(stats.storedPackets, 2000);
      return flows;
    };
    assert.ok((await count(undefined, 'with')) > 0);
    assert.equal(await count(false, 'without'), 0);
  });
});
