/**
 * The sensor connection window's data: captures are kept per sensor AND id (two sensors both
 * numbering cap-1 are two captures), updated from live `capture` events; captureStatus() is this
 * store's (the sensor without a URL); each sensor's summary adds up rates and drops by where
 * they happened (kernel, interface, hand-off, store), gives its uptime and store size, and names
 * the last error with what to do. A remote sensor's capture event does not reach the local
 * Capture panel.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CaptureStatus } from '../../../common/bridge/capture-messages.js';
import { CaptureEventSchema, type CaptureStatusEvent, type Sensor, type StoreStats } from '../../../common/bridge/messages.js';
import { forCapturePanel } from '../../../renderer/src/sensor-window/capture-routing.js';
import { createSensorWindowStore } from '../../../renderer/src/sensor-window/sensor-window-store.js';
import { STALE_MS, formatUptime, summarizeAll } from '../../../renderer/src/sensor-window/sensor-summary.js';
import { FakeBridge } from './fake-bridge.js';
import { BridgeCallError } from '../../../common/bridge/bridge.js';

const NOW_MS = 1_700_000_100_000;

function status(id: string, patch: Partial<CaptureStatus> = {}): CaptureStatus {
  return {
    id,
    state: 'running',
    source: 'lo',
    filter: null,
    started_at: '1700000000.000',
    stopped_at: null,
    packets: 100,
    bytes: 10_000,
    packets_per_sec: 10,
    bytes_per_sec: 1000,
    kernel_drops: 1,
    if_drops: 0,
    store_drops: 2,
    handoff_drops: 3,
    stored_packets: 95,
    store_bytes: 9000,
    active_flows: 4,
    flow_events_skipped: 0,
    error: null,
    hint: null,
    ...patch,
  };
}

const event = (sensor: string, capture: CaptureStatus, n = 1): CaptureStatusEvent => CaptureEventSchema.parse({ id: `${sensor}:capture:${n}`, sensor, ts: '1700000100.000', rank: 0, kind: 'capture', capture });

const LOCAL: Sensor = { id: 'lab', name: 'Lab sensor', url: null, status: 'connected', message: null, status_since: '1700000000.000' };
const TAP: Sensor = { id: 'tap1', name: 'tap1', url: 'https://10.0.0.7:7880', status: 'connected', message: null, status_since: '1700000090.000' };
const DOWN: Sensor = { id: 'tap2', name: 'tap2', url: 'https://10.0.0.8:7880', status: 'offline', message: 'sensor tap2 is not reachable: connect ECONNREFUSED', status_since: '1700000040.000' };

test('captures of two sensors with the same id stay apart, and each sensor adds up its own rates and drops', () => {
  const store = createSensorWindowStore({ bridge: new FakeBridge(), now: () => NOW_MS });
  store.getState().onCapture(event('lab', status('cap-1')));
  store.getState().onCapture(event('tap1', status('cap-1', { source: 'eth1', packets_per_sec: 500, bytes_per_sec: 50_000, kernel_drops: 7, if_drops: 1, handoff_drops: 0, store_drops: 0 })));
  store.getState().onCapture(event('tap1', status('cap-2', { source: 'ssh admin@sw eth3', packets_per_sec: 20, kernel_drops: null, if_drops: null, handoff_drops: undefined, store_drops: 5 })));
  // a later status of the same capture replaces the earlier one
  store.getState().onCapture(event('lab', status('cap-1', { packets: 150 }), 2));
  assert.equal(Object.keys(store.getState().captures).length, 3);

  const stats: Record<string, StoreStats> = { lab: { sensor: 'lab', captures: [], total: { size: 1_000_000, packets: 0, flows: 0, index_bytes: 24_000 } } };
  const [lab, tap] = summarizeAll([TAP, LOCAL], Object.values(store.getState().captures), stats, NOW_MS);
  assert.equal(lab.sensor.id, 'lab', 'this store first');
  assert.equal(lab.local, true);
  assert.equal(lab.packets, 150);
  assert.deepEqual(lab.drops, { kernel: 1, iface: 0, handoff: 3, store: 2, total: 6 });
  assert.equal(lab.storeBytes, 1_024_000);
  assert.equal(lab.statusAgeSec, 100);
  assert.equal(lab.captureUptimeSec, 100);

  assert.equal(tap.local, false);
  assert.equal(tap.source, 'eth1, ssh admin@sw eth3');
  assert.equal(tap.packetsPerSec, 520);
  assert.deepEqual(tap.drops, { kernel: 7, iface: 1, handoff: 0, store: 5, total: 13 });
  assert.equal(tap.storeBytes, null, 'no stats from it: unknown, not zero');
  assert.equal(tap.statusAgeSec, 10);
  assert.equal(tap.lastError, null);
});

test('the last error: an offline sensor\'s own message with what to do, else the newest capture error with its hint; stale captures are flagged', () => {
  const caps = [
    { ...status('cap-3', { state: 'failed', stopped_at: '1700000050.000', error: 'bad-filter: syntax error', hint: 'check the BPF filter syntax' }), sensor: 'lab', seenAt: NOW_MS },
    { ...status('cap-1'), sensor: 'tap2', seenAt: NOW_MS - STALE_MS - 1 },
  ];
  const [lab, down] = summarizeAll([LOCAL, DOWN], caps, {}, NOW_MS);
  assert.deepEqual(lab.lastError, { message: 'cap-3 (lo): bad-filter: syntax error', hint: 'check the BPF filter syntax' });
  assert.equal(lab.running.length, 0);
  assert.equal(lab.source, null);
  assert.equal(down.lastError?.message, DOWN.message);
  assert.match(down.lastError?.hint ?? '', /reachable/);
  assert.equal(down.stale, true);
  assert.equal(lab.stale, false);
  assert.equal(formatUptime(59), '59 s');
  assert.equal(formatUptime(3 * 3600 + 125), '3 h 2 min');
  assert.equal(formatUptime(2 * 86400 + 7200), '2 d 2 h');
  assert.equal(formatUptime(null), '—');
});

test('refresh: sensors and store sizes from the bridge, captureStatus attributed to this store; a failure is kept in words', async () => {
  const bridge = new FakeBridge();
  bridge.sensorList = [LOCAL, TAP];
  const asked: (string | undefined)[] = [];
  bridge.captureStatus = async (opts) => {
    asked.push(opts?.sensor);
    return opts?.sensor === 'tap1' ? [status('cap-7', { source: 'eth1' })] : [status('cap-1', { state: 'stopped', stopped_at: '1700000090.000' })];
  };
  bridge.stats = async () => [{ sensor: 'lab', captures: [], total: { size: 5, packets: 0, flows: 0, index_bytes: 1 } }];
  const store = createSensorWindowStore({ bridge, now: () => NOW_MS });
  // a live event said cap-2 ended; an older answer listing it as running must not revive it
  store.getState().onCapture(event('lab', status('cap-2', { state: 'stopped', stopped_at: '1700000095.000' })));
  const answer = bridge.captureStatus;
  bridge.captureStatus = async (opts) => (opts?.sensor ? answer(opts) : [...(await answer()), status('cap-2')]);
  store.getState().setOpen(true);
  await store.getState().refresh();
  const st = store.getState();
  assert.deepEqual(st.sensors.map((s) => s.id), ['lab', 'tap1']);
  assert.equal(st.stats.lab.total.size, 5);
  assert.equal(st.captures['lab\u0000cap-1']?.state, 'stopped');
  assert.equal(st.captures['lab\u0000cap-2']?.state, 'stopped');
  // the connected remote is asked for its own captures by id
  assert.equal(st.captures['tap1\u0000cap-7']?.source, 'eth1');
  assert.deepEqual(asked, [undefined, 'tap1']);
  assert.equal(st.sensorsError, null);

  bridge.listSensors = async () => Promise.reject(new Error('HTTP 502'));
  await store.getState().refresh();
  assert.equal(store.getState().sensorsError?.message, 'HTTP 502');
  assert.deepEqual(store.getState().sensors.map((s) => s.id), ['lab', 'tap1'], 'the last list stays');
});

test('only the newest finished captures of a sensor are kept; running ones always', () => {
  const store = createSensorWindowStore({ bridge: new FakeBridge(), now: () => NOW_MS });
  store.getState().onCapture(event('lab', status('cap-0')));
  for (let i = 1; i <= 12; i++) store.getState().onCapture(event('lab', status(`cap-${i}`, { state: 'stopped', stopped_at: `17000000${String(i).padStart(2, '0')}.000` })));
  const ids = Object.values(store.getState().captures).map((c) => c.id);
  assert.equal(ids.length, 9);
  assert.ok(ids.includes('cap-0'));
  assert.ok(!ids.includes('cap-4') && ids.includes('cap-5') && ids.includes('cap-12'));
});

test('a remote sensor\'s capture event is not for this store\'s Capture panel (each sensor numbers its own captures)', () => {
  const info = { version: 'test', sensors: [LOCAL, TAP], api_base: null };
  assert.equal(forCapturePanel(event('tap1', status('cap-1', { source: 'eth1' })), info), false);
  assert.equal(forCapturePanel(event('lab', status('cap-1')), info), true);
  // before info() answered nothing is known about sensors: the panel takes it (serve's own events)
  assert.equal(forCapturePanel(event('tap1', status('cap-1')), null), true);
});

test('the window\'s capture controls: interfaces, start and stop go to the named sensor; a refusal is kept in words with its hint', async () => {
  const bridge = new FakeBridge();
  const calls: unknown[][] = [];
  bridge.listInterfaces = async (opts) => {
    calls.push(['listInterfaces', opts]);
    return [{ name: 'eth1', description: null, addresses: [], up: true, loopback: false }];
  };
  bridge.startCapture = async (req) => {
    calls.push(['startCapture', req]);
    if (req.source.kind === 'iface' && req.source.iface === 'eth9') throw new BridgeCallError('sensor tap1: no privilege', 'grant cap_net_raw,cap_net_admin', 403);
    return status('cap-4', { source: 'eth1', filter: 'udp port 53' });
  };
  bridge.stopCapture = async (id, opts) => {
    calls.push(['stopCapture', id, opts]);
    return status(id, { state: 'stopped', stopped_at: '1700000101.000', source: 'eth1' });
  };
  const store = createSensorWindowStore({ bridge, now: () => NOW_MS });

  await store.getState().loadInterfaces('tap1');
  assert.deepEqual(store.getState().control.tap1.interfaces?.map((i) => i.name), ['eth1']);
  assert.equal(await store.getState().startCapture('tap1', 'eth1', ' udp port 53 '), true);
  assert.equal(store.getState().captures['tap1\u0000cap-4']?.state, 'running');
  await store.getState().stopCapture('tap1', 'cap-4');
  assert.equal(store.getState().captures['tap1\u0000cap-4']?.state, 'stopped');
  assert.deepEqual(calls, [
    ['listInterfaces', { sensor: 'tap1' }],
    ['startCapture', { sensor: 'tap1', source: { kind: 'iface', iface: 'eth1', filter: 'udp port 53' } }],
    ['stopCapture', 'cap-4', { sensor: 'tap1' }],
  ]);

  assert.equal(await store.getState().startCapture('tap1', 'eth9', ''), false);
  assert.deepEqual(store.getState().control.tap1.failure, { message: 'sensor tap1: no privilege', hint: 'grant cap_net_raw,cap_net_admin' });
  assert.equal(store.getState().control.tap1.busy, false);
  // a form the schema refuses never reaches the bridge
  assert.equal(await store.getState().startCapture('tap1', '-bad', ''), false);
  assert.equal(calls.length, 4);
  assert.match(store.getState().control.tap1.failure?.message ?? '', /^iface: /);
});
