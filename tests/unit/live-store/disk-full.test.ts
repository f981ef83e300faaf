/**
 * Disk full on a real filesystem: a small filesystem this test mounts, fills and frees, once a
 * tmpfs with segment data written through the page cache (`directIo: false`) and once ext4 on a
 * loop device with segment data written with O_DIRECT (segment-direct-io.ts). Writing stops cleanly with a visible error,
 * what was stored stays queryable and sliceable, and writing resumes when space returns. Needs
 * root (mount, a loop device); each is skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { openLiveWriter } from '../../../node/store/live/index.js';
import { Store } from '../../../node/store/store.js';
import { mountScratch } from '../../helpers/scratch-mount.js';
import { asStored, liveTraffic, storedPackets, type StoredPacket } from '../../helpers/live-traffic.js';

interface Mount {
  kind: 'tmpfs' | 'ext4';
  dir: string;
  remove: (() => void) | null;
  skip: string | false;
}

const mounts: Mount[] = (['tmpfs', 'ext4'] as const).map((kind) => ({ kind, dir: '', remove: null, skip: false }));

before(() => {
  for (const m of mounts) {
    const s = mountScratch(m.kind, m.kind === 'tmpfs' ? 16 : 24);
    if ('skip' in s) m.skip = s.skip;
    else [m.dir, m.remove] = [s.dir, s.remove];
  }
});

after(() => {
  for (const m of mounts) m.remove?.();
});

/** Fills the filesystem with one file of zeros until it is full. */
function fill(path: string): void {
  spawnSync('dd', ['if=/dev/zero', `of=${path}`, 'bs=64k'], { encoding: 'utf8' });
}

describe('disk full', () => {
  for (const m of mounts) test(`stops writing with a visible error, keeps what was stored, resumes when space returns (${m.kind})`, async (t) => {
    if (m.skip) return t.skip(m.skip);
    const mnt = m.dir;
    const dir = join(mnt, 'store');
    const errors: Error[] = [];
    const logs: string[] = [];
    const directIo = m.kind === 'ext4';
    const w = await openLiveWriter(dir, { segmentBytes: 4 * 1024 * 1024, directIo, onError: (e) => errors.push(e), log: (l) => logs.push(l) });
    w.link({ id: 0, linkType: 1, snapLen: 262144, name: 'eth-test' });
    const stream = [...liveTraffic({ seed: 31, count: 9000, flows: 30, maxPayload: 1400 })];
    const n1 = stream.slice(0, 1000);
    const n2 = stream.slice(1000, 6000);
    const n3 = stream.slice(6000);
    for (const p of n1) w.packet(p);
    await w.flush();
    assert.equal(w.stats().error, null);

    fill(join(mnt, 'filler'));
    for (let i = 0; i < n2.length; i += 500) {
      for (const p of n2.slice(i, i + 500)) w.packet(p);
      await w.flush();
    }
    const st = w.stats();
    assert.match(st.error ?? '', /disk full/);
    assert.equal(errors.length, 1, 'one error, not one per packet');
    assert.match(errors[0].message, /ENOSPC|no space/i);
    assert.ok(st.droppedDiskFull > 0);
    assert.equal(st.storedPackets + st.droppedDiskFull, n1.length + n2.length);

    // what was stored before the disk filled stays queryable and sliceable meanwhile
    const n1Stored = n1.map(asStored);
    let reader = await Store.open(dir);
    try {
      const got = await storedPackets(reader);
      assert.deepEqual(got.slice(0, n1.length), n1Stored);
      assert.ok((await reader.findFlows({})).length > 0);
    } finally {
      await reader.close();
    }

    rmSync(join(mnt, 'filler'));
    await w.flush(); // the tick notices the space
    assert.equal(w.stats().error, null, 'writing resumed');
    for (const p of n3) w.packet(p);
    await w.close();

    if (directIo) assert.ok(!logs.some((l) => l.includes('segment data through the page cache')), `ext4 takes O_DIRECT: ${logs.join(' | ')}`);
    reader = await Store.open(dir);
    try {
      const got = await storedPackets(reader);
      // n1, then the part of n2 that reached the disk whole before it filled, then all of n3
      const k = got.length - n1.length - n3.length;
      assert.ok(k >= 0 && k < n2.length, `kept ${k} of the ${n2.length} packets sent while the disk filled`);
      const want: StoredPacket[] = [...n1Stored, ...n2.slice(0, k).map(asStored), ...n3.map(asStored)];
      assert.deepEqual(got, want);
    } finally {
      await reader.close();
    }
  });
});
