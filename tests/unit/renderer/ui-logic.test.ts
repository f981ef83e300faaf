import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeCallError } from '../../../common/bridge/bridge.js';
import type { ImportResult } from '../../../common/bridge/messages.js';
import { ValidatedBridge, looksLikeBridge, toBridgeError } from '../../../renderer/src/bridge/validated-bridge.js';
import { COLUMNS, cellValue, rankClass } from '../../../renderer/src/flows/columns.js';
import { gridKeyAction, type GridPosition } from '../../../renderer/src/flows/grid-keys.js';
import { offsetToReveal, scrollScale } from '../../../renderer/src/flows/scroll-scale.js';
import { createImportStore } from '../../../renderer/src/import/import-store.js';
import { matchEntry, type MatchableEntry } from '../../../renderer/src/import/match-progress.js';
import { FakeBridge, tick } from './fake-bridge.js';
import { HTTP_V4, NON_IP } from './fixtures.js';

const pos = (p: Partial<GridPosition>): GridPosition => ({ row: 5, rowCount: 100, column: 2, columnCount: 11, pageRows: 20, ...p });

test('grid keys: rows, pages, ends, cells, open, menu', () => {
  assert.deepEqual(gridKeyAction('ArrowDown', false, pos({})), { kind: 'row', index: 6 });
  assert.deepEqual(gridKeyAction('ArrowDown', false, pos({ row: -1 })), { kind: 'row', index: 0 });
  assert.deepEqual(gridKeyAction('ArrowDown', false, pos({ row: 99 })), { kind: 'row', index: 99 });
  assert.deepEqual(gridKeyAction('ArrowUp', false, pos({ row: 0 })), { kind: 'row', index: 0 });
  assert.deepEqual(gridKeyAction('PageDown', false, pos({})), { kind: 'row', index: 24 });
  assert.deepEqual(gridKeyAction('PageUp', false, pos({})), { kind: 'row', index: 0 });
  assert.deepEqual(gridKeyAction('Home', false, pos({})), { kind: 'row', index: 0 });
  assert.deepEqual(gridKeyAction('End', false, pos({})), { kind: 'row', index: 99 });
  assert.deepEqual(gridKeyAction('ArrowRight', false, pos({ column: 10 })), { kind: 'column', index: 10 });
  assert.deepEqual(gridKeyAction('ArrowLeft', false, pos({})), { kind: 'column', index: 1 });
  assert.deepEqual(gridKeyAction('Enter', false, pos({})), { kind: 'open' });
  assert.equal(gridKeyAction('Enter', false, pos({ row: -1 })), null);
  assert.deepEqual(gridKeyAction('ContextMenu', false, pos({})), { kind: 'menu' });
  assert.deepEqual(gridKeyAction('F10', true, pos({})), { kind: 'menu' });
  assert.equal(gridKeyAction('F10', false, pos({})), null);
  assert.equal(gridKeyAction('ArrowDown', false, pos({ rowCount: 0, row: -1 })), null);
});

test('scroll scaling maps a million rows end to end inside the browser height limit', () => {
  const s = scrollScale(1_000_000 * 24, 600);
  assert.equal(s.physicalHeight, 8_000_000);
  assert.ok(s.factor > 2.9 && s.factor < 3.1);
  assert.equal(s.toVirtual(0), 0);
  assert.equal(Math.round(s.toVirtual(8_000_000 - 600)), 24_000_000 - 600, 'the last row is reachable');
  assert.equal(s.toPhysical(s.toVirtual(1234)), 1234);
  const small = scrollScale(1000 * 24, 600);
  assert.equal(small.factor, 1);
  assert.equal(small.physicalHeight, 24_000);
  assert.equal(offsetToReveal(10, 24, 0, 600), null);
  assert.equal(offsetToReveal(30, 24, 0, 600), 31 * 24 - 600);
  assert.equal(offsetToReveal(2, 24, 100, 600), 48);
});

test('columns: cell values for filters, rank classes', () => {
  const row = { ...HTTP_V4, rank: 6, slot: 0 };
  assert.deepEqual(COLUMNS.map((c) => c.label), ['Time', 'Sensor', 'Rank', 'Bytes', 'Packets', 'Server', 'Client', 'Server Port', 'Client Port', 'Proto', 'Community ID', 'Logs']);
  // correlated log messages: a count when the sensor counts them, empty when it does not (or none)
  const logs = COLUMNS.find((c) => c.id === 'logs');
  assert.equal(logs?.text({ ...row, log_count: 1234 }, 'UTC', (s) => s), '1,234');
  assert.equal(logs?.text(row, 'UTC', (s) => s), '');
  assert.equal(COLUMNS.find((c) => c.id === 'time')?.text(row, 'UTC', (s) => s), '03/07 21:42:06');
  assert.equal(COLUMNS.find((c) => c.id === 'bytes')?.text(row, 'UTC', (s) => s), '5.94 KiB');
  assert.equal(COLUMNS.find((c) => c.id === 'sensor')?.text(row, 'UTC', () => 'Lab sensor'), 'Lab sensor');
  assert.deepEqual(cellValue(row, 'server'), { field: 'ip', value: '192.150.187.43', side: 'server' });
  assert.deepEqual(cellValue(row, 'proto'), { field: 'proto', value: 6 });
  assert.equal(cellValue({ ...NON_IP, slot: 1 }, 'clientPort'), null);
  // priority 1 alone (+3) is "pos"; from +5 (several sources, or set) "high"
  assert.deepEqual([-5, 0, 3, 4, 5, 10, null].map(rankClass), ['neg', 'zero', 'pos', 'pos', 'high', 'high', 'none']);
});

test('import progress finds its entry by server path, file name, or as the one being indexed', () => {
  const e = (key: string, name: string, phase: MatchableEntry['phase'], serverPath: string | null = null): MatchableEntry => ({ key, name, phase, local: true, serverPath });
  const entries = [e('a', 'x.pcap', 'indexing'), e('b', 'y.pcap', 'queued'), e('c', 'z.pcap', 'done', '/s/uploads/1-z.pcap')];
  assert.equal(matchEntry(entries, '/s/uploads/0f0f-y.pcap'), 'b');
  assert.equal(matchEntry(entries, '/home/me/y.pcap'), 'b');
  assert.equal(matchEntry(entries, '/s/uploads/1-z.pcap'), 'c');
  assert.equal(matchEntry(entries, '/s/uploads/renamed'), 'a');
  assert.equal(matchEntry([e('b', 'y.pcap', 'queued')], '/elsewhere/q.pcap'), null);
});

test('the import store tracks each file and reports the finish', async () => {
  const bridge = new FakeBridge();
  let resolve: (r: ImportResult[]) => void = () => undefined;
  bridge.importAnswer = () => new Promise((r) => (resolve = r));
  const finished: ImportResult[][] = [];
  const store = createImportStore({ bridge, onImported: (r) => finished.push(r), onError: () => undefined });
  const file = { name: 'a.pcap', size: 100, slice: () => ({ arrayBuffer: async () => new ArrayBuffer(0) }) };
  const p = store.getState().importFiles([file]);
  assert.equal(store.getState().entries[0].phase, 'queued');
  assert.equal(store.getState().open, true);
  store.getState().onEvent({ kind: 'import-progress', id: '1', sensor: 'lab', ts: '1.0', rank: 0, path: '/cap/a.pcap', bytes_read: 40, total_bytes: 100 });
  assert.equal(store.getState().entries[0].phase, 'indexing');
  assert.equal(store.getState().entries[0].indexed, 40);
  // another client's import shows as its own entry
  store.getState().onEvent({ kind: 'import-progress', id: '2', sensor: 'lab', ts: '1.0', rank: 0, path: '/cap/other.pcap', bytes_read: 1, total_bytes: 9 });
  assert.equal(store.getState().entries.length, 2);
  assert.equal(store.getState().entries[1].local, false);
  const result: ImportResult = { path: '/cap/a.pcap', status: 'indexed', capture_id: 'c', packets: 3, flows: 1, bytes: 100, index_bytes: 10, message: null };
  resolve([result]);
  await p;
  assert.equal(store.getState().entries[0].phase, 'done');
  assert.deepEqual(finished, [[result]]);
  store.getState().clearFinished();
  assert.equal(store.getState().entries.length, 1);
});

test('a failed import marks its files failed with the reason', async () => {
  const bridge = new FakeBridge();
  bridge.importAnswer = () => Promise.reject(new BridgeCallError('session expired', 'log in', 401));
  const errors: BridgeCallError[] = [];
  const store = createImportStore({ bridge, onImported: () => undefined, onError: (e) => errors.push(e) });
  await store.getState().importFiles([{ name: 'a.pcap', size: 1, slice: () => ({ arrayBuffer: async () => new ArrayBuffer(0) }) }]);
  assert.equal(store.getState().entries[0].phase, 'failed');
  assert.equal(store.getState().entries[0].message, 'session expired log in');
  assert.equal(errors[0].status, 401);
});

test('the preload bridge is checked like the HTTP one', async () => {
  const inner = new FakeBridge();
  assert.equal(looksLikeBridge(inner), true);
  assert.equal(looksLikeBridge({ info: () => undefined }), false);
  const v = new ValidatedBridge(inner);
  inner.stats = () => Promise.resolve([{ sensor: 'lab' }] as never);
  await assert.rejects(v.stats(), (e: unknown) => e instanceof BridgeCallError && /does not understand/.test(e.message));
  inner.searchFlows = () => Promise.reject(Object.assign(new Error('no sensor x'), { hint: 'known: lab', status: 404 }));
  await assert.rejects(v.searchFlows({}), (e: unknown) => e instanceof BridgeCallError && e.hint === 'known: lab' && e.status === 404);
  const got: number[] = [];
  const rejected: string[] = [];
  v.onRejected((d) => rejected.push(d));
  v.subscribe((b) => got.push(b.events.length));
  inner.listener?.({ seq: 1, missed: 0, events: [{ kind: 'notice', id: 'n', sensor: 'lab', ts: '1.0', rank: 0, level: 'info', message: 'hi' }, { kind: 'bogus' } as never] });
  await tick();
  assert.deepEqual(got, [1]);
  assert.equal(rejected.length, 1);
  assert.equal(toBridgeError('plain').message, 'plain');
});
