/**
 * The journal's log events read back equal the parser's events whatever the line format a
 * transport writes: the same generated and mutated real lines (every format, invalid UTF-8,
 * 9,000-byte lines) sent over UDP (compact lines, common/logs/log-journal-line.ts), TCP and TLS
 * (whole lines, octet-counted frames) to one store; every event the journal returns is
 * deep-equal to toLogEvent(text, parseLog(text, receive second), its origin), computed here from
 * the bytes sent. (Syslog sniffed from captures is written as whole lines and checked against
 * Zeek and tcpdump in logs-corpus.test.ts.)
 */
import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LogEvent } from '../../common/bridge/messages.js';
import { toLogEvent } from '../../common/logs/log-event.js';
import { decodeLogBytes, parseLog } from '../../common/logs/parse-log.js';
import { parseTimestamp } from '../../common/time/timestamp.js';
import { ensureCertificate } from '../../electron/server/tls.js';
import { TaplineServices } from '../../electron/services/tapline-services.js';
import { benchMessage } from '../bench/suites/logs.js';
import { waitFor } from './logs-rsyslog-harness.js';
import { mutatedLogLines } from '../helpers/mutated-log-lines.js';

const SAMPLES = [
  "<34>Oct 11 22:14:15 mymachine su[230]: 'su root' failed for lonvick on /dev/pts/8",
  '<13>robin: Hello',
  '<189>29: *Mar  1 00:00:29.123 UTC: %SYS-5-CONFIG_I: Configured from console by vty0 (10.0.0.9)',
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] \uFEFFAn application event',
  'Sep 19 08:26:10 host CEF:0|security|threatmanager|1.0|100|detected a \\| in message|10|src=10.0.0.1 act=blocked a \\= dst=1.1.1.1',
  '<132>Jul 10 10:11:23 ossec-server ossec: Alert Level: 5; Rule: 5716 - SSHD authentication failed.; Location: x->/var/log/auth.log; srcip: 192.168.1.50; user: root; log',
  'Feb 29 17:12:09 S-0.tcovel: {1,0} [1:2009375:3] ET CHAT General MSN Chat Activity {TCP} 10.0.0.1:5 -> [2001:db8::1]:6',
  '<166>Jan 05 2012 08:08:08: %ASA-6-302013: Built outbound TCP connection 123 for outside:10.0.0.1/80 (10.0.0.1/80) to inside:192.168.1.2/1234',
  '<14>1 2026-11-22T10:00:00.5+02:00 fw - - - [x@1 src="10.9.9.9"] blocked SRC=10.1.1.1 DST=10.2.2.2 SPT=5 DPT=6 PROTO=UDP "quoted" \\ é \u{1F600}',
  'free text without any syslog header',
];

const enc = new TextEncoder();
const mutated = mutatedLogLines(SAMPLES, /^[|=\\[\]"{}<>: \r0-9a-zA-Z%.;-]{0,6}$/, 6);

/** Non-empty messages (an empty TCP frame is no message), none starting with a space. */
const MESSAGES: Uint8Array[] = [
  ...SAMPLES.map((s) => enc.encode(s)),
  ...fc.sample(mutated, { seed: 7, numRuns: 120 }),
  ...Array.from({ length: 40 }, (_, i) => enc.encode(benchMessage(i * 7919))),
  Uint8Array.from([0x3c, 0x31, 0x33, 0x3e, 0xff, 0xfe, 0x80, 0x41, 0xc3, 0x28, 0xe2, 0x82]), // <13> then invalid UTF-8
  enc.encode(`<13>Nov 22 10:00:00 h app: ${'long '.repeat(1800)}`),
].filter((m) => m.length > 0 && m[0] !== 0x20);

let dir: string;
let services: TaplineServices;

function expected(e: LogEvent, text: string): LogEvent {
  const t = parseTimestamp(e.received_ts);
  assert.ok(t);
  return toLogEvent(text, parseLog(text, t.sec), { id: e.id, sensor: e.sensor, receivedSec: t.sec, receivedNsec: t.nsec, transport: e.transport, senderIp: e.sender_ip, senderPort: e.sender_port, captureFlow: null });
}

function octetFrames(msgs: readonly Uint8Array[]): Buffer {
  return Buffer.concat(msgs.flatMap((m) => [Buffer.from(`${m.length} `), Buffer.from(m)]));
}

describe('log events read back from the journal, per transport (compact UDP lines, whole TCP/TLS lines)', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `tl-logsix-jt-${process.pid}-`));
    services = await TaplineServices.open({ storeDir: join(dir, 'store'), sensorId: 'jt-test' });
  });
  after(async () => {
    await services?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('UDP, TCP and TLS: every event equals the event the parser produced for the bytes sent, in order', async () => {
    const udpPort = (await services.logs.listen({ transport: 'udp', host: '127.0.0.1', port: 0 })).port;
    const tcpPort = (await services.logs.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 })).port;
    const cert = await ensureCertificate(join(dir, 'store'), '127.0.0.1');
    const tlsPort = (await services.logs.listen({ transport: 'tls', host: '127.0.0.1', port: 0 }, cert)).port;
    const n = MESSAGES.length;

    // UDP: one datagram each, paced so the loopback buffer never overflows
    const sock = createSocket('udp4');
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve, reject) => sock.send(MESSAGES[i], udpPort, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 5));
    }
    sock.close();
    // TCP and TLS: octet-counted frames on one connection each
    await new Promise<void>((resolve, reject) => {
      const c = netConnect(tcpPort, '127.0.0.1', () => c.end(octetFrames(MESSAGES)));
      c.on('close', () => resolve());
      c.on('error', reject);
    });
    await new Promise<void>((resolve, reject) => {
      const c = tlsConnect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false }, () => c.end(octetFrames(MESSAGES)));
      c.on('close', () => resolve());
      c.on('error', reject);
    });

    const all = await waitFor(
      async () => (await services.searchEvents({ kind: 'log', limit: 100_000 })).filter((e): e is LogEvent => e.kind === 'log'),
      (l) => l.length >= 3 * n,
    );
    assert.equal(all.length, 3 * n);
    for (const transport of ['udp', 'tcp', 'tls'] as const) {
      // in receive order: ids end in the receiver's sequence number (loopback keeps the send order)
      const seq = (e: LogEvent): number => Number(/(\d+)$/.exec(e.id)?.[1]);
      const got = all.filter((e) => e.transport === transport).sort((a, b) => seq(a) - seq(b));
      assert.equal(got.length, n, transport);
      for (let i = 0; i < n; i++) assert.deepEqual(got[i], expected(got[i], decodeLogBytes(MESSAGES[i])), `${transport} message ${i}`);
    }

    // the UDP events were written as compact lines, the TCP and TLS ones whole
    const files = (await readdir(join(dir, 'store', 'events'))).filter((f) => f.endsWith('.ndjson'));
    const lines = (await Promise.all(files.map((f) => readFile(join(dir, 'store', 'events', f), 'utf8')))).join('').split('\n').filter((l) => l.startsWith('{"kind":"log"'));
    assert.equal(lines.filter((l) => l.startsWith('{"kind":"log","v":2,')).length, n);
    assert.equal(lines.filter((l) => l.includes('"transport":"tcp"') && !l.includes('"v":2')).length, n);
  });
});
