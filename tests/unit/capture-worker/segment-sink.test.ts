import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CaptureInterface, CaptureSink, PacketRecordView } from '../../../common/capture/capture-types.js';
import { readCaptureFile } from '../../../node/capture/read-capture-file.js';
import { PcapngSegmentSink } from '../../../node/capture/pcapng-segment-sink.js';
import { prng } from '../../helpers/prng.js';

interface Rec {
  iface: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  origLen: number;
  data: Uint8Array;
}

async function read(path: string): Promise<{ ifaces: CaptureInterface[]; recs: Rec[] }> {
  const ifaces: CaptureInterface[] = [];
  const recs: Rec[] = [];
  const sink: CaptureSink = {
    onFileInfo() {},
    onInterface: (i) => void ifaces.push({ ...i }),
    onPacket: (r: PacketRecordView) => void recs.push({ iface: r.interfaceId, linkType: r.linkType, tsSec: r.tsSec, tsNsec: r.tsNsec, origLen: r.origLen, data: r.data.slice() }),
  };
  const r = await readCaptureFile(path, sink);
  if (r.error) throw r.error;
  return { ifaces, recs };
}

describe('pcapng segment writer (interim live store)', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'tl-cap-seg-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every packet with its exact nanosecond time, lengths and bytes, per link', async () => {
    const out = join(dir, 'exact');
    const closed: Array<[string, number]> = [];
    const sink = new PcapngSegmentSink({ dir: out, onSegmentClosed: (p, n) => closed.push([p, n]), name: 'exact' });
    sink.link({ id: 0, linkType: 1, snapLen: 262144, name: 'eth0' });
    sink.link({ id: 1, linkType: 101, snapLen: 96, name: 'ssh://cap@h/tun0' });
    const rnd = prng(7);
    const sent: Rec[] = [];
    for (let i = 0; i < 500; i++) {
      const len = 1 + Math.floor(rnd() * 1600);
      const data = new Uint8Array(len).map(() => Math.floor(rnd() * 256));
      // Seconds up to 2^32 - 1 and every nanosecond digit, to prove no float rounding.
      const p = { linkId: i % 2, tsSec: i === 499 ? 4294967295 : 1_700_000_000 + i, tsNsec: Math.floor(rnd() * 1e9), capLen: len, origLen: len + (i % 3), data };
      sink.packet(p);
      data.fill(0); // the sink must have copied: the caller reuses its buffer
      sent.push({ iface: p.linkId, linkType: p.linkId ? 101 : 1, tsSec: p.tsSec, tsNsec: p.tsNsec, origLen: p.origLen, data: new Uint8Array(0) });
    }
    sink.close();
    assert.equal(closed.length, 1);
    assert.equal(closed[0][1], 500);
    const { ifaces, recs } = await read(closed[0][0]);
    assert.deepEqual(
      ifaces.map((i) => [i.linkType, i.snapLen, i.name, i.tsUnitsPerSecond]),
      [
        [1, 262144, 'eth0', 1e9],
        [101, 96, 'ssh://cap@h/tun0', 1e9],
      ],
    );
    assert.equal(recs.length, 500);
    const rnd2 = prng(7);
    recs.forEach((r, i) => {
      const len = 1 + Math.floor(rnd2() * 1600);
      const data = new Uint8Array(len).map(() => Math.floor(rnd2() * 256));
      const tsNsec = Math.floor(rnd2() * 1e9);
      assert.deepEqual({ ...r, data: r.data }, { ...sent[i], tsNsec, data });
    });
    assert.equal(sink.totalBytes, readFileSync(closed[0][0]).length);
  });

  it('rotates at the segment size; every segment is a complete capture with all links', async () => {
    const out = join(dir, 'rotate');
    const closed: string[] = [];
    const sink = new PcapngSegmentSink({ dir: out, segmentBytes: 1024 * 1024, onSegmentClosed: (p) => closed.push(p), name: 'rot' });
    sink.link({ id: 0, linkType: 1, snapLen: 262144, name: 'eth0' });
    const data = new Uint8Array(1500).fill(0xab);
    for (let i = 0; i < 2000; i++) sink.packet({ linkId: 0, tsSec: 1_700_000_000, tsNsec: i, capLen: 1500, origLen: 1500, data });
    sink.close();
    assert.equal(closed.length, 3, '2000 × ~1.5 KB = ~3 MB in 1 MiB segments');
    assert.deepEqual(readdirSync(out).sort(), closed.map((p) => p.slice(out.length + 1)).sort());
    let total = 0;
    let expectNs = 0;
    for (const p of closed) {
      const { ifaces, recs } = await read(p);
      assert.equal(ifaces.length, 1);
      for (const r of recs) assert.equal(r.tsNsec, expectNs++, 'order kept across segments');
      total += recs.length;
    }
    assert.equal(total, 2000);
  });

  it('records gaps in a sidecar next to the segments', () => {
    const out = join(dir, 'gaps');
    const sink = new PcapngSegmentSink({ dir: out, name: 'g' });
    sink.gap({ from: { sec: 10, nsec: 5 }, to: { sec: 12, nsec: 0 }, reason: 'ssh capture interrupted: Connection reset' });
    sink.close();
    const lines = readFileSync(join(out, 'g.gaps.ndjson'), 'utf8').trim().split('\n');
    assert.deepEqual(JSON.parse(lines[0]), { from: { sec: 10, nsec: 5 }, to: { sec: 12, nsec: 0 }, reason: 'ssh capture interrupted: Connection reset', segment: null });
  });
});
