/**
 * The capture routes over real HTTP against TaplineServices with the fixture capture worker:
 * auth as every route, hostile parameters refused before anything runs (never key material,
 * never option-like ssh destinations or shell text in interface names), the service's errors
 * as status + words.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TaplineServer } from '../../../electron/server/server.js';
import { TaplineServices } from '../../../electron/services/tapline-services.js';
import { bearer, raw, TOKEN } from '../../integration/server-harness.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/workers/capture-fixture-worker.mjs', import.meta.url));

let dir = '';
let services: TaplineServices;
let server: TaplineServer;
let base = '';

const json = (body: unknown) => ({ headers: { ...bearer(), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-caproutes-'));
  services = await TaplineServices.open({ storeDir: join(dir, 'store'), sensorId: 'tap1', captureLaunch: { command: process.execPath, args: [FIXTURE] } });
  server = await TaplineServer.start({ services, storeDir: join(dir, 'store'), host: '127.0.0.1', port: 0, token: TOKEN, tls: null });
  base = server.url;
});
after(async () => {
  await server.close(1000);
  await services.close();
  await rm(dir, { recursive: true, force: true });
});

describe('capture routes', () => {
  test('no token: 401', async () => {
    assert.equal((await raw(base, 'GET', '/api/captures')).status, 401);
    assert.equal((await raw(base, 'GET', '/api/capture/interfaces')).status, 401);
    assert.equal((await raw(base, 'POST', '/api/captures', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ source: { kind: 'iface', iface: 'lo' } }) })).status, 401);
    assert.deepEqual(services.capture.status(), []);
  });

  test('interfaces come from the worker', async () => {
    const r = await raw(base, 'GET', '/api/capture/interfaces', { headers: bearer() });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), [{ name: 'lo', description: null, addresses: ['127.0.0.1'], up: true, loopback: true }]);
  });

  const hostile: [string, unknown][] = [
    ['key material instead of a key path', { source: { kind: 'ssh', destination: 'admin@tap1', remote_iface: 'eth1', identity_file: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----' } }],
    ['a relative key path', { source: { kind: 'ssh', destination: 'admin@tap1', remote_iface: 'eth1', identity_file: '../../root/.ssh/id_ed25519' } }],
    ['an option-like ssh destination', { source: { kind: 'ssh', destination: '-oProxyCommand=touch /tmp/pwned', remote_iface: 'eth1' } }],
    ['shell text in an interface name', { source: { kind: 'iface', iface: 'lo; rm -rf /' } }],
    ['an option-like interface name', { source: { kind: 'iface', iface: '--help' } }],
    ['a filter with a newline', { source: { kind: 'iface', iface: 'lo', filter: 'udp\nport 53' } }],
    ['an unknown field', { source: { kind: 'iface', iface: 'lo' }, store_dir: '/etc' }],
    ['a source kind the API does not offer', { source: { kind: 'pcap-over-ip', host: '10.0.0.1', port: 57012 } }],
    ['a snap length out of range', { source: { kind: 'iface', iface: 'lo', snaplen: 10 } }],
    ['a tiny store bound', { source: { kind: 'iface', iface: 'lo' }, max_store_bytes: 5 }],
  ];
  for (const [what, body] of hostile) {
    test(`refused with 400: ${what}`, async () => {
      const r = await raw(base, 'POST', '/api/captures', json(body));
      assert.equal(r.status, 400, r.body.toString());
      assert.equal(typeof r.json<{ error: string }>().error, 'string');
      assert.ok(services.capture.status().every((s) => s.state !== 'running'), 'nothing started');
    });
  }

  test('a foreign Origin cannot start a capture', async () => {
    const r = await raw(base, 'POST', '/api/captures', { headers: { ...json({}).headers, Origin: 'http://evil.example' }, body: JSON.stringify({ source: { kind: 'iface', iface: 'lo' } }) });
    assert.equal(r.status, 403);
    assert.ok(services.capture.status().every((s) => s.state !== 'running'));
  });

  test('no privilege: 403 with how to grant it', async () => {
    const r = await raw(base, 'POST', '/api/captures', json({ source: { kind: 'iface', iface: 'denied' } }));
    assert.equal(r.status, 403);
    const b = r.json<{ error: string; hint: string }>();
    assert.match(b.error, /Operation not permitted/);
    assert.match(b.hint, /cap_net_raw,cap_net_admin/);
  });

  test('start, a second start 409, status, bad and unknown ids, stop', async () => {
    const r = await raw(base, 'POST', '/api/captures', json({ source: { kind: 'iface', iface: 'lo', filter: 'udp port 9999' }, max_age_sec: 3600 }));
    assert.equal(r.status, 201, r.body.toString());
    const c = r.json<{ id: string; state: string }>();
    assert.equal(c.state, 'running');
    assert.equal((await raw(base, 'POST', '/api/captures', json({ source: { kind: 'iface', iface: 'lo' } }))).status, 409);
    const list = (await raw(base, 'GET', '/api/captures', { headers: bearer() })).json<{ id: string; state: string }[]>();
    assert.equal(list.find((x) => x.id === c.id)?.state, 'running');
    assert.equal((await raw(base, 'POST', '/api/captures/..%2Fx/stop', json({}))).status, 400);
    assert.equal((await raw(base, 'POST', '/api/captures/cap-zz/stop', json({}))).status, 404);
    const s = await raw(base, 'POST', `/api/captures/${c.id}/stop`, json({}));
    assert.equal(s.status, 200);
    assert.equal(s.json<{ state: string }>().state, 'stopped');
  });

  test('the OpenAPI document describes the capture routes', async () => {
    const doc = (await raw(base, 'GET', '/api/openapi.json', { headers: bearer() })).json<{ paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>();
    for (const p of ['/api/capture/interfaces', '/api/captures', '/api/captures/{id}/stop']) assert.ok(doc.paths[p], p);
    for (const s of ['StartCapture', 'CaptureStatus', 'CaptureInterface']) assert.ok(doc.components.schemas[s], s);
  });
});
