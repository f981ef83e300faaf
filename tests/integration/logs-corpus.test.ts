/**
 * Logs against the corpus: syslog overheard in real captures equals Zeek's syslog.log and
 * tcpdump -v's decoding (facility, severity, message, endpoints), read once however often the
 * captures are imported; and log lines naming the flows of a real capture are linked to the
 * right flows (5-tuple, else host pair, else host; nearest in time; within the window), both ways.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LogEvent } from '../../common/bridge/messages.js';
import { parseAddressRange } from '../../common/net/address-range.js';
import { TaplineServices } from '../../electron/services/tapline-services.js';
import { Correlator } from '../../node/logs/correlate.js';
import { capturePath, corpusDir, corpusPresent, corpusSkipReason } from '../helpers/corpus.js';
import { waitFor } from './logs-rsyslog-harness.js';

const FACILITY = ['KERN', 'USER', 'MAIL', 'DAEMON', 'AUTH', 'SYSLOG', 'LPR', 'NEWS', 'UUCP', 'CRON', 'AUTHPRIV', 'FTP', 'NTP', 'AUDIT', 'ALERT', 'CLOCK', 'LOCAL0', 'LOCAL1', 'LOCAL2', 'LOCAL3', 'LOCAL4', 'LOCAL5', 'LOCAL6', 'LOCAL7'];
const SEVERITY = ['EMERG', 'ALERT', 'CRIT', 'ERR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];

/** Zeek's syslog.log rows (its message is the text after the PRI, \x00 written as an escape). */
function zeekRows(capture: string, file: string): { orig_h: string; orig_p: number; resp_h: string; resp_p: number; proto: string; facility: string; severity: string; message: string }[] {
  const lines = readFileSync(join(corpusDir, 'oracles', capture, file), 'utf8').split('\n');
  const header = lines.find((l) => l.startsWith('#fields\t') || l.startsWith('ts\t')) as string;
  const names = header.replace(/^#fields\t/, '').split('\t');
  return lines
    .filter((l) => /^X+\.X+\t/.test(l))
    .map((l) => {
      const v = Object.fromEntries(l.split('\t').map((x, i) => [names[i], x]));
      return {
        orig_h: v['id.orig_h'],
        orig_p: Number(v['id.orig_p']),
        resp_h: v['id.resp_h'],
        resp_p: Number(v['id.resp_p']),
        proto: v.proto,
        facility: v.facility,
        severity: v.severity,
        message: v.message.replace(/\\x([0-9a-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
      };
    });
}

function afterPri(raw: string): string {
  return raw.replace(/^<\d{1,3}>/, '');
}

describe('syslog in corpus captures', { skip: corpusSkipReason }, () => {
  let dir: string;
  let services: TaplineServices;
  const caps = ['zeek__syslog-single-udp.pcap', 'zeek__tcp-syslog.pcap', 'tcpdump__syslog_udp.pcap'];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `tl-logs-corpus-${process.pid}-`));
    services = await TaplineServices.open({ storeDir: join(dir, 'store'), sensorId: 'corpus' });
    await services.importPaths(caps.map(capturePath));
  });
  after(async () => {
    await services?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function logsOf(sender: string): Promise<LogEvent[]> {
    const all = (await services.searchEvents({ kind: 'log', limit: 1000 })).filter((e): e is LogEvent => e.kind === 'log' && e.sender_ip === sender);
    return all.sort((a, b) => (a.received_ts < b.received_ts ? -1 : a.received_ts > b.received_ts ? 1 : 0));
  }

  for (const [capture, oracle] of [
    ['zeek__syslog-single-udp.pcap', 'zeek-baseline__scripts.base.protocols.syslog.trace__syslog.log'],
    ['zeek__tcp-syslog.pcap', 'zeek-baseline__scripts.base.protocols.syslog.tcp-framing__syslog.log'],
  ] as const) {
    it(`${capture} equals Zeek's syslog.log`, async () => {
      const rows = zeekRows(capture, oracle);
      assert.ok(rows.length > 0);
      const got = await logsOf(rows[0].orig_h);
      assert.equal(got.length, rows.length);
      rows.forEach((r, i) => {
        const e = got[i];
        assert.equal(afterPri(e.raw), r.message);
        assert.equal(FACILITY[e.facility as number], r.facility);
        assert.equal(SEVERITY[e.severity as number], r.severity);
        assert.equal(e.sender_ip, r.orig_h);
        assert.equal(e.sender_port, r.orig_p);
        assert.equal(e.transport, 'capture');
        assert.ok(e.capture_flow);
      });
    });
  }

  it("tcpdump__syslog_udp.pcap equals tcpdump -v's decoding", async () => {
    const text = readFileSync(join(corpusDir, 'oracles', 'tcpdump__syslog_udp.pcap', 'tcpdump__syslog-v.out'), 'latin1');
    const expected = [...text.matchAll(/\((\d+)\), Severity \w+ \((\d)\)\n\tMsg: (.*)\n/g)].map((m) => ({ facility: Number(m[1]), severity: Number(m[2]), msg: m[3].replace(/\^@/g, '\0') }));
    assert.equal(expected.length, 4);
    const got = await logsOf('10.0.0.20');
    assert.deepEqual(
      got.map((e) => ({ facility: e.facility, severity: e.severity, msg: afterPri(e.raw) })),
      expected,
    );
  });

  it('importing again adds nothing (each message is read once)', async () => {
    const before = (await services.searchEvents({ kind: 'log', limit: 1000 })).length;
    await services.importPaths(caps.map(capturePath));
    const again = (await services.searchEvents({ kind: 'log', limit: 1000 })).length;
    assert.equal(before, 9);
    assert.equal(again, before);
  });
});

describe('correlation with a corpus capture (zeek__ftp_ipv4.pcap: 5 FTP flows between two hosts)', { skip: corpusPresent ? undefined : corpusSkipReason }, () => {
  let dir: string;
  let services: TaplineServices;
  /** Flow ids by "clientport-serverport". */
  const ids = new Map<string, string>();
  const A = '141.142.220.235';
  const B = '199.233.217.249';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `tl-logs-corr-${process.pid}-`));
    services = await TaplineServices.open({ storeDir: join(dir, 'store'), sensorId: 'corr' });
    await services.importPaths([capturePath('zeek__ftp_ipv4.pcap')]);
    for (const f of await services.searchFlows({ limit: 100 })) ids.set(`${f.client_port}-${f.server_port}`, f.id);
    assert.equal(ids.size, 5);
  });
  after(async () => {
    await services?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Sends a line through the intake (as a receiver would) and returns the stored event. */
  async function ingest(line: string): Promise<LogEvent> {
    services.logs.intake.offer(new TextEncoder().encode(line), { transport: 'udp', senderIp: '192.0.2.99', senderPort: 514 });
    await services.logs.intake.flush();
    const found = await waitFor(
      async () => (await services.searchEvents({ kind: 'log', limit: 1000 })).find((e): e is LogEvent => e.kind === 'log' && e.raw === line),
      (e) => e !== undefined,
    );
    assert.ok(found);
    return found;
  }

  const iso = (sec: number): string => new Date(sec * 1000).toISOString();

  it('a 5-tuple (CEF src/spt/dst/dpt) links exactly its flow, and the flow lists the log', async () => {
    const e = await ingest(`<14>1 ${iso(1329843175.8)} fw cef - - - CEF:0|Acme|FW|1|100|data connection|3|src=${A} spt=37604 dst=${B} dpt=56666 proto=TCP`);
    assert.deepEqual(e.flow_ids, [ids.get('37604-56666')]);
    const back = await services.flowLogs(ids.get('37604-56666') as string);
    assert.ok(back.some((l) => l.id === e.id));
    const other = await services.flowLogs(ids.get('50003-21') as string);
    assert.ok(!other.some((l) => l.id === e.id));
  });

  it('host names resolved from discovery data link like addresses, and the flow row counts the log', async () => {
    // what discovery learns from traffic (a DNS answer naming the FTP server), published live
    services.local.publish({ kind: 'discovery', id: 'corr:dns:1', sensor: 'corr', ts: '1329843170.000000000', rank: 0, discovery: { type: 'service', what: 'dns', host: '192.0.2.53', port: 53, peer: A, flow_id: null, fields: { query: 'ftp.corp.test', qtype: 'A', rcode: '0', answers: [B], ttls: ['60'] } } });
    const e = await ingest(`<14>1 ${iso(1329843175.8)} fw cef - - - CEF:0|Acme|FW|1|102|by name|3|src=${A} spt=37604 dhost=FTP.corp.test dpt=56666 proto=TCP`);
    assert.equal(e.dst_ip, B);
    assert.deepEqual(e.resolved, [{ side: 'dst', name: 'ftp.corp.test', address: B, via: 'discovery' }]);
    assert.deepEqual(e.flow_ids, [ids.get('37604-56666')]);
    const row = (await services.searchFlows({ limit: 100 })).find((f) => f.id === ids.get('37604-56666'));
    assert.ok(row?.log_count !== undefined && row.log_count >= 1);
  });

  it('a 5-tuple named in reverse (server as source) links the same flow', async () => {
    const e = await ingest(`<14>1 ${iso(1329843175.8)} fw cef - - - CEF:0|Acme|FW|1|101|reverse|3|src=${B} spt=56666 dst=${A} dpt=37604`);
    assert.deepEqual(e.flow_ids, [ids.get('37604-56666')]);
  });

  it('a host pair without ports links every flow between them, nearest in time first', async () => {
    // 10 s after the last flow ended: the control connection (ended 1329843200.08) is nearest
    const e = await ingest(`<14>1 ${iso(1329843210)} fw app - - - denied SRC=${A} DST=${B}`);
    assert.equal(e.flow_ids.length, 5);
    assert.deepEqual(e.flow_ids, ['50003-21', '61918-37835', '61920-33582', '59378-56667', '37604-56666'].map((k) => ids.get(k)));
  });

  it('a 5-tuple that matches no flow falls back to the host pair', async () => {
    const e = await ingest(`<14>1 ${iso(1329843194.2)} fw app - - - x SRC=${A} SPT=1 DST=${B} DPT=2 PROTO=TCP`);
    assert.equal(e.flow_ids.length, 5);
    // inside two flows' spans (distance 0): both come first
    assert.deepEqual(new Set(e.flow_ids.slice(0, 2)), new Set([ids.get('50003-21'), ids.get('61920-33582')]));
  });

  it('one host links the flows touching it; nothing outside the window', async () => {
    const e = await ingest(`<14>1 ${iso(1329843180)} web sshd - - - Failed password for root from ${B} port 22 ssh2`);
    assert.equal(e.flow_ids.length, 5);
    const late = await ingest(`<14>1 ${iso(1329843200 + 301)} web sshd - - - Failed password for root from ${B} port 22 ssh2`);
    assert.deepEqual(late.flow_ids, []);
    const unrelated = await ingest(`<14>1 ${iso(1329843180)} web sshd - - - Failed password for root from 192.0.2.200 port 22 ssh2`);
    assert.deepEqual(unrelated.flow_ids, []);
  });

  it('the window is configurable', async () => {
    const c = new Correlator(services.local.store, 10);
    const r = await c.correlate({ srcIp: A, srcPort: null, dstIp: B, dstPort: null, proto: null, time: { sec: 1329843210, nsec: 0 } });
    // control flow ended 9.92 s before; the next nearest (ended 1329843197.9) is 12.1 s away
    assert.deepEqual(r.map((x) => x.id), [ids.get('50003-21')]);
    assert.ok(parseAddressRange(A));
  });

  it('batched correlation (intake) links exactly what per-log correlation links, at every time and window edge', async () => {
    for (const windowSec of [10, 300]) {
      const c = new Correlator(services.local.store, windowSec);
      const events: LogEvent[] = [];
      // times across bucket edges and window edges around the capture (1329843161 .. 1329843200)
      const times = [1329843150, 1329843161.5, 1329843175.8, 1329843194.2, 1329843199.99, 1329843200.1, 1329843209.9, 1329843210.2, 1329843200 + windowSec - 0.5, 1329843200 + windowSec + 0.5, 1329843161 - windowSec - 0.5];
      const names: [string | null, number | null, string | null, number | null][] = [
        [A, 37604, B, 56666],
        [B, 56666, A, 37604],
        [A, null, B, null],
        [A, 1, B, 2],
        [B, 22, null, null],
        [null, null, A, null],
        ['192.0.2.200', 22, null, null],
      ];
      let n = 0;
      for (const t of times) {
        for (const [srcIp, srcPort, dstIp, dstPort] of names) {
          const sec = Math.floor(t);
          const ts = `${sec}.${String(Math.round((t - sec) * 1e9)).padStart(9, '0')}`;
          const zoned = n % 2 === 0;
          events.push({ kind: 'log', id: `b${n++}`, sensor: 'corr', ts, rank: 0, received_ts: zoned ? '1329843000.000000000' : ts, event_ts: zoned ? ts : null, event_ts_zoned: zoned, transport: 'udp', sender_ip: null, sender_port: null, capture_flow: null, format: 'raw', facility: null, severity: null, host: null, app: null, message: '', raw: '', fields: {}, src_ip: srcIp, src_port: srcPort, dst_ip: dstIp, dst_port: dstPort, proto: null, problem: null, flow_ids: [] });
        }
      }
      const batch = await c.flowIdsForBatch(events);
      let linked = 0;
      for (let i = 0; i < events.length; i++) {
        const one = await c.flowIdsFor(events[i]);
        assert.deepEqual(batch[i], one, `window ${windowSec}, event ${i}: ${events[i].ts} ${events[i].src_ip}:${events[i].src_port} -> ${events[i].dst_ip}:${events[i].dst_port}`);
        if (one.length) linked++;
      }
      // the cases are not all empty: most events are near the capture
      assert.ok(linked > events.length / 3, `${linked} of ${events.length} linked`);
    }
  });
});
