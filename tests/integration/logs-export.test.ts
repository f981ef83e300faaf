/**
 * SIEM export round trip: our seed-format syslog and CEF output is received by a real rsyslogd
 * (private config, loopback ports, its own work directory) over UDP and TCP, and what it wrote is
 * parsed back by our parsers field for field. Also: TCP output to a receiver that is down keeps a
 * backlog on disk (surviving a restart of the services) and delivers it when the receiver comes
 * up; the debug copy stays within its size bound.
 */
import { strict as assert } from 'node:assert';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FlowRow, TaplineEvent } from '../../common/bridge/messages.js';
import { parseCef } from '../../common/logs/cef.js';
import { cefSeverity, EVENT_TYPES } from '../../common/logs/export-format.js';
import { parseLog } from '../../common/logs/parse-log.js';
import { formatTs } from '../../common/time/timestamp.js';
import { TaplineServices } from '../../electron/services/tapline-services.js';
import { DebugCopy } from '../../node/logs/export/debug-copy.js';
import { Rsyslogd, freePort, rawSinkConfig, rsyslogdPresent, sleep, waitForLines } from './logs-rsyslog-harness.js';

let dir: string;
const nowSec = Math.floor(Date.now() / 1000);

function flowEvent(n: number): TaplineEvent {
  const flow: FlowRow = {
    id: `0123456789ab-${n}`,
    sensor: 'exp',
    kind: 'ip',
    proto: 6,
    client_ip: '10.1.2.3',
    client_port: 40000 + n,
    server_ip: '2001:db8::80',
    server_port: 443,
    first_ts: formatTs(nowSec - 5, 0),
    last_ts: formatTs(nowSec, 250_000_000),
    packets: 12,
    bytes: 3400,
    client_packets: 6,
    client_bytes: 1000,
    server_packets: 6,
    server_bytes: 2400,
    community_id: null,
    vlan: null,
    tcp_flags: 0x1b,
    icmp_type: null,
    icmp_code: null,
    l2_type: 1,
    fragmented: false,
    note: `note with | pipe = and \\ backslash ${n}`,
    rank: 0,
    classes: [],
  };
  return { kind: 'flow', id: `exp:flow:${n}`, sensor: 'exp', ts: formatTs(nowSec - 5, 0), rank: 4, flow };
}

describe('SIEM export received by rsyslogd', { skip: rsyslogdPresent ? undefined : 'rsyslogd is not installed' }, () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `tl-logs-exp-${process.pid}-`));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('seed syslog over UDP and CEF over TCP parse back field for field', async () => {
    const [udp, tcp] = [await freePort(), await freePort()];
    const rs = await Rsyslogd.start(join(dir, 'rs1'), rawSinkConfig(udp, tcp));
    const services = await TaplineServices.open({ storeDir: join(dir, 'store1'), sensorId: 'exp' });
    try {
      // a threat list ranks the flow's client +4: the rank travels in both formats
      await services.createThreatList({ name: 'export test', rank: 4, entries: ['10.1.2.3'] });
      await sleep(500); // rsyslogd opening its inputs (TCP reconnects anyway; UDP would be lost)
      await services.logs.startExport({ syslog: [{ transport: 'udp', host: '127.0.0.1', port: udp }], cef: [{ transport: 'tcp', host: '127.0.0.1', port: tcp }], domain: 'lab', vendor: 'Acme|Labs', product: 'Tap=line', version: '9.9' });
      const e = flowEvent(1);
      services.local.publish(e);
      const lines = await waitForLines(rs.outFile, 2);
      assert.equal(lines.length, 2, `rsyslogd: ${rs.errors}`);
      const seedLine = lines.find((l) => !l.includes('CEF:')) as string;
      const cefLine = lines.find((l) => l.includes('CEF:')) as string;
      assert.ok(seedLine && cefLine, lines.join('\n'));
      const flow = (e as Extract<TaplineEvent, { kind: 'flow' }>).flow;

      const s = parseLog(seedLine, nowSec);
      assert.equal(s.format, 'seed');
      assert.equal(s.host, 'exp.lab');
      assert.equal(s.fields['seed.evtype'], String(EVENT_TYPES.flow));
      assert.equal(s.fields['seed.rank'], '4');
      assert.equal(s.fields['seed.proto'], 'TCP');
      assert.equal(s.fields['seed.dir'], '->');
      assert.equal(s.message, `Flow 10.1.2.3 -> 2001:db8::80 (${flow.note})`);
      assert.deepEqual(s.endpoints, { srcIp: '10.1.2.3', srcPort: 40001, dstIp: '2001:db8::80', dstPort: 443, proto: 6 });
      assert.equal(s.time?.sec, nowSec - 5);

      const c = parseLog(cefLine, nowSec);
      assert.equal(c.format, 'cef');
      const cef = parseCef(cefLine.slice(cefLine.indexOf('CEF:')));
      assert.ok(typeof cef !== 'string');
      assert.deepEqual(cef.header, { version: '0', vendor: 'Acme|Labs', product: 'Tap=line', deviceVersion: '9.9', signatureId: String(EVENT_TYPES.flow), name: `Flow 10.1.2.3 -> 2001:db8::80 (${flow.note})`, severity: String(cefSeverity(4)) });
      assert.deepEqual(cef.extension, {
        src: '10.1.2.3',
        dst: '2001:db8::80',
        spt: '40001',
        dpt: '443',
        proto: 'TCP',
        dvhost: 'exp',
        cs1Label: 'direction',
        cs1: '->',
        start: String((nowSec - 5) * 1000),
        cn3Label: 'rank',
        cn3: '4',
        cn1Label: 'packets',
        cn1: '12',
        out: '1000',
        in: '2400',
        end: String(nowSec * 1000 + 250),
        cs2Label: 'flowId',
        cs2: '0123456789ab-1',
      });
      assert.equal(c.host, 'exp');
      assert.deepEqual(c.endpoints, { srcIp: '10.1.2.3', srcPort: 40001, dstIp: '2001:db8::80', dstPort: 443, proto: 6 });
    } finally {
      await services.close();
      await rs.stop();
    }
  });

  it('TCP output keeps a persisted backlog while the receiver is down and delivers it in order later', async () => {
    const [udp, tcp] = [await freePort(), await freePort()];
    const storeDir = join(dir, 'store2');
    let services = await TaplineServices.open({ storeDir, sensorId: 'exp' });
    await services.logs.startExport({ syslog: [{ transport: 'tcp', host: '127.0.0.1', port: tcp }], cef: [] });
    for (let i = 0; i < 5; i++) services.local.publish(flowEvent(10 + i));
    await sleep(300);
    const st = services.logs.stats().exports[0];
    assert.equal(st.connected, false);
    assert.equal(st.backlogged, 5);
    // Tapline restarts before the receiver is back: the backlog is on disk
    await services.close();
    services = await TaplineServices.open({ storeDir, sensorId: 'exp' });
    await services.logs.startExport({ syslog: [{ transport: 'tcp', host: '127.0.0.1', port: tcp }], cef: [] });
    services.local.publish(flowEvent(15));
    const rs = await Rsyslogd.start(join(dir, 'rs2'), rawSinkConfig(udp, tcp));
    try {
      const lines = await waitForLines(rs.outFile, 6, 40_000);
      assert.equal(lines.length, 6, `rsyslogd: ${rs.errors}`);
      const ports = lines.map((l) => parseLog(l, nowSec).endpoints.srcPort);
      assert.deepEqual(ports, [40010, 40011, 40012, 40013, 40014, 40015]);
      // the backlog file is removed once its write to the socket returned: the receiver may
      // have the lines a moment before that (a loaded machine showed it)
      for (let i = 0; i < 100 && services.logs.stats().exports[0].backlog_bytes !== 0; i++) await sleep(50);
      assert.equal(services.logs.stats().exports[0].backlog_bytes, 0);
    } finally {
      await services.close();
      await rs.stop();
    }
  });
});

describe('debug copy', () => {
  it('stays within about twice its size bound', async () => {
    const d = await mkdtemp(join(tmpdir(), `tl-logs-dbg-${process.pid}-`));
    try {
      const path = join(d, 'export.log');
      const copy = new DebugCopy(path, 10_000);
      for (let i = 0; i < 2000; i++) copy.write(`message ${i} ${'x'.repeat(50)}`);
      await copy.flush();
      assert.ok(statSync(path).size <= 10_000);
      assert.ok(existsSync(`${path}.1`) && statSync(`${path}.1`).size <= 10_000);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
