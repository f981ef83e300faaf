/**
 * Capture on a remote sensor through another instance: two `tapline serve` processes on
 * loopback, a hub and a sensor registered in the hub's sensor registry (POST /api/sensors with
 * the sensor's token). Through the hub's API only: the sensor's interfaces, a capture started on
 * it (POST /api/captures with `sensor`), the test's datagrams to its own UDP port on lo found as a
 * flow of that sensor, its status (GET /api/captures?sensor=) and its live `capture` events
 * relayed on the hub's /api/live under the sensor's id, and the stop (final status, every packet).
 * The hub's own store captures nothing meanwhile. Needs root (capture on lo) and the built CLI.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { CaptureInterfaceListSchema, CaptureStatusListSchema, CaptureStatusSchema, type CaptureStatus } from '../../common/bridge/capture-messages.js';
import { EventBatchSchema, FlowRowSchema, type CaptureStatusEvent } from '../../common/bridge/messages.js';
import { CLI, startServe, type ServeProcess } from '../e2e/serve-process.js';

const DATAGRAMS = 4;
const SENSOR_ID = 'tl-uifeat-tap';

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'live capture on lo needs root (or a capture worker with cap_net_raw,cap_net_admin)';
  if (!existsSync(CLI)) return `the CLI is not built (${CLI}); run npm run build`;
  return undefined;
}

describe('a capture on a remote serve sensor, started, watched and stopped through the hub', { skip: skipReason(), timeout: 150_000 }, () => {
  let hub: ServeProcess | null = null;
  let sensor: ServeProcess | null = null;
  let hubToken = '';
  let listener: Socket | null = null;
  let port = 0;
  let live: WebSocket | null = null;
  const relayed: CaptureStatusEvent[] = [];

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const r = await fetch(`${hub!.origin}${path}`, {
      method,
      headers: { Authorization: `Bearer ${hubToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, json: text ? (JSON.parse(text) as unknown) : null };
  };

  before(async () => {
    const a = await startServe();
    const b = await startServe();
    if (!a.ok || !b.ok) throw new Error(`serve did not start: ${!a.ok ? a.skip : ''} ${!b.ok ? b.skip : ''}`);
    hub = a.serve;
    sensor = b.serve;
    hubToken = (await readFile(join(dirname(hub.storeDir), 'token'), 'utf8')).trim();
    const sensorToken = (await readFile(join(dirname(sensor.storeDir), 'token'), 'utf8')).trim();
    const added = await call('POST', '/api/sensors', { id: SENSOR_ID, url: sensor.origin, token: sensorToken });
    assert.equal(added.status, 201, JSON.stringify(added.json));

    listener = createSocket('udp4');
    await new Promise<void>((r) => listener!.bind(0, '127.0.0.1', () => r()));
    port = listener.address().port;

    // the hub's live stream: the sensor's capture events arrive relayed under its registered id
    const u = new URL('/api/live', hub.origin);
    u.protocol = 'ws:';
    live = new WebSocket(u, { headers: { Authorization: `Bearer ${hubToken}` } });
    live.on('message', (data: Buffer) => {
      const batch = EventBatchSchema.safeParse(JSON.parse(data.toString('utf8')));
      if (!batch.success) return;
      for (const e of batch.data.events) if (e.kind === 'capture') relayed.push(e);
    });
    await new Promise<void>((resolve, reject) => {
      live!.once('open', () => resolve());
      live!.once('error', reject);
    });
  });

  after(async () => {
    live?.terminate();
    listener?.close();
    await hub?.stop();
    await sensor?.stop();
  });

  const poll = async <T>(what: string, get: () => Promise<T | null>, timeoutMs = 20_000): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await get();
      if (v !== null) return v;
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  test('interfaces, start, flow, status, relayed events and stop, all through the hub', async () => {
    // the sensor is connected (its live link up), so its events reach the hub
    await poll('the sensor connected', async () => {
      const r = await call('GET', '/api/sensors');
      const list = r.json as { id: string; status: string }[];
      return list.find((s) => s.id === SENSOR_ID)?.status === 'connected' ? true : null;
    });

    const ifs = await call('GET', `/api/capture/interfaces?sensor=${SENSOR_ID}`);
    assert.equal(ifs.status, 200, JSON.stringify(ifs.json));
    assert.ok(CaptureInterfaceListSchema.parse(ifs.json).some((i) => i.name === 'lo'), 'the sensor lists lo');

    const unknown = await call('POST', '/api/captures', { sensor: 'tl-no-such-sensor', source: { kind: 'iface', iface: 'lo' } });
    assert.equal(unknown.status, 404, 'an unregistered sensor is refused');

    const started = await call('POST', '/api/captures', { sensor: SENSOR_ID, source: { kind: 'iface', iface: 'lo', filter: `udp port ${port}` } });
    assert.equal(started.status, 201, JSON.stringify(started.json));
    const cap = CaptureStatusSchema.parse(started.json);
    assert.equal(cap.state, 'running');
    assert.equal(cap.source, 'lo');

    const sender = createSocket('udp4');
    await new Promise<void>((r) => sender.bind(0, '127.0.0.1', () => r()));
    for (let i = 0; i < DATAGRAMS; i++) await new Promise<void>((r, j) => sender.send(Buffer.from(`remote capture ${i}`), port, '127.0.0.1', (e) => (e ? j(e) : r())));
    const senderPort = sender.address().port;
    sender.close();

    // the sensor's status through the hub counts them; the hub's own store captures nothing
    const running: CaptureStatus = await poll('the remote capture counting the datagrams', async () => {
      const r = await call('GET', `/api/captures?sensor=${SENSOR_ID}`);
      const mine = CaptureStatusListSchema.parse(r.json).find((c) => c.id === cap.id);
      return mine && mine.packets >= DATAGRAMS ? mine : null;
    });
    assert.equal(running.packets, DATAGRAMS, "the filter kept exactly the test's datagrams");
    const hubOwn = await call('GET', '/api/captures');
    assert.deepEqual(hubOwn.json, [], "the hub's own store runs no capture");

    // the flow is the sensor's, searched through the hub
    const flow = await poll('the datagrams as a flow of the sensor', async () => {
      const r = await call('GET', `/api/flows?sensor=${SENSOR_ID}&port=${port}`);
      const rows = FlowRowSchema.array().parse(r.json);
      return rows.find((f) => f.packets === DATAGRAMS) ?? null;
    });
    assert.equal(flow.sensor, SENSOR_ID);
    assert.equal(flow.proto, 17);
    assert.deepEqual([flow.client_port, flow.server_port].sort(), [senderPort, port].sort());

    // its capture events came through the hub's live stream under the sensor's id
    await poll('a relayed capture event', async () => (relayed.some((e) => e.sensor === SENSOR_ID && e.capture.id === cap.id && e.capture.packets >= DATAGRAMS) ? true : null));

    const stopped = await call('POST', `/api/captures/${cap.id}/stop?sensor=${SENSOR_ID}`, {});
    assert.equal(stopped.status, 200, JSON.stringify(stopped.json));
    const final = CaptureStatusSchema.parse(stopped.json);
    assert.equal(final.state, 'stopped');
    assert.equal(final.packets, DATAGRAMS);
    await poll('the stopped status relayed', async () => (relayed.some((e) => e.sensor === SENSOR_ID && e.capture.id === cap.id && e.capture.state === 'stopped') ? true : null));
  });
});
