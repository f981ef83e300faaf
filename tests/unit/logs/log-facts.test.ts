/**
 * The fact extractor (common/logs/log-facts.ts) gives exactly what the full parser gives:
 * for every line it is sure of, the format, event time, zone, addresses, ports, protocol and
 * message equal toLogEvent(raw, parseLog(raw, sec), origin)'s, and the parse thread's output
 * (journal line bytes, line ends, facts table) is the same byte for byte with the extractor and
 * with every message parsed in full. Lines are generated in the shapes the extractor reads (to
 * reach its branches), mutated with the characters its rules turn on, taken from the bench mix,
 * real samples of every format, and random text and bytes (fuzz).
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { keptTime, toLogEvent } from '../../../common/logs/log-event.js';
import { extractLogFacts, LogFacts } from '../../../common/logs/log-facts.js';
import { decodeLogBytes, parseLog } from '../../../common/logs/parse-log.js';
import { LOG_FORMATS } from '../../../common/logs/parsed-log.js';
import { UdpBatchParser } from '../../../node/logs/udp-batch-parser.js';
import { benchMessage } from '../../bench/suites/logs.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, corpusSkipReason, corpusSyslogLines } from '../../helpers/corpus.js';
import { mutatedLogText } from '../../helpers/mutated-log-lines.js';
import { batchOf, bsd, enc, generated, ip, iso, kvText, port, pri, proseText, SAMPLES, text, withInsertedBytes, word } from '../../helpers/log-line-arbitraries.js';

const REF = 1_795_000_000;

/** The extractor's answer for one line, and the parser's values to compare with. */
function check(line: string, refSec: number, f: LogFacts): boolean {
  const bytes = enc.encode(line);
  // the extractor reads inside a larger buffer (a batch): bytes around the line must not matter
  const padded = new Uint8Array(bytes.length + 8).fill(0x3e);
  padded.set(bytes, 4);
  const sure = extractLogFacts(padded, 4, 4 + bytes.length, refSec, f);
  if (!sure) return false;
  const raw = decodeLogBytes(bytes);
  const p = parseLog(raw, refSec);
  const e = toLogEvent(raw, p, { id: 'x', sensor: 's', receivedSec: refSec, receivedNsec: 0, transport: 'udp', senderIp: null, senderPort: null, captureFlow: null });
  const slice = (s: number, end: number): string | null => (s < 0 ? null : decodeLogBytes(padded.subarray(s, end)));
  const num = (n: number): number | null => (n < 0 ? null : n);
  const ctx = `line ${JSON.stringify(line)}`;
  assert.equal(LOG_FORMATS[f.format], e.format, ctx);
  assert.equal(f.timeKept, keptTime(p.time), ctx);
  if (f.timeKept && p.time) {
    assert.equal(f.timeSec, p.time.sec, ctx);
    assert.equal(f.timeNsec, p.time.nsec, ctx);
    assert.equal(f.zoned, p.time.zoned === true, ctx);
  }
  assert.equal(slice(f.srcStart, f.srcEnd), e.src_ip, ctx);
  assert.equal(slice(f.dstStart, f.dstEnd), e.dst_ip, ctx);
  assert.equal(num(f.srcPort), e.src_port, ctx);
  assert.equal(num(f.dstPort), e.dst_port, ctx);
  assert.equal(num(f.proto), e.proto, ctx);
  if (f.msgAt === -3) assert.equal(slice(f.msgStart, f.msgEnd), e.message, ctx);
  else {
    // a message made of two parts (OSSEC's "description: log"), and where it first lies in raw
    assert.equal(`${slice(f.msgStart, f.msgEnd)}: ${slice(f.msgTail, 4 + bytes.length)}`, e.message, ctx);
    assert.equal(f.msgLen, e.message.length, ctx);
    assert.equal(f.msgAt, raw.endsWith(e.message) ? raw.length - e.message.length : raw.indexOf(e.message), ctx);
  }
  assert.ok(p.problem === null || !p.problem.startsWith('parser error'), ctx);
  return true;
}

describe('log fact extractor', () => {
  it('is sure of every bench message and of the common shapes (the fast path is the one taken)', () => {
    const f = new LogFacts();
    for (let i = 0; i < 5000; i++) assert.ok(check(benchMessage(i), REF, f), benchMessage(i));
    for (const s of [1, 3, 4, 7, 8, 9, 10, 11, 13, 14, 16, 18, 19, 20, 22, 23, 24, 25].map((i) => SAMPLES[i])) assert.ok(check(s, REF, f), s);
  });

  it('leaves to the parser what it documents: no PRI, non-ASCII, backslashes, OSSEC JSON, Cisco IOS pairs and sequence numbers, invalid dates', () => {
    const f = new LogFacts();
    for (const s of [...[5, 12, 15, 17, 21, 26, 27, 29].map((i) => SAMPLES[i]), '<132>Jul 10 10:11:23 wazuh-server wazuh: {"rule":{"level":5}}', '<13>Nov 22 10:00:00 h k: é', '<13>Nov 22 10:00:00 h k: a\tb', '<13>Nov 22 10:00:00 h k: x\n']) assert.equal(check(s, REF, f), false, s);
  });

  it('equals the full parser on every line it is sure of (generated in its shapes, mutated, random text)', () => {
    const f = new LogFacts();
    let sure = 0;
    let all = 0;
    fc.assert(
      fc.property(text, fc.integer({ min: 0, max: 4_000_000_000 }), (line, ref) => {
        all++;
        if (check(line, ref, f)) sure++;
      }),
      { numRuns: 20_000 },
    );
    // the generators reach the extractor's branches, not only its refusals
    assert.ok(sure > all / 5, `sure of ${sure} of ${all}`);
  });

  it('reads key=value pairs, ASA pairs and CEF keys from the line\'s "=" and "/" positions as the patterns do (values holding "=", runs of colons, prefixes, bounds)', () => {
    // tokens at the edges of KV, ASA_PAIR and the CEF extension's key rule, joined by any separator
    const tok = fc.constantFrom(
      'a=b=c', 'x=y:src=10.0.0.1', 'src=10.0.0.1', 'dst=10.0.0.2', 'SRC=10.0.0.3', '1a=10.0.0.4', '.k=1', '-k=1', '_k=2', `${'k'.repeat(63)}=1`, `${'k'.repeat(64)}=1`, `${'k'.repeat(65)}=1`, `src${'c'.repeat(62)}=1`,
      'src==10.0.0.5', '=x', '==', 'a.b-c=10.0.0.6', 'ip.src=10.0.0.7', 'SPT=1', 'dport=99999', 'PROTO=tcp', 'proto=', 'src=',
      'outside:10.0.0.1/80', '(10.0.0.2/81)', 'a:b:10.0.0.3/82', 'if:1.2.3.4.5/80', '1.2.3.4/80/1.2.3.5/81', 'x/10.0.0.7/83', ':10.0.0.8/84', '::10.0.0.8/84',
      `${'i'.repeat(64)}:10.0.0.9/85`, `${'i'.repeat(65)}:10.0.0.10/86`, '10.0.0.11/65536', '10.0.0.12/8a', '10.0.0.13/', '/', '256.0.0.1/1', '01.2.3.4/5', 'a-b.c_d:10.0.0.14/87',
      'TCP', 'udp', 'Icmp', 'gre', 'xtcp', 'from 10.0.0.13 port 22', 'from', 'port',
    );
    const sep = fc.constantFrom(' ', ',', ';', '(', '', ':', '  ', ', ', '=', '/');
    const msg = fc.array(fc.tuple(tok, sep), { minLength: 1, maxLength: 10 }).map((ts) => ts.map(([t, x]) => t + x).join(''));
    const cefTok = fc.constantFrom('src=10.0.0.1', 'dst=10.0.0.2', 'a b=1', 'x=y=z', 'spt=5', 'dpt=6', '[k]=1', 'k[0]=2', 'sourceAddress=10.0.0.3', 'c6a2=::1', 'proto=udp', 'rt=1700000000123', 'msg=a=b', '=v', 'src= 10.0.0.4 ', 'end=');
    const cefExt = fc.array(fc.tuple(cefTok, fc.constantFrom(' ', '  ', '', '=')), { maxLength: 8 }).map((ts) => ts.map(([t, x]) => t + x).join(''));
    const line = fc.oneof(
      msg.map((m) => `<13>Nov 22 10:00:00 host app: ${m}`),
      msg.map((m) => `<13>1 2026-11-22T10:00:00Z h a - - - ${m}`),
      msg.map((m) => `<13>Nov 22 10:00:00 host ${m}`),
      cefExt.map((x) => `<13>Nov 22 10:00:00 host CEF:0|a|b|1|2|n|3|${x}`),
    );
    const f = new LogFacts();
    let sure = 0;
    let all = 0;
    fc.assert(
      fc.property(line, (l) => {
        all++;
        if (check(l, REF, f)) sure++;
      }),
      { numRuns: 20_000 },
    );
    assert.ok(sure > all / 2, `sure of ${sure} of ${all}`);
  });

  it('reads BSD times on the day where the inferred year changes (the reference time plus its slack) as the parser does', () => {
    // the extractor keeps a day's start per date and reference second; on the day that holds
    // the limit (reference + 2 days) the year depends on the time of day
    const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const f = new LogFacts();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), fc.integer({ min: -2, max: 2 }), fc.array(fc.integer({ min: 0, max: 86_399 }), { minLength: 1, maxLength: 6 }), fc.option(fc.integer({ min: 1969, max: 2100 })), (ref, dayShift, times, year) => {
        const day = new Date((ref + 2 * 86400 + dayShift * 86400) * 1000);
        for (const t of times) {
          const hh = String(Math.floor(t / 3600)).padStart(2, '0');
          const mm = String(Math.floor(t / 60) % 60).padStart(2, '0');
          const ss = String(t % 60).padStart(2, '0');
          const line = `<13>${MON[day.getUTCMonth()]} ${String(day.getUTCDate()).padStart(2, ' ')} ${year === null ? '' : `${year} `}${hh}:${mm}:${ss} host app: x`;
          check(line, ref, f);
        }
      }),
      { numRuns: 3000 },
    );
    // Feb 29 (valid only in leap years within the inference window) around a reference
    for (const ref of [951_782_400, 1_709_164_800, 1_709_251_200, 4_107_542_400]) for (const t of ['00:00:00', '12:00:00', '23:59:59', '23:59:60']) check(`<13>Feb 29 ${t} host app: x`, ref, f);
  });

  it('equals the full parser on the corpus captures\' syslog lines (Zeek\'s syslog.log and tcpdump -v, PRI put back) and their mutations', { skip: corpusSkipReason }, () => {
    const FAC = ['KERN', 'USER', 'MAIL', 'DAEMON', 'AUTH', 'SYSLOG', 'LPR', 'NEWS', 'UUCP', 'CRON', 'AUTHPRIV', 'FTP', 'NTP', 'AUDIT', 'ALERT', 'CLOCK', 'LOCAL0', 'LOCAL1', 'LOCAL2', 'LOCAL3', 'LOCAL4', 'LOCAL5', 'LOCAL6', 'LOCAL7'];
    const SEV = ['EMERG', 'ALERT', 'CRIT', 'ERR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];
    const lines: string[] = [];
    for (const [cap, file] of [
      ['zeek__syslog-single-udp.pcap', 'zeek-baseline__scripts.base.protocols.syslog.trace__syslog.log'],
      ['zeek__tcp-syslog.pcap', 'zeek-baseline__scripts.base.protocols.syslog.tcp-framing__syslog.log'],
    ]) {
      const rows = readFileSync(join(corpusDir, 'oracles', cap, file), 'utf8').split('\n');
      const names = (rows.find((l) => l.startsWith('#fields\t') || l.startsWith('ts\t')) as string).replace(/^#fields\t/, '').split('\t');
      for (const l of rows.filter((r) => /^X+\.X+\t/.test(r))) {
        const v = Object.fromEntries(l.split('\t').map((x, i) => [names[i], x]));
        const msg = v.message.replace(/\\x([0-9a-f]{2})/g, (_m: string, h: string) => String.fromCharCode(parseInt(h, 16)));
        lines.push(`<${FAC.indexOf(v.facility) * 8 + SEV.indexOf(v.severity)}>${msg}`);
      }
    }
    lines.push(...corpusSyslogLines());
    assert.ok(lines.length >= 8, `${lines.length} corpus lines`);
    const f = new LogFacts();
    let sure = 0;
    for (const l of lines) if (check(l, REF, f)) sure++;
    assert.ok(sure >= lines.length / 2, `sure of ${sure} of ${lines.length}`);
    fc.assert(
      fc.property(mutatedLogText(lines, /^[|=\\[\]"{}<>:/(),;. 0-9a-zA-Z%*-]{0,6}$/, 4), fc.integer({ min: 0, max: 4_000_000_000 }), (line, ref) => {
        check(line, ref, f);
      }),
      { numRuns: 3000 },
    );
  });

  it('the parse thread writes the same journal bytes, line ends and facts with the extractor as with the full parse of every message', () => {
    const bytes = fc.oneof(
      text.map((t) => enc.encode(t)),
      fc.uint8Array({ maxLength: 200 }),
      withInsertedBytes,
    );
    fc.assert(
      fc.property(fc.array(bytes, { minLength: 1, maxLength: 40 }), fc.integer({ min: 0, max: 4_000_000_000_000 }), (dgs, t0) => {
        const b = batchOf(dgs, t0);
        const fast = new UdpBatchParser('t:log:', 'sensor"1');
        const full = new UdpBatchParser('t:log:', 'sensor"1');
        full.useFacts = false;
        const a = fast.parse(b, 0);
        const r = full.parse(b, 0);
        assert.equal(a.count, r.count);
        assert.equal(a.used, r.used);
        assert.deepEqual(new Uint8Array(a.data, 0, a.used), new Uint8Array(r.data, 0, r.used));
        assert.deepEqual(a.ends, r.ends);
        assert.equal(a.facts.length, r.facts.length);
        for (let i = 0; i < a.facts.length; i++) assert.ok(Object.is(a.facts[i], r.facts[i]), `fact ${i % 13} of message ${Math.floor(i / 13)}: ${a.facts[i]} vs ${r.facts[i]}`);
      }),
      { numRuns: 1500 },
    );
  });
});
