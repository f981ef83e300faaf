/**
 * Imports of captures already on the server (serve --import-dir) from the UI: the HTTP bridge
 * lists and imports by name (a checked POST, no upload), and the import store shows the file as
 * indexing at once, follows its progress events and reports the finish or the failure.
 */
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { BridgeCallError } from '../../../common/bridge/bridge.js';
import type { ImportResult } from '../../../common/bridge/messages.js';
import type { ServerFile } from '../../../common/bridge/server-files.js';
import { hasServerFileSource } from '../../../renderer/src/bridge/capabilities.js';
import { HttpBridge } from '../../../renderer/src/bridge/http-bridge.js';
import { createImportStore } from '../../../renderer/src/import/import-store.js';
import { FakeBridge } from './fake-bridge.js';

const RESULT: ImportResult = { path: '/srv/in/site/b.pcap', status: 'indexed', capture_id: '0123456789ab', packets: 9, flows: 3, bytes: 900, index_bytes: 80, message: null };
const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];
let reply: (res: ServerResponse) => void = (res) => res.writeHead(404).end();
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString('utf8')));
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    reply(res);
  });
});
let origin = '';
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

function httpBridge(): HttpBridge {
  return new HttpBridge({
    origin,
    fetch: (url, init) => fetch(url, init),
    openSocket: () => {
      throw new Error('no sockets here');
    },
    startDownload: () => undefined,
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
    random: () => 0.5,
  });
}

const json = (status: number, body: unknown) => (res: ServerResponse) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));

test('the HTTP bridge lists server files and imports one by name with a checked POST; a server without an import directory is a 404 with its hint', async () => {
  const b = httpBridge();
  assert.ok(hasServerFileSource(b));
  reply = json(200, [{ name: 'site/b.pcap', size: 900, mtime_ms: 1 }]);
  assert.deepEqual(await b.listServerFiles(), [{ name: 'site/b.pcap', size: 900, mtime_ms: 1 }]);
  reply = json(200, RESULT);
  seen.length = 0;
  assert.deepEqual(await b.importServerFile('site/b.pcap'), RESULT);
  assert.equal(seen[0].method, 'POST');
  assert.equal(seen[0].url, '/api/server-files/import');
  assert.equal(seen[0].headers['x-tapline-request'], '1');
  assert.deepEqual(JSON.parse(seen[0].body), { name: 'site/b.pcap' });
  reply = json(404, { error: 'this server has no import directory', hint: 'start tapline serve with --import-dir DIR' });
  await assert.rejects(b.listServerFiles(), (e: unknown) => e instanceof BridgeCallError && e.status === 404 && /--import-dir/.test(e.hint ?? ''));
  // a malformed listing is refused, not shown
  reply = json(200, [{ name: '', size: -1 }]);
  await assert.rejects(b.listServerFiles(), BridgeCallError);
});

class ServerFileBridge extends FakeBridge {
  serverAnswer: () => Promise<ImportResult> = async () => RESULT;
  names: string[] = [];
  async listServerFiles(): Promise<ServerFile[]> {
    return [];
  }
  importServerFile(name: string): Promise<ImportResult> {
    this.names.push(name);
    return this.serverAnswer();
  }
}

test('a server file shows as indexing at once, takes its progress events by name, and finishes with the result', async () => {
  const bridge = new ServerFileBridge();
  let resolve: (r: ImportResult) => void = () => undefined;
  bridge.serverAnswer = () => new Promise((r) => (resolve = r));
  const finished: ImportResult[][] = [];
  const store = createImportStore({ bridge, onImported: (r) => finished.push(r), onError: () => undefined });
  const p = store.getState().importServerFile({ name: 'site/b.pcap', size: 900, mtime_ms: 1 });
  assert.deepEqual(bridge.names, ['site/b.pcap']);
  const entry = () => store.getState().entries[0];
  assert.equal(entry().phase, 'indexing');
  assert.equal(entry().name, 'b.pcap');
  assert.equal(store.getState().open, true);
  store.getState().onEvent({ kind: 'import-progress', id: '1', sensor: 'lab', ts: '1.0', rank: 0, path: '/srv/in/site/b.pcap', bytes_read: 450, total_bytes: 900 });
  assert.equal(entry().indexed, 450);
  assert.equal(entry().serverPath, '/srv/in/site/b.pcap');
  resolve(RESULT);
  assert.deepEqual(await p, RESULT);
  assert.equal(entry().phase, 'done');
  assert.deepEqual(finished, [[RESULT]]);
});

test('a refused server file is marked failed with the reason and what to do', async () => {
  const bridge = new ServerFileBridge();
  bridge.serverAnswer = () => Promise.reject(new BridgeCallError('"../x.pcap" is outside the import directory', 'only files inside the import directory can be imported this way', 403));
  const errors: BridgeCallError[] = [];
  const store = createImportStore({ bridge, onImported: () => assert.fail('not imported'), onError: (e) => errors.push(e) });
  assert.equal(await store.getState().importServerFile({ name: '../x.pcap', size: 1, mtime_ms: 0 }), null);
  assert.equal(store.getState().entries[0].phase, 'failed');
  assert.match(store.getState().entries[0].message ?? '', /outside the import directory only files inside/);
  assert.equal(errors[0].status, 403);
});
