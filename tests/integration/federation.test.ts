/**
 * Federation: two `serve` sensors (TLS, each with its own store from a different capture) on
 * loopback, and a client whose services add both as RemoteSensors with pinned fingerprints.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { FlowRow, TaplineEvent } from '../../common/bridge/messages.js';
import { selfSignedCertificate } from '../../electron/server/x509.js';
import { RemoteSensor } from '../../electron/services/remote-sensor.js';
import { ServiceError } from '../../electron/services/sensor-backend.js';
import { TaplineServices } from '../../electron/services/tapline-services.js';
import { capturePath, corpusPresent } from '../helpers/corpus.js';
import { writeFixturePcap } from '../helpers/fixture-capture.js';
import { bearer, cliImport, raw, startServe, TOKEN, waitFor, type Running } from './server-harness.js';

let dir = '';
let a: Running;
let b: Running;
let client: TaplineServices;
let remoteA: RemoteSensor;
let remoteB: RemoteSensor;

const sortRows = (rows: FlowRow[]): FlowRow[] => [...rows].sort((x, y) => (x.id < y.id ? -1 : 1));

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tapline-federation-'));
  // different captures on each sensor: the corpus when present, else two generated variants
  let capA: string;
  let capB: string;
  if (corpusPresent) {
    capA = capturePath('zeek__http_get.pcap');
    capB = capturePath('zeek__ftp_ipv4.pcap');
  } else {
    capA = join(dir, 'a.pcap');
    capB = join(dir, 'b.pcap');
    writeFixturePcap(capA);
    // B: the same capture cut at a record boundary (a torn record would fail the import)
    const boundary = writeFixturePcap(capB).find((p) => p.offset >= 900)?.offset;
    writeFixturePcap(capB, { truncateAt: boundary });
  }
  cliImport(join(dir, 'store-a'), capA);
  cliImport(join(dir, 'store-b'), capB);
  a = await startServe({ storeDir: join(dir, 'store-a'), sensorId: 'sensor-a', tls: true });
  b = await startServe({ storeDir: join(dir, 'store-b'), sensorId: 'sensor-b', tls: true });
  client = await TaplineServices.open({ storeDir: join(dir, 'client'), sensorId: 'desk' });
  remoteA = new RemoteSensor({ id: 'sensor-a', url: a.base, token: TOKEN, fingerprint: a.fingerprint, bus: client.bus });
  remoteB = new RemoteSensor({ id: 'sensor-b', url: b.base, token: TOKEN, fingerprint: b.fingerprint, bus: client.bus });
  client.addSensor(remoteA);
  client.addSensor(remoteB);
  remoteA.start();
  remoteB.start();
});

after(async () => {
  await client?.close();
  await a?.close();
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('two TLS sensors and a client', () => {
  test('both remotes connect (pinned TLS) and report connected', async () => {
    assert.ok(a.base.startsWith('https://') && b.base.startsWith('https://'));
    assert.notEqual(a.fingerprint, b.fingerprint);
    await waitFor(() => client.sensors().every((s) => s.status === 'connected'), 'both sensors connected');
    assert.deepEqual(
      client.sensors().map((s) => [s.id, s.url]),
      [
        ['desk', null],
        ['sensor-a', a.base],
        ['sensor-b', b.base],
      ],
    );
  });

  test('a federated flow search returns both sensors’ flows with the right sensor ids', async () => {
    const all = await client.searchFlows({ limit: 100_000 });
    const ownA = await a.services.searchFlows({ limit: 100_000 });
    const ownB = await b.services.searchFlows({ limit: 100_000 });
    assert.ok(ownA.length > 0 && ownB.length > 0);
    assert.equal(all.length, ownA.length + ownB.length);
    assert.deepEqual(sortRows(all.filter((r) => r.sensor === 'sensor-a')), sortRows(ownA));
    assert.deepEqual(sortRows(all.filter((r) => r.sensor === 'sensor-b')), sortRows(ownB));
    // newest first across sensors
    const firsts = all.map((r) => Number(r.first_ts));
    assert.deepEqual(firsts, [...firsts].sort((x, y) => y - x));
    // one sensor only, and filters travel
    const onlyB = await client.searchFlows({ sensor: 'sensor-b', proto: 'tcp' });
    assert.deepEqual(sortRows(onlyB), sortRows(await b.services.searchFlows({ proto: 'tcp' })));
    const stats = await client.stats();
    assert.deepEqual(
      stats.map((s) => s.sensor),
      ['desk', 'sensor-a', 'sensor-b'],
    );
    assert.deepEqual(stats[1], await a.services.stats().then((x) => x[0]));
  });

  test('a slice of a remote flow equals the remote’s own slice (by id and by tuple)', async () => {
    const rows = await client.searchFlows({ sensor: 'sensor-a', proto: 'tcp' });
    const f = rows.find((r) => r.packets > 3) ?? rows[0];
    const mine = await client.slice({ flow: f.id, sensor: 'sensor-a' });
    const theirs = await a.services.slice({ flow: f.id });
    try {
      assert.ok(readFileSync(mine.path).equals(readFileSync(theirs.path)));
      assert.equal(mine.filename, theirs.filename);
      assert.equal(mine.packets, theirs.packets);
      assert.equal(mine.contentType, theirs.contentType);
    } finally {
      rmSync(mine.path, { force: true });
      rmSync(theirs.path, { force: true });
    }
    const tuple = { sip: f.client_ip!, spt: f.client_port!, dip: f.server_ip!, dpt: f.server_port!, stime: f.first_ts, etime: f.last_ts };
    const t1 = await client.slice({ ...tuple, sensor: 'sensor-a' });
    const t2 = await a.services.slice(tuple);
    try {
      assert.ok(readFileSync(t1.path).equals(readFileSync(t2.path)));
    } finally {
      rmSync(t1.path, { force: true });
      rmSync(t2.path, { force: true });
    }
    // a flow the remote does not hold: its 404 comes through
    await assert.rejects(client.slice({ flow: '000000000000-0', sensor: 'sensor-b' }), (e: unknown) => e instanceof ServiceError && e.status === 404 && /sensor sensor-b/.test(e.message));
  });

  test('remote live events are republished on the client bus under the sensor id', async () => {
    const seen: TaplineEvent[] = [];
    const off = client.bus.subscribe((batch) => seen.push(...batch.events));
    const extra = join(dir, 'extra.pcap');
    writeFixturePcap(extra, { truncateAt: 1500 });
    const [r] = await b.services.importPaths([extra]);
    assert.equal(r.status, 'indexed');
    await waitFor(() => seen.some((e) => e.kind === 'import' && e.sensor === 'sensor-b' && e.result.path === r.path), 'the remote import event');
    off();
  });

  test('a wrong pinned fingerprint is refused, before any request (or token) is sent', async () => {
    const wrong = 'AA:'.repeat(31) + 'AA';
    const bad = new RemoteSensor({ id: 'bad', url: a.base, token: TOKEN, fingerprint: wrong, bus: client.bus, backoffMs: { initial: 50, max: 200 } });
    await assert.rejects(bad.searchFlows({}), (e: unknown) => e instanceof ServiceError && /does not match the pinned AA:AA/.test(e.message) && e.message.includes(a.fingerprint!));
    bad.start();
    await waitFor(() => bad.describe().status === 'error', 'status error');
    assert.match(bad.describe().message ?? '', /fingerprint/);
    await bad.close();

    // a TLS server that records whatever a client sends after the handshake
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cert = selfSignedCertificate({ commonName: 'impostor', hosts: ['127.0.0.1'], notBefore: new Date(Date.now() - 1000), notAfter: new Date(Date.now() + 86_400_000), privateKey });
    let received = 0;
    const impostor: TlsServer = createTlsServer({ cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) }, (s) => {
      s.on('data', (d: Buffer) => (received += d.length));
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', r));
    try {
      const spoof = new RemoteSensor({ id: 'spoof', url: `https://127.0.0.1:${(impostor.address() as AddressInfo).port}`, token: TOKEN, fingerprint: a.fingerprint, bus: client.bus });
      await assert.rejects(spoof.searchFlows({}), /does not match the pinned/);
      await spoof.close();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(received, 0, 'not one byte of a request reached the impostor');
    } finally {
      impostor.close();
    }
  });

  test('sensors added through a serve API: persisted 0600, listed, used, removed; a wrong fingerprint is 400', async () => {
    const hub = await startServe({ storeDir: join(dir, 'hub'), sensorId: 'hub' });
    try {
      const post = (body: unknown): Promise<Response> => fetch(`${hub.base}/api/sensors`, { method: 'POST', headers: { ...bearer(), 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const wrong = await post({ id: 'sensor-a', url: a.base, token: TOKEN, fingerprint: 'ab'.repeat(32) });
      assert.equal(wrong.status, 400);
      assert.match(((await wrong.json()) as { error: string }).error, /does not match the pinned/);
      const badToken = await post({ id: 'sensor-a', url: a.base, token: 'x'.repeat(40), fingerprint: a.fingerprint });
      assert.equal(badToken.status, 400);
      const plain = await post({ id: 'far', url: 'http://192.0.2.7:7880', token: TOKEN, fingerprint: null });
      assert.equal(plain.status, 400);
      const ok = await post({ id: 'sensor-a', url: a.base, token: TOKEN, fingerprint: a.fingerprint!.replace(/:/g, '').toLowerCase() });
      assert.equal(ok.status, 201, await ok.clone().text());
      assert.equal(((await ok.json()) as { id: string }).id, 'sensor-a');
      assert.equal((await post({ id: 'sensor-a', url: a.base, token: TOKEN, fingerprint: a.fingerprint })).status, 409);
      const cfg = join(dir, 'hub', 'sensors.json');
      assert.equal(statSync(cfg).mode & 0o777, 0o600);
      assert.equal(JSON.parse(readFileSync(cfg, 'utf8')).sensors[0].fingerprint, a.fingerprint);
      const flows = (await (await fetch(`${hub.base}/api/flows?sensor=sensor-a&limit=100000`, { headers: bearer() })).json()) as FlowRow[];
      assert.deepEqual(sortRows(flows), sortRows(await a.services.searchFlows({ limit: 100_000 })));
      const pcap = await fetch(`${hub.base}/api/flows/${flows[0].id}/pcap?sensor=sensor-a`, { headers: bearer() });
      assert.equal(pcap.status, 200);
      const own = await a.services.slice({ flow: flows[0].id });
      assert.ok(Buffer.from(await pcap.arrayBuffer()).equals(readFileSync(own.path)));
      rmSync(own.path, { force: true });
      await waitFor(() => hub.services.sensors().find((s) => s.id === 'sensor-a')?.status === 'connected', 'hub connected to sensor-a');
      assert.equal((await raw(hub.base, 'DELETE', '/api/sensors/sensor-a', { headers: bearer() })).status, 204);
      assert.equal((await raw(hub.base, 'DELETE', '/api/sensors/hub', { headers: bearer() })).status, 400);
      assert.equal((await raw(hub.base, 'DELETE', '/api/sensors/sensor-a', { headers: bearer() })).status, 404);
      assert.deepEqual(JSON.parse(readFileSync(cfg, 'utf8')).sensors, []);
    } finally {
      await hub.close();
    }
  });

  test('plain HTTP is used only for a loopback sensor', async () => {
    const plain = await startServe({ storeDir: join(dir, 'store-b'), sensorId: 'sensor-b-plain' });
    try {
      const r = new RemoteSensor({ id: 'plain', url: plain.base, token: TOKEN, fingerprint: null, bus: client.bus });
      const rows = await r.searchFlows({ limit: 100_000 });
      assert.deepEqual(
        sortRows(rows).map((x) => x.id),
        sortRows(await plain.services.searchFlows({ limit: 100_000 })).map((x) => x.id),
      );
      assert.ok(rows.every((x) => x.sensor === 'plain'));
      await r.close();
      assert.throws(() => new RemoteSensor({ id: 'far', url: 'http://192.0.2.9:7880', token: TOKEN, fingerprint: null, bus: client.bus }), /plain http is only allowed to a loopback address/);
      assert.throws(() => new RemoteSensor({ id: 'nopin', url: 'https://192.0.2.9:7880', token: TOKEN, fingerprint: null, bus: client.bus }), /needs the SHA-256 fingerprint/);
    } finally {
      await plain.close();
    }
  });

  test('a sensor that goes away turns offline and comes back with backoff', async () => {
    const s = join(dir, 'store-c');
    const fix = join(dir, 'c.pcap');
    writeFixturePcap(fix);
    cliImport(s, fix);
    let c = await startServe({ storeDir: s, sensorId: 'sensor-c', tls: true });
    const port = Number(new URL(c.base).port);
    const remote = new RemoteSensor({ id: 'sensor-c', url: c.base, token: TOKEN, fingerprint: c.fingerprint, bus: client.bus, backoffMs: { initial: 50, max: 400 } });
    remote.start();
    try {
      await waitFor(() => remote.describe().status === 'connected', 'connected');
      await c.close();
      await waitFor(() => remote.describe().status === 'offline', 'offline');
      // the same store (same certificate) back on the same port
      c = await startServeOnPort(s, port);
      await waitFor(() => remote.describe().status === 'connected', 'reconnected', 15_000);
    } finally {
      await remote.close();
      await c.close();
    }
  });
});

async function startServeOnPort(storeDir: string, port: number): Promise<Running> {
  const { TaplineServer } = await import('../../electron/server/server.js');
  const { ensureCertificate } = await import('../../electron/server/tls.js');
  const services = await TaplineServices.open({ storeDir, sensorId: 'sensor-c' });
  const cert = await ensureCertificate(storeDir, '127.0.0.1');
  const server = await TaplineServer.start({ services, storeDir, host: '127.0.0.1', port, token: TOKEN, tls: cert });
  return {
    services,
    server,
    base: server.url,
    fingerprint: cert.fingerprint,
    async close() {
      await server.close(1000);
      await services.close();
    },
  };
}
