/**
 * The Real-Time view's row aggregation: flows of one client using one service become one row
 * covering N servers and client ports; repeated events become one counted row; events tied to
 * an address show under (and count in) every row covering it; flow rows without events stay
 * hidden until flow events are enabled; pause holds new rows back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowRow, TaplineEvent } from '../../../common/bridge/messages.js';
import { eventFacts } from '../../../renderer/src/events/event-facts.js';
import { AggregateStore } from '../../../renderer/src/realtime/aggregate-store.js';
import { HTTP_V4 } from './fixtures.js';

const flowEvent = (flow: FlowRow, rank = 0): { facts: ReturnType<typeof eventFacts>; flow: FlowRow } => {
  const e: TaplineEvent = { id: `e-${flow.id}`, sensor: flow.sensor, ts: flow.first_ts, rank, kind: 'flow', flow };
  return { facts: eventFacts(e), flow };
};
const flowN = (i: number, server: string, over: Partial<FlowRow> = {}): FlowRow => ({
  ...HTTP_V4,
  id: `ddc7da321d65-${i}`,
  server_ip: server,
  client_port: 40000 + i,
  first_ts: `${1362692526 + i}.000000000`,
  bytes: 100,
  packets: 2,
  ...over,
});
/** An event of a kind this build does not know (as another branch may add: discovery, syslog). */
const otherEvent = (kind: string, fields: Record<string, unknown>, ts = '1362692600.0'): { facts: ReturnType<typeof eventFacts> } => ({
  facts: eventFacts({ id: `${kind}-${ts}`, sensor: 'lab', ts, rank: 0, kind, ...fields }),
});

test('flows of one client to one service aggregate into one row covering N servers and client ports', () => {
  const s = new AggregateStore();
  s.setShowFlowRows(true);
  s.add([flowEvent(flowN(1, '192.0.2.1')), flowEvent(flowN(2, '192.0.2.2')), flowEvent(flowN(3, '192.0.2.2'))]);
  assert.equal(s.visibleCount, 1);
  const row = s.rowAt(0);
  assert.ok(row);
  assert.equal(row.flows, 3);
  assert.equal(row.bytes, 300);
  assert.equal(row.packets, 6);
  assert.deepEqual(row.servers, ['192.0.2.1', '192.0.2.2']);
  assert.deepEqual(row.clients, ['141.142.228.5']);
  assert.deepEqual(row.serverPorts, [80]);
  assert.deepEqual(row.clientPorts, [40001, 40002, 40003]);
  assert.deepEqual(s.list(row.index, 'servers'), ['192.0.2.1', '192.0.2.2']);
  // another service of the same client is another row
  s.add([flowEvent(flowN(4, '192.0.2.1', { server_port: 443 }))]);
  assert.equal(s.visibleCount, 2);
  assert.deepEqual(s.rowAt(0)?.serverPorts, [443]);
});

test('a flow re-sent as it grows replaces its totals instead of counting twice', () => {
  const s = new AggregateStore();
  s.setShowFlowRows(true);
  s.add([flowEvent(flowN(1, '192.0.2.1'))]);
  s.add([flowEvent(flowN(1, '192.0.2.1', { bytes: 250, packets: 5 }))]);
  const row = s.rowAt(0);
  assert.equal(row?.flows, 1);
  assert.equal(row?.bytes, 250);
  assert.equal(row?.packets, 5);
});

test('flow rows without related events are hidden by default; an event tied to an address shows them with it', () => {
  const s = new AggregateStore();
  s.add([flowEvent(flowN(1, '192.0.2.1')), flowEvent(flowN(2, '198.51.100.9', { client_ip: '10.9.9.9' }))]);
  assert.equal(s.visibleCount, 0, 'flow rows alone are hidden');
  s.add([otherEvent('service', { ip: '192.0.2.1', port: 80, service: 'http nginx/1.24' })]);
  // the service event is a row, and the flow row covering 192.0.2.1 is now shown with it
  assert.equal(s.visibleCount, 2);
  const kinds = [s.rowAt(0), s.rowAt(1)].map((r) => r?.rowKind).sort();
  assert.deepEqual(kinds, ['event', 'flow']);
  const flowRow = [s.rowAt(0), s.rowAt(1)].find((r) => r?.rowKind === 'flow');
  assert.equal(flowRow?.events, 1);
  assert.equal(flowRow?.tied[0]?.kind, 'service');
  assert.equal(flowRow?.tied[0]?.message, 'http nginx/1.24');
  assert.equal(flowRow?.tied[0]?.address, '192.0.2.1');
  s.setShowFlowRows(true);
  assert.equal(s.visibleCount, 3, 'enabling flow events shows the untied flow row');
  s.setShowFlowRows(false);
  assert.equal(s.visibleCount, 2);
});

test('repeated events of one signature between the same hosts aggregate into one counted row', () => {
  const s = new AggregateStore();
  const alert = (ts: string, rank: number) => ({
    facts: eventFacts({ id: `a${ts}`, sensor: 'lab', ts, rank, kind: 'alert', src_ip: '10.0.0.5', src_port: 5555, dst_ip: '192.0.2.7', dst_port: 22, proto: 'tcp', sid: 2001219, msg: 'ET SCAN Potential SSH Scan' }),
  });
  s.add([alert('100.0', 1), alert('101.0', 3), alert('102.0', 2)]);
  assert.equal(s.visibleCount, 1);
  const row = s.rowAt(0);
  assert.equal(row?.rowKind, 'event');
  assert.equal(row?.kind, 'alert');
  assert.equal(row?.events, 3);
  assert.equal(row?.rank, 3, 'the row carries the highest rank');
  assert.equal(row?.sid, 2001219);
  assert.equal(row?.proto, 6);
  assert.equal(row?.firstTs, 100);
  assert.equal(row?.lastTs, 102);
  assert.equal(row?.message, 'ET SCAN Potential SSH Scan');
});

test('a file event is tied to the row of its flow', () => {
  const s = new AggregateStore();
  s.add([flowEvent(flowN(1, '192.0.2.1'))]);
  assert.equal(s.visibleCount, 0);
  const file = { facts: { ...eventFacts({ id: 'f1', sensor: 'lab', ts: '1362692527.0', rank: 0, kind: 'custom-file', flow_id: 'ddc7da321d65-1', name: 'a.png' }) } };
  s.add([file]);
  const flowRow = [s.rowAt(0), s.rowAt(1)].find((r) => r?.rowKind === 'flow');
  assert.ok(flowRow, 'the flow row is shown once a file of its flow arrived');
  assert.equal(flowRow.events, 1);
});

test('pause holds new rows back and counts them; resume shows them on top', () => {
  const s = new AggregateStore();
  s.setShowFlowRows(true);
  s.add([flowEvent(flowN(1, '192.0.2.1'))]);
  s.pause();
  s.add([flowEvent(flowN(2, '192.0.2.1', { server_port: 22 })), flowEvent(flowN(3, '192.0.2.1', { server_port: 25 }))]);
  assert.equal(s.visibleCount, 1);
  assert.equal(s.pendingNew, 2);
  assert.deepEqual(s.rowAt(0)?.serverPorts, [80]);
  s.resume();
  assert.equal(s.visibleCount, 3);
  assert.deepEqual(s.rowAt(0)?.serverPorts, [25]);
});

test('bookkeeping events (import progress, class matches) are not rows', () => {
  const s = new AggregateStore();
  const changed = s.add([{ facts: eventFacts({ id: 'p', sensor: 'lab', ts: '1.0', rank: 0, kind: 'import-progress', path: '/x', bytes_read: 1, total_bytes: 2 }) }]);
  assert.equal(changed, false);
  assert.equal(s.size, 0);
});

test('the row cap drops the oldest tenth and keeps counting into the newest rows', () => {
  const s = new AggregateStore({ maxRows: 100 });
  s.setShowFlowRows(true);
  for (let i = 0; i < 150; i++) s.add([flowEvent(flowN(i, '192.0.2.1', { server_port: i }))]);
  assert.ok(s.size <= 100);
  assert.ok(s.dropped >= 50);
  assert.deepEqual(s.rowAt(0)?.serverPorts, [149]);
  s.add([flowEvent(flowN(1000, '192.0.2.9', { server_port: 149 }))]);
  assert.deepEqual(s.rowAt(0)?.servers, ['192.0.2.1', '192.0.2.9']);
  assert.equal(s.rowAt(0)?.flows, 2);
});

test('event facts of unknown kinds are read by conventional field names; hostnames are not addresses', () => {
  const f = eventFacts({ id: 'x', sensor: 's', ts: '5.5', rank: -2, kind: 'syslog', host: 'web01', log: { src_ip: '10.1.1.1', message: 'sshd: Failed password' } });
  assert.equal(f.kind, 'syslog');
  assert.equal(f.srcIp, '10.1.1.1');
  assert.equal(f.message, 'sshd: Failed password');
  assert.equal(f.rank, -2);
  assert.equal(f.ts, 5.5);
});

test('a row created after its address had events is shown with them, and later events keep counting', () => {
  const s = new AggregateStore();
  s.add([otherEvent('syslog', { src_ip: '192.0.2.50', message: 'sshd: Accepted publickey' })]);
  s.add([flowEvent(flowN(1, '192.0.2.50'))]);
  const flowRow = () => [0, 1].map((i) => s.rowAt(i)).find((r) => r?.rowKind === 'flow');
  assert.equal(flowRow()?.events, 1);
  s.add([otherEvent('syslog', { src_ip: '192.0.2.50', message: 'sshd: session closed' }, '1362692700.0')]);
  assert.equal(flowRow()?.events, 2);
  assert.equal(flowRow()?.tied[0]?.message, 'sshd: session closed', 'newest first');
});
