/**
 * Conditional mode keeps exactly: for each flow that alerted, its last N packets before the
 * alert, the alerting packet and every later packet of the flow; nothing of other flows.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLiveWriter, payloadContainsTrigger, predicateTrigger, alertFlowKey } from '../../../node/store/live/index.js';
import { Store } from '../../../node/store/store.js';
import { decodePacketAt } from '../../../common/packet/decode-packet.js';
import { createDecodedPacket } from '../../../common/packet/decoded-packet.js';
import { asStored, liveTraffic, storedPackets, type TrafficPacket } from '../../helpers/live-traffic.js';

const root = mkdtempSync(join(tmpdir(), 'tl-livestore-cond-'));
after(() => rmSync(root, { recursive: true, force: true }));
const ETH = { id: 0, linkType: 1, snapLen: 262144, name: 'eth-test' };
const MARK = Array.from(new TextEncoder().encode('EVIL-MARKER'));

/** The packets conditional mode must keep, computed independently of the writer. */
function expected(pkts: TrafficPacket[], alertAt: Map<number, number>, window: number): TrafficPacket[] {
  return pkts.filter((p) => {
    const a = alertAt.get(p.flow);
    return a !== undefined && p.seqInFlow >= a - window;
  });
}

describe('conditional mode', () => {
  for (const window of [10, 0, 3]) {
    test(`payload trigger, pre-alert window ${window}: exactly the alerting flows from ${window} packets before their alert`, async () => {
      const dir = join(root, `w${window}`);
      // flows 1, 4 and 7 alert (at their 15th, 2nd and 40th packet); the others never do
      const alertAt = new Map([
        [1, 15],
        [4, 2],
        [7, 40],
      ]);
      const pkts = [
        ...liveTraffic({
          seed: 11,
          count: 1500,
          flows: 10,
          maxPayload: 300,
          payload: (f, i, size) => (alertAt.get(f) === i ? [...MARK, ...new Array<number>(size).fill(0x41)] : new Array<number>(size).fill(0x42)),
        }),
      ];
      const w = await openLiveWriter(dir, { mode: 'conditional', preAlertPackets: window, trigger: payloadContainsTrigger('EVIL-MARKER') });
      w.link(ETH);
      for (const p of pkts) w.packet(p);
      await w.close();
      const want = expected(pkts, alertAt, window);
      const s = w.stats();
      assert.equal(s.alertedFlows, 3);
      assert.equal(s.storedPackets, want.length);
      assert.equal(s.notAlerted, pkts.length - want.length);
      const store = await Store.open(dir);
      try {
        // pre-alert packets are written when the alert fires, so compare as sets per flow, in flow order
        const got = await storedPackets(store);
        const key = (x: { tsSec: number; tsNsec: number }): number => x.tsSec * 1e9 + x.tsNsec;
        assert.deepEqual(
          got.sort((a, b) => key(a) - key(b)),
          want.map(asStored),
        );
        assert.equal((await store.findFlows({})).length, 3);
      } finally {
        await store.close();
      }
    });
  }

  test('alert(flowKey) from an asynchronous source stores the window and the rest of that flow', async () => {
    const dir = join(root, 'async');
    const pkts = [...liveTraffic({ seed: 12, count: 400, flows: 4, maxPayload: 100 })];
    const w = await openLiveWriter(dir, { mode: 'conditional', preAlertPackets: 5 });
    w.link(ETH);
    const d = createDecodedPacket();
    let alertedAt = -1;
    for (const p of pkts) {
      w.packet(p);
      if (p.flow === 2 && p.seqInFlow === 20) {
        decodePacketAt(1, p.data, 0, p.capLen, d);
        w.alert(alertFlowKey(d, 1));
        alertedAt = 20;
      }
    }
    await w.close();
    // the alert arrives after packet 20 was held: the window is packets 16..20, then all later ones
    const want = pkts.filter((p) => p.flow === 2 && p.seqInFlow >= alertedAt - 4);
    const store = await Store.open(dir);
    try {
      assert.deepEqual(await storedPackets(store), want.map(asStored));
    } finally {
      await store.close();
    }
  });

  test('a predicate trigger (a BPF-like field match) alerts on the first matching packet', async () => {
    const dir = join(root, 'pred');
    const pkts = [...liveTraffic({ seed: 13, count: 300, flows: 6, maxPayload: 50 })];
    // UDP flows (f % 3 === 0) to port 53 whose payload is longer than 40 bytes
    const trig = predicateTrigger((p) => p.decoded.proto === 17 && p.decoded.dstPort === 53 && p.decoded.payloadLength > 40);
    const w = await openLiveWriter(dir, { mode: 'conditional', preAlertPackets: 2, trigger: trig });
    w.link(ETH);
    for (const p of pkts) w.packet(p);
    await w.close();
    const d = createDecodedPacket();
    const alertAt = new Map<number, number>();
    for (const p of pkts) {
      decodePacketAt(1, p.data, 0, p.capLen, d);
      if (!alertAt.has(p.flow) && d.proto === 17 && d.dstPort === 53 && d.payloadLength > 40) alertAt.set(p.flow, p.seqInFlow);
    }
    assert.ok(alertAt.size > 0);
    const store = await Store.open(dir);
    try {
      const key = (x: { tsSec: number; tsNsec: number }): number => x.tsSec * 1e9 + x.tsNsec;
      assert.deepEqual((await storedPackets(store)).sort((a, b) => key(a) - key(b)), expected(pkts, alertAt, 2).map(asStored));
    } finally {
      await store.close();
    }
  });
});
