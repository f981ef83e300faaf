/**
 * Historical search: the "Search Events or Flows" form, the archive query (exact IP and CIDR,
 * port, sid, text, rank, sensor), keyset paging that neither skips nor repeats, sorting,
 * CSV / JSON export, the chart data, and the store routing flow searches to the back end.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import { bucketSeconds, chartData } from '../../../renderer/src/archive/chart-data.js';
import {
  compileEventQuery,
  csvField,
  EMPTY_HISTORY_FORM,
  formToQuery,
  queryToFlowSearch,
  sortEvents,
  toArchived,
  toCsv,
  toJson,
  type HistoryForm,
} from '../../../renderer/src/archive/event-query.js';
import { MemoryEventArchive } from '../../../renderer/src/archive/memory-archive.js';
import { createHistoricalStore } from '../../../renderer/src/historical/historical-store.js';
import { FakeBridge, tick } from './fake-bridge.js';
import { HTTP_V4 } from './fixtures.js';

const NOW = Date.UTC(2024, 2, 1, 12, 0, 0);
const form = (over: Partial<HistoryForm>): HistoryForm => ({ ...EMPTY_HISTORY_FORM, since: '', ...over });

/** An IDS-style event of a kind another branch adds (read through its conventional fields). */
const alert = (i: number, src: string, over: Record<string, unknown> = {}): TaplineEvent =>
  ({ id: `a${i}`, sensor: 'lab', ts: `${1_700_000_000 + i}.5`, rank: i % 5, kind: 'alert', src_ip: src, src_port: 40000 + i, dst_ip: '192.0.2.80', dst_port: 80, proto: 'tcp', sid: 1000 + (i % 3), msg: `ET TEST ${i % 3}`, ...over }) as unknown as TaplineEvent;

test('the form converts to a query and names each wrong field', () => {
  const ok = formToQuery(form({ since: '2024-03-01 11:00', ip: '10.0.0.0/8', port: '443', proto: 'tcp', sid: '2001219', text: 'scan', minRank: '-2', sensor: 'lab' }), 'UTC', NOW);
  assert.ok('query' in ok);
  assert.deepEqual(ok.query, { since: Date.UTC(2024, 2, 1, 11) / 1000, ip: '10.0.0.0/8', port: 443, proto: 6, sid: 2001219, text: 'scan', minRank: -2, sensor: 'lab' });
  const bad = formToQuery(form({ since: 'yesterday', ip: '10.0.0.300', port: '70000', proto: 'tcpx', sid: '0', minRank: '500' }), 'UTC', NOW);
  assert.ok('errors' in bad);
  assert.deepEqual(Object.keys(bad.errors).sort(), ['ip', 'minRank', 'port', 'proto', 'sid', 'since']);
  const flows = formToQuery(form({ target: 'flows', sid: '5' }), 'UTC', NOW);
  assert.ok('errors' in flows && flows.errors.sid, 'flows have no sid');
});

test('a query matches exact addresses and CIDR blocks on either side, and every other field', () => {
  const e = toArchived(alert(7, '10.1.2.3'));
  assert.deepEqual(e.ips, ['10.1.2.3', '192.0.2.80']);
  assert.deepEqual(e.ports, [40007, 80]);
  const m = (q: Parameters<typeof compileEventQuery>[0]) => compileEventQuery(q)(e);
  assert.equal(m({ ip: '10.1.2.3' }), true);
  assert.equal(m({ ip: '10.0.0.0/8' }), true);
  assert.equal(m({ ip: '192.0.2.0/24' }), true, 'the destination side counts too');
  assert.equal(m({ ip: '10.1.2.4' }), false);
  assert.equal(m({ ip: '2001:db8::/32' }), false);
  assert.equal(m({ port: 80 }), true);
  assert.equal(m({ port: 81 }), false);
  assert.equal(m({ sid: 1001 }), true);
  assert.equal(m({ sid: 1000 }), false);
  assert.equal(m({ text: 'et test' }), true);
  assert.equal(m({ minRank: 3 }), false);
  assert.equal(m({ minRank: 2 }), true);
  assert.equal(m({ proto: 17 }), false);
  assert.equal(m({ since: 1_700_000_007.5, until: 1_700_000_007.5 }), true);
  assert.equal(m({ since: 1_700_000_008 }), false);
  assert.equal(m({ sensor: 'other' }), false);
});

test('keyset pages cover every match once, newest first, even when events arrive between pages', async () => {
  const a = new MemoryEventArchive();
  await a.add(Array.from({ length: 25 }, (_, i) => alert(i, i % 2 ? '10.0.0.1' : '10.0.0.2')));
  const seen: string[] = [];
  let page = await a.page({ ip: '10.0.0.1' }, 'desc', null, 5);
  seen.push(...page.rows.map((r) => r.id));
  // a newer event arriving now must not shift the later pages
  await a.add([alert(100, '10.0.0.1')]);
  while (page.next) {
    page = await a.page({ ip: '10.0.0.1' }, 'desc', page.next, 5);
    seen.push(...page.rows.map((r) => r.id));
  }
  const expected = Array.from({ length: 25 }, (_, i) => i).filter((i) => i % 2).reverse().map((i) => `a${i}`);
  assert.deepEqual(seen, expected);
});

test('sorting, CSV (quoted, formula-safe) and JSON export', () => {
  const rows = [toArchived(alert(1, '10.0.0.9', { msg: '=HYPERLINK("x"), "quoted"' })), toArchived(alert(2, '10.0.0.1'))];
  assert.deepEqual(sortEvents(rows, { key: 'src', dir: 'asc' }).map((r) => r.id), ['a2', 'a1']);
  assert.deepEqual(sortEvents(rows, { key: 'rank', dir: 'desc' }).map((r) => r.id), ['a2', 'a1']);
  assert.equal(csvField('=1+2'), "'=1+2");
  assert.equal(csvField('a,b'), '"a,b"');
  const csv = toCsv(rows).split('\r\n');
  assert.equal(csv[0], 'time,sensor,kind,rank,src_ip,dst_ip,ports,proto,sid,message,bytes,packets,flow_id,id');
  assert.equal(csv[1], `2023-11-14T22:13:21.500Z,lab,alert,1,10.0.0.9,192.0.2.80,40001 80,6,1001,"'=HYPERLINK(""x""), ""quoted""",0,0,,a1`);
  assert.deepEqual(JSON.parse(toJson(rows)).map((e: { id: string }) => e.id), ['a1', 'a2']);
});

test('chart data: even buckets of events and bytes, top talkers, ports and signatures', () => {
  assert.equal(bucketSeconds(100), 1);
  assert.equal(bucketSeconds(3600), 30);
  assert.equal(bucketSeconds(86400), 1800);
  const rows = Array.from({ length: 9 }, (_, i) => toArchived(alert(i * 10, i < 6 ? '10.0.0.1' : '10.0.0.2', { bytes: 100 })));
  const d = chartData(rows);
  assert.equal(d.bucketSeconds, 1);
  assert.equal(d.buckets.reduce((n, b) => n + b.events, 0), 9);
  assert.equal(d.buckets.reduce((n, b) => n + b.bytes, 0), 900);
  assert.deepEqual(d.talkers.map((t) => [t.key, t.count]), [['192.0.2.80', 9], ['10.0.0.1', 6], ['10.0.0.2', 3]]);
  assert.equal(d.ports[0].key, '80');
  assert.deepEqual(d.signatures.map((s) => s.key).sort(), ['1000 ET TEST 0', '1001 ET TEST 1', '1002 ET TEST 2']);
});

test('the store searches the archive for events and the back end for flows', async () => {
  const bridge = new FakeBridge();
  const archive = new MemoryEventArchive();
  await archive.add([alert(1, '10.0.0.1'), alert(2, '10.0.0.2'), { id: 'f', sensor: 'lab', ts: HTTP_V4.first_ts, rank: 0, kind: 'flow', flow: HTTP_V4 }]);
  const s = createHistoricalStore({ bridge, archive, archiveVolatile: true, zone: () => 'UTC', now: () => NOW });
  s.getState().setField('since', '');
  assert.equal(await s.getState().pivot({ ip: '10.0.0.2' }), true);
  assert.deepEqual(s.getState().events.map((e) => e.id), ['a2']);
  assert.equal(s.getState().status.kind, 'done');
  assert.ok(s.getState().chart);

  s.getState().setField('target', 'flows');
  const done = s.getState().pivot({ ip: '141.142.228.0/24', port: '80', target: 'flows' });
  await tick();
  assert.deepEqual(bridge.searches.at(-1), { hosts: ['141.142.228.0/24'], port: 80, limit: 10_000 });
  assert.deepEqual(queryToFlowSearch({ ip: '10.0.0.1', until: 5 }), { hosts: ['10.0.0.1'], until: '5', limit: 10_000 });
  bridge.pending.shift()?.resolve([HTTP_V4]);
  await done;
  assert.deepEqual(s.getState().flows.map((f) => f.id), [HTTP_V4.id]);
  const exp = await s.getState().exportData('csv');
  assert.match(exp.text, /ddc7da321d65-0,lab,/);
});

test('a replayed event is archived once', async () => {
  const a = new MemoryEventArchive();
  await a.add([alert(1, '10.0.0.1'), alert(2, '10.0.0.1')]);
  await a.add([alert(2, '10.0.0.1')]);
  assert.equal((await a.stats()).count, 2);
});

test('an events search first merges the back end journal (events from before this window opened)', async () => {
  class JournalBridge extends FakeBridge {
    asked: unknown[] = [];
    override searchEvents(q: Parameters<FakeBridge['searchEvents']>[0]) {
      this.asked.push(q);
      return Promise.resolve([alert(50, '10.9.9.9')]);
    }
  }
  const bridge = new JournalBridge();
  const archive = new MemoryEventArchive();
  const s = createHistoricalStore({ bridge, archive, archiveVolatile: false, zone: () => 'UTC', now: () => NOW });
  s.getState().setField('since', '');
  await s.getState().pivot({ ip: '10.9.9.9' });
  assert.deepEqual(bridge.asked, [{ host: '10.9.9.9', limit: 10_000 }]);
  assert.deepEqual(s.getState().events.map((e) => e.id), ['a50']);
  assert.equal(s.getState().journalError, null);
});
