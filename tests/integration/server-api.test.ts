/**
 * The serve API end to end: a real store (built with the real CLI) behind a real TaplineServer on
 * 127.0.0.1, called with Node's fetch and the `ws` client. Answers are compared with what the CLI
 * prints and writes for the same question.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import WebSocket from 'ws';
import { EventBatchSchema, FlowRowSchema, type EventBatch, type FlowRow, type TaplineEvent } from '../../common/bridge/messages.js';
import { ROUTES } from '../../electron/server/routes/all-routes.js';
import { capturePath, corpusPresent, corpusSkipReason } from '../helpers/corpus.js';
import { writeFixturePcap } from '../helpers/fixture-capture.js';
import { bearer, cliFlows, cliImport, cliSlice, raw, startServe, TOKEN, waitFor, type Running } from './server-harness.js';

const SENSOR = 'api-test';
const CORPUS_CAPTURE = 'community-id-spec__combined.pcap';
const UPLOAD_CAPTURE = 'chrissanders__http_post.pcapng';

let dir = '';
let store = '';
let fixture = '';
let run: Running;
const auth = { headers: bearer() };

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`${run.base}${path}`, auth);
  assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

async function getBytes(path: string, init: RequestInit = auth): Promise<{ res: Response; bytes: Buffer }> {
  const res = await fetch(`${run.base}${path}`, init);
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(res.status, 200, `${path}: ${bytes.toString('utf8').slice(0, 300)}`);
  return { res, bytes };
}

/** A row without what the API adds to the CLI's fields: the sensor, its rank and class labels. */
const strip = (rows: FlowRow[]): Record<string, unknown>[] =>
  rows.map((r) => {
    const { sensor, rank, classes, ...rest } = r;
    assert.equal(sensor, SENSOR);
    assert.equal(rank, 0, 'no classes or threat lists in this store');
    assert.deepEqual(classes, []);
    return rest;
  });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tapline-serve-api-'));
  store = join(dir, 'store');
  fixture = join(dir, 'fixture.pcap');
  writeFixturePcap(fixture);
  cliImport(store, fixture, ...(corpusPresent ? [capturePath(CORPUS_CAPTURE)] : []));
});

before(async () => {
  run = await startServe({ storeDir: store, sensorId: SENSOR });
});

after(async () => {
  await run?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('queries', () => {
  test('GET /api/flows equals `tapline flows --json` (plus the sensor), also with filters', async () => {
    const all = await getJson<FlowRow[]>('/api/flows?limit=100000');
    for (const r of all) FlowRowSchema.parse(r);
    assert.deepEqual(strip(all), cliFlows(store));
    assert.ok(all.length >= 7);
    assert.deepEqual(strip(await getJson('/api/flows?host=10.2.0.9')), cliFlows(store, '--host', '10.2.0.9'));
    assert.deepEqual(strip(await getJson('/api/flows?host=10.1.0.5&host=8.8.8.8')), cliFlows(store, '--host', '10.1.0.5', '--host', '8.8.8.8'));
    assert.deepEqual(strip(await getJson('/api/flows?port=53&proto=udp')), cliFlows(store, '--port', '53', '--proto', 'udp'));
    assert.deepEqual(strip(await getJson('/api/flows?proto=6&limit=2')), cliFlows(store, '--proto', '6', '--limit', '2'));
    const cid = all.find((r) => r.community_id)?.community_id as string;
    assert.deepEqual(strip(await getJson(`/api/flows?community_id=${encodeURIComponent(cid)}`)), cliFlows(store, '--community-id', cid));
    assert.deepEqual(strip(await getJson(`/api/flows?sensor=${SENSOR}&since=1700000010&until=1700000020`)), cliFlows(store, '--since', '1700000010', '--until', '1700000020'));
  });

  test('on a corpus capture too', { skip: corpusSkipReason }, async () => {
    const rows = strip(await getJson<FlowRow[]>('/api/flows?limit=100000'));
    const corpus = cliFlows(store).filter((f) => !rows.every((r) => r.id !== f.id));
    assert.ok(corpus.length > 7, 'the corpus capture has flows');
    const sctp = strip(await getJson('/api/flows?proto=sctp'));
    assert.deepEqual(sctp, cliFlows(store, '--proto', 'sctp'));
  });

  test('GET /api/events, /api/stats, /api/info', async () => {
    const events = await getJson<TaplineEvent[]>('/api/events');
    assert.deepEqual(events, await run.services.searchEvents({}));
    const imports = await getJson<TaplineEvent[]>('/api/events?kind=notice&limit=5');
    assert.ok(imports.every((e) => e.kind === 'notice'));
    const stats = await getJson<{ sensor: string; captures: unknown[] }[]>('/api/stats');
    assert.equal(stats.length, 1);
    assert.equal(stats[0].sensor, SENSOR);
    assert.equal(stats[0].captures.length, corpusPresent ? 2 : 1);
    const info = await getJson<{ sensors: { id: string }[]; api_base: string }>('/api/info');
    assert.equal(info.sensors[0].id, SENSOR);
    assert.equal(info.api_base, run.base);
  });

  test('bad parameters are 400 with "<field>: <problem>"; unknown routes 404; wrong method 405', async () => {
    const cases: [string, RegExp][] = [
      ['/api/flows?port=70000', /^port: /],
      ['/api/flows?host=not-an-ip', /^host: /],
      ['/api/flows?limit=0', /^limit: /],
      ['/api/flows?since=yesterday', /^since: /],
      ['/api/flows?colour=red', /^colour: unknown query parameter/],
      ['/api/flows?port=80&port=81', /^port: given more than once/],
      ['/pcap?dip=10.2.0.9', /^sip: is required/],
      ['/pcap?sip=10.1.0.5&dip=10.2.0.9&stime=1700000020&etime=1700000010', /stime is after etime/],
      ['/api/flows/nope/pcap', /^id: /],
      ['/api/flows/zzz/files', /^id: /],
      ['/api/files/1234', /^sha256: /],
      ['/api/events?kind=FLOW', /^kind: /],
    ];
    for (const [path, re] of cases) {
      const r = await raw(run.base, 'GET', path, { headers: bearer() });
      assert.equal(r.status, 400, path);
      const body = r.json<{ error: string; hint: string | null }>();
      assert.match(body.error, re, path);
      assert.ok(!/\n\s+at /.test(r.body.toString()), 'no stack trace');
    }
    assert.equal((await raw(run.base, 'GET', '/api/nothing', { headers: bearer() })).status, 404);
    const m = await raw(run.base, 'DELETE', '/api/flows', { headers: bearer() });
    assert.equal(m.status, 405);
    assert.equal(m.headers.allow, 'GET');
    assert.equal((await raw(run.base, 'GET', '/api/live', { headers: bearer() })).status, 426);
  });

  test('file carving: unknown files 404, a flow without HTTP has no files', async () => {
    const flows = await getJson<FlowRow[]>('/api/flows?limit=1');
    const r = await raw(run.base, 'GET', `/api/files/${'ab'.repeat(32)}`, { headers: bearer() });
    assert.equal(r.status, 404);
    assert.deepEqual(Object.keys(r.json<object>()), ['error', 'hint']);
    const files = await raw(run.base, 'GET', `/api/flows/${flows[0].id}/files`, { headers: bearer() });
    assert.equal(files.status, 200);
    assert.ok(Array.isArray(files.json<unknown[]>()));
  });
});

describe('pcap slices', () => {
  let web: FlowRow;
  before(async () => {
    const rows = await getJson<FlowRow[]>('/api/flows?host=10.2.0.9&port=80');
    web = rows.find((r) => r.packets === 8) as FlowRow;
    assert.ok(web);
  });

  // the server deletes a slice's temp file right after the last byte went out
  const tmpEmpty = (): Promise<void> => waitFor(() => readdirSync(join(store, 'tmp')).length === 0, 'slice temp files to be deleted');

  test('the CapMe URL returns exactly the bytes of `tapline slice` (both directions, inclusive window)', async () => {
    const q = `sip=${web.client_ip}&spt=${web.client_port}&dip=${web.server_ip}&dpt=${web.server_port}&proto=tcp&stime=${web.first_ts}&etime=${web.last_ts}`;
    const { res, bytes } = await getBytes(`/pcap?${q}`);
    const expected = cliSlice(store, join(dir, 'capme.pcap'), '--sip', web.client_ip!, '--spt', String(web.client_port), '--dip', web.server_ip!, '--dpt', String(web.server_port), '--proto', 'tcp', '--stime', web.first_ts, '--etime', web.last_ts);
    assert.ok(bytes.equals(expected), 'same bytes as tapline slice');
    assert.equal(res.headers.get('content-type'), 'application/vnd.tcpdump.pcap');
    assert.equal(Number(res.headers.get('content-length')), expected.length);
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="tapline_10\.1\.0\.5_40000-10\.2\.0\.9_80_\d{8}T\d{6}Z\.pcap"$/);
    assert.equal(res.headers.get('x-tapline-packets'), '8');
    // reversed endpoints match the same packets
    const back = await getBytes(`/pcap?sip=${web.server_ip}&spt=${web.server_port}&dip=${web.client_ip}&dpt=${web.client_port}&stime=${web.first_ts}&etime=${web.last_ts}`);
    assert.ok(back.bytes.equals(expected));
    // a window of the first packet only (inclusive at both ends)
    const one = await getBytes(`/pcap?sip=${web.client_ip}&dip=${web.server_ip}&stime=${web.first_ts}&etime=${web.first_ts}`);
    assert.ok(one.bytes.equals(cliSlice(store, join(dir, 'one.pcap'), '--sip', web.client_ip!, '--dip', web.server_ip!, '--stime', web.first_ts, '--etime', web.first_ts)));
    assert.equal(one.res.headers.get('x-tapline-packets'), '1');
    await tmpEmpty();
    const none = await raw(run.base, 'GET', '/pcap?sip=192.0.2.1&dip=192.0.2.2', { headers: bearer() });
    assert.equal(none.status, 404);
  });

  test('GET /api/flows/{id}/pcap equals `tapline slice --flow`', async () => {
    const { res, bytes } = await getBytes(`/api/flows/${web.id}/pcap?sensor=${SENSOR}`);
    assert.ok(bytes.equals(cliSlice(store, join(dir, 'flow.pcap'), '--flow', web.id)));
    assert.match(res.headers.get('content-disposition') ?? '', /filename="tapline_flow-/);
    await tmpEmpty();
    assert.equal((await raw(run.base, 'GET', '/api/flows/000000000000-1/pcap', { headers: bearer() })).status, 404);
    assert.equal((await raw(run.base, 'GET', `/api/flows/${web.id}/pcap?sensor=elsewhere`, { headers: bearer() })).status, 404);
  });

  test('a slice on the corpus capture (pcap from pcap, verbatim records)', { skip: corpusSkipReason }, async () => {
    const rows = await getJson<FlowRow[]>('/api/flows?proto=tcp&limit=100000');
    const corpusFlow = rows.find((r) => !r.client_ip?.startsWith('10.') && r.client_port !== null);
    assert.ok(corpusFlow);
    const { bytes } = await getBytes(`/pcap?sip=${corpusFlow.client_ip}&spt=${corpusFlow.client_port}&dip=${corpusFlow.server_ip}&dpt=${corpusFlow.server_port}`);
    assert.ok(bytes.equals(cliSlice(store, join(dir, 'corpus.pcap'), '--sip', corpusFlow.client_ip!, '--spt', String(corpusFlow.client_port), '--dip', corpusFlow.server_ip!, '--dpt', String(corpusFlow.server_port))));
  });

  test('POST /api/alerts/pcap with a Suricata eve alert, with a community_id, and with our flow event', async () => {
    const ts = Number(web.first_ts.split('.')[0]) + 0.005;
    const iso = new Date(ts * 1000).toISOString().replace('Z', '+0000');
    const eve = {
      timestamp: iso,
      flow_id: 1234567,
      event_type: 'alert',
      src_ip: web.client_ip,
      src_port: web.client_port,
      dest_ip: web.server_ip,
      dest_port: web.server_port,
      proto: 'TCP',
      alert: { action: 'allowed', gid: 1, signature_id: 2000001, signature: 'test', severity: 2 },
    };
    const post = (body: unknown): Promise<Response> =>
      fetch(`${run.base}/api/alerts/pcap`, { method: 'POST', headers: { ...bearer(), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    // window [timestamp − 1 h, timestamp + 1 h]: both web conversations on this tuple
    let res = await post(eve);
    assert.equal(res.status, 200);
    const stime = new Date((Math.floor(ts) - 3600) * 1000).toISOString();
    let bytes = Buffer.from(await res.arrayBuffer());
    const windowed = cliSlice(store, join(dir, 'eve.pcap'), '--sip', web.client_ip!, '--spt', String(web.client_port), '--dip', web.server_ip!, '--dpt', String(web.server_port), '--proto', 'tcp', '--stime', `${Math.floor(ts) - 3600}.005000000`, '--etime', `${Math.floor(ts) + 3600}.005000000`);
    assert.ok(bytes.equals(windowed), `eve window ${stime}`);
    assert.equal(res.headers.get('x-tapline-packets'), '11');
    // flow.start narrows the window's start
    res = await post({ ...eve, flow: { start: new Date((ts + 5) * 1000).toISOString() } });
    bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(res.headers.get('x-tapline-packets'), '3', 'only the second conversation starts after flow.start');
    // community_id picks the matching flow whole
    res = await post({ ...eve, community_id: web.community_id });
    bytes = Buffer.from(await res.arrayBuffer());
    const whole = cliSlice(store, join(dir, 'cid.pcap'), '--flow', web.id);
    assert.ok(bytes.equals(whole));
    // our own flow event
    res = await post({ kind: 'flow', id: 'e1', sensor: SENSOR, ts: web.first_ts, rank: 0, flow: web });
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(whole));
    // bad bodies
    const bad = await post({ ...eve, timestamp: 'noon' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /^timestamp: /);
    const missing = await post({ src_ip: '10.1.0.5' });
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as { error: string }).error, /^dest_ip: /);
    await tmpEmpty();
  });

  test('a client that aborts a download leaves no temp file behind', async () => {
    const ac = new AbortController();
    const res = await fetch(`${run.base}/api/flows/${web.id}/pcap`, { ...auth, signal: ac.signal });
    assert.equal(res.status, 200);
    ac.abort();
    await waitFor(() => readdirSync(join(store, 'tmp')).length === 0, 'the temp file to go');
  });
});

describe('uploads and the live stream', () => {
  function collect(ws: WebSocket): EventBatch[] {
    const batches: EventBatch[] = [];
    ws.on('message', (data: Buffer) => batches.push(EventBatchSchema.parse(JSON.parse(data.toString('utf8')))));
    return batches;
  }

  function openLive(since?: number): Promise<WebSocket> {
    const ws = new WebSocket(`${run.base.replace('http', 'ws')}/api/live${since === undefined ? '' : `?since=${since}`}`, { headers: bearer() });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }

  async function upload(path: string, chunks: number): Promise<{ id: string; result: { status: string; path: string; flows: number } }> {
    const data = readFileSync(path);
    const created = await fetch(`${run.base}/api/uploads`, { method: 'POST', headers: { ...bearer(), 'Content-Type': 'application/json' }, body: JSON.stringify({ name: basename(path), size: data.length }) });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    const step = Math.ceil(data.length / chunks);
    for (let off = 0; off < data.length; off += step) {
      const put = await fetch(`${run.base}/api/uploads/${id}?offset=${off}`, { method: 'PUT', headers: { ...bearer(), 'Content-Type': 'application/octet-stream' }, body: data.subarray(off, off + step) });
      assert.equal(put.status, 200, await put.clone().text());
      assert.deepEqual(await put.json(), { received: Math.min(data.length, off + step) });
    }
    const imp = await fetch(`${run.base}/api/uploads/${id}/import`, { method: 'POST', headers: bearer() });
    assert.equal(imp.status, 200);
    return { id, result: (await imp.json()) as { status: string; path: string; flows: number } };
  }

  test('upload in 3 chunks, import: the flows appear; the live stream carries the import events in batches; ?since= replays what was missed', async () => {
    const ws = await openLive();
    const batches = collect(ws);
    const source = corpusPresent ? capturePath(UPLOAD_CAPTURE) : join(dir, 'fixture-part.pcap');
    if (!corpusPresent) writeFixturePcap(source, { truncateAt: 700 });
    const before = (await getJson<FlowRow[]>('/api/flows?limit=100000')).length;

    // offsets must follow what was received
    const size = statSync(source).size;
    const c = await fetch(`${run.base}/api/uploads`, { method: 'POST', headers: { ...bearer(), 'Content-Type': 'application/json' }, body: JSON.stringify({ name: '../../etc/evil\u0001name.pcap', size }) });
    const { id: probeId } = (await c.json()) as { id: string };
    const wrong = await fetch(`${run.base}/api/uploads/${probeId}?offset=10`, { method: 'PUT', headers: { ...bearer(), 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(10) });
    assert.equal(wrong.status, 409);
    const early = await fetch(`${run.base}/api/uploads/${probeId}/import`, { method: 'POST', headers: bearer() });
    assert.equal(early.status, 409);
    const past = await fetch(`${run.base}/api/uploads/${probeId}?offset=0`, { method: 'PUT', headers: { ...bearer(), 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(size + 1) });
    assert.equal(past.status, 413);
    const names = readdirSync(join(store, 'uploads'));
    const probeFile = names.find((n) => n.startsWith(probeId));
    assert.equal(probeFile, `${probeId}-_.._etc_evil_name.pcap`, 'sanitized: no separators, no control characters');

    const { result } = await upload(source, 3);
    assert.equal(result.status, 'indexed');
    assert.ok(result.flows > 0);
    assert.ok(result.path.startsWith(join(store, 'uploads')), 'imported in place from the upload folder');
    assert.ok(existsSync(result.path));
    const afterRows = await getJson<FlowRow[]>('/api/flows?limit=100000');
    assert.equal(afterRows.length, before + result.flows);

    await waitFor(() => batches.some((b) => b.events.some((e) => e.kind === 'import' && e.result.path === result.path)), 'the import event on the live stream');
    assert.ok(batches.every((b) => b.events.length > 0 || b.missed > 0));
    const progress = batches.flatMap((b) => b.events).filter((e) => e.kind === 'import-progress');
    assert.ok(progress.length >= 1, 'import progress events');
    const lastSeq = batches[batches.length - 1].seq;
    ws.close();

    // while disconnected: another import
    const second = join(dir, 'second.pcap');
    copyFileSync(fixture, second);
    writeFixturePcap(second, { truncateAt: 1200 });
    const { result: r2 } = await upload(second, 3);
    assert.equal(r2.status, 'indexed');

    const ws2 = await openLive(lastSeq);
    const replay = collect(ws2);
    await waitFor(() => replay.some((b) => b.events.some((e) => e.kind === 'import' && e.result.path === r2.path)), 'the missed import event, replayed');
    const seqs = replay.map((b) => b.seq);
    assert.ok(seqs.every((s) => s > lastSeq));
    assert.ok(!replay.some((b) => b.events.some((e) => e.kind === 'import' && e.result.path === result.path)), 'nothing from before since= again');
    ws2.close();
  });
});

describe('openapi.json', () => {
  test('is an OpenAPI 3.1 document listing every route with parameters and security', async () => {
    const doc = await getJson<{
      openapi: string;
      paths: Record<string, Record<string, { parameters: { name: string; in: string }[]; security: unknown[]; responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    }>('/api/openapi.json');
    assert.equal(doc.openapi, '3.1.0');
    const listed = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    const expected = [
      'GET /login', 'POST /login', 'POST /logout', 'GET /api/info', 'GET /api/flows', 'GET /api/events', 'GET /api/stats', 'GET /pcap', 'GET /api/flows/{id}/pcap',
      'POST /api/alerts/pcap', 'GET /api/flows/{id}/follow', 'GET /api/flows/{id}/files', 'GET /api/files/{sha256}', 'POST /api/uploads', 'PUT /api/uploads/{id}', 'POST /api/uploads/{id}/import', 'DELETE /api/uploads/{id}', 'GET /api/server-files', 'POST /api/server-files/import',
      'GET /api/live', 'GET /api/sensors', 'POST /api/sensors', 'DELETE /api/sensors/{id}', 'GET /api/openapi.json',
      'GET /api/classes', 'POST /api/classes', 'PUT /api/classes/{id}', 'DELETE /api/classes/{id}',
      'GET /api/threat-lists', 'POST /api/threat-lists', 'PUT /api/threat-lists/{id}', 'DELETE /api/threat-lists/{id}',
      'GET /api/flows/{id}/logs', 'GET /api/logs/stats',
      'GET /api/capture/interfaces', 'GET /api/captures', 'POST /api/captures', 'POST /api/captures/{id}/stop', 'GET /api/captures/gaps',
    ];
    assert.deepEqual([...listed].sort(), [...expected].sort());
    assert.deepEqual([...listed].sort(), ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    const flows = doc.paths['/api/flows'].get;
    assert.deepEqual(flows.parameters.map((p) => p.name).sort(), ['community_id', 'host', 'limit', 'port', 'proto', 'sensor', 'since', 'until']);
    assert.deepEqual(flows.security, [{ bearerAuth: [] }, { sessionCookie: [] }]);
    assert.deepEqual(doc.paths['/login'].get.security, []);
    assert.ok(doc.paths['/api/flows/{id}/pcap'].get.parameters.some((p) => p.name === 'id' && p.in === 'path'));
    for (const name of ['FlowRow', 'TaplineEvent', 'EventBatch', 'BackendInfo', 'StoreStats', 'Sensor', 'ImportResult', 'Error', 'AlertBody', 'EventClass', 'NewEventClass', 'ThreatList', 'NewThreatList', 'AddSensor', 'FollowResult', 'CarvedFile'])
      assert.ok(doc.components.schemas[name], name);
    assert.ok(doc.components.securitySchemes.bearerAuth && doc.components.securitySchemes.sessionCookie);
    // every $ref resolves
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/[A-Za-z]+"/g) ?? [];
    for (const r of refs) assert.ok(doc.components.schemas[r.split('/').pop()!.replace('"', '')], r);
  });
});

test('the bearer token is required (sanity for the shared token)', async () => {
  assert.equal((await fetch(`${run.base}/api/info`)).status, 401);
  assert.equal((await fetch(`${run.base}/api/info`, { headers: bearer(`${TOKEN}x`) })).status, 401);
});
