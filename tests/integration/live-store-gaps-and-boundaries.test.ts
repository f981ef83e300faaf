/**
 * Two things a live store adds to queries: capture gaps (segments/gaps.ndjson) read back through
 * readCaptureGaps, `tapline gaps` and GET /api/captures/gaps; and flows that cross a segment
 * rotation, which are one piece per segment, found together by a 5-tuple query, whose slice holds
 * every packet of the connection in capture order.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CaptureGapsSchema } from '../../common/capture/capture-gap.js';
import { parseAddressRange } from '../../common/net/address-range.js';
import { flowPackets } from '../../node/store/slicer.js';
import { Store } from '../../node/store/store.js';
import { gapsPath, openLiveWriter, readCaptureGaps } from '../../node/store/live/index.js';
import { asStored, liveTraffic, type StoredPacket } from '../helpers/live-traffic.js';
import { bearer, raw, startServe, tapline } from './server-harness.js';

const root = mkdtempSync(join(tmpdir(), 'tl-livestore-gaps-'));
after(() => rmSync(root, { recursive: true, force: true }));
const ETH = { id: 0, linkType: 1, snapLen: 262144, name: 'eth-test' };

describe('capture gaps', () => {
  const dir = join(root, 'gaps');

  test('gaps a source reports are listed by readCaptureGaps, tapline gaps and the API; a torn line is skipped and counted', async () => {
    const w = await openLiveWriter(dir);
    w.link(ETH);
    const traffic = liveTraffic({ seed: 5, count: 200, flows: 4 });
    for (let i = 0; i < 100; i++) w.packet(traffic.next().value as never);
    w.gap({ from: { sec: 1_700_000_010, nsec: 500_000_000 }, to: { sec: 1_700_000_012, nsec: 0 }, reason: 'ssh feed lost: connection reset' });
    for (let i = 0; i < 100; i++) w.packet(traffic.next().value as never);
    w.gap({ from: { sec: 1_700_000_020, nsec: 0 }, to: { sec: 1_700_000_050, nsec: 250_000_000 }, reason: 'remote tcpdump restarted' });
    await w.close();
    // a kill -9 in the middle of an append leaves half a line
    appendFileSync(gapsPath(dir), '{"from":"1700000060.000000000","to":"17');

    const g = await readCaptureGaps(dir);
    assert.equal(g.total, 2);
    assert.equal(g.unreadableLines, 1);
    assert.deepEqual(
      g.gaps.map((x) => [x.from, x.to, x.seconds, x.reason]),
      [
        ['1700000010.500000000', '1700000012.000000000', 1.5, 'ssh feed lost: connection reset'],
        ['1700000020.000000000', '1700000050.250000000', 30.25, 'remote tcpdump restarted'],
      ],
    );
    for (const x of g.gaps) assert.match(x.segment ?? '', /^[0-9a-f]{12}$/, 'the segment open at the time');

    const json = tapline('gaps', '--store', dir, '--json');
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(CaptureGapsSchema.parse(JSON.parse(json.stdout)), g);
    const text = tapline('gaps', '--store', dir);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /2023-11-14T22:13:30\.500000000Z \.\. 2023-11-14T22:13:32\.000000000Z +1\.500 s +ssh feed lost/);
    assert.match(text.stdout, /^2 capture gaps, 31\.750 s without capture$/m);
    assert.match(text.stderr, /1 unreadable line/);
    const last = tapline('gaps', '--store', dir, '--limit', '1', '--json');
    const lastGaps = CaptureGapsSchema.parse(JSON.parse(last.stdout));
    assert.deepEqual([lastGaps.total, lastGaps.gaps.map((x) => x.reason)], [2, ['remote tcpdump restarted']], 'the newest within the limit');
    assert.notEqual(tapline('gaps', '--store', join(root, 'none')).code, 0, 'a store that does not exist is an error');

    const srv = await startServe({ storeDir: dir, sensorId: 'gaps-test' });
    try {
      const r = await raw(srv.base, 'GET', '/api/captures/gaps', { headers: bearer() });
      assert.equal(r.status, 200, r.body.toString());
      assert.deepEqual(CaptureGapsSchema.parse(r.json()), g);
      const one = await raw(srv.base, 'GET', '/api/captures/gaps?limit=1', { headers: bearer() });
      assert.deepEqual(CaptureGapsSchema.parse(one.json()).gaps, g.gaps.slice(1));
      const bad = await raw(srv.base, 'GET', '/api/captures/gaps?limit=0', { headers: bearer() });
      assert.equal(bad.status, 400, 'a limit below 1 is refused');
      const anon = await raw(srv.base, 'GET', '/api/captures/gaps');
      assert.equal(anon.status, 401, 'gaps need authentication like every other route');
    } finally {
      await srv.close();
    }
  });

  test('a store that never recorded a gap has none', async () => {
    const d = join(root, 'nogaps');
    const w = await openLiveWriter(d);
    await w.close();
    assert.deepEqual(await readCaptureGaps(d), { gaps: [], total: 0, unreadableLines: 0 });
    const text = tapline('gaps', '--store', d);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^0 capture gaps$/m);
  });
});

describe('flows across segment rotations', () => {
  test('a connection that outlives several segments is one piece per segment; its 5-tuple finds every piece and the slice has all its packets in order', async () => {
    const dir = join(root, 'boundary');
    const w = await openLiveWriter(dir, { segmentBytes: 100_000 });
    w.link(ETH);
    const sent = new Map<number, StoredPacket[]>();
    for (const p of liveTraffic({ seed: 9, count: 2000, flows: 3, maxPayload: 400 })) {
      w.packet(p);
      const l = sent.get(p.flow) ?? [];
      l.push(asStored(p));
      sent.set(p.flow, l);
    }
    await w.close();
    const segments = readdirSync(join(dir, 'segments')).filter((f) => f.endsWith('.pcap'));
    assert.ok(segments.length >= 4, `${segments.length} segments`);
    const store = await Store.open(dir);
    try {
      // flow 1 of the generator: 10.1.0.1:20001 <-> 10.2.0.1:443 (TCP)
      const sip = parseAddressRange('10.1.0.1');
      const dip = parseAddressRange('10.2.0.1');
      assert.ok(sip && dip);
      const q = { sip, dip, spt: 20001, dpt: 443, proto: 6 };
      const pieces = await store.findTuple(q);
      assert.ok(pieces.length >= 4, `one piece per segment it crossed (${pieces.length})`);
      assert.equal(new Set(pieces.map((f) => f.capture.id)).size, pieces.length, 'at most one piece per segment');
      const expected = sent.get(1) as StoredPacket[];
      assert.equal(
        pieces.reduce((n, f) => n + f.record.clientPackets + f.record.serverPackets, 0),
        expected.length,
        'the pieces account for every packet',
      );
      const got: StoredPacket[] = [];
      for await (const p of flowPackets(store, { flows: pieces })) got.push({ tsSec: p.record.tsSec, tsNsec: p.record.tsNsec, origLen: p.record.origLen, hex: Buffer.from(p.record.data).toString('hex') });
      assert.deepEqual(got, expected, 'the slice of all pieces is the connection, byte for byte, in capture order');
    } finally {
      await store.close();
    }
  });
});
