/**
 * `tapline serve --ssh root@HOST:PORT --remote-iface IFACE --known-hosts FILE --identity KEY`
 * end to end: a real sshd in one namespace of a veth pair, serve in the other. Real HTTP
 * requests (curl to python's http.server) cross the remote interface; GET /api/flows on serve
 * finds them within seconds (from the store's live segments), their pcap slice holds their
 * packets, and the capture's own ssh session is not in the store. SIGINT stops it cleanly.
 * serve listens on the loopback of its namespace, so the API is called with curl from there.
 */
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createNetnsPair, netnsSkipReason, type NetnsPair } from '../helpers/netns.js';
import { cliMain, collect, tcpdumpAvailable, waitForExit, waitForOutput } from './capture-harness.js';
import { sshdSkipReason, startTestSshd, type TestSshd } from './sshd-fixture.js';

const skip = netnsSkipReason() ?? sshdSkipReason() ?? (tcpdumpAvailable() ? undefined : 'tcpdump is not installed (the remote side runs it)');
const HTTP_PORT = 8080;
const REQUESTS = 3;

interface FlowRow {
  id: string;
  proto: number | null;
  client_ip: string | null;
  client_port: number | null;
  server_ip: string | null;
  server_port: number | null;
  packets: number;
}

describe('serve --ssh captures a remote interface while it serves', { skip, timeout: 180_000 }, () => {
  let pair: NetnsPair;
  let dir = '';
  let sshd: TestSshd;
  let serve: ChildProcess | null = null;
  const children: ChildProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-serve-ssh-'));
    pair = createNetnsPair('v', 82);
    sshd = await startTestSshd(pair, dir);
    children.push(sshd.process);
    const www = join(dir, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), 'tapline serve --ssh '.repeat(2000));
    const http = pair.spawnIn(pair.nsB, 'python3', ['-m', 'http.server', String(HTTP_PORT), '--bind', pair.ipB, '--directory', www], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(http);
    await waitForOutput(http, 'stdout', /Serving HTTP/);
  });

  after(async () => {
    if (serve && serve.exitCode === null && serve.signalCode === null) {
      serve.kill('SIGTERM');
      await waitForExit(serve, 30_000).catch(() => undefined);
    }
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    pair?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GET /api/flows finds the HTTP flows that crossed the remote interface, not the ssh session', async () => {
    const store = join(dir, 'store');
    serve = pair.spawnIn(
      pair.nsA,
      process.execPath,
      ['--import', 'tsx', cliMain, 'serve', '--store', store, '--listen', '127.0.0.1:0', '--no-tls', '--ssh', `root@${pair.ipB}:${sshd.port}`, '--remote-iface', pair.ifB, '--known-hosts', sshd.knownHosts, '--identity', sshd.identity],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(serve);
    const output = collect(serve);
    const text = await waitForOutput(serve, 'stdout', /capturing on ssh /, 60_000);
    const base = /open (http:\/\/[^/\s]+)\/login/.exec(text)?.[1] ?? '';
    assert.ok(base, text);
    const token = readFileSync(join(store, 'serve-token'), 'utf8').trim();
    const api = <T>(path: string): T => JSON.parse(pair.exec(pair.nsA, 'curl', ['-sS', '--fail-with-body', '--max-time', '10', '-H', `Authorization: Bearer ${token}`, `${base}${path}`])) as T;

    for (let i = 0; i < REQUESTS; i++) pair.exec(pair.nsA, 'curl', ['-sS', '-o', '/dev/null', '--max-time', '5', `http://${pair.ipB}:${HTTP_PORT}/`]);

    let rows: FlowRow[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      rows = api<FlowRow[]>(`/api/flows?port=${HTTP_PORT}`).filter((f) => f.proto === 6 && f.client_ip === pair.ipA && f.server_ip === pair.ipB && f.server_port === HTTP_PORT);
      // a finished HTTP/1.0 exchange: handshake, request, response, close (at least 8 packets)
      if (rows.length === REQUESTS && rows.every((f) => f.packets >= 8)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(rows.length, REQUESTS, `${REQUESTS} HTTP flows ${pair.ipA} -> ${pair.ipB}:${HTTP_PORT}: ${JSON.stringify(rows)}\n${output.text()}`);
    assert.ok(rows.every((f) => f.packets >= 8), JSON.stringify(rows));
    assert.equal(new Set(rows.map((f) => f.client_port)).size, REQUESTS, 'three connections, three client ports');
    assert.deepEqual(api<FlowRow[]>(`/api/flows?port=${sshd.port}`), [], 'the capture\'s own ssh session is excluded on the remote side');

    // the slice of one flow: a pcap with exactly that flow's packets
    const pcapPath = join(dir, 'flow.pcap');
    pair.exec(pair.nsA, 'curl', ['-sS', '--fail', '--max-time', '10', '-o', pcapPath, '-H', `Authorization: Bearer ${token}`, `${base}/api/flows/${encodeURIComponent(rows[0].id)}/pcap`]);
    const slice = pair.exec(pair.nsA, 'tcpdump', ['-nn', '-r', pcapPath], 10_000).trim().split('\n');
    assert.equal(slice.length, rows[0].packets, slice.join('\n'));
    assert.ok(slice.every((l) => l.includes(`${pair.ipB}.${HTTP_PORT}`)), slice.join('\n'));

    const caps = api<{ state: string; source: string; packets: number }[]>('/api/captures');
    assert.equal(caps.length, 1);
    assert.equal(caps[0].state, 'running');
    assert.match(caps[0].source, new RegExp(`^ssh root@${pair.ipB.replace(/\./g, '\\.')}:${sshd.port} ${pair.ifB}$`));

    serve.kill('SIGINT');
    assert.equal(await waitForExit(serve, 30_000), 0, output.text());
    assert.match(output.text(), /capture cap-1 stopped: \d+ packets/);
  });
});
