import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { formatCef, parseCef } from '../../../common/logs/cef.js';
import { decodeLogBytes, parseLog } from '../../../common/logs/parse-log.js';
import { formatSeedLine, parseSeedLine } from '../../../common/logs/seed-format.js';
import { repoRoot } from '../../helpers/corpus.js';

/** 2026-11-22T00:00:00Z: the reference ("received") time for BSD timestamps without a year. */
const REF = Date.UTC(2026, 10, 22) / 1000;
const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number): number => Date.UTC(y, mo - 1, d, h, mi, s) / 1000;

interface CefSample {
  source: string;
  line: string;
  expect: { vendor: string; product: string; device_version: string; signature: string; name: string; severity: string; host: string | null; extension: Record<string, string> };
}
interface OssecSample {
  source: string;
  line: string;
  expect: { level: string; rule: string; description: string; location: string; src_ip: string | null; host: string | null; fields: Record<string, string> };
}
const fixture = <T>(name: string): T[] => (JSON.parse(readFileSync(join(repoRoot, 'tests/fixtures/logs', name), 'utf8')) as { samples: T[] }).samples;

describe('RFC 3164 and its real-world variants', () => {
  it('reads PRI, BSD time (year from the reception time), host, tag and pid', () => {
    const p = parseLog('<34>Oct 11 22:14:15 mymachine su[230]: \'su root\' failed for lonvick on /dev/pts/8', REF);
    assert.equal(p.format, 'rfc3164');
    assert.equal(p.facility, 4);
    assert.equal(p.severity, 2);
    assert.deepEqual(p.time, { sec: utc(2026, 10, 11, 22, 14, 15), nsec: 0 });
    assert.equal(p.host, 'mymachine');
    assert.equal(p.app, 'su');
    assert.equal(p.fields.procid, '230');
    assert.equal(p.message, "'su root' failed for lonvick on /dev/pts/8");
  });
  it('takes last year for a date after the reception day, and the nearest leap year for Feb 29', () => {
    assert.equal(parseLog('<13>Dec 31 23:59:59 h a: x', Date.UTC(2027, 0, 1, 0, 0, 5) / 1000).time?.sec, utc(2026, 12, 31, 23, 59, 59));
    assert.equal(parseLog('<13>Feb 29 17:12:09 h a: x', REF).time?.sec, utc(2024, 2, 29, 17, 12, 9));
  });
  it('has no hostname when the first word is a tag', () => {
    const p = parseLog('<133>Apr  5 12:56:51 robin: Hello, syslog!\0', REF);
    assert.equal(p.host, null);
    assert.equal(p.app, 'robin');
    assert.equal(p.message, 'Hello, syslog!');
    assert.equal(p.facility, 16);
    assert.equal(p.severity, 5);
  });
  it('reads ISO timestamps with a zone (rsyslog RFC3339 template)', () => {
    const p = parseLog('<9>2013-09-12T19:16:43.513746+04:00 localhost through rsyslog: test message 24', REF);
    assert.deepEqual(p.time, { sec: utc(2013, 9, 12, 15, 16, 43), nsec: 513746000, zoned: true });
    assert.equal(p.host, 'localhost');
  });
  it('reads Cisco ASA: year in the time, colon after it, %ASA-sev-id and the connection endpoints', () => {
    const p = parseLog('<166>Jan 05 2012 08:08:08: %ASA-6-302013: Built outbound TCP connection 123 for outside:10.0.0.1/80 (10.0.0.1/80) to inside:192.168.1.2/1234 (192.168.1.2/1234)', REF);
    assert.equal(p.time?.sec, utc(2012, 1, 5, 8, 8, 8));
    assert.equal(p.app, 'ASA');
    assert.equal(p.fields['cisco.severity'], '6');
    assert.equal(p.fields['cisco.mnemonic'], '302013');
    assert.deepEqual(p.endpoints, { srcIp: '10.0.0.1', srcPort: 80, dstIp: '192.168.1.2', dstPort: 1234, proto: 6 });
  });
  it('reads Cisco IOS: sequence number, unsynchronised clock mark, milliseconds, access-list endpoints', () => {
    const p = parseLog('<189>123: *Mar  1 00:01:02.123: %SEC-6-IPACCESSLOGP: list 101 denied tcp 10.1.1.1(1234) -> 10.2.2.2(80), 1 packet', REF);
    assert.equal(p.fields['cisco.seq'], '123');
    assert.equal(p.fields['cisco.clock'], 'unsynchronised');
    assert.equal(p.time?.nsec, 123_000_000);
    assert.deepEqual(p.endpoints, { srcIp: '10.1.1.1', srcPort: 1234, dstIp: '10.2.2.2', dstPort: 80, proto: 6 });
  });
  it('reads iptables key=value endpoints', () => {
    const p = parseLog('<4>Nov 21 10:00:00 fw kernel: [123.4] IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 LEN=60 PROTO=TCP SPT=123 DPT=80', REF);
    assert.deepEqual(p.endpoints, { srcIp: '1.2.3.4', srcPort: 123, dstIp: '5.6.7.8', dstPort: 80, proto: 6 });
    assert.equal(p.fields.IN, 'eth0');
  });
  it('reads sshd "from IP port N"', () => {
    const p = parseLog('<38>Nov 21 10:00:00 web1 sshd[99]: Failed password for root from 192.0.2.7 port 51234 ssh2', REF);
    assert.equal(p.endpoints.srcIp, '192.0.2.7');
    assert.equal(p.endpoints.srcPort, 51234);
  });
});

describe('RFC 5424', () => {
  it('reads the RFC\'s example with structured data and a BOM', () => {
    const p = parseLog('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...', REF);
    assert.equal(p.format, 'rfc5424');
    assert.equal(p.facility, 20);
    assert.equal(p.severity, 5);
    assert.deepEqual(p.time, { sec: utc(2003, 10, 11, 22, 14, 15), nsec: 3_000_000, zoned: true });
    assert.equal(p.host, 'mymachine.example.com');
    assert.equal(p.app, 'evntslog');
    assert.equal(p.fields.msgid, 'ID47');
    assert.equal(p.fields['sd.exampleSDID@32473.eventSource'], 'Application');
    assert.equal(p.message, 'An application event log entry...');
  });
  it('unescapes \\" \\\\ \\] in values and reads several elements', () => {
    const p = parseLog('<13>1 2026-01-01T00:00:00+01:00 h app 42 - [a@1 x="q\\"uo\\\\te\\]"][b@2 y=""] msg', REF);
    assert.equal(p.fields['sd.a@1.x'], 'q"uo\\te]');
    assert.equal(p.fields['sd.b@2.y'], '');
    assert.equal(p.fields.procid, '42');
    assert.equal(p.time?.sec, utc(2025, 12, 31, 23, 0, 0));
  });
  it('nil values and no message', () => {
    const p = parseLog('<13>1 - - - - - -', REF);
    assert.equal(p.format, 'rfc5424');
    assert.equal(p.time, null);
    assert.equal(p.host, null);
    assert.equal(p.message, '');
  });
  it('an unterminated structured data value falls back to RFC 3164 reading and says why', () => {
    const p = parseLog('<13>1 2026-01-01T00:00:00Z h a - - [x@1 k="never closed', REF);
    assert.equal(p.format, 'rfc3164');
    assert.match(p.problem ?? '', /not closed/);
  });
});

describe('CEF (fixtures from public documentation)', () => {
  for (const s of fixture<CefSample>('cef-samples.json')) {
    it(`${s.expect.name}: ${s.source.slice(0, 60)}`, () => {
      const p = parseLog(s.line, REF);
      assert.equal(p.format, 'cef');
      assert.equal(p.message, s.expect.name);
      assert.equal(p.fields['cef.vendor'], s.expect.vendor);
      assert.equal(p.fields['cef.product'], s.expect.product);
      assert.equal(p.fields['cef.device_version'], s.expect.device_version);
      assert.equal(p.fields['cef.signature'], s.expect.signature);
      assert.equal(p.fields['cef.severity'], s.expect.severity);
      if (s.expect.host !== null) assert.equal(p.host, s.expect.host);
      const c = parseCef(s.line.slice(s.line.indexOf('CEF:')));
      assert.ok(typeof c !== 'string');
      assert.deepEqual(c.extension, s.expect.extension);
    });
  }
  it('writes what it reads: header and extension escaping round-trip', () => {
    const header = { version: '0', vendor: 'Ta|pl\\ine', product: 'p', deviceVersion: '1', signatureId: '7', name: 'a | b \\ c = d', severity: '5' };
    const ext: [string, string][] = [
      ['msg', 'x=y \\ z | w\nnext line\r'],
      ['cs1', ' spaced  '],
      ['src', '10.0.0.1'],
    ];
    const line = formatCef(header, ext);
    const back = parseCef(line);
    assert.ok(typeof back !== 'string');
    assert.deepEqual(back.header, header);
    assert.equal(back.extension.msg, 'x=y \\ z | w\nnext line\r');
    assert.equal(back.extension.src, '10.0.0.1');
    assert.equal(back.extension.cs1, ' spaced');
  });
  it('a header with too few fields is not CEF, and the line is kept', () => {
    const p = parseLog('CEF:0|a|b|c', REF);
    assert.equal(p.format, 'raw');
    assert.equal(p.message, 'CEF:0|a|b|c');
    assert.match(p.problem ?? '', /CEF header/);
  });
});

describe('OSSEC / Wazuh (fixtures from documented formats)', () => {
  for (const s of fixture<OssecSample>('ossec-samples.json')) {
    it(`${s.expect.description} (${s.source.slice(0, 50)})`, () => {
      const p = parseLog(s.line, REF);
      assert.equal(p.format, 'ossec');
      assert.equal(p.fields['ossec.level'], s.expect.level);
      assert.equal(p.fields['ossec.rule'], s.expect.rule);
      assert.equal(p.fields['ossec.description'], s.expect.description);
      assert.equal(p.fields['ossec.location'], s.expect.location);
      assert.equal(p.endpoints.srcIp, s.expect.src_ip);
      assert.equal(p.host, s.expect.host);
      for (const [k, v] of Object.entries(s.expect.fields)) assert.equal(p.fields[k], v, k);
    });
  }
});

describe("the seed's export format", () => {
  it("reads the seed's own example", () => {
    const p = parseLog('Feb 29 17:12:09 S-0.tcovel: {1,0} [1:2009375:3] ET CHAT General MSN Chat Activity {IP} <-', REF);
    assert.equal(p.format, 'seed');
    assert.equal(p.host, 'S-0.tcovel');
    assert.equal(p.message, '[1:2009375:3] ET CHAT General MSN Chat Activity');
    assert.equal(p.fields['seed.evtype'], '1');
    assert.equal(p.fields['seed.rank'], '0');
    assert.equal(p.fields['seed.sid'], '2009375');
    assert.equal(p.fields['seed.proto'], 'IP');
    assert.equal(p.fields['seed.dir'], '<-');
    assert.equal(p.time?.sec, utc(2024, 2, 29, 17, 12, 9));
  });
  it('writes and reads back addresses (IPv4 and bracketed IPv6), inside a syslog PRI too', () => {
    const line = formatSeedLine({ timeSec: utc(2026, 3, 5, 1, 2, 3), sensor: 'S-1', domain: 'lab', evtype: 2, rank: -3, message: 'Flow {x} a', proto: 'TCP', src: '2001:db8::5', spt: 443, dir: '->', dst: '10.0.0.9', dpt: 50000 });
    assert.equal(line, 'Mar  5 01:02:03 S-1.lab: {2,-3} Flow {x} a {TCP} [2001:db8::5]:443 -> 10.0.0.9:50000');
    for (const l of [line, `<14>${line}`]) {
      const p = parseLog(l, REF);
      assert.equal(p.format, 'seed');
      assert.equal(p.message, 'Flow {x} a');
      assert.deepEqual(p.endpoints, { srcIp: '2001:db8::5', srcPort: 443, dstIp: '10.0.0.9', dstPort: 50000, proto: 6 });
    }
    assert.equal(parseSeedLine(line, REF)?.rank, -3);
  });
});

describe('raw and hostile input', () => {
  it('keeps an unparseable line whole as raw, with the reason', () => {
    const p = parseLog('just some words', REF);
    assert.equal(p.format, 'raw');
    assert.equal(p.message, 'just some words');
    assert.ok(p.problem);
  });
  it('decodes invalid UTF-8 to U+FFFD instead of refusing it', () => {
    const text = decodeLogBytes(Uint8Array.from([0x3c, 0x31, 0x33, 0x3e, 0x61, 0x3a, 0x20, 0xff, 0xc3, 0x28]));
    assert.equal(text, '<13>a: \uFFFD\uFFFD(');
    assert.equal(parseLog(text, REF).message, '\uFFFD\uFFFD(');
  });
  it('rejects PRI values above 191 and leading zeros as PRI', () => {
    assert.equal(parseLog('<192>x', REF).facility, null);
    assert.equal(parseLog('<013>x', REF).facility, null);
  });
});
