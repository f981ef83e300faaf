/**
 * The Real-Time detail pane's data: a selected row's full records are looked up (flows from the
 * back end's store, else the flows grid, else the last archived flow event; the row's own events
 * and the events tied to it from the archive), every field is listed (nested fields as paths,
 * times flagged for full-precision display), and the pane's store loads on selection, reloads a
 * growing row at most every RELOAD_MS and drops a load that a newer one overtook.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeCallError } from '../../../common/bridge/bridge.js';
import { EventSchema, type FlowRow, type FlowSearch, type TaplineEvent } from '../../../common/bridge/messages.js';
import { MemoryEventArchive } from '../../../renderer/src/archive/memory-archive.js';
import { AggregateStore, type AggregateRow } from '../../../renderer/src/realtime/aggregate-store.js';
import { createRowDetailStore, RELOAD_MS } from '../../../renderer/src/realtime/detail/detail-store.js';
import { eventHeadline, eventLines, flattenRecord, flowLines } from '../../../renderer/src/realtime/detail/event-fields.js';
import { loadRowDetail, type RowDetailDeps } from '../../../renderer/src/realtime/detail/row-detail.js';
import { subline } from '../../../renderer/src/realtime/realtime-columns.js';
import { RowStore } from '../../../renderer/src/flows/row-store.js';
import { eventFacts } from '../../../renderer/src/events/event-facts.js';
import { HTTP_V4 } from './fixtures.js';

const CLIENT = HTTP_V4.client_ip as string;
const SERVER = HTTP_V4.server_ip as string;

const flow = (n: number, patch: Partial<FlowRow> = {}): FlowRow => ({ ...HTTP_V4, id: `ddc7da321d65-${n}`, client_port: 50000 + n, first_ts: `1362692526.${String(n).padStart(3, '0')}000001`, last_ts: `1362692527.${String(n).padStart(3, '0')}000009`, ...patch });
const flowEvent = (f: FlowRow, seq: number): TaplineEvent => EventSchema.parse({ id: `lab:flow:${f.id}:${seq}`, sensor: 'lab', ts: f.last_ts, rank: 0, kind: 'flow', flow: f });

const logEvent = EventSchema.parse({
  id: 'lab:log:1',
  sensor: 'lab',
  ts: '1362692527.500000001',
  rank: 0,
  kind: 'log',
  received_ts: '1362692528.000000000',
  event_ts: '1362692527.500000001',
  event_ts_zoned: true,
  transport: 'udp',
  sender_ip: '10.0.0.1',
  sender_port: 514,
  capture_flow: null,
  format: 'rfc5424',
  facility: 4,
  severity: 4,
  host: 'gw',
  app: 'sshd',
  message: `Failed password for root from ${CLIENT}`,
  raw: '<36>1 ...',
  fields: { user: 'root', method: 'password' },
  src_ip: CLIENT,
  src_port: 50001,
  dst_ip: SERVER,
  dst_port: 22,
  proto: 6,
  problem: null,
  flow_ids: [],
});

const SHA = 'a'.repeat(64);
const fileEvent = (flowId: string): TaplineEvent =>
  EventSchema.parse({
    id: `lab:file:${flowId}/0`,
    sensor: 'lab',
    ts: '1362692527.000000005',
    rank: 0,
    kind: 'file',
    file: {
      v: 1,
      id: `${flowId}/0`,
      flowId,
      protocol: 'http',
      kind: 'body',
      content: 'identity',
      sha256: SHA,
      md5: 'b'.repeat(32),
      sha1: 'c'.repeat(40),
      size: 1234,
      mime: 'text/plain',
      ext: 'txt',
      mimeSource: 'text',
      declaredType: 'text/plain',
      name: 'readme.txt',
      direction: 'download',
      url: 'http://example/readme.txt',
      host: 'example',
      userAgent: null,
      method: 'GET',
      status: 200,
      transaction: 0,
      email: null,
      range: null,
      encoding: { codings: [], status: 'identity', note: null },
      parentId: null,
      originalId: null,
      decodedId: null,
      sourceIds: [],
      firstTs: '1362692527.000000001',
      lastTs: '1362692527.000000005',
      firstPacket: 3,
      lastPacket: 7,
      incomplete: false,
      missingBytes: 0,
      notes: [],
      sensor: 'lab',
    },
  });

const alert = (sid: number, seq: number, flowId: string | null): TaplineEvent =>
  EventSchema.parse({
    id: `lab:ids:${sid}:${seq}`,
    sensor: 'lab',
    ts: `1362692527.10000000${seq}`,
    rank: 3,
    kind: 'ids',
    alert: {
      source: 'tapline',
      gid: 1,
      sid,
      rev: 3,
      msg: `ET POLICY test ${sid}`,
      classtype: 'policy-violation',
      priority: 1,
      action: 'alert',
      app_proto: 'http',
      ip_proto: 6,
      src_ip: CLIENT,
      src_port: 50001,
      dst_ip: SERVER,
      dst_port: 80,
      flow_id: flowId,
      community_id: HTTP_V4.community_id,
      packet: flowId ? { capture_id: 'ddc7da321d65', flow_index: 3 } : null,
    },
  });

function aggregate(events: TaplineEvent[]): AggregateStore {
  const agg = new AggregateStore();
  agg.setShowFlowRows(true);
  agg.add(events.map((e) => (e.kind === 'flow' ? { facts: eventFacts(e), flow: e.flow } : { facts: eventFacts(e) })));
  return agg;
}

function rowWhere(agg: AggregateStore, pred: (r: AggregateRow) => boolean): AggregateRow {
  for (let i = 0; i < agg.visibleCount; i++) {
    const r = agg.rowAt(i);
    if (r && pred(r)) return r;
  }
  throw new Error('no such row');
}

function deps(archive: MemoryEventArchive, search: (q: FlowSearch) => Promise<FlowRow[]>, grid: FlowRow[] = []): RowDetailDeps & { searches: FlowSearch[] } {
  const searches: FlowSearch[] = [];
  return {
    searches,
    bridge: {
      searchFlows: (q) => {
        searches.push(q);
        return search(q);
      },
    },
    archive,
    gridFlow: (sensor, id) => grid.find((f) => f.sensor === sensor && f.id === id) ?? null,
  };
}

test('a flow row: its flows come from the store (with log_count), newest first; tied log events and the files of its flows come from the archive', async () => {
  const f1 = flow(1);
  const f2 = flow(2);
  const events = [flowEvent(f1, 1), flowEvent(f2, 2), logEvent, fileEvent(f1.id)];
  const archive = new MemoryEventArchive();
  await archive.add(events);
  const row = rowWhere(aggregate(events), (r) => r.rowKind === 'flow');
  assert.equal(row.flows, 2);

  const stored = [
    { ...f1, log_count: 3 },
    { ...f2, log_count: 0 },
    { ...flow(9), client_ip: '10.9.9.9' }, // another flow the search also returned: not this row's
  ];
  const d = deps(archive, async () => stored);
  const detail = await loadRowDetail(row, d);

  assert.deepEqual(d.searches, [{ hosts: [CLIENT], port: 80, proto: 6, sensor: 'lab', since: '1362692526', until: '1362692529', limit: 5000 }]);
  assert.deepEqual(detail.flows.map((f) => [f.flow.id, f.source, f.flow.log_count]), [
    [f2.id, 'store', 0],
    [f1.id, 'store', 3],
  ]);
  assert.deepEqual(detail.missingFlows, []);
  assert.deepEqual(detail.events, [], 'a flow row has no events of its own');
  assert.deepEqual(detail.tied.map((e) => e.kind).sort(), ['file', 'log']);
  assert.deepEqual(detail.files.map((f) => [f.name, f.sha256, f.md5, f.sha1]), [['readme.txt', SHA, 'b'.repeat(32), 'c'.repeat(40)]]);
  assert.deepEqual(detail.problems, []);
});

test('when the back end cannot answer, flows come from the flows grid, else from their last archived event, and the failure is named', async () => {
  const f1 = flow(1, { packets: 4, bytes: 400 });
  const f1grown = { ...f1, packets: 9, bytes: 900, last_ts: '1362692530.000000001' };
  const f2 = flow(2);
  const events = [flowEvent(f1, 1), flowEvent(f2, 2), flowEvent(f1grown, 3)];
  const archive = new MemoryEventArchive();
  await archive.add(events);
  const row = rowWhere(aggregate(events), (r) => r.rowKind === 'flow');
  const inGrid = { ...f2, note: 'from the grid' };
  const detail = await loadRowDetail(
    row,
    deps(archive, async () => Promise.reject(new BridgeCallError('sensor lab is not reachable')), [inGrid]),
  );
  assert.deepEqual(detail.problems, ["the back end's flow search failed: sensor lab is not reachable"]);
  const byId = new Map(detail.flows.map((f) => [f.flow.id, f]));
  assert.equal(byId.get(f2.id)?.source, 'grid');
  assert.equal(byId.get(f2.id)?.flow.note, 'from the grid');
  assert.equal(byId.get(f1.id)?.source, 'archive');
  assert.equal(byId.get(f1.id)?.flow.packets, 9, 'the latest update of a re-sent flow');
  assert.equal(detail.flows[0].flow.id, f1.id, 'newest (by last packet) first');
});

test('an IDS event row: its own alerts (newest first, not another sid), the flow they name, and every rule field', async () => {
  const f1 = flow(1);
  const events = [alert(2000001, 1, f1.id), alert(2000001, 2, f1.id), alert(2000002, 3, null)];
  const archive = new MemoryEventArchive();
  await archive.add(events);
  const row = rowWhere(aggregate(events), (r) => r.rowKind === 'event' && r.sid === 2000001);
  assert.equal(row.events, 2);
  const d = deps(archive, async () => [f1]);
  const detail = await loadRowDetail(row, d);
  assert.deepEqual(detail.events.map((e) => e.id), ['lab:ids:2000001:2', 'lab:ids:2000001:1']);
  assert.equal(detail.eventsFound, 2);
  assert.deepEqual(detail.flows.map((f) => f.flow.id), [f1.id]);
  assert.deepEqual(d.searches[0].hosts, [CLIENT, SERVER]);
  assert.deepEqual(detail.tied.map((e) => e.id), ['lab:ids:2000002:3'], 'the other signature on the same addresses is related, not own');

  const e = detail.events[0];
  assert.equal(eventHeadline(e), '[1:2000001:3] ET POLICY test 2000001 (policy-violation, priority 1)');
  const lines = new Map(eventLines(e).map((l) => [l.path, l]));
  assert.equal(lines.get('alert.sid')?.value, '2000001');
  assert.equal(lines.get('alert.rev')?.value, '3');
  assert.equal(lines.get('alert.classtype')?.value, 'policy-violation');
  assert.equal(lines.get('alert.msg')?.label, 'message');
  assert.equal(lines.get('alert.community_id')?.value, HTTP_V4.community_id);
  assert.equal(lines.get('alert.packet.flow_index')?.value, '3');
  assert.equal(lines.get('ts')?.time, true);
  assert.equal(lines.get('ts')?.value, '1362692527.100000002', 'the time as sent, to the nanosecond');
});

test('every field is listed, including ones this build does not name (rule references), and a log\'s parsed fields', () => {
  const withRefs = { ...alert(1, 1, null), alert: { ...(alert(1, 1, null) as { alert: object }).alert, references: ['url,example.com/a', 'cve,2024-0001'] } };
  const refs = flattenRecord(withRefs as unknown as Record<string, unknown>).find((l) => l.path === 'alert.references');
  assert.equal(refs?.value, 'url,example.com/a\ncve,2024-0001');

  const lines = new Map(eventLines(logEvent).map((l) => [l.path, l]));
  assert.equal(lines.get('fields.user')?.value, 'root');
  assert.equal(lines.get('fields.method')?.value, 'password');
  assert.equal(lines.get('received_ts')?.time, true);
  assert.equal(lines.get('capture_flow')?.value, '—');
  assert.equal(lines.get('flow_ids')?.value, '—');
  assert.equal(eventHeadline(logEvent), `warning gw sshd: Failed password for root from ${CLIENT}`);

  const fl = new Map(flowLines({ ...HTTP_V4, log_count: 2, slot: 5 } as FlowRow).map((l) => [l.path, l]));
  assert.equal(fl.get('community_id')?.value, HTTP_V4.community_id);
  assert.equal(fl.get('first_ts')?.value, HTTP_V4.first_ts);
  assert.equal(fl.get('first_ts')?.time, true);
  assert.equal(fl.get('log_count')?.value, '2');
  assert.equal(fl.get('proto')?.value, 'tcp (6)');
  assert.match(fl.get('tcp_flags')?.value ?? '', /^[A-Z]+ \(0x1b\)$/);
  assert.equal(fl.has('slot'), false, 'grid bookkeeping is not a flow field');
  assert.equal(flowLines(HTTP_V4).some((l) => l.path === 'log_count'), false, 'absent when the sensor does not count logs');
});

test('the flow rows add up log_count once per flow however often a flow is re-sent, and say so below the addresses', () => {
  const f1 = flow(1, { log_count: 1 });
  const agg = aggregate([flowEvent(f1, 1), flowEvent({ ...f1, log_count: 4 }, 2), flowEvent(flow(2, { log_count: 2 }), 3), flowEvent(flow(3), 4)]);
  const row = rowWhere(agg, (r) => r.rowKind === 'flow');
  assert.equal(row.flows, 3);
  assert.equal(row.logs, 6);
  assert.match(subline(row, 'UTC'), /6 log messages/);
});

test('the pane store loads on selection, reloads a growing row at most every RELOAD_MS, and drops a load overtaken by a newer one', async () => {
  const f1 = flow(1);
  const archive = new MemoryEventArchive();
  const agg = aggregate([flowEvent(f1, 1), flowEvent(flow(2, { client_ip: '10.1.1.1' }), 2)]);
  const rowA = rowWhere(agg, (r) => r.clients[0] === CLIENT);
  const rowB = rowWhere(agg, (r) => r.clients[0] === '10.1.1.1');
  let now = 1_000_000;
  const answers: ((rows: FlowRow[]) => void)[] = [];
  const store = createRowDetailStore({
    bridge: { searchFlows: () => new Promise((r) => answers.push(r)) },
    archive,
    gridFlow: () => null,
    rowNow: (i) => agg.row(i),
    now: () => now,
  });
  const settle = () => new Promise((r) => setImmediate(r));

  const loadA = store.getState().show(rowA);
  await settle();
  assert.equal(store.getState().row, rowA.index);
  assert.equal(store.getState().loading, true);
  // another row selected before A's answer came: A's answer must not show under B
  const loadB = store.getState().show(rowB);
  await settle();
  answers[0]([f1]);
  await loadA;
  assert.equal(store.getState().detail, null);
  answers[1]([]);
  await loadB;
  assert.equal(store.getState().detail?.row.index, rowB.index);
  assert.equal(answers.length, 2);

  // the same row, unchanged: no new load
  await store.getState().show(rowB);
  assert.equal(answers.length, 2);
  // grown right after a load: held back until RELOAD_MS passed
  const grown = { ...rowB, flows: rowB.flows + 1 };
  await store.getState().show(grown);
  assert.equal(answers.length, 2);
  now += RELOAD_MS;
  const again = store.getState().show({ ...grown, flows: grown.flows + 1 });
  await settle();
  assert.equal(answers.length, 3);
  answers[2]([]);
  await again;
  // Refresh always loads
  const forced = store.getState().show(store.getState().detail?.row ?? null, { force: true });
  await settle();
  assert.equal(answers.length, 4);
  answers[3]([]);
  await forced;
  await store.getState().show(null);
  assert.equal(store.getState().row, -1);
});

test('the flows grid keeps log_count per row: given when the sensor counts logs, absent when it does not', () => {
  const rows = new RowStore();
  const counted = rows.upsert({ ...flow(1), log_count: 7 });
  const uncounted = rows.upsert(flow(2));
  assert.equal(rows.row(counted)?.log_count, 7);
  assert.equal('log_count' in (rows.row(uncounted) ?? {}), false);
  // a later update of the same flow replaces the count
  rows.upsert({ ...flow(1), log_count: 9 });
  assert.equal(rows.row(counted)?.log_count, 9);
});
