/**
 * The capture calls over the IPC dispatcher (what the preload invokes) against TaplineServices
 * with the fixture capture worker: arguments checked by the contract before anything runs,
 * results checked by the reply schemas, the service's errors as status + hint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_ENTRY_URL } from '../../../electron/main/lib/app-identity.js';
import { IPC_CHANNELS, parseIpcReply, type IpcReply } from '../../../electron/main/lib/ipc-contract.js';
import { IpcDispatcher, type SenderInfo } from '../../../electron/main/lib/ipc-dispatch.js';
import { TaplineServices } from '../../../electron/services/tapline-services.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/workers/capture-fixture-worker.mjs', import.meta.url));
const app: SenderInfo = { contentsId: 1, frameUrl: APP_ENTRY_URL, isMainFrame: true, isAppWindow: true };

describe('capture over IPC', () => {
  let dir = '';
  let services: TaplineServices;
  let dispatcher: IpcDispatcher;
  const call = (channel: string, ...args: unknown[]): Promise<IpcReply> => dispatcher.handle(channel, app, args);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-capipc-'));
    services = await TaplineServices.open({ storeDir: join(dir, 'store'), sensorId: 'desk', captureLaunch: { command: process.execPath, args: [FIXTURE] } });
    dispatcher = new IpcDispatcher({ services: () => services, apiBase: () => null, chooseSavePath: async () => null, push: () => true });
  });
  after(async () => {
    await services.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('listInterfaces, startCapture, captureStatus, stopCapture: replies valid for the preload', async () => {
    const ifs = parseIpcReply('listInterfaces', await call(IPC_CHANNELS.listInterfaces));
    assert.ok(ifs.ok && ifs.value[0].name === 'lo');
    const started = parseIpcReply('startCapture', await call(IPC_CHANNELS.startCapture, { source: { kind: 'iface', iface: 'lo', filter: 'udp' } }));
    assert.ok(started.ok, started.ok ? '' : started.error);
    assert.equal(started.value.state, 'running');
    const list = parseIpcReply('captureStatus', await call(IPC_CHANNELS.captureStatus));
    assert.ok(list.ok && list.value.some((c) => c.id === started.value.id && c.state === 'running'));
    const stopped = parseIpcReply('stopCapture', await call(IPC_CHANNELS.stopCapture, started.value.id));
    assert.ok(stopped.ok && stopped.value.state === 'stopped');
  });

  test('bad arguments are refused before the worker is asked', async () => {
    for (const args of [[{ source: { kind: 'iface', iface: '-i' } }], [{ source: { kind: 'ssh', destination: 'a@b', remote_iface: 'eth0', identity_file: 'id_rsa' } }], [], [{ source: { kind: 'iface', iface: 'lo' } }, 'extra']]) {
      const r = await call(IPC_CHANNELS.startCapture, ...args);
      assert.equal(r.ok ? null : r.status, 400, JSON.stringify(args));
    }
    const r = await call(IPC_CHANNELS.stopCapture, '../cap-1');
    assert.equal(r.ok ? null : r.status, 400);
  });

  test('a sensor option: this store by its id; an unregistered sensor is 404; anything else in the options is refused', async () => {
    const own = parseIpcReply('captureStatus', await call(IPC_CHANNELS.captureStatus, { sensor: 'desk' }));
    assert.ok(own.ok, own.ok ? '' : own.error);
    for (const [channel, args] of [
      [IPC_CHANNELS.captureStatus, [{ sensor: 'tl-nope' }]],
      [IPC_CHANNELS.listInterfaces, [{ sensor: 'tl-nope' }]],
      [IPC_CHANNELS.stopCapture, ['cap-1', { sensor: 'tl-nope' }]],
      [IPC_CHANNELS.startCapture, [{ sensor: 'tl-nope', source: { kind: 'iface', iface: 'lo' } }]],
    ] as const) {
      const r = await call(channel, ...args);
      assert.equal(r.ok ? null : r.status, 404, `${channel} ${JSON.stringify(args)}`);
    }
    for (const args of [[{ sensor: '../x' }], [{ other: 1 }]]) {
      const r = await call(IPC_CHANNELS.captureStatus, ...args);
      assert.equal(r.ok ? null : r.status, 400, JSON.stringify(args));
    }
  });

  test('no privilege: 403 with the hint', async () => {
    const r = await call(IPC_CHANNELS.startCapture, { source: { kind: 'iface', iface: 'denied' } });
    assert.ok(!r.ok);
    assert.equal(r.status, 403);
    assert.match(r.hint ?? '', /cap_net_raw,cap_net_admin/);
  });
});
