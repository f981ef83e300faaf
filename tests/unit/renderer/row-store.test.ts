import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowRow } from '../../../common/bridge/messages.js';
import { RowStore, type GridRow } from '../../../renderer/src/flows/row-store.js';
import { HTTP_V4, HTTP_V6, ICMP_V4, NON_IP, flowN } from './fixtures.js';

function strip(r: GridRow | null): FlowRow {
  assert.ok(r);
  const { slot: _slot, ...rest } = r;
  return rest;
}

function ids(s: RowStore): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.visibleCount; i++) out.push(s.rowAt(i)?.id ?? '?');
  return out;
}

test('rows come back field for field (IPv4, IPv6, port-less, non-IP, odd ids and Community IDs)', () => {
  const s = new RowStore();
  const odd: FlowRow = { ...HTTP_V4, id: 'not the usual form', sensor: 'other', community_id: '1:not-base64!', vlan: 42, fragmented: true, note: 'a note' };
  const rows = [HTTP_V4, HTTP_V6, ICMP_V4, NON_IP, odd];
  const ranked: FlowRow = { ...HTTP_V6, id: 'cf0de69c9718-8', rank: 7, classes: ['Known server', 'Lab'] };
  for (const r of [...rows, ranked]) s.upsert(r, null);
  s.upsert({ ...HTTP_V4, id: 'ddc7da321d65-5' }, -20);
  for (const r of [...rows, ranked]) assert.deepEqual(strip(s.row(s.find(r.sensor, r.id))), r);
  // a live event's rank wins over the row's own
  assert.equal(s.row(s.find('lab', 'ddc7da321d65-5'))?.rank, -20);
  assert.equal(s.find('lab', 'ddc7da321d65-99'), -1);
  assert.equal(s.find('nosuch', HTTP_V4.id), -1);
});

test('search results show newest first; live flows go on top; a known flow is updated in place', () => {
  const s = new RowStore();
  s.addResults([flowN(2), flowN(1), flowN(3)]);
  assert.deepEqual(ids(s), ['0123456789ab-3', '0123456789ab-2', '0123456789ab-1']);
  s.upsert(flowN(10), 5);
  assert.equal(s.rowAt(0)?.id, '0123456789ab-10');
  assert.equal(s.rowAt(0)?.rank, 5);
  s.upsert({ ...flowN(2), packets: 99 }, 30);
  assert.equal(s.visibleCount, 4);
  assert.equal(s.rowAt(2)?.packets, 99);
  assert.equal(s.rowAt(2)?.rank, 30);
  // an update without an event rank carries the row's own rank and labels (the back end ranks rows)
  s.upsert({ ...flowN(2), packets: 100, rank: -3, classes: ['Backup'] }, null);
  assert.equal(s.rowAt(2)?.rank, -3);
  assert.deepEqual(s.rowAt(2)?.classes, ['Backup']);
  // the same id on another sensor is another flow
  s.upsert(flowN(2, 'remote'), null);
  assert.equal(s.visibleCount, 5);
});

test('pause holds new rows back and counts them; updates to shown rows wait; resume shows both', () => {
  const s = new RowStore();
  s.addResults([flowN(1), flowN(2)]);
  s.pause();
  s.upsert(flowN(3), 0);
  s.upsert(flowN(4), 0);
  s.upsert({ ...flowN(1), bytes: 1 }, 7);
  assert.equal(s.visibleCount, 2);
  assert.equal(s.pendingNew, 2);
  assert.equal(s.pendingUpdates, 1);
  assert.deepEqual(ids(s), ['0123456789ab-2', '0123456789ab-1']);
  assert.equal(s.rowAt(1)?.bytes, HTTP_V4.bytes, 'a shown row does not change while paused');
  // an update to a held-back row is simply applied
  s.upsert({ ...flowN(3), bytes: 3 }, 0);
  assert.equal(s.pendingUpdates, 1);
  s.resume();
  assert.equal(s.pendingNew, 0);
  assert.equal(s.pendingUpdates, 0);
  assert.deepEqual(ids(s), ['0123456789ab-4', '0123456789ab-3', '0123456789ab-2', '0123456789ab-1']);
  assert.equal(s.rowAt(3)?.bytes, 1);
  assert.equal(s.rowAt(3)?.rank, 7);
  assert.equal(s.rowAt(1)?.bytes, 3);
});

test('a search while paused shows its results; later live rows are held', () => {
  const s = new RowStore();
  s.pause();
  s.clear();
  s.addResults([flowN(1), flowN(2)]);
  assert.equal(s.visibleCount, 2);
  s.upsert(flowN(3), 0);
  assert.equal(s.visibleCount, 2);
  assert.equal(s.pendingNew, 1);
});

test('exclusions hide rows by address, port or protocol and apply to live rows too', () => {
  const s = new RowStore();
  s.addResults([HTTP_V4, HTTP_V6, ICMP_V4]);
  s.setExclusions([{ field: 'ip', value: '192.150.187.43' }]);
  assert.deepEqual(ids(s).sort(), [HTTP_V6.id, ICMP_V4.id].sort());
  s.setExclusions([{ field: 'proto', value: 1 }]);
  assert.deepEqual(ids(s).sort(), [HTTP_V4.id, HTTP_V6.id].sort());
  s.setExclusions([{ field: 'port', value: 80 }]);
  assert.deepEqual(ids(s), [ICMP_V4.id]);
  s.upsert({ ...HTTP_V4, id: 'ddc7da321d65-3' }, 0);
  assert.equal(s.visibleCount, 1);
  assert.equal(s.viewIndexOf(s.find('lab', 'ddc7da321d65-3')), -1);
  s.setExclusions([]);
  assert.equal(s.visibleCount, 4);
  assert.equal(s.viewIndexOf(s.find('lab', 'ddc7da321d65-3')), 0);
});

test('the row cap drops the oldest tenth at once and keeps lookups right', () => {
  const s = new RowStore({ maxRows: 1000 });
  for (let i = 0; i < 1500; i++) s.upsert(flowN(i), i % 100);
  assert.ok(s.size <= 1000);
  assert.ok(s.dropped >= 500);
  assert.equal(s.rowAt(0)?.id, '0123456789ab-1499');
  const oldest = s.rowAt(s.visibleCount - 1);
  assert.ok(oldest);
  assert.equal(Number(oldest.id.split('-')[1]), s.dropped);
  for (const n of [1499, 1200, s.dropped]) {
    const slot = s.find('lab', `0123456789ab-${n}`);
    assert.equal(s.row(slot)?.id, `0123456789ab-${n}`);
    assert.equal(s.row(slot)?.rank, n % 100);
  }
  assert.equal(s.find('lab', '0123456789ab-0'), -1);
});

test('one million rows: geometric growth, about 140 bytes a row, newest on top', () => {
  const s = new RowStore({ maxRows: 2_000_000 });
  const base = flowN(0);
  const n = 1_000_000;
  for (let i = 0; i < n; i++) {
    // vary only what makes rows distinct; the object is reused as a live event would not be
    base.id = `0123456789ab-${i}`;
    base.client_port = 1024 + (i % 60000);
    s.upsert(base, 0);
  }
  assert.equal(s.size, n);
  assert.equal(s.visibleCount, n);
  // capacity grows by 1.5x from 1024: about 18 reallocations for a million, never one per row
  assert.ok(s.reallocations <= 20, `reallocations ${s.reallocations}`);
  assert.ok(RowStore.bytesPerRow() <= 160, `bytes per row ${RowStore.bytesPerRow()}`);
  assert.equal(s.rowAt(0)?.id, `0123456789ab-${n - 1}`);
  assert.equal(s.rowAt(n - 1)?.id, '0123456789ab-0');
  assert.equal(s.viewIndexOf(s.find('lab', '0123456789ab-123456')), n - 1 - 123456);
});
