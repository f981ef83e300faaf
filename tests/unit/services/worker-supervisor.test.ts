/**
 * WorkerSupervisor against real child processes (tests/fixtures/workers/*.mjs): request/response
 * with validation, timeouts, malformed and overlong lines, restart with growing backoff, giving up,
 * SIGTERM then SIGKILL, and a worker outliving no parent. Timing assertions check order and
 * bounds only (a loaded 2-core machine delays everything); every wait has a deadline.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LineSplitter, type LineSplitterEvent } from '../../../common/worker/line-splitter.js';
import { backoffDelay, decideRestart, resolveRestartPolicy } from '../../../common/worker/restart-policy.js';
import { decodeParentMessage, decodeWorkerMessage, defineWorkerProtocol, encodeMessage } from '../../../common/worker/worker-protocol.js';
import type { WorkerStatus } from '../../../common/worker/worker-status.js';
import {
  WorkerRequestError,
  WorkerSupervisor,
  type ProtocolErrorReport,
  type WorkerSupervisorOptions,
} from '../../../electron/services/worker-supervisor.js';

const EchoProtocol = defineWorkerProtocol({
  methods: {
    echo: { params: z.object({ text: z.string() }), result: z.object({ echo: z.string() }) },
    sleep: { params: z.object({ ms: z.number().int().min(0).max(5_000) }), result: z.object({ slept: z.number() }) },
    fail: { params: z.undefined(), result: z.unknown() },
    'bad-result': { params: z.undefined(), result: z.object({ echo: z.string() }) },
    emit: { params: z.object({ kind: z.string() }), result: z.object({ echo: z.string() }) },
    cancelled: { params: z.undefined(), result: z.object({ ids: z.array(z.number()) }) },
    spew: { params: z.undefined(), result: z.object({ lines: z.number() }) },
  },
  stats: z.strictObject({ requests: z.number().int().nonnegative(), uptimeMs: z.number().nonnegative() }),
  event: z.strictObject({ kind: z.string() }),
  ready: z.object({ pid: z.number().int() }),
});
type Echo = typeof EchoProtocol;

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/workers/${name}`, import.meta.url));

/** A supervisor over a fixture, stopped when the test ends whatever happens. */
function supervise(
  t: { after: (fn: () => Promise<void>) => void },
  script: string,
  args: string[] = [],
  opts: Partial<WorkerSupervisorOptions<Echo>> = {},
): WorkerSupervisor<Echo> {
  const sup = new WorkerSupervisor<Echo>({
    name: script.replace(/\.mjs$/, ''),
    command: process.execPath,
    args: [fixture(script), ...args],
    protocol: EchoProtocol,
    readyTimeoutMs: 15_000,
    stopGraceMs: 2_000,
    ...opts,
  });
  t.after(() => sup.stop());
  return sup;
}

/** Resolves with the first status (current or emitted) that satisfies `pred`; rejects after `ms`. */
function waitFor(sup: WorkerSupervisor<Echo>, pred: (s: WorkerStatus) => boolean, ms = 10_000): Promise<WorkerStatus> {
  const now = sup.status();
  if (pred(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sup.off('status', on);
      reject(new Error(`timed out after ${ms} ms; status: ${JSON.stringify(sup.status())}`));
    }, ms);
    const on = (s: WorkerStatus): void => {
      if (!pred(s)) return;
      clearTimeout(timer);
      sup.off('status', on);
      resolve(s);
    };
    sup.on('status', on);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `cond` holds; bounded by `ms`. */
async function eventually(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(20);
  }
}

/** Whether a pid is a live process (a zombie waiting for a reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

async function rejectsWith(p: Promise<unknown>, reason: string, message?: RegExp): Promise<WorkerRequestError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof WorkerRequestError, `expected a WorkerRequestError, got ${String(e)}`);
    assert.equal(e.reason, reason, e.message);
    if (message) assert.match(e.message, message);
    return e;
  }
  return assert.fail(`expected rejection (${reason})`);
}

describe('protocol pieces (environment-free)', () => {
  test('line splitter: chunks, CRLF, blank lines, final unterminated line, invalid UTF-8', () => {
    const got: LineSplitterEvent[] = [];
    const s = new LineSplitter((e) => got.push(e), 16);
    const enc = new TextEncoder();
    s.push(enc.encode('{"a"'));
    s.push(enc.encode(':1}\r\n\n\nsecond\nthi'));
    s.push(new Uint8Array([0xff, 0x0a]));
    s.push(enc.encode('tail'));
    s.end();
    assert.deepEqual(got, [
      { kind: 'line', text: '{"a":1}' },
      { kind: 'line', text: 'second' },
      { kind: 'invalid-utf8', bytes: 4 },
      { kind: 'line', text: 'tail' },
    ]);
  });

  test('line splitter: an overlong line is reported once, never buffered past the bound, and splitting resumes', () => {
    const got: LineSplitterEvent[] = [];
    const s = new LineSplitter((e) => got.push(e), 1024);
    const big = new Uint8Array(300).fill(0x78);
    let maxHeld = 0;
    for (let i = 0; i < 100; i++) {
      s.push(big); // 30 KB with no newline
      maxHeld = Math.max(maxHeld, s.bufferedBytes);
    }
    s.push(new TextEncoder().encode('\nok\n'));
    assert.ok(maxHeld <= 1024, `held ${maxHeld} bytes`);
    assert.deepEqual(got, [{ kind: 'overlong', bytesSeen: 1200 }, { kind: 'line', text: 'ok' }]);
  });

  test('envelopes: valid round trip, strictness, clear reasons', () => {
    const line = encodeMessage({ type: 'request', id: 7, method: 'echo', params: { text: 'a\nb' } });
    assert.equal(line.indexOf('\n'), line.length - 1, 'one line');
    assert.deepEqual(decodeParentMessage(line.trim()), { ok: true, message: { type: 'request', id: 7, method: 'echo', params: { text: 'a\nb' } } });
    assert.deepEqual(decodeWorkerMessage('nope'), { ok: false, error: 'not JSON' });
    const bad = [
      '{"type":"response","id":0,"ok":true,"result":1}',
      '{"type":"response","id":1,"ok":false}',
      '{"type":"stats","stats":{},"extra":1}',
      '{"type":"request","id":1,"method":"x"}',
    ];
    for (const b of bad) assert.equal(decodeWorkerMessage(b).ok, false, b);
    assert.equal(decodeParentMessage('{"type":"request","id":1,"method":"../etc"}').ok, false);
    assert.equal(decodeParentMessage('{"type":"response","id":1,"ok":true}').ok, false, 'a worker never accepts worker messages');
  });

  test('restart policy: doubling to the cap, reset by a stable run, give up after N rapid failures', () => {
    const p = resolveRestartPolicy({ initialDelayMs: 500, maxDelayMs: 30_000, stableAfterMs: 60_000, maxRapidFailures: 5 });
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => backoffDelay(p, n)), [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.deepEqual(decideRestart(p, 0, 10), { action: 'restart', delayMs: 500, rapidFailures: 1 });
    assert.deepEqual(decideRestart(p, 3, 10), { action: 'restart', delayMs: 4000, rapidFailures: 4 });
    assert.deepEqual(decideRestart(p, 4, 10), { action: 'give-up', rapidFailures: 5 });
    assert.deepEqual(decideRestart(p, 4, 60_000), { action: 'restart', delayMs: 500, rapidFailures: 1 }, 'a stable run resets the streak');
    assert.throws(() => resolveRestartPolicy({ maxRapidFailures: 0 }), RangeError);
  });
});

describe('WorkerSupervisor with real workers', { timeout: 60_000 }, () => {
  test('request/response round trip, validated results, worker errors, stats and events', async (t) => {
    const sup = supervise(t, 'echo-worker.mjs');
    const states: string[] = [];
    sup.on('status', (s) => states.push(s.state));
    sup.start();
    // Sent before the worker is ready: queued, then delivered.
    const early = sup.request('echo', { text: 'early' });
    const running = await waitFor(sup, (s) => s.state === 'running');
    assert.ok(running.pid !== null && alive(running.pid));
    assert.deepEqual(await early, { echo: 'early' });
    assert.deepEqual(states.slice(0, 2), ['starting', 'running']);

    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => sup.request('echo', { text: `m${i}` })));
    assert.deepEqual(answers.map((a) => a.echo), Array.from({ length: 20 }, (_, i) => `m${i}`), 'correlated by id');

    const werr = await rejectsWith(sup.request('fail', undefined), 'worker-error', /asked to fail/);
    assert.equal(werr.workerCode, 'boom');
    const reports: ProtocolErrorReport[] = [];
    sup.on('protocol-error', (r) => reports.push(r));
    await rejectsWith(sup.request('bad-result', undefined), 'invalid-response', /echo/);
    assert.equal(reports.length, 1);
    assert.equal(reports[0].kind, 'invalid');
    assert.equal(sup.status().malformedLines, 1);
    // Invalid params never leave the process.
    await rejectsWith(sup.request('echo', { text: 42 } as unknown as { text: string }), 'invalid-params', /text/);

    const event = new Promise((r) => sup.once('event', r));
    assert.deepEqual(await sup.request('emit', { kind: 'hello' }), { echo: 'emitted' });
    assert.deepEqual(await event, { kind: 'hello' });

    const stats = await new Promise((r) => sup.once('stats', r));
    assert.equal(typeof (stats as { requests: number }).requests, 'number');
    const st = sup.status();
    assert.equal(st.state, 'running');
    assert.ok(st.stats !== null && st.statsAt !== null);
    assert.deepEqual(sup.latestStats(), st.stats);
    assert.ok(st.uptimeMs > 0);
    assert.equal(st.restarts, 0);
  });

  test('timeouts: the request fails alone, the worker is told, a late answer is counted and ignored', async (t) => {
    const sup = supervise(t, 'echo-worker.mjs');
    sup.start();
    await waitFor(sup, (s) => s.state === 'running');
    const started = performance.now();
    await rejectsWith(sup.request('sleep', { ms: 800 }, { timeoutMs: 150 }), 'timeout', /within 150 ms/);
    assert.ok(performance.now() - started >= 140, 'not before its timeout');
    assert.deepEqual(await sup.request('echo', { text: 'still here' }), { echo: 'still here' });
    const { ids } = await sup.request('cancelled', undefined);
    assert.equal(ids.length, 1, 'the worker got a cancel for the timed-out request');
    await eventually(() => sup.lateResponses === 1, 5_000, 'the late response arrives');
    assert.equal(sup.status().state, 'running');
    assert.equal(sup.status().malformedLines, 0, 'a late answer is not a protocol error');
  });

  test('malformed and overlong lines are counted and reported; the worker keeps working', async (t) => {
    const sup = supervise(t, 'garbage-worker.mjs');
    const reports: ProtocolErrorReport[] = [];
    sup.on('protocol-error', (r) => reports.push(r));
    sup.start();
    const { pid } = await waitFor(sup, (s) => s.state === 'running');
    const before = process.memoryUsage().rss;
    // Lines are in order on the pipe, so by the time the answer arrives every bad line was handled.
    assert.deepEqual(await sup.request('spew', undefined, { timeoutMs: 15_000 }), { lines: 9 });
    const kinds = reports.map((r) => r.kind);
    assert.deepEqual(kinds, ['not-json', 'not-json', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid-utf8', 'overlong', 'overlong']);
    assert.ok(reports.every((r) => r.detail.length < 400 && r.pid === pid), 'reports carry a reason, not the line');
    const st = sup.status();
    assert.equal(st.malformedLines, 7);
    assert.equal(st.overlongLines, 2);
    assert.equal(st.state, 'running');
    assert.equal(st.pid, pid);
    assert.equal(st.restarts, 0);
    assert.deepEqual(st.stats, { requests: 0, uptimeMs: 0 }, 'the invalid stats line did not replace the valid one');
    assert.deepEqual(await sup.request('echo', { text: 'after' }), { echo: 'after' });
    // Loose bound: 5 MiB of overlong lines must not have been kept (RSS noise is far below 64 MiB).
    assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024);
  });

  test('restarts after crashes with growing delays, then gives up with the reason', async (t) => {
    const sup = supervise(t, 'crash-worker.mjs', ['--after', '50', '--code', '3'], {
      restart: { initialDelayMs: 100, factor: 2, maxDelayMs: 10_000, stableAfterMs: 60_000, maxRapidFailures: 4 },
    });
    const timeline: Array<{ state: string; at: number; next: number | null; pid: number | null }> = [];
    sup.on('status', (s) => timeline.push({ state: s.state, at: performance.now(), next: s.nextRestartInMs, pid: s.pid }));
    sup.start();
    const failed = await waitFor(sup, (s) => s.state === 'failed', 20_000);

    const backoffs = timeline.filter((e) => e.state === 'backing-off');
    // Announced time left: the planned delay minus whatever the machine took to emit the status.
    const announced = backoffs.map((e) => e.next ?? -1);
    assert.equal(announced.length, 3);
    announced.forEach((a, i) => assert.ok(a <= 100 * 2 ** i && a > 100 * 2 ** i - 50, `announced delays double: ${announced.join(', ')}`));
    // Measured: each restart comes no earlier than its delay, and the gaps grow.
    const gaps: number[] = [];
    timeline.forEach((e, i) => {
      if (e.state === 'backing-off') {
        const next = timeline.slice(i + 1).find((x) => x.state === 'starting');
        if (next) gaps.push(next.at - e.at);
      }
    });
    assert.equal(gaps.length, 3);
    gaps.forEach((g, i) => assert.ok(g >= 100 * 2 ** i - 5, `gap ${i} was ${g.toFixed(0)} ms`));
    assert.ok(gaps[0] < gaps[1] && gaps[1] < gaps[2], `gaps grow: ${gaps.map((g) => g.toFixed(0)).join(', ')}`);
    assert.equal(new Set(timeline.filter((e) => e.state === 'starting').map((e) => e.pid)).size, 4, 'a new process each time');

    assert.equal(failed.restarts, 3);
    assert.equal(failed.rapidFailures, 4);
    assert.equal(failed.pid, null);
    assert.equal(failed.lastExit?.code, 3);
    assert.match(failed.lastError ?? '', /gave up after 4 rapid failures/);
    assert.match(failed.lastError ?? '', /exited with code 3/);
    assert.match(failed.lastError ?? '', /crash-worker: crashing with code 3/, 'stderr explains it');
    await rejectsWith(sup.request('echo', { text: 'x' }), 'not-running', /failed: gave up/);
    // Failed means no more attempts.
    await sleep(300);
    assert.equal(sup.status().state, 'failed');
    assert.equal(sup.status().restarts, 3);
  });

  test('a run that stayed up long enough resets the backoff', async (t) => {
    // Each run lives ~600 ms against a 100 ms stability bar: a wide margin for a slow ready on a loaded machine.
    const sup = supervise(t, 'crash-worker.mjs', ['--after', '600'], {
      restart: { initialDelayMs: 100, factor: 4, maxDelayMs: 10_000, stableAfterMs: 100, maxRapidFailures: 2 },
    });
    const announced: number[] = [];
    sup.on('status', (s) => {
      if (s.state === 'backing-off') announced.push(s.nextRestartInMs ?? -1);
    });
    sup.start();
    await waitFor(sup, (s) => s.restarts >= 3 && s.state === 'running', 20_000);
    assert.ok(announced.slice(0, 3).every((a) => a <= 100 && a > 50), `no growth, each run was stable: ${announced.join(', ')}`);
    assert.equal(sup.status().rapidFailures, 1);
  });

  test('gives up on a worker that dies before becoming ready; queued requests get the reason', async (t) => {
    const sup = supervise(t, 'crash-worker.mjs', ['--no-ready', '--code', '7'], {
      restart: { initialDelayMs: 50, maxRapidFailures: 3 },
    });
    sup.start();
    const queued = sup.request('echo', { text: 'never' }, { timeoutMs: 20_000 });
    const failed = await waitFor(sup, (s) => s.state === 'failed', 15_000);
    assert.equal(failed.restarts, 2);
    assert.equal(failed.lastExit?.code, 7);
    assert.equal(failed.lastExit?.uptimeMs, 0);
    await rejectsWith(queued, 'not-running', /gave up after 3 rapid failures/);
    // start() again retries from scratch.
    sup.start();
    assert.equal(sup.status().state, 'starting');
    assert.equal(sup.status().restarts, 0);
    assert.equal(sup.status().rapidFailures, 0);
    await sup.stop();
    assert.equal(sup.status().state, 'stopped');
  });

  test('a command that cannot be spawned fails with the OS reason', async (t) => {
    const sup = new WorkerSupervisor<Echo>({
      name: 'missing',
      command: '/nonexistent/tapline-worker',
      protocol: EchoProtocol,
      restart: { initialDelayMs: 20, maxRapidFailures: 2 },
    });
    t.after(() => sup.stop());
    sup.start();
    const failed = await waitFor(sup, (s) => s.state === 'failed', 10_000);
    assert.match(failed.lastError ?? '', /ENOENT/);
  });

  test('a worker that never sends ready is ended after the ready timeout', async (t) => {
    const sup = supervise(t, 'stubborn-worker.mjs', ['--no-ready'], {
      readyTimeoutMs: 300,
      stopGraceMs: 300,
      restart: { maxRapidFailures: 1 },
    });
    sup.start();
    const { pid } = await waitFor(sup, (s) => s.state === 'starting');
    const failed = await waitFor(sup, (s) => s.state === 'failed', 15_000);
    assert.match(failed.lastError ?? '', /no ready message within 300 ms/);
    // SIGKILL once its SIGTERM handler is installed; on a loaded machine SIGTERM may land before it (either is an ending).
    assert.ok(['SIGTERM', 'SIGKILL'].includes(failed.lastExit?.signal ?? ''), `ended by ${failed.lastExit?.signal}`);
    assert.ok(pid !== null && !alive(pid));
  });

  test('a worker speaking another protocol version fails at once, without restarts', async (t) => {
    const sup = supervise(t, 'echo-worker.mjs', [], { env: { ...process.env, FIXTURE_PROTOCOL: '2' } });
    sup.start();
    const failed = await waitFor(sup, (s) => s.state === 'failed', 15_000);
    assert.match(failed.lastError ?? '', /protocol 2, expected 1/);
    assert.equal(failed.restarts, 0);
  });

  test('stop(): a well-behaved worker exits at once; no restart follows', async (t) => {
    const sup = supervise(t, 'echo-worker.mjs');
    sup.start();
    const { pid } = await waitFor(sup, (s) => s.state === 'running');
    const states: string[] = [];
    sup.on('status', (s) => states.push(s.state));
    const inflight = sup.request('sleep', { ms: 3_000 });
    const t0 = performance.now();
    await sup.stop();
    assert.ok(performance.now() - t0 < 2_000, 'well inside the grace period');
    assert.deepEqual(states, ['stopping', 'stopped']);
    await rejectsWith(inflight, 'exited');
    assert.ok(pid !== null && !alive(pid));
    await rejectsWith(sup.request('echo', { text: 'x' }), 'not-running');
    await sleep(300);
    assert.equal(sup.status().state, 'stopped');
    assert.equal(sup.status().restarts, 0);
  });

  test('stop(): SIGTERM first, SIGKILL after the grace period for a worker that ignores it', async (t) => {
    const sup = supervise(t, 'stubborn-worker.mjs', [], { stopGraceMs: 500 });
    sup.start();
    const { pid } = await waitFor(sup, (s) => s.state === 'running');
    const order: string[] = [];
    sup.on('stderr', (line) => order.push(`stderr: ${line}`));
    sup.on('status', (s) => order.push(s.state));
    const t0 = performance.now();
    await sup.stop();
    const took = performance.now() - t0;
    assert.deepEqual(order, ['stopping', 'stderr: stubborn-worker: ignoring SIGTERM', 'stopped']);
    assert.ok(took >= 480, `waited the grace period (${took.toFixed(0)} ms)`);
    assert.equal(sup.status().lastExit?.signal, 'SIGKILL');
    assert.ok(pid !== null && !alive(pid));
  });

  test('the worker exits when its supervisor process is killed with SIGKILL', async (t) => {
    const host = spawn(process.execPath, ['--import', 'tsx', fixture('supervisor-host.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let workerPid: number | null = null;
    try {
      workerPid = await new Promise<number>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`host printed no worker pid within 20 s: ${out}`)), 20_000);
        host.stdout.setEncoding('utf8');
        host.stdout.on('data', (d: string) => {
          out += d;
          const m = /\{"workerPid":(\d+)\}/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        host.on('exit', (code) => reject(new Error(`host exited early (${code}): ${out}`)));
      });
      assert.ok(alive(workerPid), 'worker is up');
      const hostGone = new Promise((r) => host.once('exit', r));
      host.kill('SIGKILL');
      await hostGone;
      const t0 = performance.now();
      const pid = workerPid;
      await eventually(() => !alive(pid), 3_000, 'worker exits after its parent died');
      t.diagnostic(`worker gone ${(performance.now() - t0).toFixed(0)} ms after its parent`);
    } finally {
      if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
      if (workerPid !== null && alive(workerPid)) process.kill(workerPid, 'SIGKILL');
    }
  });
});
