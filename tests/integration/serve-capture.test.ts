/**
 * `tapline serve --iface lo --filter 'udp port P'`: the server captures while it serves. The
 * test sends a bounded number of UDP datagrams to its own listener on loopback port P and finds
 * the flow through GET /api/flows (from the store's live segments) with exactly those packets;
 * GET /api/captures reports them; SIGINT stops the capture cleanly.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliMain, collect, waitForExit, waitForOutput } from './capture-harness.js';

const skip = process.getuid?.() === 0 ? undefined : 'live capture on lo needs root (or a capture worker with cap_net_raw,cap_net_admin)';
const DATAGRAMS = 5;

describe('serve --iface lo captures while it serves', { skip, timeout: 90_000 }, () => {
  let dir = '';
  let serve: ChildProcess | null = null;
  let listener: Socket | null = null;
  let port = 0;
  let base = '';
  let token = '';
  let output: { text: () => string };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-servecap-'));
    listener = createSocket('udp4');
    await new Promise<void>((r) => listener!.bind(0, '127.0.0.1', () => r()));
    port = listener.address().port;
    serve = spawn(process.execPath, ['--import', 'tsx', cliMain, 'serve', '--store', join(dir, 'store'), '--listen', '127.0.0.1:0', '--no-tls', '--iface', 'lo', '--filter', `udp port ${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    output = collect(serve);
    const text = await waitForOutput(serve, 'stdout', /capturing on lo/, 40_000);
    base = /open (http:\/\/[^/\s]+)\/login/.exec(text)?.[1] ?? '';
    assert.ok(base, text);
    token = (await readFile(join(dir, 'store', 'serve-token'), 'utf8')).trim();
  });

  after(async () => {
    if (serve && serve.exitCode === null && serve.signalCode === null) {
      serve.kill('SIGTERM');
      await waitForExit(serve, 30_000).catch(() => undefined);
    }
    listener?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = async <T>(path: string): Promise<T> => {
    const r = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
    return (await r.json()) as T;
  };

  test('the datagrams sent to loopback are a flow in GET /api/flows within seconds, and SIGINT stops cleanly', async () => {
    const sender = createSocket('udp4');
    await new Promise<void>((r) => sender.bind(0, '127.0.0.1', () => r()));
    let received = 0;
    listener!.on('message', () => received++);
    for (let i = 0; i < DATAGRAMS; i++) await new Promise<void>((r, j) => sender.send(Buffer.from(`tapline serve capture ${i}`), port, '127.0.0.1', (e) => (e ? j(e) : r())));
    const senderPort = sender.address().port;
    sender.close();

    type Row = { client_port: number | null; server_port: number | null; packets: number; proto: number | null };
    let rows: Row[] = [];
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      rows = await get<Row[]>(`/api/flows?port=${port}`);
      if (rows.some((f) => f.packets === DATAGRAMS)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(received, DATAGRAMS, 'the listener got every datagram');
    const flow = rows.find((f) => f.packets === DATAGRAMS);
    assert.ok(flow, `no flow with ${DATAGRAMS} packets on port ${port}: ${JSON.stringify(rows)}\n${output.text()}`);
    assert.equal(flow.proto, 17);
    assert.deepEqual([flow.client_port, flow.server_port].sort(), [senderPort, port].sort());

    type Status = { id: string; state: string; packets: number; source: string; filter: string | null };
    let caps: Status[] = [];
    while (Date.now() < deadline + 5_000) {
      caps = await get<Status[]>('/api/captures');
      if (caps[0]?.packets >= DATAGRAMS) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(caps.length, 1);
    assert.equal(caps[0].state, 'running');
    assert.equal(caps[0].source, 'lo');
    assert.equal(caps[0].filter, `udp port ${port}`);
    assert.equal(caps[0].packets, DATAGRAMS, 'the filter kept only the test\'s datagrams');

    serve!.kill('SIGINT');
    assert.equal(await waitForExit(serve!, 30_000), 0, output.text());
    assert.match(output.text(), new RegExp(`capture ${caps[0].id} stopped: ${DATAGRAMS} packets`));
  });
});
