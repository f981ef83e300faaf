/**
 * The renderer's ranking and sensor UI logic: the Classify action from the flows menu (new class
 * or existing class applied to a value), the settings forms (event class, threat list pasted one
 * entry per line, sensor), the stores behind them, and the HTTP bridge's new calls.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { BridgeCallError } from '../../../common/bridge/bridge.js';
import { NewEventClassSchema, type EventClass } from '../../../common/bridge/messages.js';
import { HttpBridge } from '../../../renderer/src/bridge/http-bridge.js';
import { buildFlowMenu } from '../../../renderer/src/menu/flow-menu.js';
import { createFlowsStore } from '../../../renderer/src/flows/flows-store.js';
import { EMPTY_CLASS_FORM, classToForm, describeMatch, effectText, formToClass } from '../../../renderer/src/ranking/class-form.js';
import { classChoices, classifyRequest, defaultClassifyForm, targetLabel } from '../../../renderer/src/ranking/classify.js';
import { createRankingStore, startClassify } from '../../../renderer/src/ranking/ranking-store.js';
import { EMPTY_THREAT_LIST_FORM, formToThreatList, parseEntries, threatListToForm } from '../../../renderer/src/ranking/threat-list-form.js';
import { EMPTY_SENSOR_FORM, formToSensor } from '../../../renderer/src/settings/sensor-form.js';
import { createSensorsStore } from '../../../renderer/src/settings/sensors-store.js';
import { FakeBridge } from './fake-bridge.js';
import { HTTP_V4 } from './fixtures.js';

const FP = 'AB:CD:'.repeat(15) + 'AB:CD';

function cls(id: string, name: string, match: EventClass['match'], effect: { rank_delta?: number; set_rank?: number }): EventClass {
  return { id, name, match, enabled: true, ...effect };
}

/** The ranking store as the window wires it: a change re-runs the flows search (services.ts). */
function rankingWithFlows(bridge = new FakeBridge()) {
  const flows = createFlowsStore({ bridge, zone: () => 'UTC', now: () => 1_700_000_000_000, frame: (fn) => fn() });
  const ranking = createRankingStore({ bridge, onChanged: () => void flows.getState().rerun() });
  return { bridge, flows, ranking };
}

describe('Classify from the flows menu', () => {
  test('the menu item opens the dialog for the value and loads the existing classes', async () => {
    const { ranking, bridge } = rankingWithFlows();
    bridge.classList = [cls('class-1', 'Backup', { port: 873 }, { rank_delta: -3 })];
    const item = buildFlowMenu({ ...HTTP_V4, slot: 0 }, 'server', () => 'u').find((i) => i.id === 'classify');
    assert.ok(item && item.action.kind === 'classify');
    assert.equal(item.label, 'Classify 192.150.187.43…');
    await startClassify(ranking, { field: item.action.field, value: item.action.value });
    assert.deepEqual(ranking.getState().classify, { field: 'address', value: '192.150.187.43' });
    assert.deepEqual(ranking.getState().classes.map((c) => c.id), ['class-1']);
    ranking.getState().closeClassify();
    assert.equal(ranking.getState().classify, null);
  });

  test('a new class from an address or a port, with a rank change', () => {
    const addr = { field: 'address' as const, value: '192.150.187.43' };
    const port = { field: 'port' as const, value: 8080 };
    assert.equal(targetLabel(addr), '192.150.187.43');
    assert.equal(targetLabel(port), 'port 8080');
    const form = { ...defaultClassifyForm([]), name: '  Known server ', delta: '+3' };
    assert.deepEqual(classifyRequest(addr, form, []), { value: { name: 'Known server', match: { address: '192.150.187.43' }, rank_delta: 3, enabled: true } });
    assert.deepEqual(classifyRequest(port, { ...form, delta: '-2' }, []), { value: { name: 'Known server', match: { port: 8080 }, rank_delta: -2, enabled: true } });
    const r = classifyRequest(addr, { ...form, name: ' ', delta: '11' }, []);
    assert.ok('errors' in r);
    assert.deepEqual(Object.keys(r.errors).sort(), ['delta', 'name']);
    for (const ok of ['-10', '0', '10']) assert.ok('value' in classifyRequest(addr, { ...form, delta: ok }, []), ok);
    for (const bad of ['', '1.5', 'x', '-11']) assert.ok('errors' in classifyRequest(addr, { ...form, delta: bad }, []), bad);
  });

  test('an existing class applied to a value: a rule of the same name and effect; a duplicate is refused', () => {
    const classes = [
      cls('class-2', 'Scanner', { address: '10.0.0.9' }, { set_rank: -4 }),
      cls('class-3', 'Scanner', { port: 22 }, { set_rank: -4 }),
      cls('class-1', 'Backup', { port: 873 }, { rank_delta: -3 }),
    ];
    assert.deepEqual(classChoices(classes), [
      { name: 'Backup', effect: '-3' },
      { name: 'Scanner', effect: '= -4' },
    ]);
    const form = { ...defaultClassifyForm(classes), mode: 'existing' as const, existing: 'Scanner' };
    assert.equal(defaultClassifyForm(classes).existing, 'Backup');
    const r = classifyRequest({ field: 'address', value: '10.0.0.77' }, form, classes);
    assert.deepEqual(r, { value: { name: 'Scanner', match: { address: '10.0.0.77' }, set_rank: -4, enabled: true } });
    assert.ok('value' in r && NewEventClassSchema.safeParse(r.value).success);
    const dup = classifyRequest({ field: 'address', value: '10.0.0.9' }, form, classes);
    assert.ok('errors' in dup && /already applies to 10\.0\.0\.9/.test(dup.errors.existing ?? ''));
    const none = classifyRequest({ field: 'port', value: 1 }, { ...form, existing: 'Gone' }, classes);
    assert.ok('errors' in none && none.errors.existing);
  });

  test('saving reruns the search so the grid shows the new rank; a failure is returned, not thrown', async () => {
    const { ranking, flows, bridge } = rankingWithFlows();
    const first = flows.getState().submit();
    bridge.answer([HTTP_V4]);
    await first;
    assert.equal(flows.getState().rows.rowAt(0)?.rank, 0);
    const out = await ranking.getState().saveClass(null, { name: 'Known server', match: { address: '192.150.187.43' }, rank_delta: 3 });
    assert.ok(out.ok);
    assert.equal(bridge.searches.length, 2, 'the search ran again');
    assert.deepEqual(bridge.searches[1], bridge.searches[0], 'the same search');
    // the back end answers with the row re-ranked: the grid shows it
    bridge.answer([{ ...HTTP_V4, rank: 3, classes: ['Known server'] }]);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([flows.getState().rows.rowAt(0)?.rank, flows.getState().rows.rowAt(0)?.classes], [3, ['Known server']]);
    assert.deepEqual(ranking.getState().classes.map((c) => c.name), ['Known server']);
    bridge.failNext = new BridgeCallError('STORE/classes.json is damaged', 'fix it', 503);
    const failed = await ranking.getState().saveClass(null, { name: 'x', match: { port: 1 }, rank_delta: 1 });
    assert.ok(!failed.ok && failed.error.status === 503 && failed.error.hint === 'fix it');
    assert.equal(ranking.getState().classes.length, 1);
    assert.equal(bridge.searches.length, 2, 'a failed change does not search again');
  });
});

describe('Settings: event classes', () => {
  test('the form turns into a class, with one message per wrong field', () => {
    const good = { ...EMPTY_CLASS_FORM, name: 'Lab', address: '10.0.0.0/8', port: '443', sid: '2019401', message: 'ET SCAN', sensor: 'dmz', kind: 'flow' as const, value: '-2' };
    assert.deepEqual(formToClass(good), {
      value: { name: 'Lab', match: { sid: 2019401, message_contains: 'ET SCAN', address: '10.0.0.0/8', port: 443, sensor: 'dmz', kind: 'flow' }, rank_delta: -2, enabled: true },
    });
    assert.deepEqual(formToClass({ ...good, effect: 'set', value: '5', enabled: false }), {
      value: { name: 'Lab', match: { sid: 2019401, message_contains: 'ET SCAN', address: '10.0.0.0/8', port: 443, sensor: 'dmz', kind: 'flow' }, set_rank: 5, enabled: false },
    });
    const bad = formToClass({ ...EMPTY_CLASS_FORM, address: '10.0.0.0/33', port: '70000', sid: '0', sensor: 'a b', value: '12' });
    assert.ok('errors' in bad);
    assert.deepEqual(Object.keys(bad.errors).sort(), ['address', 'name', 'port', 'sensor', 'sid', 'value']);
    assert.match(bad.errors.address ?? '', /"10\.0\.0\.0\/33" is not an IP address or CIDR block/);
    const empty = formToClass({ ...EMPTY_CLASS_FORM, name: 'Nothing' });
    assert.ok('errors' in empty && /at least one thing to match/.test(empty.errors.match ?? ''));
  });

  test('a class round-trips through the form; the list describes matches and effects', () => {
    const c = cls('class-9', 'Lab', { address: '2001:db8::/32', kind: 'notice', message_contains: 'disk' }, { set_rank: -1 });
    const back = formToClass(classToForm(c));
    assert.ok('value' in back);
    assert.deepEqual({ id: c.id, ...back.value }, c);
    assert.equal(describeMatch(c.match), 'address 2001:db8::/32, message contains "disk", notice events');
    assert.deepEqual([effectText(c), effectText({ rank_delta: 2 }), effectText({ rank_delta: -2 })], ['= -1', '+2', '-2']);
  });

  test('the store: enable/disable and delete go through the bridge; a damaged file shows its error but not the lists', async () => {
    const bridge = new FakeBridge();
    let changed = 0;
    const store = createRankingStore({ bridge, onChanged: () => changed++ });
    bridge.classList = [cls('class-1', 'B', { port: 1 }, { rank_delta: 1 }), cls('class-2', 'A', { port: 2 }, { rank_delta: 1 })];
    bridge.threatLists = [{ id: 'list-1', name: 'C2', rank: 5, entries: ['192.0.2.1'], enabled: true }];
    await store.getState().load();
    assert.deepEqual(store.getState().classes.map((c) => c.name), ['A', 'B'], 'sorted by name');
    const off = await store.getState().setClassEnabled(store.getState().classes[0], false);
    assert.ok(off.ok && off.value.enabled === false);
    assert.deepEqual(bridge.changes.at(-1), ['updateClass', 'class-2', { name: 'A', match: { port: 2 }, rank_delta: 1, enabled: false }]);
    assert.ok((await store.getState().deleteClass('class-1')).ok);
    assert.deepEqual(store.getState().classes.map((c) => c.id), ['class-2']);
    assert.equal(changed, 2);

    bridge.listClasses = () => Promise.reject(new BridgeCallError('/s/classes.json is damaged (is not valid JSON)', 'fix the file by hand', 503));
    await store.getState().load();
    assert.deepEqual(store.getState().classesError, { message: '/s/classes.json is damaged (is not valid JSON)', hint: 'fix the file by hand' });
    assert.equal(store.getState().listsError, null);
    assert.equal(store.getState().lists.length, 1);
  });
});

describe('Settings: threat lists', () => {
  test('entries pasted one per line: comments, blank lines and repeats ignored', () => {
    assert.deepEqual(parseEntries('# feed 2024-05\n198.51.100.7\n\n  203.0.113.0/24  # campaign\r\n2001:db8:bad::/48\n198.51.100.7\n'), {
      ok: true,
      entries: ['198.51.100.7', '203.0.113.0/24', '2001:db8:bad::/48'],
    });
  });

  test('a wrong line is named by its number', () => {
    const r = parseEntries('198.51.100.7\n# ok\n10.0.0.0/8\n10.0.0.300\n1.2.3.4');
    assert.deepEqual(r, { ok: false, line: 4, text: '10.0.0.300', message: 'line 4: "10.0.0.300" is not an IP address or CIDR block' });
    const f = formToThreatList({ ...EMPTY_THREAT_LIST_FORM, name: 'C2', entries: 'evil.example.com' });
    assert.ok('errors' in f && f.errors.entries === 'line 1: "evil.example.com" is not an IP address or CIDR block');
  });

  test('name, rank and at least one entry are required; a list round-trips', () => {
    const bad = formToThreatList({ ...EMPTY_THREAT_LIST_FORM, rank: '11', entries: '# nothing' });
    assert.ok('errors' in bad);
    assert.deepEqual(Object.keys(bad.errors).sort(), ['entries', 'name', 'rank']);
    const good = formToThreatList({ name: ' Allowed ', rank: '-3', entries: '10.0.0.0/8\n10.1.0.0/16', enabled: false });
    assert.deepEqual(good, { value: { name: 'Allowed', rank: -3, entries: ['10.0.0.0/8', '10.1.0.0/16'], enabled: false } });
    const l = { id: 'list-1', name: 'Allowed', rank: -3, entries: ['10.0.0.0/8', '10.1.0.0/16'], enabled: true };
    assert.deepEqual(formToThreatList(threatListToForm(l)), { value: { name: 'Allowed', rank: -3, entries: l.entries, enabled: true } });
  });
});

describe('Settings: sensors', () => {
  test('an https sensor needs its fingerprint; http only on loopback; the base URL only', () => {
    assert.deepEqual(formToSensor({ id: 'dmz', url: 'https://10.0.0.7:7880/', token: 't'.repeat(32), fingerprint: FP }), {
      value: { id: 'dmz', url: 'https://10.0.0.7:7880', token: 't'.repeat(32), fingerprint: FP },
    });
    assert.deepEqual(formToSensor({ id: 'local2', url: 'http://127.0.0.1:7881', token: 't'.repeat(32), fingerprint: '' }), {
      value: { id: 'local2', url: 'http://127.0.0.1:7881', token: 't'.repeat(32), fingerprint: null },
    });
    const e = (f: Partial<typeof EMPTY_SENSOR_FORM>) => {
      const r = formToSensor({ id: 'dmz', url: 'https://10.0.0.7:7880', token: 't'.repeat(32), fingerprint: FP, ...f });
      return 'errors' in r ? r.errors : {};
    };
    assert.ok(e({ fingerprint: '' }).fingerprint);
    assert.ok(e({ fingerprint: 'AB:CD' }).fingerprint);
    assert.ok(e({ url: 'http://10.0.0.7:7880' }).url);
    assert.ok(e({ url: 'https://10.0.0.7:7880/api' }).url);
    assert.ok(e({ url: 'https://user:pw@10.0.0.7' }).url);
    assert.ok(e({ url: 'ftp://10.0.0.7' }).url);
    assert.ok(e({ url: 'not a url' }).url);
    assert.ok(e({ token: 'short' }).token);
    assert.ok(e({ token: 'has a space in it 123456' }).token);
    assert.ok(e({ id: '../x' }).id);
    assert.deepEqual(e({}), {});
  });

  test('the store adds and removes through the bridge and refreshes the window info', async () => {
    const bridge = new FakeBridge();
    let changed = 0;
    const store = createSensorsStore({ bridge, onChanged: () => changed++ });
    await store.getState().load();
    assert.deepEqual(store.getState().sensors.map((s) => s.id), ['lab']);
    const added = await store.getState().add({ id: 'dmz', url: 'https://10.0.0.7:7880', token: 't'.repeat(32), fingerprint: FP });
    assert.ok(added.ok && added.value.status === 'connecting');
    assert.ok((await store.getState().remove('dmz')).ok);
    bridge.failNext = new BridgeCallError('lab is this instance\'s own store; it cannot be removed', null, 400);
    const refused = await store.getState().remove('lab');
    assert.ok(!refused.ok && refused.error.status === 400);
    assert.deepEqual(store.getState().sensors.map((s) => s.id), ['lab']);
    assert.equal(changed, 2);
  });
});

describe('the HTTP bridge', () => {
  interface Seen {
    method: string;
    url: string;
    headers: IncomingMessage['headers'];
    body: string;
  }
  const seen: Seen[] = [];
  let answer: (s: Seen, res: ServerResponse) => void = (_s, res) => res.writeHead(404).end();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(s);
      answer(s, res);
    });
  });
  let origin = '';
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  const bridge = () =>
    new HttpBridge({
      origin,
      fetch: (url, init) => fetch(url, init),
      openSocket: () => {
        throw new Error('no sockets');
      },
      startDownload: () => undefined,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      now: () => Date.now(),
      random: () => 0.5,
    });
  const json = (res: ServerResponse, status: number, body?: unknown) =>
    body === undefined ? res.writeHead(status).end() : res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));

  test('class, threat-list and sensor calls: methods, paths, the CSRF header on changes, checked answers', async () => {
    const c = cls('class-1', 'Web', { port: 80 }, { rank_delta: 1 });
    const l = { id: 'list-1', name: 'C2', rank: 5, entries: ['192.0.2.0/24'], enabled: true };
    const sensor = { id: 'dmz', name: 'dmz', url: 'https://10.0.0.7:7880', status: 'connecting', message: null };
    answer = (s, res) => {
      if (s.method === 'DELETE') return json(res, 204);
      if (s.url.startsWith('/api/classes')) return json(res, s.method === 'POST' ? 201 : 200, s.method === 'GET' ? [c] : c);
      if (s.url.startsWith('/api/threat-lists')) return json(res, s.method === 'POST' ? 201 : 200, s.method === 'GET' ? [l] : l);
      return json(res, s.method === 'POST' ? 201 : 200, s.method === 'GET' ? [sensor] : sensor);
    };
    const b = bridge();
    const newCls = { name: 'Web', match: { port: 80 }, rank_delta: 1 };
    assert.deepEqual(await b.listClasses(), [c]);
    assert.deepEqual(await b.createClass(newCls), c);
    assert.deepEqual(await b.updateClass('class-1', newCls), c);
    assert.equal(await b.deleteClass('class-1'), undefined);
    assert.deepEqual(await b.listThreatLists(), [l]);
    assert.deepEqual(await b.createThreatList({ name: 'C2', rank: 5, entries: ['192.0.2.0/24'] }), l);
    assert.deepEqual(await b.updateThreatList('list-1', { name: 'C2', rank: 5, entries: ['192.0.2.0/24'] }), l);
    assert.equal(await b.deleteThreatList('list-1'), undefined);
    assert.deepEqual(await b.listSensors(), [sensor]);
    assert.deepEqual(await b.addSensor({ id: 'dmz', url: 'https://10.0.0.7:7880', token: 't'.repeat(32), fingerprint: FP }), sensor);
    assert.equal(await b.removeSensor('dmz'), undefined);
    assert.deepEqual(
      seen.map((s) => [s.method, s.url, s.headers['x-tapline-request'] ?? null]),
      [
        ['GET', '/api/classes', null],
        ['POST', '/api/classes', '1'],
        ['PUT', '/api/classes/class-1', '1'],
        ['DELETE', '/api/classes/class-1', '1'],
        ['GET', '/api/threat-lists', null],
        ['POST', '/api/threat-lists', '1'],
        ['PUT', '/api/threat-lists/list-1', '1'],
        ['DELETE', '/api/threat-lists/list-1', '1'],
        ['GET', '/api/sensors', null],
        ['POST', '/api/sensors', '1'],
        ['DELETE', '/api/sensors/dmz', '1'],
      ],
    );
    assert.deepEqual(JSON.parse(seen[1].body), { ...newCls, enabled: true }, 'checked (and defaulted) before sending');
    assert.equal(seen[1].headers['content-type'], 'application/json');
  });

  test('an invalid class is refused before any request; a server refusal keeps its message and hint', async () => {
    seen.length = 0;
    const b = bridge();
    await assert.rejects(b.createClass({ name: 'x', match: {}, rank_delta: 1 }), (e: unknown) => e instanceof BridgeCallError && /event class is not valid/.test(e.message));
    await assert.rejects(b.deleteClass('../../etc'), (e: unknown) => e instanceof BridgeCallError && /class id is not valid/.test(e.message));
    assert.equal(seen.length, 0);
    answer = (_s, res) => json(res, 503, { error: '/s/classes.json is damaged', hint: 'fix the file by hand' });
    await assert.rejects(b.listClasses(), (e: unknown) => e instanceof BridgeCallError && e.status === 503 && e.hint === 'fix the file by hand');
    answer = (_s, res) => json(res, 200, [{ id: 'class-1', name: 'x', match: { port: 1 }, rank_delta: 40, enabled: true }]);
    await assert.rejects(b.listClasses(), (e: unknown) => e instanceof BridgeCallError && /does not understand/.test(e.message));
  });
});
