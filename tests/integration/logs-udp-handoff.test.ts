import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { LogEventSchema, type LogEvent } from '../../common/bridge/messages.js';
import { CompactLogLineSchema, expandCompactLogLine, isCompactLogLine } from '../../common/logs/log-journal-line.js';
import { LogIntake, type EncodedLines } from '../../node/logs/log-intake.js';
import { UdpLogReceiver } from '../../node/logs/udp-receiver.js';

/** Sends n datagrams "<13>Nov 22 10:00:00 h app: message i" from a child process (blocks this thread meanwhile). */
function sendBlocking(port: number, n: number): void {
  const py = `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(${n}):\n  s.sendto(b"<13>Nov 22 10:00:00 h app: message %d from 10.1.2.3 port 22" % i, ("127.0.0.1", ${port}))\n`;
  const r = spawnSync('python3', ['-c', py], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe('UDP receiver: socket thread → parse thread → intake', () => {
  const receivers: UdpLogReceiver[] = [];
  after(async () => {
    for (const r of receivers) await r.close();
  });

  it('stores every datagram with the journal lines the parse thread encoded (compact lines that read as the event, valid under the schema)', async () => {
    const written: { events: LogEvent[]; lines: EncodedLines }[] = [];
    const intake = new LogIntake({
      sensor: 's1',
      persist: () => Promise.reject(new Error('UDP batches come encoded')),
      persistEncoded: async (events, lines) => {
        written.push({ events, lines });
      },
    });
    const r = await UdpLogReceiver.start(intake, { host: '127.0.0.1', port: 0, socketThreadNice: null, parseThreads: 2 });
    receivers.push(r);
    sendBlocking(r.port, 500);
    await until(() => intake.stats.stored === 500, 10_000);
    assert.equal(intake.stats.stored, 500);
    assert.equal(intake.stats.received, 500);
    const seen = new Set<number>();
    const order: number[] = [];
    for (const { events, lines } of written) {
      assert.equal(lines.lineEnds.length, events.length);
      let start = 0;
      for (let i = 0; i < events.length; i++) {
        const end = lines.lineEnds[i];
        const line = Buffer.from(lines.bytes.subarray(start, end)).toString('utf8');
        start = end;
        // a compact line (common/logs/log-journal-line.ts): it reads back as the event handed on, valid under the schema
        const v: unknown = JSON.parse(line);
        assert.ok(isCompactLogLine(v), line);
        const e = LogEventSchema.parse(expandCompactLogLine(CompactLogLineSchema.parse(v)));
        assert.deepEqual(e, events[i]);
        assert.equal(e.transport, 'udp');
        assert.equal(e.sender_ip, '127.0.0.1');
        assert.equal(e.src_ip, '10.1.2.3');
        seen.add(Number(/message (\d+)/.exec(e.message)?.[1]));
        order.push(Number(/message (\d+)/.exec(e.message)?.[1]));
      }
      assert.equal(start, lines.bytes.length);
    }
    assert.equal(seen.size, 500);
    // two parse threads, batches put back in the order they were received (loopback keeps the send order)
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
    assert.equal(new Set(written.flatMap((w) => w.events.map((e) => e.id))).size, 500);
    assert.equal(intake.stats.by_format.rfc3164, 500);
  });

  it('beyond the hand-off limit datagrams are dropped and counted, never silently lost', async () => {
    let stored = 0;
    const intake = new LogIntake({
      sensor: 's2',
      persist: async (events) => {
        stored += events.length;
      },
    });
    const r = await UdpLogReceiver.start(intake, { host: '127.0.0.1', port: 0, socketThreadNice: null, handoffLimit: 10 });
    receivers.push(r);
    // this thread is blocked while the child sends: the intake takes nothing, the hand-off fills
    sendBlocking(r.port, 300);
    await until(() => intake.stats.received === 300 && intake.queued === 0, 10_000);
    await intake.flush();
    const kernel = (await r.kernelDrops()) ?? 0;
    assert.equal(intake.stats.received + kernel, 300);
    assert.ok(intake.stats.dropped_queue_full > 0, 'some datagrams dropped at the hand-off');
    assert.equal(intake.stats.stored + intake.stats.dropped_queue_full, intake.stats.received);
    assert.equal(stored, intake.stats.stored);
  });
});
