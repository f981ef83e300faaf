/**
 * Syslog receivers with real senders: util-linux logger over UDP and TCP (RFC 3164 and 5424,
 * LF and octet-counted framing), a TLS client (RFC 5425 framing), and Debian's rsyslogd
 * forwarding to our receivers. Each message must be in the journal, parsed, with its sender.
 */
import { strict as assert } from 'node:assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { LogEvent } from '../../common/bridge/messages.js';
import { ensureCertificate } from '../../electron/server/tls.js';
import { TaplineServices } from '../../electron/services/tapline-services.js';
import { Rsyslogd, freePort, logger, loggerPresent, rsyslogdPresent, waitFor } from './logs-rsyslog-harness.js';

let dir: string;
let services: TaplineServices;
let udpPort: number;
let tcpPort: number;
let tlsPort: number;
let tlsCert: { cert: string; key: string };

async function logs(text: string, n = 1): Promise<LogEvent[]> {
  const found = await waitFor(
    async () => (await services.searchEvents({ kind: 'log', limit: 1000 })).filter((e): e is LogEvent => e.kind === 'log' && e.raw.includes(text)),
    (l) => l.length >= n,
  );
  return found;
}

describe('syslog receivers with real senders', { skip: loggerPresent ? undefined : 'util-linux logger is not installed' }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `tl-logs-recv-${process.pid}-`));
    services = await TaplineServices.open({ storeDir: join(dir, 'store'), sensorId: 'recv-test' });
    udpPort = (await services.logs.listen({ transport: 'udp', host: '127.0.0.1', port: 0 })).port;
    tcpPort = (await services.logs.listen({ transport: 'tcp', host: '127.0.0.1', port: 0 })).port;
    tlsCert = await ensureCertificate(join(dir, 'store'), '127.0.0.1');
    tlsPort = (await services.logs.listen({ transport: 'tls', host: '127.0.0.1', port: 0 }, tlsCert)).port;
  });
  after(async () => {
    await services?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('logger over UDP, RFC 3164', async () => {
    logger('-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc3164', '-t', 'tltest', '-p', 'local3.warning', 'udp 3164 message from 192.0.2.1 port 2222');
    const [e] = await logs('udp 3164 message');
    assert.equal(e.transport, 'udp');
    assert.equal(e.format, 'rfc3164');
    assert.equal(e.facility, 19);
    assert.equal(e.severity, 4);
    assert.equal(e.app, 'tltest');
    assert.equal(e.sender_ip, '127.0.0.1');
    assert.equal(e.message, 'udp 3164 message from 192.0.2.1 port 2222');
    assert.equal(e.src_ip, '192.0.2.1');
  });
  it('logger over UDP, RFC 5424 with structured data', async () => {
    logger('-n', '127.0.0.1', '-P', String(udpPort), '-d', '--rfc5424', '-t', 'tl5424', '--msgid', 'M1', '--sd-id', 'tl@32473', '--sd-param', 'k="v\\"q"', 'udp 5424 message');
    const [e] = await logs('udp 5424 message');
    assert.equal(e.format, 'rfc5424');
    assert.equal(e.app, 'tl5424');
    assert.equal(e.fields.msgid, 'M1');
    assert.equal(e.fields['sd.tl@32473.k'], 'v"q');
    assert.equal(e.message, 'udp 5424 message');
    assert.ok(e.event_ts !== null);
  });
  it('logger over TCP with LF framing and with octet counting', async () => {
    logger('-n', '127.0.0.1', '-P', String(tcpPort), '-T', '--rfc3164', '-t', 'tltcp', 'tcp lf message');
    logger('-n', '127.0.0.1', '-P', String(tcpPort), '-T', '--octet-count', '--rfc5424', '-t', 'tltcp', 'tcp octet message');
    const [a] = await logs('tcp lf message');
    const [b] = await logs('tcp octet message');
    assert.equal(a.transport, 'tcp');
    assert.equal(a.format, 'rfc3164');
    assert.equal(a.app, 'tltcp');
    assert.equal(b.format, 'rfc5424');
    assert.equal(b.message, 'tcp octet message');
  });
  it('a TLS client with RFC 5425 octet-counted frames, several in one write', async () => {
    const msgs = ['<14>1 2026-01-02T03:04:05Z h tlsapp - - - tls one', '<14>1 2026-01-02T03:04:06Z h tlsapp - - - tls two ünïcode'];
    const payload = msgs.map((m) => `${Buffer.byteLength(m)} ${m}`).join('');
    await new Promise<void>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, ca: tlsCert.cert, servername: 'localhost' }, () => s.end(payload, () => resolve()));
      s.on('error', reject);
    });
    const got = await logs('tlsapp', 2);
    assert.equal(got.length, 2);
    assert.ok(got.every((e) => e.transport === 'tls' && e.format === 'rfc5424'));
    assert.deepEqual(got.map((e) => e.message).sort(), ['tls one', 'tls two ünïcode']);
  });
  it('rsyslogd forwards to our UDP and TCP receivers', { skip: rsyslogdPresent ? undefined : 'rsyslogd is not installed' }, async () => {
    const inPort = await freePort();
    const rs = await Rsyslogd.start(join(dir, 'rsyslog-fwd'), [
      'module(load="imudp")',
      `input(type="imudp" address="127.0.0.1" port="${inPort}")`,
      `*.* action(type="omfwd" target="127.0.0.1" port="${udpPort}" protocol="udp" template="RSYSLOG_SyslogProtocol23Format")`,
      `*.* action(type="omfwd" target="127.0.0.1" port="${tcpPort}" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_ForwardFormat")`,
    ].join('\n'));
    try {
      // rsyslogd needs a moment to open its input: resend until something arrives (bounded)
      const got = await waitFor(
        async () => {
          logger('-n', '127.0.0.1', '-P', String(inPort), '-d', '--rfc3164', '-t', 'viarsyslog', 'forwarded by rsyslog from 198.51.100.4 port 4444');
          return (await services.searchEvents({ kind: 'log', limit: 1000 })).filter((e): e is LogEvent => e.kind === 'log' && e.app === 'viarsyslog');
        },
        (l) => l.some((e) => e.transport === 'udp') && l.some((e) => e.transport === 'tcp'),
        20_000,
      );
      const udp = got.find((e) => e.transport === 'udp');
      const tcp = got.find((e) => e.transport === 'tcp');
      assert.ok(udp && tcp, `rsyslogd errors: ${rs.errors}`);
      assert.equal(udp.format, 'rfc5424');
      assert.equal(tcp.format, 'rfc3164');
      for (const e of [udp, tcp]) {
        assert.equal(e.message.trim(), 'forwarded by rsyslog from 198.51.100.4 port 4444');
        assert.equal(e.src_ip, '198.51.100.4');
      }
    } finally {
      await rs.stop();
    }
  });
  it('counts what it received and stored', () => {
    const s = services.logs.stats();
    assert.ok(s.intake.received >= 6);
    assert.equal(s.intake.dropped_queue_full, 0);
    assert.equal(s.receivers.length, 3);
    // the UDP receiver says which implementation reads the socket, and why
    const udp = s.receivers.find((r) => r.transport === 'udp');
    assert.ok(udp?.udp_receiver === 'native' || udp?.udp_receiver === 'dgram');
    assert.ok(udp?.udp_receiver_reason);
    if (process.env.TAPLINE_NATIVE === '0') assert.equal(udp?.udp_receiver, 'dgram');
  });
});
