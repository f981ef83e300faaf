/**
 * The native UDP receiver with several parse threads (the first owns the receiver and deals its
 * batches in turn to the others; the intake puts them back in order): a burst is stored exactly
 * as with one parse thread, in receive order, every batch parsed by the thread it was dealt to.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import type { LogEvent } from '../../common/bridge/messages.js';
import { LogIntake } from '../../node/logs/log-intake.js';
import { loadNativeUdpIntake } from '../../node/logs/native-udp-intake.js';
import { UdpLogReceiver } from '../../node/logs/udp-receiver.js';

const native = loadNativeUdpIntake();

/** n datagrams of several formats from one socket, each numbered; a pause every 500 so the receiver hands over several batches. */
function sendBurst(port: number, n: number): void {
  const py = `import socket, time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
for i in range(${n}):
  body=[b"<13>Nov 22 10:00:00 h app: burst %d from 10.1.2.3 port 22" % i,
        b"<14>1 2026-11-22T10:00:00.000Z fw app - - [x@1 k=\\"%d\\"] burst" % i,
        b"CEF:0|V|P|1|sig|burst %d|5|src=10.0.0.1 dst=10.0.0.2 spt=1 dpt=2" % i,
        b"burst raw %d \\xff\\xfe " % i][i % 4]
  s.sendto(body, ("127.0.0.1", ${port}))
  if i % 500 == 499: time.sleep(0.03)
`;
  const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe('native UDP receiver with several parse threads', { skip: native.ok ? undefined : native.reason }, () => {
  const open: UdpLogReceiver[] = [];
  after(async () => {
    for (const r of open.splice(0)) await r.close();
  });

  async function run(threads: number, n: number): Promise<LogEvent[]> {
    const events: LogEvent[] = [];
    const intake = new LogIntake({ sensor: 's', persist: async (e) => void events.push(...e) });
    const r = await UdpLogReceiver.start(intake, { host: '127.0.0.1', port: 0, socketThreadNice: null, parseThreads: threads });
    open.push(r);
    assert.equal(r.choice.kind, 'native', r.choice.reason);
    sendBurst(r.port, n);
    await until(() => intake.stats.stored >= n, 20_000);
    await r.close();
    open.splice(open.indexOf(r), 1);
    await intake.flush();
    assert.equal(intake.stats.stored, n);
    assert.equal(intake.stats.dropped_queue_full, 0);
    return events;
  }

  /** Each event without what differs from run to run (id, receive time, sender port). */
  const content = (events: readonly LogEvent[]): string[] => events.map((e) => JSON.stringify({ ...e, id: '', received_ts: '', sender_port: 0, ts: e.event_ts === null ? '' : e.ts }));
  const threadOf = (e: LogEvent): string => /u\d+([a-h])-\d+$/.exec(e.id)?.[1] ?? '?';

  it('two and three parse threads store a burst as one does, in receive order, each thread parsing its share', async () => {
    const n = 4000;
    const one = await run(1, n);
    assert.deepEqual(
      one.map((e) => Number(/(\d+)/.exec(e.raw.slice(e.raw.indexOf('burst') + 6))?.[1] ?? /k="(\d+)"/.exec(e.raw)?.[1])),
      Array.from({ length: n }, (_, i) => i),
      'receive order',
    );
    for (const threads of [2, 3]) {
      const many = await run(threads, n);
      assert.deepEqual(content(many), content(one));
      const used = new Set(many.map(threadOf));
      assert.equal(used.size, threads, `batches parsed by ${[...used].join(', ')}`);
    }
  });
});
