/**
 * UDP log batches published lazily (node/logs/log-event-batch.ts, EventBus.publishLazy): live
 * subscribers of the services' bus get every event the journal holds, equal, in order; with an
 * event class matching some messages, those are ranked and their class-match events follow them
 * on the bus and in the journal, as for any event.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { TaplineEvent } from '../../common/bridge/messages.js';
import { TaplineServices } from '../../electron/services/tapline-services.js';
import { logBatchBuffers, logEventsBuilt } from '../../node/logs/log-event-batch.js';

/** Sends n datagrams from a child process: i-th "<13>Nov 22 10:00:00 h app: message i from 10.1.2.3 port 22" (every 5th says "alarm"). */
function sendBlocking(port: number, n: number, first = 0): void {
  const py = `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(${first}, ${first + n}):\n  s.sendto(b"<13>Nov 22 10:00:00 h app: %s %d from 10.1.2.3 port 22" % (b"alarm" if i % 5 == 0 else b"message", i), ("127.0.0.1", ${port}))\n`;
  const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe('UDP logs on the live bus (lazy publishing)', () => {
  const dirs: string[] = [];
  const open: TaplineServices[] = [];
  after(async () => {
    for (const s of open) await s.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function services(): Promise<TaplineServices> {
    const dir = await mkdtemp(join(tmpdir(), 'tl-logs-live-'));
    dirs.push(dir);
    const s = await TaplineServices.open({ storeDir: dir, sensorId: 'live' });
    open.push(s);
    return s;
  }

  it('while a subscriber takes events, they are built from the parse thread\'s whole lines, equal to the journal (compact lines); without one the whole lines stop', async () => {
    const s = await services();
    const live: TaplineEvent[] = [];
    const unsubscribe = s.bus.subscribe((b) => live.push(...b.events));
    const recv = await s.logs.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
    const fromWhole0 = logEventsBuilt.fromWholeLine;
    // bursts apart in time: the first builds events (demand), the parse thread is asked for whole lines, later batches carry them
    const bursts = 8;
    const per = 100;
    for (let k = 0; k < bursts; k++) {
      sendBlocking(recv.port, per, k * per);
      await until(() => live.length >= (k + 1) * per, 5_000);
    }
    const n = bursts * per;
    await until(() => s.logs.intake.stats.stored === n && live.length >= n, 10_000);
    assert.equal(s.logs.intake.stats.stored, n);
    assert.ok(logEventsBuilt.fromWholeLine - fromWhole0 > 0, 'some events were built from whole lines');
    const journal = (await s.searchEvents({ limit: 100_000 })).filter((e) => e.kind === 'log').reverse();
    assert.equal(journal.length, n);
    assert.deepEqual(live.filter((e) => e.kind === 'log'), journal);
    // nobody builds events any more: after the linger the parse thread stops sending whole lines
    unsubscribe();
    await new Promise((r) => setTimeout(r, 2300));
    sendBlocking(recv.port, 10, n); // its batch is the one that tells the parse thread to stop
    await until(() => s.logs.intake.stats.stored === n + 10, 5_000);
    await new Promise((r) => setTimeout(r, 200));
    const wholeBatches = logEventsBuilt.wholeLineBatches;
    sendBlocking(recv.port, 10, n + 10);
    await until(() => s.logs.intake.stats.stored === n + 20, 5_000);
    assert.equal(s.logs.intake.stats.stored, n + 20);
    assert.equal(logEventsBuilt.wholeLineBatches, wholeBatches, 'no batch with whole lines after the subscriber left');
    const all = (await s.searchEvents({ limit: 100_000 })).filter((e) => e.kind === 'log');
    assert.equal(all.length, n + 20);
  });

  it('without a subscriber, the native receiver\'s batch buffers go back to the parse thread once the replay buffer lets go of them, and are reused: what it replays equals the journal', async () => {
    const s = await services();
    const recv = await s.logs.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
    const pooled = recv.udp_receiver === 'native' && process.env.TAPLINE_NATIVE_PARSE !== '0' && process.env.TAPLINE_NATIVE_PACK !== '0' && process.env.TAPLINE_NATIVE_POOL !== '0';
    const given0 = logBatchBuffers.givenBack;
    let n = 0;
    // past the replay buffer (20,000 events) twice: the first batches' buffers come back, later batches are written into them
    for (let k = 0; k < 5; k++) {
      sendBlocking(recv.port, 10_000, n);
      n += 10_000;
      await until(() => s.logs.intake.stats.stored === n, 20_000);
      assert.equal(s.logs.intake.stats.stored, n);
    }
    await new Promise((r) => setImmediate(r));
    if (pooled) assert.ok(logBatchBuffers.givenBack - given0 > 0, 'buffers given back');
    else assert.equal(logBatchBuffers.givenBack, given0);
    const replayed = s.bus.recent().filter((e) => e.kind === 'log');
    assert.ok(replayed.length > 0 && replayed.length <= 20_000);
    const journal = (await s.searchEvents({ limit: replayed.length })).filter((e) => e.kind === 'log').reverse();
    assert.equal(journal.length, replayed.length);
    assert.deepEqual(replayed, journal);
  });

  it('batches written whole in C and batches parsed per record (an OSSEC line in them) share one id sequence: every id once, in order', async () => {
    const s = await services();
    const recv = await s.logs.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
    // every 700th message is an OSSEC alert (left to TypeScript): its batch takes the per-record path
    const py = `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(6000):\n  m = b"<132>Jul 10 10:11:23 ossec-server ossec: Alert Level: 5; Rule: 5716 - SSHD authentication failed.; Location: x; srcip: 192.168.1.50; n %d" % i if i % 700 == 0 else b"<13>Nov 22 10:00:00 h app: message %d from 10.1.2.3 port 22" % i\n  s.sendto(m, ("127.0.0.1", ${recv.port}))\n  if i % 500 == 0: time.sleep(0.02)\n`;
    const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    await until(() => s.logs.intake.stats.stored === 6000, 20_000);
    assert.equal(s.logs.intake.stats.stored, 6000);
    const journal = (await s.searchEvents({ limit: 100_000 })).filter((e) => e.kind === 'log');
    assert.equal(journal.length, 6000);
    // message i (the number after "message " or ", n ") got the id with sequence number i + 1: one sequence, in arrival order
    const bySent = new Array<string>(6000);
    for (const e of journal) {
      if (e.kind !== 'log') continue;
      const i = Number(/(?:message|; n) (\d+)/.exec(e.raw)?.[1]);
      assert.equal(bySent[i], undefined, `message ${i} once`);
      bySent[i] = e.id;
      if (i % 700 === 0) assert.equal(e.format, 'ossec');
    }
    assert.deepEqual(
      bySent.map((id) => Number(/(\d+)$/.exec(id)?.[1])),
      Array.from({ length: 6000 }, (_, i) => i + 1),
    );
    assert.equal(new Set(bySent.map((id) => id.replace(/\d+$/, ''))).size, 1, 'one id prefix');
  });

  for (const withClass of [false, true]) {
    it(withClass ? 'an event class on some messages: ranked events and their class-match events, the same on the bus and in the journal' : 'every stored event reaches a live subscriber, equal to its journal line, in receive order', async () => {
      const s = await services();
      if (withClass) await s.createClass({ name: 'alarms', match: { kind: 'log', message_contains: 'alarm' }, rank_delta: 3 });
      const live: TaplineEvent[] = [];
      s.bus.subscribe((b) => live.push(...b.events));
      const recv = await s.logs.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
      const n = 300;
      sendBlocking(recv.port, n);
      await until(() => s.logs.intake.stats.stored === n, 10_000);
      assert.equal(s.logs.intake.stats.stored, n);
      const expectedLive = withClass ? n + n / 5 : n;
      await until(() => live.length >= expectedLive, 5_000);
      const journal = (await s.searchEvents({ limit: 100_000 })).filter((e) => e.kind === 'log' || e.kind === 'class-match').reverse();
      const ofLive = live.filter((e) => e.kind === 'log' || e.kind === 'class-match');
      assert.equal(ofLive.length, expectedLive);
      assert.deepEqual(ofLive, journal);
      const logs = ofLive.filter((e) => e.kind === 'log');
      assert.deepEqual(
        logs.map((e) => (e.kind === 'log' ? Number(/ (\d+) from/.exec(e.message)?.[1]) : -1)),
        Array.from({ length: n }, (_, i) => i),
      );
      for (const e of logs) {
        if (e.kind !== 'log') continue;
        const alarm = e.message.startsWith('alarm');
        assert.equal(e.rank, withClass && alarm ? 3 : 0);
        assert.deepEqual(e.classes, withClass && alarm ? ['alarms'] : undefined);
      }
    });
  }
});
