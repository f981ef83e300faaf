/**
 * Ranking and classification in the services on a real store: an import's events and the rows
 * of searchFlows carry ranks; class-match and ranking events are published and journaled; classes
 * and threat lists persist in STORE/classes.json and STORE/threat-lists.json across reopening;
 * a damaged classes.json gives a clear error and is left untouched.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBatch, NewEventClass, TaplineEvent } from '../../common/bridge/messages.js';
import { classesPath, threatListsPath } from '../../electron/services/ranking-config.js';
import { ServiceError } from '../../electron/services/sensor-backend.js';
import { TaplineServices } from '../../electron/services/tapline-services.js';
import { writeFixturePcap } from '../helpers/fixture-capture.js';

let dir = '';
let capture = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tapline-ranking-'));
  capture = join(dir, 'fixture.pcap');
  writeFixturePcap(capture);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Collects everything the bus delivers (flushing its 100 ms batches at once). */
function collect(s: TaplineServices): { events: TaplineEvent[]; flush(): void; stop(): void } {
  const events: TaplineEvent[] = [];
  const stop = s.bus.subscribe((b: EventBatch) => events.push(...b.events));
  return { events, flush: () => s.bus.flush(), stop };
}

describe('ranking in the services', () => {
  const store = (): string => join(dir, 'store');
  const WEB = '10.2.0.9';

  test('imports and searches carry ranks; class-match and ranking events are published and kept', async () => {
    const s = await TaplineServices.open({ storeDir: store(), sensorId: 'desk' });
    try {
      const list = await s.createThreatList({ name: 'Lab web server', rank: 4, entries: [`${WEB}/32`, '203.0.113.0/24'] });
      const web = await s.createClass({ name: 'Web', match: { port: 80 }, rank_delta: 1 });
      const imports = await s.createClass({ name: 'Imports', match: { kind: 'import' }, rank_delta: 2 });
      const off = await s.createClass({ name: 'Off', match: { kind: 'import' }, rank_delta: 9, enabled: false });
      assert.equal(list.enabled, true);
      assert.equal(off.enabled, false);

      const live = collect(s);
      const [result] = await s.importPaths([capture]);
      assert.equal(result.status, 'indexed');
      live.flush();
      live.stop();
      const imported = live.events.find((e) => e.kind === 'import');
      assert.ok(imported, 'an import event');
      assert.equal(imported.rank, 2);
      assert.deepEqual(imported.classes, ['Imports']);
      const matches = live.events.filter((e) => e.kind === 'class-match' && e.event_id === imported.id);
      assert.deepEqual(
        matches.map((m) => (m.kind === 'class-match' ? [m.class_id, m.class_name, m.rank] : null)),
        [[imports.id, 'Imports', 2]],
      );
      const ranking = live.events.find((e) => e.kind === 'ranking' && e.event_id === imported.id);
      assert.ok(ranking && ranking.kind === 'ranking');
      assert.deepEqual([ranking.old_rank, ranking.new_rank, ranking.rank], [0, 2, 2]);
      // progress is transient and never classified
      for (const e of live.events.filter((x) => x.kind === 'import-progress')) assert.equal(e.classes, undefined);

      // journaled, and found by kind
      const kept = await s.searchEvents({ kind: 'class-match' });
      assert.ok(kept.some((e) => e.kind === 'class-match' && e.event_id === imported.id));
      assert.ok((await s.searchEvents({ kind: 'ranking' })).some((e) => e.kind === 'ranking' && e.event_id === imported.id));

      // rows: the listed server +4, port 80 +1; everything else 0
      const rows = await s.searchFlows({ limit: 100 });
      assert.ok(rows.length >= 5);
      for (const r of rows) {
        const listed = r.server_ip === WEB || r.client_ip === WEB;
        const port80 = r.server_port === 80 || r.client_port === 80;
        assert.equal(r.rank, (listed ? 4 : 0) + (port80 ? 1 : 0), `${r.id} ${r.client_ip} → ${r.server_ip}:${r.server_port}`);
        assert.deepEqual(r.classes, port80 ? ['Web'] : []);
      }
      assert.ok(rows.some((r) => r.rank === 5), 'the web flow: list +4 and class +1');
      // a searched event is shown under the current classes
      await s.updateClass(web.id, { name: 'Web', match: { port: 80 }, set_rank: -1 });
      assert.ok((await s.searchFlows({ port: 80 })).every((r) => r.rank === -1));
    } finally {
      await s.close();
    }
  });

  test('classes and lists survive reopening, from STORE/classes.json and STORE/threat-lists.json', async () => {
    assert.ok(existsSync(classesPath(store())) && existsSync(threatListsPath(store())));
    const s = await TaplineServices.open({ storeDir: store(), sensorId: 'desk' });
    try {
      const classes = await s.listClasses();
      assert.deepEqual(classes.map((c) => c.name).sort(), ['Imports', 'Off', 'Web']);
      assert.deepEqual(classes.find((c) => c.name === 'Web')?.set_rank, -1);
      const [list] = await s.listThreatLists();
      assert.deepEqual(list.entries, ['10.2.0.9/32', '203.0.113.0/24']);
      const rows = await s.searchFlows({ hosts: [WEB], port: 80 });
      assert.ok(rows.length > 0 && rows.every((r) => r.rank === -1), 'set_rank replaces the list rank');
      const other = await s.searchFlows({ hosts: [WEB], proto: 'udp' });
      for (const r of other) assert.equal(r.rank, 4);
      // deleting persists too
      await s.deleteClass(classes.find((c) => c.name === 'Off')?.id ?? '');
      await s.deleteThreatList(list.id);
      const file = JSON.parse(readFileSync(classesPath(store()), 'utf8')) as { version: number; classes: unknown[] };
      assert.equal(file.version, 1);
      assert.equal(file.classes.length, 2);
      assert.deepEqual(JSON.parse(readFileSync(threatListsPath(store()), 'utf8')), { version: 1, lists: [] });
    } finally {
      await s.close();
    }
  });

  test('bad input is a 400, unknown ids a 404 (the services check what any caller sends)', async () => {
    const s = await TaplineServices.open({ storeDir: store(), sensorId: 'desk' });
    try {
      const bad: unknown[] = [
        { name: 'x', match: {}, rank_delta: 1 },
        { name: 'x', match: { address: '10.0.0.0/99' }, rank_delta: 1 },
        { name: 'x', match: { port: 80 }, rank_delta: 1, set_rank: 2 },
        { name: 'x', match: { port: 80 } },
        { name: ' ', match: { port: 80 }, rank_delta: 1 },
        { name: 'x', match: { port: 80 }, rank_delta: 11 },
        { name: 'x', match: { kind: 'import-progress' }, rank_delta: 1 },
      ];
      for (const b of bad) await assert.rejects(s.createClass(b as NewEventClass), (e: unknown) => e instanceof ServiceError && e.status === 400, JSON.stringify(b));
      await assert.rejects(s.createThreatList({ name: 'x', rank: 1, entries: ['10.0.0.1', 'not-an-ip'] }), (e: unknown) => e instanceof ServiceError && e.status === 400 && /entries\.1/.test(e.message));
      await assert.rejects(s.updateClass('class-nope', { name: 'x', match: { port: 1 }, rank_delta: 1 }), (e: unknown) => e instanceof ServiceError && e.status === 404);
      await assert.rejects(s.deleteThreatList('list-nope'), (e: unknown) => e instanceof ServiceError && e.status === 404);
    } finally {
      await s.close();
    }
  });

  test('a damaged classes.json: a clear error, threat lists still work, and the file is left as it was', async () => {
    const storeDir = join(dir, 'damaged');
    const first = await TaplineServices.open({ storeDir, sensorId: 'desk' });
    await first.createThreatList({ name: 'Bad', rank: 6, entries: ['10.2.0.0/16'] });
    await first.importPaths([capture]);
    await first.close();
    const damaged = '{"version":1,"classes":[{"id":"c1","name":"Web","match":{},"rank_delta":1,"enabled":true}]'; // torn and invalid
    writeFileSync(classesPath(storeDir), damaged);
    const logged: string[] = [];
    const s = await TaplineServices.open({ storeDir, sensorId: 'desk', log: (l) => logged.push(l) });
    try {
      const isDamaged = (e: unknown): boolean =>
        e instanceof ServiceError && e.status === 503 && e.message.includes(classesPath(storeDir)) && /not valid JSON/.test(e.message) && /nothing in it was changed/.test(e.hint ?? '');
      await assert.rejects(s.listClasses(), isDamaged);
      await assert.rejects(s.createClass({ name: 'New', match: { port: 80 }, rank_delta: 1 }), isDamaged);
      await assert.rejects(s.deleteClass('c1'), isDamaged);
      assert.equal(readFileSync(classesPath(storeDir), 'utf8'), damaged, 'not overwritten');
      assert.ok(logged.some((l) => l.includes('classes.json') && /event classes are off/.test(l)));
      const notices = await s.searchEvents({ kind: 'notice' });
      assert.ok(notices.some((e) => e.kind === 'notice' && e.level === 'error' && e.message.includes('classes.json')));
      // the other file still ranks
      assert.equal((await s.listThreatLists()).length, 1);
      const rows = await s.searchFlows({ hosts: ['10.2.0.9'] });
      assert.ok(rows.length > 0 && rows.every((r) => r.rank === 6 && r.classes.length === 0));
    } finally {
      await s.close();
    }
    assert.equal(readFileSync(classesPath(storeDir), 'utf8'), damaged, 'still untouched after closing');
    // a file that parses but breaks the schema is refused the same way, naming the field
    writeFileSync(classesPath(storeDir), JSON.stringify({ version: 1, classes: [{ id: 'c1', name: 'Web', match: { address: '10.0.0.0/99' }, rank_delta: 1, enabled: true }] }));
    const again = await TaplineServices.open({ storeDir, sensorId: 'desk' });
    try {
      await assert.rejects(again.listClasses(), (e: unknown) => e instanceof ServiceError && e.status === 503 && /classes\.0\.match\.address/.test(e.message));
    } finally {
      await again.close();
    }
  });
});
