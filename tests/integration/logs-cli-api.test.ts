/**
 * Log management through the product's surfaces: `tapline serve --syslog ...` receiving from
 * util-linux logger, `tapline events` reading the journal afterwards (text and --json, filters),
 * and the API: GET /api/flows/{id}/logs, GET /api/logs/stats, both in the OpenAPI document.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LogEvent } from '../../common/bridge/messages.js';
import { capturePath, corpusSkipReason } from '../helpers/corpus.js';
import { freePort, logger, loggerPresent, waitFor } from './logs-rsyslog-harness.js';
import { CLI, bearer, raw, startServe, tapline, type Running } from './server-harness.js';

describe('tapline serve --syslog and tapline events', { skip: loggerPresent ? undefined : 'util-linux logger is not installed' }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `tl-logs-cli-${process.pid}-`));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('receives over UDP and TCP while serving, and events lists them after', async () => {
    const store = join(dir, 'store');
    const [u, t] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [CLI, 'serve', '--store', store, '--listen', '127.0.0.1:0', '--syslog', `udp://127.0.0.1:${u}`, '--syslog', `tcp://127.0.0.1:${t}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', () => undefined);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitFor(() => out, (o) => o.includes(`tcp://127.0.0.1:${t}`), 30_000);
      assert.match(out, new RegExp(`receiving syslog on udp://127.0.0.1:${u}`));
      logger('-n', '127.0.0.1', '-P', String(u), '-d', '--rfc5424', '-t', 'cliudp', 'via udp from 203.0.113.9 port 1234');
      logger('-n', '127.0.0.1', '-P', String(t), '-T', '--octet-count', '--rfc3164', '-t', 'clitcp', 'via tcp');
      // the journal is shared with the CLI reader: poll it while serve runs
      const lines = await waitFor(
        () => tapline('events', '--store', store, '--kind', 'log', '--json').stdout.split('\n').filter(Boolean),
        (l) => l.length >= 2,
        20_000,
      );
      const events = lines.map((l) => JSON.parse(l) as LogEvent);
      assert.deepEqual(events.map((e) => e.app).sort(), ['clitcp', 'cliudp']);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    const text = tapline('events', '--store', store, '--kind', 'log', '--host', '203.0.113.9');
    assert.equal(text.code, 0, text.stderr);
    const rows = text.stdout.split('\n').filter(Boolean);
    assert.equal(rows.length, 1);
    assert.match(rows[0], / log rfc5424 from 127\.0\.0\.1:\d+\/udp \S+ cliudp: via udp from 203\.0\.113\.9 port 1234 203\.0\.113\.9:1234 -> $/);
    const byText = tapline('events', '--store', store, '--text', 'VIA TCP', '--json');
    assert.equal(byText.stdout.split('\n').filter(Boolean).length, 1);
    const bad = tapline('events', '--store', store, '--host', 'nope');
    assert.equal(bad.code, 2);
  });
});

describe('log routes', { skip: corpusSkipReason }, () => {
  let dir: string;
  let srv: Running;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `tl-logs-api-${process.pid}-`));
    srv = await startServe({ storeDir: join(dir, 'store'), sensorId: 'api' });
    await srv.services.importPaths([capturePath('zeek__http_multipart.pcap')]);
  });
  after(async () => {
    await srv?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('GET /api/flows/{id}/logs returns the logs linked to the flow; stats count them', async () => {
    const [flow] = await srv.services.searchFlows({ limit: 10 });
    const line = `<14>1 ${new Date(1369159408_480).toISOString()} proxy squid - - - TCP_MISS/200 GET http://54.243.88.146/ SRC=${flow.client_ip} SPT=${flow.client_port} DST=${flow.server_ip} DPT=${flow.server_port}`;
    const other = `<14>1 ${new Date(1369159408_480).toISOString()} proxy squid - - - unrelated SRC=192.0.2.1 DST=192.0.2.2`;
    for (const l of [line, other]) srv.services.logs.intake.offer(new TextEncoder().encode(l), { transport: 'udp', senderIp: '127.0.0.1', senderPort: 9 });
    await srv.services.logs.intake.flush();
    const r = await raw(srv.base, 'GET', `/api/flows/${flow.id}/logs`, { headers: bearer() });
    assert.equal(r.status, 200);
    const logs = r.json<LogEvent[]>();
    assert.equal(logs.length, 1);
    assert.equal(logs[0].raw, line);
    assert.deepEqual(logs[0].flow_ids, [flow.id]);
    const none = await raw(srv.base, 'GET', '/api/flows/000000000000-0/logs', { headers: bearer() });
    assert.deepEqual(none.json(), []);
    const bad = await raw(srv.base, 'GET', '/api/flows/x/logs', { headers: bearer() });
    assert.equal(bad.status, 400);
    const unauth = await raw(srv.base, 'GET', `/api/flows/${flow.id}/logs`);
    assert.equal(unauth.status, 401);
    const stats = (await raw(srv.base, 'GET', '/api/logs/stats', { headers: bearer() })).json<{ intake: { received: number; stored: number; correlated: number } }>();
    assert.equal(stats.intake.received, 2);
    assert.equal(stats.intake.stored, 2);
    assert.equal(stats.intake.correlated, 1);
    const doc = (await raw(srv.base, 'GET', '/api/openapi.json', { headers: bearer() })).json<{ paths: Record<string, unknown> }>();
    assert.ok(doc.paths['/api/flows/{id}/logs'] && doc.paths['/api/logs/stats']);
  });

  it('flow rows carry log_count (GET /api/flows and tapline flows --json), from the counts correlation keeps', async () => {
    const rows = (await raw(srv.base, 'GET', '/api/flows?limit=100', { headers: bearer() })).json<{ id: string; log_count?: number }[]>();
    const linked = (await srv.services.searchFlows({ limit: 10 }))[0].id;
    assert.ok(rows.some((r) => r.id === linked));
    for (const r of rows) assert.equal(r.log_count, r.id === linked ? 1 : 0, r.id);
    // the CLI reads the store's count file, written in the background after the journal
    const cli = await waitFor(
      () => tapline('flows', '--store', join(dir, 'store'), '--json', '--limit', '100').stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; log_count: number }),
      (l) => l.some((r) => r.log_count === 1),
      10_000,
    );
    assert.equal(cli.length, rows.length);
    for (const r of cli) assert.equal(r.log_count, r.id === linked ? 1 : 0, r.id);
  });
});
