/**
 * The preload as Electron loads it: the esbuild bundle (one CommonJS file) run in a fresh V8
 * context whose require() knows only `electron` (a fake with contextBridge, ipcRenderer and
 * webUtils), as in a sandboxed renderer. It must expose exactly window.taplineBridge, validate
 * every reply and push, and turn failures into errors that carry the hint.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { bundlePreload } from '../../../build/scripts/bundle-preload.mjs';
import { BRIDGE_METHODS } from '../../../common/bridge/bridge.js';
import type { EventBatch, SliceTarget } from '../../../common/bridge/messages.js';
import { BRIDGE_GLOBAL } from '../../../electron/main/lib/app-identity.js';
import { IPC_CHANNELS, PUSH_CHANNELS } from '../../../electron/main/lib/ipc-contract.js';
import type { DesktopBridge } from '../../../electron/preload/preload.js';

type Listener = (event: unknown, ...args: unknown[]) => void;

interface Loaded {
  bridge: DesktopBridge;
  exposedKeys: string[];
  required: string[];
  invokes: { channel: string; args: unknown[] }[];
  push(channel: string, ...args: unknown[]): void;
  reply: (channel: string, args: unknown[]) => unknown;
}

let dir: string;
let code: string;

/** Values made in the preload's realm, re-made in this one (deepStrictEqual compares prototypes). */
function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tapline-preload-'));
  code = readFileSync(await bundlePreload(join(dir, 'preload.cjs')), 'utf8');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the bundle in a new context, as a sandboxed preload (replies are cloned into its realm, like IPC). */
function load(argv: string[] = []): Loaded {
  const listeners = new Map<string, Listener>();
  const exposed = new Map<string, unknown>();
  const state: Loaded = {
    bridge: undefined as unknown as DesktopBridge,
    exposedKeys: [],
    required: [],
    invokes: [],
    push: (channel, ...args) => listeners.get(channel)?.({ sender: 'main' }, ...clone(args)),
    reply: () => ({ ok: false, error: 'no reply set', hint: null, status: null }),
  };
  const fakeElectron = {
    contextBridge: {
      exposeInMainWorld: (key: string, api: unknown) => {
        exposed.set(key, api);
      },
    },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => {
        state.invokes.push({ channel, args: plain(args) });
        return clone(state.reply(channel, args));
      },
      on: (channel: string, fn: Listener) => listeners.set(channel, fn),
    },
    webUtils: {
      getPathForFile: (f: { path?: string }) => f.path ?? '',
    },
  };
  const context = vm.createContext({
    require: (m: string) => {
      state.required.push(m);
      if (m === 'electron') return fakeElectron;
      throw new Error(`a sandboxed preload cannot require ${m}`);
    },
    module: { exports: {} },
    exports: {},
    process: { argv: ['electron', ...argv] },
    console,
    URL,
    URLSearchParams,
    TextEncoder,
    TextDecoder,
  }, { codeGeneration: { strings: false, wasm: false } }); // like the page's CSP: no eval, no new Function
  const realmJson = vm.runInContext('JSON', context) as JSON;
  function clone<T>(v: T): T {
    return v === undefined ? v : (realmJson.parse(JSON.stringify(v)) as T);
  }
  vm.runInContext(code, context, { filename: 'preload.cjs' });
  state.exposedKeys = [...exposed.keys()];
  state.bridge = exposed.get(BRIDGE_GLOBAL) as DesktopBridge;
  return state;
}

const BATCH: EventBatch = {
  seq: 3,
  missed: 0,
  events: [{ kind: 'notice', id: 'n1', sensor: 'desk', ts: '1700000000.000000000', rank: 0, level: 'info', message: 'hi' }],
};

describe('what the page gets', () => {
  test('exactly one global, with exactly the Bridge methods plus onOpenFlow', () => {
    const p = load();
    assert.deepEqual(p.exposedKeys, [BRIDGE_GLOBAL]);
    assert.deepEqual(Object.keys(p.bridge).sort(), [...BRIDGE_METHODS, 'onOpenFlow'].sort());
    for (const v of Object.values(p.bridge)) assert.equal(typeof v, 'function', 'no objects (no ipcRenderer) are exposed');
    assert.deepEqual(p.required, ['electron'], 'the bundle requires nothing but electron');
  });

  test('the bundle is one CommonJS file whose only require is electron', () => {
    assert.deepEqual([...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]), ['electron']);
    assert.doesNotMatch(code, /\bimport\s*\(|^import |from\s*"node:/m);
  });
});

describe('calls', () => {
  test('info: the right channel, the validated value', async () => {
    const p = load();
    const info = { version: 'tapline 0.1.0', sensors: [{ id: 'desk', name: 'desk', url: null, status: 'connected', message: null }], api_base: null };
    p.reply = () => ({ ok: true, value: info });
    assert.deepEqual(plain(await p.bridge.info()), info);
    assert.deepEqual(p.invokes, [{ channel: IPC_CHANNELS.info, args: [] }]);
  });

  test('arguments go through unchanged (the main process validates them)', async () => {
    const p = load();
    p.reply = () => ({ ok: true, value: [] });
    await p.bridge.searchFlows({ hosts: ['10.0.0.1'], limit: 5 });
    await p.bridge.searchEvents({ kind: 'notice' });
    await p.bridge.downloadPcap({ flow: 'abc-1' }).catch(() => undefined);
    assert.deepEqual(
      p.invokes.map((i) => [i.channel, i.args]),
      [
        [IPC_CHANNELS.searchFlows, [{ hosts: ['10.0.0.1'], limit: 5 }]],
        [IPC_CHANNELS.searchEvents, [{ kind: 'notice' }]],
        [IPC_CHANNELS.downloadPcap, [{ flow: 'abc-1' }]],
      ],
    );
  });

  test('a reply that does not match its schema is an error, not data', async () => {
    const p = load();
    p.reply = () => ({ ok: true, value: [{ id: 42 }] });
    await assert.rejects(p.bridge.searchFlows({}), /invalid reply to searchFlows/);
    p.reply = () => 'not an envelope';
    await assert.rejects(p.bridge.stats(), /malformed reply to stats/);
  });

  test('a failure becomes an error whose message carries the hint', async () => {
    const p = load();
    p.reply = () => ({ ok: false, error: 'no flow abc-1 on sensor desk', hint: 'search flows again', status: 404 });
    await assert.rejects(p.bridge.downloadPcap({ flow: 'abc-1' }), (e: Error) => e.message === 'no flow abc-1 on sensor desk\nhint: search flows again');
  });

  test('importCaptures sends the files\' paths from webUtils; a file without one is refused', async () => {
    const p = load();
    p.reply = () => ({ ok: true, value: [] });
    const file = (name: string, path?: string) => ({ name, size: 1, path, slice: () => ({ arrayBuffer: async () => new ArrayBuffer(0) }) });
    await p.bridge.importCaptures([file('a.pcap', '/caps/a.pcap'), file('b.pcap', '/caps/b.pcap')]);
    assert.deepEqual(p.invokes.at(-1), { channel: IPC_CHANNELS.importCaptures, args: [['/caps/a.pcap', '/caps/b.pcap']] });
    await assert.rejects(p.bridge.importCaptures([file('pasted.pcap')]), /pasted\.pcap is not a file on this computer/);
    assert.equal(p.invokes.length, 1);
  });

  test('pcapUrl is synchronous: a tapline:// link, or the CapMe URL when the main process passed a local API', () => {
    assert.equal(load().bridge.pcapUrl({ sip: '10.1.0.5', dip: '10.2.0.9', dpt: 80 }), 'tapline://flow?sip=10.1.0.5&dip=10.2.0.9&dpt=80');
    assert.equal(load(['--tapline-api-base=http://127.0.0.1:7880']).bridge.pcapUrl({ sip: '10.1.0.5', dip: '10.2.0.9' }), 'http://127.0.0.1:7880/pcap?sip=10.1.0.5&dip=10.2.0.9');
    assert.throws(() => load().bridge.pcapUrl({ sip: 'x' } as unknown as SliceTarget), /not a slice target/);
  });

  test('the loopback API named by info() is where pcapUrl points next (a switched store may move it); never off loopback', async () => {
    const p = load(['--tapline-api-base=http://127.0.0.1:7880']);
    const info = (api_base: string | null) => ({ version: 'tapline 0.1.0', sensors: [], api_base });
    p.reply = () => ({ ok: true, value: info('http://127.0.0.1:41234') });
    await p.bridge.info();
    assert.equal(p.bridge.pcapUrl({ flow: 'abc-1' }), 'http://127.0.0.1:41234/api/flows/abc-1/pcap');
    p.reply = () => ({ ok: true, value: info('http://evil.example:80') });
    await p.bridge.info();
    assert.equal(p.bridge.pcapUrl({ flow: 'abc-1' }), 'tapline://flow?id=abc-1', 'a non-loopback base is not used');
    p.reply = () => ({ ok: true, value: info(null) });
    await p.bridge.info();
    assert.match(p.bridge.pcapUrl({ sip: '10.1.0.5', dip: '10.2.0.9' }), /^tapline:\/\/flow\?/);
  });

  test('sensors, classes and threat lists: the right channels and arguments; deletes resolve to nothing', async () => {
    const p = load();
    const sensor = { id: 'dmz', name: 'dmz', url: 'https://10.0.0.7:7880', status: 'connecting', message: null };
    const cls = { id: 'class-1', name: 'Web', match: { port: 80 }, rank_delta: 1, enabled: true };
    const list = { id: 'list-1', name: 'C2', rank: 5, entries: ['192.0.2.0/24'], enabled: true };
    const answers: Record<string, unknown> = {
      [IPC_CHANNELS.listSensors]: [sensor],
      [IPC_CHANNELS.addSensor]: sensor,
      [IPC_CHANNELS.removeSensor]: null,
      [IPC_CHANNELS.listClasses]: [cls],
      [IPC_CHANNELS.createClass]: cls,
      [IPC_CHANNELS.updateClass]: cls,
      [IPC_CHANNELS.deleteClass]: null,
      [IPC_CHANNELS.listThreatLists]: [list],
      [IPC_CHANNELS.createThreatList]: list,
      [IPC_CHANNELS.updateThreatList]: list,
      [IPC_CHANNELS.deleteThreatList]: null,
    };
    p.reply = (channel) => ({ ok: true, value: answers[channel] });
    const add = { id: 'dmz', url: 'https://10.0.0.7:7880', token: 't'.repeat(32), fingerprint: 'AB'.repeat(32) };
    const newCls = { name: 'Web', match: { port: 80 }, rank_delta: 1 };
    const newList = { name: 'C2', rank: 5, entries: ['192.0.2.0/24'] };
    assert.deepEqual(plain(await p.bridge.listSensors()), [sensor]);
    assert.deepEqual(plain(await p.bridge.addSensor(add)), sensor);
    assert.equal(await p.bridge.removeSensor('dmz'), undefined);
    assert.deepEqual(plain(await p.bridge.listClasses()), [cls]);
    assert.deepEqual(plain(await p.bridge.createClass(newCls)), cls);
    assert.deepEqual(plain(await p.bridge.updateClass('class-1', newCls)), cls);
    assert.equal(await p.bridge.deleteClass('class-1'), undefined);
    assert.deepEqual(plain(await p.bridge.listThreatLists()), [list]);
    assert.deepEqual(plain(await p.bridge.createThreatList(newList)), list);
    assert.deepEqual(plain(await p.bridge.updateThreatList('list-1', newList)), list);
    assert.equal(await p.bridge.deleteThreatList('list-1'), undefined);
    assert.deepEqual(
      p.invokes.map((i) => [i.channel, i.args]),
      [
        [IPC_CHANNELS.listSensors, []],
        [IPC_CHANNELS.addSensor, [add]],
        [IPC_CHANNELS.removeSensor, ['dmz']],
        [IPC_CHANNELS.listClasses, []],
        [IPC_CHANNELS.createClass, [newCls]],
        [IPC_CHANNELS.updateClass, ['class-1', newCls]],
        [IPC_CHANNELS.deleteClass, ['class-1']],
        [IPC_CHANNELS.listThreatLists, []],
        [IPC_CHANNELS.createThreatList, [newList]],
        [IPC_CHANNELS.updateThreatList, ['list-1', newList]],
        [IPC_CHANNELS.deleteThreatList, ['list-1']],
      ],
    );
    // a reply of the wrong shape is refused here too
    p.reply = () => ({ ok: true, value: { ...cls, rank_delta: 99 } });
    await assert.rejects(p.bridge.createClass(newCls), /invalid reply to createClass/);
  });
});

describe('pushes', () => {
  test('event batches reach the subscriber; malformed ones are dropped; unsubscribe tells the main process', async () => {
    const p = load();
    p.reply = (channel) => (channel === IPC_CHANNELS.subscribe ? { ok: true, value: 7 } : { ok: true, value: true });
    const got: EventBatch[] = [];
    const stop = p.bridge.subscribe((b) => got.push(plain(b)), { since: 2 });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(p.invokes[0], { channel: IPC_CHANNELS.subscribe, args: [{ since: 2 }] });
    p.push(PUSH_CHANNELS.events, 7, BATCH);
    p.push(PUSH_CHANNELS.events, 7, { seq: -1, events: 'x', missed: 0 });
    p.push(PUSH_CHANNELS.events, 8, BATCH); // someone else's subscription
    assert.deepEqual(got, [BATCH]);
    stop();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(p.invokes.at(-1), { channel: IPC_CHANNELS.unsubscribe, args: [7] });
    p.push(PUSH_CHANNELS.events, 7, BATCH);
    assert.equal(got.length, 1);
  });

  test('a batch that arrives before the subscription id is kept for it', async () => {
    const p = load();
    p.reply = () => ({ ok: true, value: 9 });
    const got: EventBatch[] = [];
    p.push(PUSH_CHANNELS.events, 9, BATCH);
    p.bridge.subscribe((b) => got.push(plain(b)));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, [BATCH]);
  });

  test('deep links: a target pushed before the page listens is delivered when it does; bad ones dropped', () => {
    const p = load();
    p.push(PUSH_CHANNELS.openFlow, { sip: '10.1.0.5', dip: '10.2.0.9', dpt: 80 });
    p.push(PUSH_CHANNELS.openFlow, { sip: '<script>', dip: 1 });
    const seen: SliceTarget[] = [];
    const stop = p.bridge.onOpenFlow((t) => seen.push(plain(t)));
    assert.deepEqual(seen, [{ sip: '10.1.0.5', dip: '10.2.0.9', dpt: 80 }]);
    p.push(PUSH_CHANNELS.openFlow, { flow: 'abc-1' });
    assert.deepEqual(seen.at(-1), { flow: 'abc-1' });
    stop();
    p.push(PUSH_CHANNELS.openFlow, { flow: 'abc-2' });
    assert.equal(seen.length, 2);
  });
});
