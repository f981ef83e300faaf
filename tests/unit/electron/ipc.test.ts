/**
 * The IPC bridge's main side without Electron: argument validation (zod) refuses malformed
 * calls, untrusted senders are refused, and the dispatcher drives the real services on a store
 * (import, search, slice download through the save "dialog", live event subscriptions).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBatch, FlowRow } from '../../../common/bridge/messages.js';
import { TaplineServices } from '../../../electron/services/tapline-services.js';
import { APP_ENTRY_URL } from '../../../electron/main/lib/app-identity.js';
import {
  bridgeErrorMessage,
  IPC_CHANNELS,
  IpcArgumentError,
  parseBridgeErrorMessage,
  parseIpcArgs,
  parseIpcReply,
  PUSH_CHANNELS,
  type IpcReply,
} from '../../../electron/main/lib/ipc-contract.js';
import { IpcDispatcher, type SenderInfo } from '../../../electron/main/lib/ipc-dispatch.js';
import { writeFixturePcap } from '../../helpers/fixture-capture.js';

describe('argument validation', () => {
  test('well-formed calls pass', () => {
    assert.deepEqual(parseIpcArgs('info', []), []);
    assert.deepEqual(parseIpcArgs('searchFlows', [{ hosts: ['10.0.0.0/8'], port: 443, limit: 10 }]), [{ hosts: ['10.0.0.0/8'], port: 443, limit: 10 }]);
    assert.deepEqual(parseIpcArgs('downloadPcap', [{ sip: '10.1.0.5', spt: 1, dip: '10.2.0.9', dpt: 80 }]), [{ sip: '10.1.0.5', spt: 1, dip: '10.2.0.9', dpt: 80 }]);
    assert.deepEqual(parseIpcArgs('importCaptures', [['/captures/a.pcap', 'C:\\caps\\b.pcapng', '\\\\server\\share\\c.pcap']]), [['/captures/a.pcap', 'C:\\caps\\b.pcapng', '\\\\server\\share\\c.pcap']]);
    assert.deepEqual(parseIpcArgs('subscribe', [{ since: 5 }]), [{ since: 5 }]);
  });

  const BAD: [Parameters<typeof parseIpcArgs>[0], unknown[], RegExp][] = [
    ['info', [1], /invalid arguments for info/],
    ['stats', [{}], /invalid arguments for stats/],
    ['searchFlows', [], /invalid arguments for searchFlows/],
    ['searchFlows', [{ limit: 1e9 }], /0\.limit/],
    ['searchFlows', [{ port: 70000 }], /0\.port/],
    ['searchFlows', [{ hosts: Array(9).fill('1.2.3.4') }], /0\.hosts/],
    ['searchFlows', [{ evil: true }], /evil|Unrecognized/i],
    ['searchFlows', [{ limit: 5 }, 'extra'], /invalid arguments for searchFlows/],
    ['searchFlows', ['{"limit":5}'], /invalid arguments/],
    ['searchEvents', [{ kind: 'x'.repeat(33) }], /0\.kind/],
    ['downloadPcap', [{ sip: '1.2.3.4' }], /invalid arguments for downloadPcap/],
    ['downloadPcap', [{ flow: 'a', sip: '1.2.3.4', dip: '5.6.7.8' }], /invalid arguments/],
    ['downloadPcap', [{ sip: '1.2.3.4', dip: '5.6.7.8', spt: -1 }], /invalid arguments/],
    ['importCaptures', [[]], /0/],
    ['importCaptures', [['relative.pcap']], /absolute path/],
    ['importCaptures', [['/a\0b.pcap']], /NUL/],
    ['importCaptures', [['/x'.repeat(3000)]], /0\.0/],
    ['importCaptures', [Array(257).fill('/a.pcap')], /0/],
    ['importCaptures', ['/a.pcap'], /invalid arguments/],
    ['subscribe', [{ since: -1 }], /0\.since/],
    ['subscribe', [{ since: 1, x: 2 }], /invalid arguments/],
    ['unsubscribe', [0], /invalid arguments/],
    ['unsubscribe', ['1'], /invalid arguments/],
    ['listSensors', [1], /invalid arguments for listSensors/],
    ['addSensor', [{ id: 'dmz', url: 'https://10.0.0.7:7880' }], /0\.token/],
    ['addSensor', [{ id: 'a b', url: 'https://10.0.0.7:7880', token: 't'.repeat(20) }], /0\.id/],
    ['addSensor', [{ id: 'dmz', url: 'https://10.0.0.7:7880', token: 't'.repeat(20), extra: 1 }], /invalid arguments/],
    ['removeSensor', ['../x'], /invalid arguments for removeSensor/],
    ['createClass', [{ name: 'x', match: {}, rank_delta: 1 }], /0\.match: give at least one thing/],
    ['createClass', [{ name: 'x', match: { address: '999.0.0.1' }, rank_delta: 1 }], /0\.match\.address/],
    ['createClass', [{ name: 'x', match: { port: 80 }, rank_delta: 1, set_rank: 2 }], /give either rank_delta or set_rank/],
    ['updateClass', [{ name: 'x', match: { port: 80 }, rank_delta: 1 }], /invalid arguments for updateClass/],
    ['updateClass', ['a/b', { name: 'x', match: { port: 80 }, rank_delta: 1 }], /invalid arguments for updateClass: 0/],
    ['deleteClass', [], /invalid arguments for deleteClass/],
    ['createThreatList', [{ name: 'x', rank: 1, entries: ['10.0.0.1', 'nope'] }], /0\.entries\.1/],
    ['createThreatList', [{ name: 'x', rank: 99, entries: [] }], /0\.rank/],
    ['deleteThreatList', [{ id: 'x' }], /invalid arguments for deleteThreatList/],
  ];
  for (const [call, args, why] of BAD) {
    test(`${call}(${JSON.stringify(args).slice(0, 50)}) is refused`, () => {
      assert.throws(
        () => parseIpcArgs(call, args),
        (e: unknown) => e instanceof IpcArgumentError && why.test(e.message),
      );
    });
  }

  test('unknown calls are refused', () => {
    assert.throws(() => parseIpcArgs('constructor' as 'info', []), /unknown bridge call/);
  });
});

describe('reply validation (the preload side)', () => {
  test('values must match the call', () => {
    assert.deepEqual(parseIpcReply('stats', { ok: true, value: [] }), { ok: true, value: [] });
    const bad = parseIpcReply('stats', { ok: true, value: [{ sensor: 1 }] });
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.error : '', /invalid reply to stats/);
    assert.deepEqual(parseIpcReply('info', { ok: false, error: 'no', hint: 'h', status: 404 }), { ok: false, error: 'no', hint: 'h', status: 404 });
    assert.equal(parseIpcReply('info', 'surprise').ok, false);
    assert.equal(parseIpcReply('info', { ok: true, value: {}, extra: 1 }).ok, false);
  });

  test('the hint survives contextBridge as a second line', () => {
    const m = bridgeErrorMessage({ error: 'no flow x', hint: 'search again' });
    assert.equal(m, 'no flow x\nhint: search again');
    assert.deepEqual(parseBridgeErrorMessage(m), { error: 'no flow x', hint: 'search again' });
    assert.deepEqual(parseBridgeErrorMessage('plain'), { error: 'plain', hint: null });
  });
});

describe('the dispatcher on a real store', () => {
  let dir: string;
  let services: TaplineServices;
  let dispatcher: IpcDispatcher;
  let nextSave: string | null = null;
  const pushed: { contentsId: number; channel: string; args: unknown[] }[] = [];
  let alive = true;
  const app: SenderInfo = { contentsId: 1, frameUrl: APP_ENTRY_URL, isMainFrame: true, isAppWindow: true };
  const call = (channel: string, ...args: unknown[]): Promise<IpcReply> => dispatcher.handle(channel, app, args);
  function value<T>(r: IpcReply): T {
    assert.ok(r.ok, r.ok ? '' : r.error);
    return r.value as T;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tapline-ipc-'));
    writeFixturePcap(join(dir, 'fixture.pcap'));
    services = await TaplineServices.open({ storeDir: join(dir, 'store'), sensorId: 'desk' });
    dispatcher = new IpcDispatcher({
      services: () => services,
      apiBase: () => null,
      chooseSavePath: async (name) => (nextSave === null ? null : join(nextSave, name)),
      push: (contentsId, channel, ...args) => {
        if (!alive) return false;
        pushed.push({ contentsId, channel, args });
        return true;
      },
    });
  });

  after(async () => {
    // the journal appends notices in the background; a search waits for them (close does not)
    await services.searchEvents({});
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('untrusted senders are refused before anything runs', async () => {
    for (const s of [
      { ...app, frameUrl: 'https://evil.example/' },
      { ...app, frameUrl: null },
      { ...app, isMainFrame: false },
      { ...app, isAppWindow: false },
      { ...app, frameUrl: 'app://tapline.evil/index.html' },
    ]) {
      const r = await dispatcher.handle(IPC_CHANNELS.importCaptures, s, [[join(dir, 'fixture.pcap')]]);
      assert.deepEqual(r.ok ? null : r.status, 403, JSON.stringify(s));
    }
    assert.equal(value<unknown[]>(await call(IPC_CHANNELS.stats))[0] !== undefined, true);
    const stats = value<{ captures: unknown[] }[]>(await call(IPC_CHANNELS.stats));
    assert.equal(stats[0].captures.length, 0, 'nothing was imported by the refused calls');
  });

  test('malformed calls get 400 with the reason; unknown channels 404', async () => {
    const r = await call(IPC_CHANNELS.searchFlows, { limit: 'all' });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.status, 400);
      assert.match(r.error, /^invalid arguments for searchFlows: 0\.limit/);
    }
    const u = await call('tapline:eval', 'process.exit()');
    assert.equal(u.ok ? null : u.status, 404);
  });

  test('info, import, search, stats', async () => {
    const info = value<{ version: string; sensors: { id: string }[]; api_base: null }>(await call(IPC_CHANNELS.info));
    assert.equal(info.sensors[0].id, 'desk');
    assert.equal(info.api_base, null);
    const imported = value<{ status: string }[]>(await call(IPC_CHANNELS.importCaptures, [join(dir, 'fixture.pcap')]));
    assert.equal(imported[0].status, 'indexed');
    const flows = value<FlowRow[]>(await call(IPC_CHANNELS.searchFlows, { hosts: ['10.2.0.9'], limit: 50 }));
    assert.ok(flows.length > 0);
    assert.ok(flows.every((f) => f.client_ip === '10.2.0.9' || f.server_ip === '10.2.0.9'));
    const stats = value<{ total: { flows: number } }[]>(await call(IPC_CHANNELS.stats));
    assert.ok(stats[0].total.flows >= flows.length);
  });

  test('a query the store rejects comes back as a 400 with its message', async () => {
    const r = await call(IPC_CHANNELS.searchFlows, { hosts: ['not-an-ip'] });
    assert.equal(r.ok ? null : r.status, 400);
    assert.match(r.ok ? '' : r.error, /not-an-ip/);
  });

  test('downloadPcap: saved where the user chose, the temporary slice removed; cancel saves nothing', async () => {
    const [flow] = value<FlowRow[]>(await call(IPC_CHANNELS.searchFlows, { hosts: ['10.2.0.9'], limit: 1 }));
    const out = mkdtempSync(join(tmpdir(), 'tapline-save-'));
    try {
      nextSave = out;
      const saved = value<{ saved: string }>(await call(IPC_CHANNELS.downloadPcap, { flow: flow.id }));
      assert.ok(saved.saved.startsWith(out));
      assert.match(saved.saved, /tapline_flow-.*\.pcap$/);
      const bytes = readFileSync(saved.saved);
      assert.equal(bytes.readUInt32LE(0).toString(16), 'a1b2c3d4');
      nextSave = null;
      assert.deepEqual(value(await call(IPC_CHANNELS.downloadPcap, { flow: flow.id })), { saved: null });
      assert.deepEqual(readdirSync(services.tmpDir), [], 'temporary slices are deleted either way');
      const missing = await call(IPC_CHANNELS.downloadPcap, { sip: '192.0.2.1', dip: '192.0.2.2' });
      assert.equal(missing.ok ? null : missing.status, 404);
      assert.ok(!missing.ok && missing.hint !== null, 'the hint travels too');
    } finally {
      rmSync(out, { recursive: true, force: true });
      nextSave = null;
    }
  });

  test('live events: pushed to the subscribing renderer, stopped on unsubscribe and on reload', async () => {
    pushed.length = 0;
    const id = value<number>(await call(IPC_CHANNELS.subscribe, {}));
    services.local.notice('info', 'hello');
    services.bus.flush();
    const mine = pushed.filter((p) => p.channel === PUSH_CHANNELS.events);
    assert.equal(mine.length, 1);
    assert.equal(mine[0].contentsId, 1);
    assert.equal(mine[0].args[0], id);
    assert.equal((mine[0].args[1] as EventBatch).events.at(-1)?.kind, 'notice');

    assert.equal(value<boolean>(await call(IPC_CHANNELS.unsubscribe, id)), true);
    assert.equal(value<boolean>(await call(IPC_CHANNELS.unsubscribe, id)), false);
    const other = await dispatcher.handle(IPC_CHANNELS.unsubscribe, { ...app, contentsId: 2 }, [id]);
    assert.equal(other.ok && other.value, false, 'a renderer cannot end another one\'s subscription');

    await call(IPC_CHANNELS.subscribe, { since: 0 });
    assert.equal(dispatcher.subscriptionCount(1), 1);
    dispatcher.dropSubscriptions(1);
    assert.equal(dispatcher.subscriptionCount(), 0);

    // a renderer that went away is dropped at the next delivery
    await call(IPC_CHANNELS.subscribe, {});
    alive = false;
    services.local.notice('info', 'anyone?');
    services.bus.flush();
    assert.equal(dispatcher.subscriptionCount(), 0);
    alive = true;
  });

  test('classes and threat lists through IPC: created, ranked into searches, replaced, deleted', async () => {
    const created = value<{ id: string; enabled: boolean }>(await call(IPC_CHANNELS.createClass, { name: 'Lab web', match: { address: '10.2.0.9' }, rank_delta: 2 }));
    assert.equal(created.enabled, true);
    const list = value<{ id: string }>(await call(IPC_CHANNELS.createThreatList, { name: 'Resolvers', rank: -1, entries: ['8.8.8.8'] }));
    const web = value<FlowRow[]>(await call(IPC_CHANNELS.searchFlows, { hosts: ['10.2.0.9'] }));
    assert.ok(web.length > 0 && web.every((f) => f.rank === 2 && f.classes[0] === 'Lab web'));
    const dns = value<FlowRow[]>(await call(IPC_CHANNELS.searchFlows, { hosts: ['8.8.8.8'] }));
    assert.ok(dns.length > 0 && dns.every((f) => f.rank === -1));
    assert.equal(value<unknown[]>(await call(IPC_CHANNELS.listClasses)).length, 1);
    value(await call(IPC_CHANNELS.updateClass, created.id, { name: 'Lab web', match: { address: '10.2.0.9' }, set_rank: 5, enabled: false }));
    assert.ok(value<FlowRow[]>(await call(IPC_CHANNELS.searchFlows, { hosts: ['10.2.0.9'] })).every((f) => f.classes.length === 0));
    assert.equal(value(await call(IPC_CHANNELS.deleteClass, created.id)), null);
    assert.equal(value(await call(IPC_CHANNELS.deleteThreatList, list.id)), null);
    const gone = await call(IPC_CHANNELS.deleteClass, created.id);
    assert.equal(gone.ok ? null : gone.status, 404);
    // an untrusted sender changes nothing
    const refused = await dispatcher.handle(IPC_CHANNELS.createClass, { ...app, frameUrl: 'https://evil.example/' }, [{ name: 'x', match: { port: 1 }, rank_delta: 1 }]);
    assert.equal(refused.ok ? null : refused.status, 403);
    assert.deepEqual(value(await call(IPC_CHANNELS.listClasses)), []);
  });

  test('sensors through IPC: listed, a bad endpoint refused with its reason, the local store not removable', async () => {
    const sensors = value<{ id: string; url: string | null }[]>(await call(IPC_CHANNELS.listSensors));
    assert.deepEqual(sensors.map((x) => [x.id, x.url]), [['desk', null]]);
    const plainRemote = await call(IPC_CHANNELS.addSensor, { id: 'far', url: 'http://192.0.2.7:7880', token: 't'.repeat(32) });
    assert.equal(plainRemote.ok ? null : plainRemote.status, 400);
    assert.match(plainRemote.ok ? '' : plainRemote.error, /plain http is only allowed to a loopback address/);
    const noPin = await call(IPC_CHANNELS.addSensor, { id: 'far', url: 'https://192.0.2.7:7880', token: 't'.repeat(32) });
    assert.match(noPin.ok ? '' : noPin.error, /needs the SHA-256 fingerprint/);
    const local = await call(IPC_CHANNELS.removeSensor, 'desk');
    assert.equal(local.ok ? null : local.status, 400);
    const unknown = await call(IPC_CHANNELS.removeSensor, 'nobody');
    assert.equal(unknown.ok ? null : unknown.status, 404);
    assert.equal(existsSync(join(dir, 'store', 'sensors.json')), false, 'nothing was saved');
  });

  test('a failing back end is reported, not thrown', async () => {
    const broken = new IpcDispatcher({
      services: () => {
        throw new Error('the back end is closing');
      },
      apiBase: () => null,
      chooseSavePath: async () => null,
      push: () => true,
    });
    const r = await broken.handle(IPC_CHANNELS.info, app, []);
    assert.deepEqual(r, { ok: false, error: 'info failed: the back end is closing', hint: null, status: 500 });
    assert.equal(existsSync(dir), true);
  });
});
