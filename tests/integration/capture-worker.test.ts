/**
 * The capture worker process under its supervisor and alone: protocol methods, an invalid BPF
 * filter refused before capture, stats while capturing, and its lifetime rules (stdin EOF,
 * parent killed with SIGKILL, SIGTERM), each leaving what it captured readable on disk.
 * Captures run on the loopback interface with a filter on a port unique to this test run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { flowToJson } from '../../common/flow/flow-json.js';
import { captureWorkerProtocol, type CaptureEvent, type CaptureStats } from '../../common/worker/capture-worker-protocol.js';
import { WorkerRequestError, WorkerSupervisor } from '../../electron/services/worker-supervisor.js';
import { Store } from '../../node/store/store.js';
import { repoRoot } from '../helpers/corpus.js';
import { readStoreSegments, segmentFiles, waitForExit, waitForOutput } from './capture-harness.js';

const workerMain = join(repoRoot, 'capture-worker/main.ts');
const skip = typeof process.getuid === 'function' && process.getuid() === 0 ? undefined : 'live capture on lo needs root or cap_net_raw';
// A UDP port unique to this process so parallel test runs never see each other's datagrams.
const PORT = 40000 + (process.pid % 20000);
const FILTER = `udp port ${PORT}`;

function sendDatagrams(n: number): Promise<void> {
  const s = createSocket('udp4');
  return new Promise((resolve, reject) => {
    let sent = 0;
    const next = (): void => {
      if (sent === n) {
        s.close();
        resolve();
        return;
      }
      s.send(Buffer.from(`tapline-worker-test-${sent++}`), PORT, '127.0.0.1', (e) => (e ? reject(e) : next()));
    };
    next();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('capture worker', { skip, timeout: 120_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tl-cap-worker-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function supervisor(): WorkerSupervisor<typeof captureWorkerProtocol> {
    return new WorkerSupervisor({ name: 'capture worker', command: process.execPath, args: ['--import', 'tsx', workerMain], protocol: captureWorkerProtocol, restart: { maxRapidFailures: 1 }, requestTimeoutMs: 30_000 });
  }

  it('lists interfaces, refuses an invalid filter before capturing, captures with stats, stops and indexes', async () => {
    const sup = supervisor();
    sup.start();
    try {
      const list = await sup.request('interfaces', {});
      assert.ok(list.interfaces.some((i) => i.name === 'lo' && i.loopback), 'lo is listed as loopback');

      const badStore = join(dir, 'bad-filter');
      await assert.rejects(
        sup.request('start', { source: { kind: 'libpcap', iface: 'lo', filter: 'udp prot 53' }, store: { dir: badStore } }),
        (e: unknown) => e instanceof WorkerRequestError && e.workerCode === 'bad-filter' && /invalid BPF filter "udp prot 53"/.test(e.message),
      );
      assert.deepEqual(segmentFiles(badStore), [], 'nothing captured');

      const store = join(dir, 'store');
      const stats: CaptureStats[] = [];
      const events: CaptureEvent[] = [];
      sup.on('stats', (s) => stats.push(s));
      sup.on('event', (e) => events.push(e));
      await sup.request('start', { source: { kind: 'libpcap', iface: 'lo', filter: FILTER }, store: { dir: store } });
      await sendDatagrams(20);
      // Stats and flow summaries arrive once a second, independently (a summary batch may come a
      // flush after the stats that counted its packets); wait (bounded) until both are in.
      const summaries = () => events.flatMap((e) => (e.kind === 'flows' ? e.flows : []));
      const announced = () => summaries().some((f) => f.event === 'start' && f.flow.proto === 17 && f.flow.server_port === PORT && f.flow.client_ip === '127.0.0.1');
      // the store writer runs in its own thread: its counters (activeFlows) reach the stats up to a
      // flush later than the source's packet count
      const counted = () => stats.some((s) => s.packets >= 20 && s.activeFlows === 1);
      for (let i = 0; i < 100 && !(counted() && announced()); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(stats.some((s) => s.running && s.packets === 20 && s.kernelDrops === 0 && s.activeFlows === 1), JSON.stringify(stats.at(-1)));
      assert.ok(announced(), `a flow summary announces the UDP flow: ${JSON.stringify(summaries())}`);
      const r = await sup.request('stop', {});
      assert.equal(r.stats.packets, 20);
      assert.equal(r.stats.storedPackets, 20);
      assert.equal(r.stats.durablePackets, 20);
      assert.equal(segmentFiles(store).length, 1);
      const s = await Store.open(store);
      try {
        const flows = await s.findFlows({}, 10);
        assert.equal(flows.length, 1);
        assert.equal(flowToJson(flows[0].id, flows[0].record).packets, 20);
      } finally {
        await s.close();
      }
    } finally {
      await sup.stop();
    }
  });

  it('exits on stdin EOF and leaves the captured packets readable', async () => {
    const store = join(dir, 'eof');
    const w = spawn(process.execPath, ['--import', 'tsx', workerMain], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForOutput(w, 'stdout', /"type":"ready"/);
    w.stdin.write(JSON.stringify({ type: 'request', id: 1, method: 'start', params: { source: { kind: 'libpcap', iface: 'lo', filter: FILTER }, store: { dir: store } } }) + '\n');
    await waitForOutput(w, 'stdout', /"id":1,"ok":true/);
    await sendDatagrams(5);
    await new Promise((r) => setTimeout(r, 500)); // the kernel hands blocks over within 100 ms
    w.stdin.end();
    assert.equal(await waitForExit(w, 20_000), 0);
    assert.equal((await readStoreSegments(store)).length, 5);
  });

  it('exits when its parent is killed with SIGKILL', async () => {
    const store = join(dir, 'orphan');
    // An intermediate parent that holds the worker's stdin and is then killed without cleanup.
    const script = `
      const c = require('node:child_process').spawn(process.execPath, ['--import', 'tsx', ${JSON.stringify(workerMain)}], { stdio: ['pipe', 'pipe', 'inherit'] });
      c.stdout.once('data', () => {
        c.stdin.write(JSON.stringify({ type: 'request', id: 1, method: 'start', params: { source: { kind: 'libpcap', iface: 'lo', filter: ${JSON.stringify(FILTER)} }, store: { dir: ${JSON.stringify(store)} } } }) + '\\n');
        c.stdout.on('data', (d) => { if (String(d).includes('"id":1')) console.log('worker ' + c.pid); });
      });
      setTimeout(() => process.exit(3), 30000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: repoRoot });
    const text = await waitForOutput(parent, 'stdout', /worker \d+/);
    const workerPid = Number(/worker (\d+)/.exec(text)![1]);
    assert.ok(alive(workerPid));
    parent.kill('SIGKILL');
    for (let i = 0; i < 200 && alive(workerPid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(workerPid), false, 'the worker outlived its parent');
  });

  it('stops, writes the final index and exits on SIGTERM', async () => {
    const store = join(dir, 'sigterm');
    const w = spawn(process.execPath, ['--import', 'tsx', workerMain], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForOutput(w, 'stdout', /"type":"ready"/);
    w.stdin.write(JSON.stringify({ type: 'request', id: 1, method: 'start', params: { source: { kind: 'libpcap', iface: 'lo', filter: FILTER }, store: { dir: store } } }) + '\n');
    await waitForOutput(w, 'stdout', /"id":1,"ok":true/);
    await sendDatagrams(7);
    await new Promise((r) => setTimeout(r, 500));
    w.kill('SIGTERM');
    assert.equal(await waitForExit(w, 30_000), 0);
    const s = await Store.open(store);
    try {
      const flows = await s.findFlows({}, 10);
      assert.equal(flows.length, 1);
      assert.equal(flowToJson(flows[0].id, flows[0].record).packets, 7);
    } finally {
      await s.close();
    }
  });

  it('after kill -9 mid-capture, the store opens with every packet the worker had reported durable', async () => {
    const store = join(dir, 'kill9');
    const w = spawn(process.execPath, ['--import', 'tsx', workerMain], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForOutput(w, 'stdout', /"type":"ready"/);
    w.stdin.write(JSON.stringify({ type: 'request', id: 1, method: 'start', params: { source: { kind: 'libpcap', iface: 'lo', filter: FILTER }, store: { dir: store } } }) + '\n');
    await waitForOutput(w, 'stdout', /"id":1,"ok":true/);
    await sendDatagrams(12);
    // The writer makes data and live index durable at least once a second; wait for two stats
    // messages after the datagrams (each follows a second of capture), then kill without warning.
    await waitForOutput(w, 'stdout', /"durablePackets":12/, 10_000);
    w.kill('SIGKILL');
    await waitForExit(w);
    const s = await Store.open(store, { create: false });
    try {
      const flows = await s.findFlows({}, 10);
      assert.equal(flows.length, 1);
      assert.equal(flowToJson(flows[0].id, flows[0].record).packets, 12);
    } finally {
      await s.close();
    }
    assert.equal((await readStoreSegments(store)).length, 12, 'the segment is readable to its last packet');
  });
});
