import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SliceTarget } from '../../../common/bridge/messages.js';
import type { GridRow } from '../../../renderer/src/flows/row-store.js';
import { buildFlowMenu } from '../../../renderer/src/menu/flow-menu.js';
import { HTTP_V4, NON_IP } from './fixtures.js';

const row = (r: typeof HTTP_V4, rank = 0): GridRow => ({ ...r, rank, slot: 0 });
const url = (t: SliceTarget) => `URL(${JSON.stringify(t)})`;

test('row menu: download, follow, files, copy filters, CapMe URL, Community ID', () => {
  const items = buildFlowMenu(row(HTTP_V4), 'time', url);
  assert.deepEqual(
    items.map((i) => i.label),
    ['Download pcap', 'Follow stream', 'Show files in flow', 'Show files in flow(s) page (±1 h)', 'Copy as BPF filter', 'Copy as Wireshark display filter', 'Copy as CapMe URL', 'Copy Community ID'],
  );
  assert.deepEqual(items[0].action, { kind: 'download', target: { flow: HTTP_V4.id, sensor: 'lab' } });
  const capme = items.find((i) => i.id === 'copy-capme');
  assert.ok(capme && capme.action.kind === 'copy');
  assert.match(capme.action.text, /"sip":"141.142.228.5"/);
  const label = '141.142.228.5:59856 → 192.150.187.43:80';
  assert.deepEqual(items[1].action, { kind: 'follow', flow: HTTP_V4.id, sensor: 'lab', label });
  assert.deepEqual(items[2].action, { kind: 'files', flow: HTTP_V4.id, sensor: 'lab', label });
  // the payload page: this flow's hosts and server port, ±1 h around it, this flow picked
  assert.deepEqual(items[3].action, {
    kind: 'files-page',
    query: { hosts: ['141.142.228.5', '192.150.187.43'], port: 80, proto: 6, since: '1362688926', until: '1362696128', sensor: 'lab', flowIds: [HTTP_V4.id] },
  });
  // UDP flows can be followed; only TCP flows carry carved files
  const udp = buildFlowMenu(row({ ...HTTP_V4, proto: 17 }), 'time', url).map((i) => i.id);
  assert.ok(udp.includes('follow') && !udp.includes('files'));
});

test('address, port and protocol cells add filter, exclude, (addresses) search and (addresses, ports) classify', () => {
  const server = buildFlowMenu(row(HTTP_V4), 'server', url).slice(8);
  assert.deepEqual(
    server.map((i) => [i.label, i.action]),
    [
      ['Filter by 192.150.187.43', { kind: 'filter', field: 'ip', value: '192.150.187.43', exclude: false }],
      ['Exclude 192.150.187.43', { kind: 'filter', field: 'ip', value: '192.150.187.43', exclude: true }],
      ['Search records by this IP', { kind: 'search-ip', ip: '192.150.187.43' }],
      ['Search archived events by this IP', { kind: 'history', fields: { ip: '192.150.187.43', target: 'events' } }],
      ['Classify 192.150.187.43…', { kind: 'classify', field: 'address', value: '192.150.187.43' }],
    ],
  );
  const port = buildFlowMenu(row(HTTP_V4), 'clientPort', url).slice(8);
  assert.deepEqual(
    port.map((i) => [i.label, i.action]),
    [
      ['Filter by port 59856', { kind: 'filter', field: 'port', value: 59856, exclude: false }],
      ['Exclude port 59856', { kind: 'filter', field: 'port', value: 59856, exclude: true }],
      ['Classify port 59856…', { kind: 'classify', field: 'port', value: 59856 }],
    ],
  );
  const proto = buildFlowMenu(row(HTTP_V4), 'proto', url).slice(8);
  assert.deepEqual(
    proto.map((i) => [i.label, i.action]),
    [
      ['Filter by tcp', { kind: 'filter', field: 'proto', value: 6, exclude: false }],
      ['Exclude tcp', { kind: 'filter', field: 'proto', value: 6, exclude: true }],
    ],
  );
  assert.equal(buildFlowMenu(row(HTTP_V4), 'bytes', url).length, 8);
});

test('a non-IP flow offers only what works without a tuple', () => {
  const items = buildFlowMenu(row(NON_IP), 'server', url);
  assert.deepEqual(
    items.map((i) => i.id),
    ['download'],
  );
});
