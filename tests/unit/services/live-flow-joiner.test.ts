/**
 * The live `flow` events of a connection that crosses segment rotations join into one flow: the
 * live writer's own flow summaries (generated traffic over several rotations, and a TCP
 * connection reopened after FIN), passed through LiveFlowJoiner, end up as exactly the store's
 * flow list (node/store/flow-chains.ts): same ids, packets, bytes, first and last times.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LiveFlowSummaryMessage } from '../../../common/capture/live-flow-summary.js';
import { flowToJson } from '../../../common/flow/flow-json.js';
import { LiveFlowJoiner } from '../../../electron/services/live-flow-joiner.js';
import { openLiveWriter } from '../../../node/store/live/index.js';
import { Store } from '../../../node/store/store.js';
import { ethernet, ipv4, tcp } from '../../helpers/packet-builders.js';
import { liveTraffic } from '../../helpers/live-traffic.js';

const root = mkdtempSync(join(tmpdir(), 'tl-cap-joiner-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('joined live summaries equal the store\'s flows, one per connection across rotations', async () => {
  const dir = join(root, 's');
  const joiner = new LiveFlowJoiner();
  const rows = new Map<string, LiveFlowSummaryMessage['flow']>();
  let pieces = 0;
  const w = await openLiveWriter(dir, {
    segmentBytes: 60_000,
    onFlows: (batch) => {
      for (const s of batch) {
        if (s.event === 'start') pieces++;
        const f = joiner.join(s);
        rows.set(f.id, f);
      }
    },
  });
  w.link({ id: 0, linkType: 1, snapLen: 262144, name: 'eth-test' });
  const t = liveTraffic({ seed: 3, count: 1500, flows: 4, maxPayload: 300 });
  let n = 0;
  let last = { sec: 0, nsec: 0 };
  for (const p of t) {
    w.packet(p);
    last = { sec: p.tsSec, nsec: p.tsNsec };
    // a flush now and then: summaries go out per tick
    if (++n % 300 === 0) await w.flush();
  }
  // the same 5-tuple: closed with FIN, then reopened with SYN after more rotations
  const mk = (sec: number, flags: number, fromA: boolean) => {
    const A = [10, 9, 0, 1];
    const B = [10, 9, 0, 2];
    const data = ethernet(0x0800, ipv4({ src: fromA ? A : B, dst: fromA ? B : A, proto: 6, payload: tcp({ sport: fromA ? 30000 : 80, dport: fromA ? 80 : 30000, flags, payload: new Array<number>(1200).fill(7) }) }));
    return { linkId: 0, tsSec: sec, tsNsec: 0, capLen: data.length, origLen: data.length, data };
  };
  w.packet(mk(last.sec + 1, 0x02, true));
  w.packet(mk(last.sec + 1, 0x11, false));
  // another flow's bytes force a rotation before the reopening SYN
  for (let i = 0; i < 60; i++) {
    const data = ethernet(0x0800, ipv4({ src: [10, 8, 0, 1], dst: [10, 8, 0, 2], proto: 6, payload: tcp({ sport: 31000, dport: 8080, flags: 0x10, payload: new Array<number>(1200).fill(i) }) }));
    w.packet({ linkId: 0, tsSec: last.sec + 2, tsNsec: i, capLen: data.length, origLen: data.length, data });
  }
  await w.flush();
  w.packet(mk(last.sec + 3, 0x02, true));
  await w.close();

  const store = await Store.open(dir);
  try {
    const want = (await store.findFlows({})).map((f) => flowToJson(f.id, f.record));
    assert.ok(pieces > want.length, `the writer reported ${pieces} pieces for ${want.length} flows`);
    const got = want.map((x) => rows.get(x.id));
    const pick = (r: LiveFlowSummaryMessage['flow'] | undefined) => r && { id: r.id, packets: r.packets, bytes: r.bytes, client_packets: r.client_packets, server_bytes: r.server_bytes, first_ts: r.first_ts, last_ts: r.last_ts };
    assert.deepEqual(got.map(pick), want.map(pick));
    assert.equal(want.filter((x) => x.server_port === 80).length, 2, 'the reopened connection is two flows');
  } finally {
    await store.close();
  }
});
