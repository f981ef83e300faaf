/**
 * The Historical Flow and Payload Data page: the default window is ±1 h around the event, the
 * query is editable (wrong fields named), the page lists the query's TCP flows and the files
 * carved from each (a flow that fails to carve says so without hiding the others), and preview
 * kinds never render active content.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CarvedFile } from '../../../common/bridge/messages.js';
import { BridgeCallError } from '../../../common/bridge/bridge.js';
import { createFilesPageStore, queryAround, toFlowSearch } from '../../../renderer/src/files-page/files-page-store.js';
import { formToFilesQuery } from '../../../renderer/src/files-page/files-query-form.js';
import { previewKind } from '../../../renderer/src/payload/payload-format.js';
import { FakeBridge, tick } from './fake-bridge.js';
import { HTTP_V4, ICMP_V4 } from './fixtures.js';

const file = (flowId: string, name: string, mime: string): CarvedFile =>
  ({ sha256: 'b'.repeat(64), md5: 'c'.repeat(32), sha1: 'd'.repeat(40), id: `${flowId}/0`, flowId, name, mime, declaredType: mime, size: 12, url: `http://x/${name}`, host: 'x', sensor: 'lab' }) as CarvedFile;

test('the default window is one hour either side of the event', () => {
  const q = queryAround({ hosts: ['10.0.0.1', '10.0.0.2', '10.0.0.3'], port: 80, proto: 6, firstTs: 1000.4, lastTs: 2000.2, sensor: 'lab' });
  assert.deepEqual(q, { hosts: ['10.0.0.1', '10.0.0.2'], port: 80, proto: 6, since: String(1000 - 3600 < 0 ? 0 : 1000 - 3600), until: String(2001 + 3600), sensor: 'lab' });
  assert.equal(q.since, '0', 'never before the epoch');
  assert.deepEqual(toFlowSearch(q), { hosts: ['10.0.0.1', '10.0.0.2'], port: 80, proto: 6, since: '0', until: '5601', sensor: 'lab', limit: 5000 });
});

test('the editable query names the wrong field', () => {
  const now = Date.UTC(2024, 0, 1);
  assert.deepEqual(formToFilesQuery({ hosts: '10.0.0.1 10.0.0.0/8', port: '80', since: '-2h', until: '' }, null, 'UTC', now), {
    query: { hosts: ['10.0.0.1', '10.0.0.0/8'], port: 80, since: String(now / 1000 - 7200), until: String(now / 1000) },
  });
  assert.match((formToFilesQuery({ hosts: 'example.com', port: '', since: '', until: '' }, null, 'UTC', now) as { error: string }).error, /^Hosts:/);
  assert.match((formToFilesQuery({ hosts: '', port: '99999', since: '', until: '' }, null, 'UTC', now) as { error: string }).error, /^Port:/);
  assert.match((formToFilesQuery({ hosts: '', port: '', since: '-1h', until: '-2h' }, null, 'UTC', now) as { error: string }).error, /^Until:/);
});

test('the page lists the TCP flows of the query and the files carved from each', async () => {
  const bridge = new FakeBridge();
  const other = { ...HTTP_V4, id: 'ddc7da321d65-9', first_ts: '1362692600.0' };
  bridge.files.set(HTTP_V4.id, [file(HTTP_V4.id, 'logo.png', 'image/png'), file(HTTP_V4.id, 'page.html', 'text/html')]);
  // other's files are missing: the fake answers 404 for it
  const store = createFilesPageStore(bridge);
  const done = store.getState().open(queryAround({ hosts: ['141.142.228.5'], port: 80, firstTs: 1362692526, lastTs: 1362692527 }));
  await tick();
  bridge.pending.shift()?.resolve([HTTP_V4, ICMP_V4, other]);
  await done;
  const st = store.getState();
  assert.equal(st.status, 'ready');
  assert.deepEqual(st.flows.map((f) => f.flow.id), [other.id, HTTP_V4.id], 'TCP flows only, newest first');
  const ok = st.flows.find((f) => f.flow.id === HTTP_V4.id);
  assert.deepEqual(ok?.files.map((f) => f.name), ['logo.png', 'page.html']);
  const failed = st.flows.find((f) => f.flow.id === other.id);
  assert.equal(failed?.status, 'error');
  assert.ok(failed?.error);
});

test('picked flows narrow the page; a failed search is reported with its hint', async () => {
  const bridge = new FakeBridge();
  bridge.files.set(HTTP_V4.id, []);
  const store = createFilesPageStore(bridge);
  const done = store.getState().open({ hosts: [], since: '0', until: '9999999999', flowIds: [HTTP_V4.id] });
  await tick();
  bridge.pending.shift()?.resolve([HTTP_V4, { ...HTTP_V4, id: 'ddc7da321d65-5' }]);
  await done;
  assert.deepEqual(store.getState().flows.map((f) => f.flow.id), [HTTP_V4.id]);

  const fail = store.getState().open({ hosts: [], since: '0', until: '1' });
  await tick();
  bridge.pending.shift()?.reject(new BridgeCallError('store offline', 'Start tapline serve again.'));
  await fail;
  assert.equal(store.getState().status, 'error');
  assert.deepEqual(store.getState().error, { message: 'store offline', hint: 'Start tapline serve again.' });
});

test('previews: raster images as images, HTML / SVG / scripts only as inert text, binaries as hex', () => {
  assert.equal(previewKind({ mime: 'image/png', declaredType: 'image/png', name: 'a.png' }), 'image');
  assert.equal(previewKind({ mime: 'image/svg+xml', declaredType: 'image/svg+xml', name: 'a.svg' }), 'inert');
  assert.equal(previewKind({ mime: 'text/html', declaredType: 'text/html', name: 'index.html' }), 'inert');
  assert.equal(previewKind({ mime: 'text/plain', declaredType: 'application/javascript', name: 'x' }), 'inert');
  assert.equal(previewKind({ mime: 'image/png', declaredType: 'image/png', name: 'evil.html' }), 'inert');
  assert.equal(previewKind({ mime: 'text/plain', declaredType: null, name: 'a.txt' }), 'text');
  assert.equal(previewKind({ mime: 'application/zip', declaredType: null, name: 'a.zip' }), 'hex');
});

test('an import that finished hands on the flows of that capture as flow events', async () => {
  const { importedFlowEvents } = await import('../../../renderer/src/realtime/import-feed.js');
  class StatsBridge extends FakeBridge {
    override stats() {
      return Promise.resolve([
        { sensor: 'lab', total: { size: 1, packets: 14, flows: 1, index_bytes: 1 }, captures: [{ id: 'ddc7da321d65', path: '/x.pcap', size: 1, packets: 14, flows: 1, index_bytes: 1, first_ts: '1362692526.869344000', last_ts: '1362692527.080972000', damage: null, available: true }] },
      ]);
    }
  }
  const bridge = new StatsBridge();
  const result = { path: '/x.pcap', status: 'indexed' as const, capture_id: 'ddc7da321d65', packets: 14, flows: 1, bytes: 1, index_bytes: 1, message: null };
  const pending = importedFlowEvents(bridge, 'lab', result);
  await tick();
  assert.deepEqual(bridge.searches.at(-1), { since: '1362692526.869344000', until: '1362692527.080972000', sensor: 'lab', limit: 100_000 });
  bridge.pending.shift()?.resolve([HTTP_V4, { ...HTTP_V4, id: 'aaaaaaaaaaaa-3' }]);
  const events = await pending;
  assert.deepEqual(events.map((e) => [e.kind, e.id, e.ts]), [['flow', `flow:${HTTP_V4.id}`, HTTP_V4.first_ts]], 'only that capture\'s flows');
  assert.deepEqual(await importedFlowEvents(bridge, 'lab', { ...result, status: 'unchanged' }), []);
});
