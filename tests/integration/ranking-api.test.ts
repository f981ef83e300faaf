/**
 * The ranking API of `tapline serve` (/api/classes, /api/threat-lists): CRUD with validation
 * (400 naming the field), 404s, the Origin and CSRF rules of every state-changing route, and
 * rows from /api/flows ranked by what was created.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventClassSchema, ThreatListSchema, type EventClass, type FlowRow, type ThreatList } from '../../common/bridge/messages.js';
import { writeFixturePcap } from '../helpers/fixture-capture.js';
import { bearer, cliImport, raw, startServe, TOKEN, type Running } from './server-harness.js';

let dir = '';
let run: Running;
const json = { 'Content-Type': 'application/json' };
const auth = { ...bearer(), ...json };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tapline-ranking-api-'));
  writeFixturePcap(join(dir, 'fixture.pcap'));
  cliImport(join(dir, 'store'), join(dir, 'fixture.pcap'));
  run = await startServe({ storeDir: join(dir, 'store'), sensorId: 'rank' });
});

after(async () => {
  await run?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function login(): Promise<string> {
  const r = await raw(run.base, 'GET', `/login?token=${TOKEN}`);
  return String(r.headers['set-cookie']).split(';')[0];
}

const send = (method: string, path: string, body?: unknown, headers: Record<string, string> = auth) =>
  raw(run.base, method, path, { headers, body: body === undefined ? undefined : JSON.stringify(body) });

describe('event classes', () => {
  let made: EventClass;

  test('create, list, replace, delete', async () => {
    const created = await send('POST', '/api/classes', { name: 'Lab web', match: { address: '10.2.0.0/16', port: 80 }, rank_delta: 3 });
    assert.equal(created.status, 201, created.body.toString());
    made = EventClassSchema.parse(created.json());
    assert.match(made.id, /^class-[0-9a-f]{12}$/);
    assert.equal(made.enabled, true, 'enabled by default');

    const listed = await send('GET', '/api/classes', undefined, bearer());
    assert.equal(listed.status, 200);
    assert.deepEqual(listed.json(), [made]);

    const rows = (await send('GET', '/api/flows?port=80', undefined, bearer())).json<FlowRow[]>();
    assert.ok(rows.length > 0);
    for (const r of rows) {
      const inside = [r.client_ip, r.server_ip].some((a) => a?.startsWith('10.2.'));
      assert.deepEqual([r.rank, r.classes], inside ? [3, ['Lab web']] : [0, []], r.id);
    }

    const replaced = await send('PUT', `/api/classes/${made.id}`, { name: 'Lab web', match: { port: 80 }, set_rank: -4, enabled: false });
    assert.equal(replaced.status, 200, replaced.body.toString());
    assert.deepEqual(replaced.json(), { id: made.id, name: 'Lab web', match: { port: 80 }, set_rank: -4, enabled: false });
    const off = (await send('GET', '/api/flows?port=80', undefined, bearer())).json<FlowRow[]>();
    assert.ok(off.every((r) => r.rank === 0), 'a disabled class ranks nothing');

    const del = await send('DELETE', `/api/classes/${made.id}`, undefined, bearer());
    assert.equal(del.status, 204);
    assert.equal(del.body.length, 0);
    assert.deepEqual((await send('GET', '/api/classes', undefined, bearer())).json(), []);
    assert.equal((await send('DELETE', `/api/classes/${made.id}`, undefined, bearer())).status, 404);
    assert.equal((await send('PUT', `/api/classes/${made.id}`, { name: 'x', match: { port: 1 }, rank_delta: 1 })).status, 404);
  });

  test('invalid bodies and ids are 400 with the field named', async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: 'x', match: {}, rank_delta: 1 }, /^match: give at least one thing to match/],
      [{ name: 'x', match: { address: '10.0.0.0/33' }, rank_delta: 1 }, /^match\.address: is not an IP address or CIDR block/],
      [{ name: 'x', match: { port: 70000 }, rank_delta: 1 }, /^match\.port/],
      [{ name: 'x', match: { port: 80 }, rank_delta: 1, set_rank: 1 }, /^rank_delta: give either rank_delta or set_rank/],
      [{ name: 'x', match: { port: 80 } }, /^rank_delta: give either/],
      [{ name: 'x', match: { port: 80 }, rank_delta: 20 }, /^rank_delta/],
      [{ name: '', match: { port: 80 }, rank_delta: 1 }, /^name/],
      [{ name: 'a\nb', match: { port: 80 }, rank_delta: 1 }, /^name: must not contain control characters/],
      [{ name: 'x', match: { port: 80, evil: 1 }, rank_delta: 1 }, /^match/],
      [{ name: 'x', match: { port: 80 }, rank_delta: 1, id: 'mine' }, /^body|^id|Unrecognized/i],
      [{ name: 'x', match: { kind: 'ranking' }, rank_delta: 1 }, /^match\.kind/],
      [[], /^body/],
    ];
    for (const [body, why] of cases) {
      const r = await send('POST', '/api/classes', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(r.json<{ error: string }>().error, why, JSON.stringify(body));
    }
    const notJson = await raw(run.base, 'POST', '/api/classes', { headers: auth, body: '{' });
    assert.equal(notJson.status, 400);
    assert.equal((await raw(run.base, 'POST', '/api/classes', { headers: { ...bearer(), 'Content-Type': 'text/plain' }, body: '{}' })).status, 415);
    const badId = await send('DELETE', '/api/classes/has%20space', undefined, bearer());
    assert.equal(badId.status, 400);
    assert.match(badId.json<{ error: string }>().error, /^id: /);
    assert.equal((await send('GET', '/api/classes?x=1', undefined, bearer())).status, 400);
    assert.equal((await send('GET', '/api/classes', undefined, {})).status, 401);
    assert.deepEqual((await send('GET', '/api/classes', undefined, bearer())).json(), [], 'nothing was created');
  });
});

describe('threat lists', () => {
  test('create, list, replace, delete; ranks follow', async () => {
    const created = await send('POST', '/api/threat-lists', { name: 'C2', rank: 7, entries: ['8.8.8.8', '2001:db8::/32'] });
    assert.equal(created.status, 201, created.body.toString());
    const list: ThreatList = ThreatListSchema.parse(created.json());
    assert.deepEqual((await send('GET', '/api/threat-lists', undefined, bearer())).json(), [list]);
    const rows = (await send('GET', '/api/flows?host=8.8.8.8', undefined, bearer())).json<FlowRow[]>();
    assert.ok(rows.length > 0 && rows.every((r) => r.rank === 7));
    const v6 = (await send('GET', '/api/flows?host=2001:db8::/32', undefined, bearer())).json<FlowRow[]>();
    assert.ok(v6.length > 0 && v6.every((r) => r.rank === 7));

    const put = await send('PUT', `/api/threat-lists/${list.id}`, { name: 'Allowed', rank: -2, entries: ['8.8.8.8'] });
    assert.equal(put.status, 200);
    assert.ok((await send('GET', '/api/flows?host=8.8.8.8', undefined, bearer())).json<FlowRow[]>().every((r) => r.rank === -2));
    assert.equal((await send('DELETE', `/api/threat-lists/${list.id}`, undefined, bearer())).status, 204);
    assert.equal((await send('DELETE', `/api/threat-lists/${list.id}`, undefined, bearer())).status, 404);
  });

  test('a bad entry is 400 naming its index; too many entries or a huge body are refused', async () => {
    const r = await send('POST', '/api/threat-lists', { name: 'x', rank: 1, entries: ['10.0.0.1', '10.0.0.0/8', 'evil.example'] });
    assert.equal(r.status, 400);
    assert.match(r.json<{ error: string }>().error, /^entries\.2: is not an IP address or CIDR block/);
    assert.equal((await send('POST', '/api/threat-lists', { name: 'x', rank: 11, entries: [] })).status, 400);
    const many = Array.from({ length: 20_001 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`);
    assert.equal((await send('POST', '/api/threat-lists', { name: 'x', rank: 1, entries: many })).status, 400);
    const huge = Array.from({ length: 60_000 }, (_, i) => `2001:db8:${i.toString(16)}::ffff:ffff/128`);
    assert.equal((await send('POST', '/api/threat-lists', { name: 'x', rank: 1, entries: huge })).status, 413);
    assert.deepEqual((await send('GET', '/api/threat-lists', undefined, bearer())).json(), []);
  });
});

describe('Origin and CSRF on every ranking change', () => {
  const changes: [string, string, unknown][] = [
    ['POST', '/api/classes', { name: 'x', match: { port: 1 }, rank_delta: 1 }],
    ['PUT', '/api/classes/class-000000000000', { name: 'x', match: { port: 1 }, rank_delta: 1 }],
    ['DELETE', '/api/classes/class-000000000000', undefined],
    ['POST', '/api/threat-lists', { name: 'x', rank: 1, entries: ['10.0.0.1'] }],
    ['PUT', '/api/threat-lists/list-000000000000', { name: 'x', rank: 1, entries: ['10.0.0.1'] }],
    ['DELETE', '/api/threat-lists/list-000000000000', undefined],
  ];

  test('a foreign Origin is 403 even with the token', async () => {
    for (const [method, path, body] of changes) {
      for (const o of ['http://evil.example', 'null']) {
        const r = await send(method, path, body, { ...auth, Origin: o });
        assert.equal(r.status, 403, `${method} ${path} Origin ${o}`);
      }
    }
  });

  test('a cookie session needs X-Tapline-Request: 1 (and then passes); GET does not', async () => {
    const cookie = await login();
    for (const [method, path, body] of changes) {
      const r = await send(method, path, body, { Cookie: cookie, ...json });
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.match(r.json<{ error: string }>().error, /X-Tapline-Request/);
    }
    const ok = await send('POST', '/api/classes', { name: 'From the browser', match: { port: 1 }, rank_delta: 1 }, { Cookie: cookie, ...json, 'X-Tapline-Request': '1', Origin: run.base });
    assert.equal(ok.status, 201, ok.body.toString());
    const id = EventClassSchema.parse(ok.json()).id;
    const list = await send('GET', '/api/classes', undefined, { Cookie: cookie });
    assert.equal(list.status, 200);
    assert.equal((await send('DELETE', `/api/classes/${id}`, undefined, { Cookie: cookie, 'X-Tapline-Request': '1' })).status, 204);
  });
});
