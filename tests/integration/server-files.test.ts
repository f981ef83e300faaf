/**
 * serve --import-dir: captures already on the server are listed and imported in place (no
 * upload); names that lead outside the directory (.., absolute paths, symbolic links) are refused;
 * the flows of an import reach the live stream before its import event.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { EventBatchSchema, type EventBatch, type FlowRow } from '../../common/bridge/messages.js';
import { TaplineServer } from '../../electron/server/server.js';
import { TaplineServices } from '../../electron/services/tapline-services.js';
import { writeFixturePcap } from '../helpers/fixture-capture.js';
import { bearer, TOKEN, waitFor } from './server-harness.js';

let dir = '';
let services: TaplineServices;
let server: TaplineServer;
let bare: TaplineServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tl-uiperf-files-'));
  const imports = join(dir, 'incoming');
  mkdirSync(join(imports, 'site-b'), { recursive: true });
  writeFixturePcap(join(imports, 'a.pcap'));
  writeFixturePcap(join(imports, 'site-b', 'b.pcap'), { shiftUs: 5_000_000 });
  writeFileSync(join(imports, 'notes.txt'), 'not a capture');
  writeFixturePcap(join(dir, 'outside.pcap'), { shiftUs: 9_000_000 });
  symlinkSync(join(dir, 'outside.pcap'), join(imports, 'escape.pcap'));
  services = await TaplineServices.open({ storeDir: join(dir, 'store'), sensorId: 'files' });
  const common = { services, storeDir: join(dir, 'store'), host: '127.0.0.1', port: 0, token: TOKEN, tls: null };
  server = await TaplineServer.start({ ...common, importDir: imports });
  bare = await TaplineServer.start(common);
});

after(async () => {
  await server?.close(1000);
  await bare?.close(1000);
  await services?.close();
  rmSync(dir, { recursive: true, force: true });
});

const post = (base: string, name: string) => fetch(`${base}/api/server-files/import`, { method: 'POST', headers: { ...bearer(), 'Content-Type': 'application/json' }, body: JSON.stringify({ name }) });

test('without --import-dir, listing and importing answer 404 with what to do', async () => {
  const list = await fetch(`${bare.url}/api/server-files`, { headers: bearer() });
  assert.equal(list.status, 404);
  const body = (await list.json()) as { error: string; hint: string };
  assert.match(body.hint, /--import-dir/);
  assert.equal((await post(bare.url, 'a.pcap')).status, 404);
});

test('the listing shows the capture files inside the directory, sub-directories included, and nothing else', async () => {
  const res = await fetch(`${server.url}/api/server-files`, { headers: bearer() });
  assert.equal(res.status, 200);
  const files = (await res.json()) as { name: string; size: number }[];
  assert.deepEqual(
    files.map((f) => f.name),
    ['a.pcap', 'site-b/b.pcap'],
  );
  assert.ok(files.every((f) => f.size > 24));
});

test('names that resolve outside the directory are refused, and nothing is imported', async () => {
  for (const [name, status] of [
    ['../outside.pcap', 403],
    ['site-b/../../outside.pcap', 403],
    ['escape.pcap', 403],
    [join(dir, 'outside.pcap'), 400],
    ['missing.pcap', 404],
    ['site-b', 400],
    ['notes.txt', 200],
  ] as const) {
    const res = await post(server.url, name);
    if (status === 200) {
      // inside the directory but not a capture: the import runs and reports the failure
      const r = (await res.json()) as { status: string; message: string };
      assert.equal(r.status, 'failed', name);
      continue;
    }
    assert.equal(res.status, status, `${name}: ${await res.clone().text()}`);
  }
  const flows = (await (await fetch(`${server.url}/api/flows?limit=1000`, { headers: bearer() })).json()) as FlowRow[];
  assert.equal(flows.length, 0, 'no flow of the outside capture was imported');
});

test('an import by name indexes the file in place; its flows arrive on the live stream before the import event, with the ids the search returns', async () => {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/live`, { headers: bearer() });
  const batches: EventBatch[] = [];
  ws.on('message', (data: Buffer) => batches.push(EventBatchSchema.parse(JSON.parse(data.toString('utf8')))));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  try {
    const res = await post(server.url, 'site-b/b.pcap');
    assert.equal(res.status, 200);
    const result = (await res.json()) as { status: string; path: string; flows: number; capture_id: string };
    assert.equal(result.status, 'indexed');
    assert.equal(result.path, join(dir, 'incoming', 'site-b', 'b.pcap'), 'indexed in place');
    const events = () => batches.flatMap((b) => b.events);
    await waitFor(() => events().some((e) => e.kind === 'import'), 'the import event');
    const all = events();
    const importAt = all.findIndex((e) => e.kind === 'import');
    const flowEvents = all.filter((e) => e.kind === 'flow');
    assert.ok(flowEvents.length > 0);
    assert.ok(all.findIndex((e) => e.kind === 'flow') < importAt, 'flows came before the import ended');
    const searched = (await (await fetch(`${server.url}/api/flows?limit=1000`, { headers: bearer() })).json()) as FlowRow[];
    const ids = new Set(searched.map((f) => f.id));
    assert.equal(ids.size, result.flows);
    const live = new Set(flowEvents.map((e) => (e.kind === 'flow' ? e.flow.id : '')));
    assert.deepEqual([...live].sort(), [...ids].sort(), 'every flow of the capture was published, under its index id');
  } finally {
    ws.close();
  }
});
