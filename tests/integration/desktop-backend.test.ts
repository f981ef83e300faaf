/**
 * The desktop app's back end without the Electron binary (electron/main/lib/desktop-backend.ts):
 * the services plus the serve API on 127.0.0.1 with the store's token — the preferred port or,
 * when taken, an ephemeral one; CapMe URLs built by the preload's pcapUrl return the slice; the
 * IPC info() names the API; remote sensors added from the desktop persist like serve's; a store
 * switch moves the API; without a usable token the app still works (and pcapUrl falls back).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendInfo, FlowRow } from '../../common/bridge/messages.js';
import { APP_ENTRY_URL } from '../../electron/main/lib/app-identity.js';
import { pcapUrlFor } from '../../electron/main/lib/deep-link.js';
import { DesktopBackend } from '../../electron/main/lib/desktop-backend.js';
import { IPC_CHANNELS } from '../../electron/main/lib/ipc-contract.js';
import { IpcDispatcher } from '../../electron/main/lib/ipc-dispatch.js';
import { writeFixturePcap } from '../helpers/fixture-capture.js';
import { cliImport, raw, startServe, TOKEN, waitFor, type Running } from './server-harness.js';

let dir = '';
let capture = '';

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

async function freePort(): Promise<number> {
  const s = await listenOn(0);
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const tokenOf = (store: string): string => readFileSync(join(store, 'serve-token'), 'utf8').trim();

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tapline-desktop-'));
  capture = join(dir, 'fixture.pcap');
  writeFixturePcap(capture);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the desktop back end', () => {
  test('loopback API on the preferred port with the store token; CapMe URLs return the slice; info names it', async () => {
    const store = join(dir, 'a');
    const port = await freePort();
    const logs: string[] = [];
    const b = await DesktopBackend.open({ storeDir: store, apiPort: port, sensorId: 'desk', log: (l) => logs.push(l) });
    try {
      assert.equal(b.apiBase, `http://127.0.0.1:${port}`);
      assert.equal(statSync(join(store, 'serve-token')).mode & 0o777, 0o600);
      const token = tokenOf(store);
      await b.services.importPaths([capture]);

      // no token: 401 like serve; with it, the same API
      assert.equal((await fetch(`${b.apiBase}/api/info`)).status, 401);
      const info = (await (await fetch(`${b.apiBase}/api/info`, { headers: { Authorization: `Bearer ${token}` } })).json()) as BackendInfo;
      assert.equal(info.sensors[0].id, 'desk');

      // the preload's pcapUrl with this base is a working CapMe URL
      const [flow] = (await b.services.searchFlows({ hosts: ['10.2.0.9'], port: 80, limit: 1 })) as FlowRow[];
      const url = pcapUrlFor({ sip: flow.client_ip ?? '', spt: flow.client_port ?? undefined, dip: flow.server_ip ?? '', dpt: flow.server_port ?? undefined, stime: flow.first_ts, etime: flow.last_ts }, b.apiBase);
      assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/pcap\\?sip=`));
      const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'application/vnd.tcpdump.pcap');
      const bytes = Buffer.from(await res.arrayBuffer());
      const reference = await b.services.slice({ flow: flow.id });
      try {
        assert.ok(bytes.equals(readFileSync(reference.path)), 'the CapMe URL returns exactly the flow slice');
      } finally {
        rmSync(reference.path, { force: true });
      }
      // a DNS-rebinding page cannot use it
      const rebinding = await raw(b.apiBase as string, 'GET', '/api/info', { headers: { Authorization: `Bearer ${token}`, Host: 'evil.example' } });
      assert.equal(rebinding.status, 403);

      // the IPC info() tells the renderer (and the preload) where the API is
      const dispatcher = new IpcDispatcher({ services: () => b.services, apiBase: () => b.apiBase, chooseSavePath: async () => null, push: () => true });
      const reply = await dispatcher.handle(IPC_CHANNELS.info, { contentsId: 1, frameUrl: APP_ENTRY_URL, isMainFrame: true, isAppWindow: true }, []);
      assert.ok(reply.ok);
      assert.equal((reply.value as BackendInfo).api_base, b.apiBase);
      assert.ok(logs.some((l) => l.includes(`local API on http://127.0.0.1:${port}`)));
    } finally {
      await b.close();
    }
    // closed: the port is free again
    const again = await listenOn(port);
    await new Promise<void>((r) => again.close(() => r()));
  });

  test('a taken port falls back to an ephemeral one, saying so', async () => {
    const blocker = await listenOn(0);
    const taken = (blocker.address() as { port: number }).port;
    const logs: string[] = [];
    const b = await DesktopBackend.open({ storeDir: join(dir, 'a'), apiPort: taken, sensorId: 'desk', log: (l) => logs.push(l) });
    try {
      assert.ok(b.apiBase);
      const port = Number(new URL(b.apiBase).port);
      assert.notEqual(port, taken);
      assert.ok(logs.some((l) => l.includes(`port ${taken} is taken`) && l.includes(b.apiBase as string)), logs.join('\n'));
      assert.equal((await fetch(`${b.apiBase}/api/stats`, { headers: { Authorization: `Bearer ${tokenOf(join(dir, 'a'))}` } })).status, 200);
    } finally {
      await b.close();
      await new Promise<void>((r) => blocker.close(() => r()));
    }
  });

  test('switching stores moves the API to the new store on the same port and releases the old store', async () => {
    const port = await freePort();
    const b = await DesktopBackend.open({ storeDir: join(dir, 'a'), apiPort: port, sensorId: 'desk', log: () => undefined });
    try {
      await b.switchStore(join(dir, 'b'));
      assert.equal(b.storeDir, join(dir, 'b'));
      assert.equal(b.apiBase, `http://127.0.0.1:${port}`);
      // the new store's token (each store has its own), and the new store's (empty) contents
      assert.equal((await fetch(`${b.apiBase}/api/flows`, { headers: { Authorization: `Bearer ${tokenOf(join(dir, 'a'))}` } })).status, 401);
      const rows = (await (await fetch(`${b.apiBase}/api/flows`, { headers: { Authorization: `Bearer ${tokenOf(join(dir, 'b'))}` } })).json()) as unknown[];
      assert.deepEqual(rows, []);
      // the old store's lock was released: it opens again
      const old = await DesktopBackend.open({ storeDir: join(dir, 'a'), apiPort: 0, sensorId: 'desk', log: () => undefined });
      await old.close();
    } finally {
      await b.close();
    }
  });

  test('without a usable token file the app still works; the API is off and says why', async () => {
    const store = join(dir, 'loose');
    const first = await DesktopBackend.open({ storeDir: store, apiPort: 0, sensorId: 'desk', log: () => undefined });
    await first.close();
    chmodSync(join(store, 'serve-token'), 0o644);
    const logs: string[] = [];
    const b = await DesktopBackend.open({ storeDir: store, apiPort: 0, sensorId: 'desk', log: (l) => logs.push(l) });
    try {
      assert.equal(b.apiBase, null);
      assert.ok(logs.some((l) => /local API not started: token file .* is accessible by other users/.test(l)), logs.join('\n'));
      assert.equal((await b.services.stats())[0].sensor, 'desk');
      assert.match(pcapUrlFor({ sip: '10.1.0.5', dip: '10.2.0.9' }, b.apiBase), /^tapline:\/\/flow\?/);
    } finally {
      await b.close();
    }
  });
});

describe('remote sensors added from the desktop', () => {
  let remote: Running;

  before(async () => {
    const remoteStore = join(dir, 'remote');
    cliImport(remoteStore, capture);
    remote = await startServe({ storeDir: remoteStore, sensorId: 'field', tls: true });
  });
  after(async () => {
    await remote?.close();
  });

  test('added through the services (pinned, persisted 0600), federated, restored on reopening, removed', async () => {
    const store = join(dir, 'desk-with-remote');
    const b = await DesktopBackend.open({ storeDir: store, apiPort: 0, sensorId: 'desk', log: () => undefined });
    try {
      const wrongPin = b.services.addRemoteSensor({ id: 'field', url: remote.base, token: TOKEN, fingerprint: 'AA'.repeat(32) });
      await assert.rejects(wrongPin, /does not match the pinned/);
      const added = await b.services.addRemoteSensor({ id: 'field', url: remote.base, token: TOKEN, fingerprint: remote.fingerprint });
      assert.equal(added.url, remote.base);
      assert.equal(statSync(join(store, 'sensors.json')).mode & 0o777, 0o600);
      await waitFor(() => b.services.sensors().find((s) => s.id === 'field')?.status === 'connected', 'the remote connected');
      const rows = await b.services.searchFlows({ sensor: 'field' });
      assert.ok(rows.length > 0 && rows.every((r) => r.sensor === 'field'));
      // remote rows are ranked by this instance's classes
      await b.services.createClass({ name: 'Field sensor', match: { sensor: 'field' }, rank_delta: -2 });
      assert.ok((await b.services.searchFlows({ sensor: 'field' })).every((r) => r.rank === -2 && r.classes[0] === 'Field sensor'));
      assert.ok((await remote.services.searchFlows({})).every((r) => r.rank === 0), 'the remote itself is unchanged');
    } finally {
      await b.close();
    }
    const reopened = await DesktopBackend.open({ storeDir: store, apiPort: 0, sensorId: 'desk', log: () => undefined });
    try {
      assert.deepEqual(reopened.services.sensors().map((s) => s.id), ['desk', 'field'], 'restored from STORE/sensors.json');
      // the loopback API and the services share one registry: listing through it shows the same
      const token = tokenOf(store);
      const listed = (await (await fetch(`${reopened.apiBase}/api/sensors`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { id: string }[];
      assert.deepEqual(listed.map((s) => s.id), ['desk', 'field']);
      await reopened.services.removeRemoteSensor('field');
      assert.deepEqual(JSON.parse(readFileSync(join(store, 'sensors.json'), 'utf8')), { version: 1, sensors: [] });
    } finally {
      await reopened.close();
    }
    assert.ok(existsSync(join(store, 'classes.json')));
  });
});
