/**
 * CaptureService against a real child process speaking the capture worker protocol
 * (tests/fixtures/workers/capture-fixture-worker.mjs): start/stop, status events with rates, flow
 * summaries as bounded flow events, one capture per store, worker errors in words.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import { CaptureService } from '../../../electron/services/capture-service.js';
import { ServiceError } from '../../../electron/services/sensor-backend.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/workers/capture-fixture-worker.mjs', import.meta.url));
const launch = { command: process.execPath, args: [FIXTURE] };

/** Resolves when `pred` holds for the events seen so far (checked on each publish), bounded by 10 s. */
function waitFor(events: TaplineEvent[], hooks: (() => void)[], pred: (e: TaplineEvent[]) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (pred(events)) return resolve();
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 10_000);
    hooks.push(() => {
      if (pred(events)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function harness(opts: { maxFlowEventsPerSec?: number } = {}) {
  const events: TaplineEvent[] = [];
  const hooks: (() => void)[] = [];
  const persisted: boolean[] = [];
  const svc = new CaptureService({
    storeDir: dir,
    sensorId: 'tap1',
    launch,
    maxFlowEventsPerSec: opts.maxFlowEventsPerSec,
    publish: (e, persist) => {
      events.push(e);
      persisted.push(persist);
      for (const h of hooks) h();
    },
  });
  return { svc, events, persisted, until: (pred: (e: TaplineEvent[]) => boolean, what: string) => waitFor(events, hooks, pred, what) };
}

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-capsvc-'));
});
after(async () => {
  delete process.env.FIXTURE_FLOWS;
  await rm(dir, { recursive: true, force: true });
});

describe('CaptureService', () => {
  test('lists the worker\'s interfaces in the Bridge shape', async () => {
    const { svc } = harness();
    const list = await svc.listInterfaces();
    assert.deepEqual(list, [{ name: 'lo', description: null, addresses: ['127.0.0.1'], up: true, loopback: true }]);
  });

  test('start publishes status with packet rate and store size, flow summaries become flow events of this sensor, stop gives the final count', async () => {
    const { svc, events, persisted, until } = harness();
    const started = await svc.start({ source: { kind: 'iface', iface: 'lo', filter: 'udp port 9999' } });
    assert.equal(started.state, 'running');
    assert.equal(started.source, 'lo');
    assert.equal(started.filter, 'udp port 9999');
    await until((es) => es.some((e) => e.kind === 'capture' && e.capture.packets_per_sec > 0), 'a status event with a rate');
    await until((es) => es.filter((e) => e.kind === 'flow').length === 3, 'three flow events');
    const st = events.filter((e) => e.kind === 'capture').at(-1);
    assert.ok(st && st.kind === 'capture');
    assert.ok(st.capture.packets >= 20, 'packets counted');
    assert.ok(st.capture.store_bytes > 0, 'store size reported');
    assert.equal(st.capture.kernel_drops, 0);
    const flows = events.filter((e) => e.kind === 'flow');
    for (const f of flows) {
      assert.ok(f.kind === 'flow');
      assert.equal(f.sensor, 'tap1');
      assert.equal(f.flow.sensor, 'tap1');
      assert.equal(f.flow.server_port, 9999);
    }
    // status and flow events are live only: the flows themselves are in the store
    assert.ok(persisted.every((p) => p === false));
    const stopped = await svc.stop(started.id);
    assert.equal(stopped.state, 'stopped');
    assert.ok(stopped.packets >= st.capture.packets);
    assert.equal(stopped.packets_per_sec, 0);
    assert.equal(svc.status()[0].state, 'stopped');
  });

  test('a second capture on the same store is refused while one runs', async () => {
    const { svc } = harness();
    const a = await svc.start({ source: { kind: 'iface', iface: 'lo' } });
    await assert.rejects(svc.start({ source: { kind: 'iface', iface: 'lo' } }), (e: unknown) => e instanceof ServiceError && e.status === 409 && /already running/.test(e.message));
    await svc.stop(a.id);
    const b = await svc.start({ source: { kind: 'iface', iface: 'lo' } });
    await svc.close();
    assert.equal(svc.status().find((s) => s.id === b.id)?.state, 'stopped');
  });

  test('no capture privilege: 403 in words with how to grant cap_net_raw,cap_net_admin, and the status says failed', async () => {
    const { svc, events } = harness();
    await assert.rejects(
      svc.start({ source: { kind: 'iface', iface: 'denied' } }),
      (e: unknown) => e instanceof ServiceError && e.status === 403 && /Operation not permitted/.test(e.message) && /cap_net_raw,cap_net_admin/.test(e.hint ?? '') && /setcap/.test(e.hint ?? ''),
    );
    const [st] = svc.status();
    assert.equal(st.state, 'failed');
    assert.match(st.error ?? '', /Operation not permitted/);
    const last = events.at(-1);
    assert.ok(last?.kind === 'capture' && last.capture.state === 'failed');
    // a failed start frees the store for the next one
    const ok = await svc.start({ source: { kind: 'iface', iface: 'lo' } });
    await svc.stop(ok.id);
  });

  test('an invalid BPF filter is a 400 with a hint', async () => {
    const { svc } = harness();
    await assert.rejects(svc.start({ source: { kind: 'iface', iface: 'lo', filter: 'bad filter' } }), (e: unknown) => e instanceof ServiceError && e.status === 400 && /invalid BPF filter/.test(e.message) && /pcap-filter/.test(e.hint ?? ''));
  });

  test('flow events are bounded in rate: the rest are counted as skipped', async () => {
    process.env.FIXTURE_FLOWS = '10';
    try {
      const { svc, events, until } = harness({ maxFlowEventsPerSec: 4 });
      const c = await svc.start({ source: { kind: 'iface', iface: 'lo' } });
      await until((es) => es.some((e) => e.kind === 'capture' && e.capture.flow_events_skipped > 0), 'skipped flow events in the status');
      const stopped = await svc.stop(c.id);
      const published = events.filter((e) => e.kind === 'flow').length;
      assert.equal(published, 4);
      assert.equal(stopped.flow_events_skipped, 6);
    } finally {
      delete process.env.FIXTURE_FLOWS;
    }
  });

  test('stopping an unknown capture is a 404', async () => {
    const { svc } = harness();
    await assert.rejects(svc.stop('cap-zz'), (e: unknown) => e instanceof ServiceError && e.status === 404);
  });
});
