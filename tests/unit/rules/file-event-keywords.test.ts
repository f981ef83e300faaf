/**
 * File keywords on the files of a flow (filemagic/filename/fileext as contents on file.magic and
 * file.name, filemd5/filesha256 lists, filesize, the rule's protocol naming the carver, flowbits
 * set by the flow's transactions) and the HTTP app-layer events (libhtp's host validation and its
 * content-encoding layer limit).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseClassification } from '../../../common/rules/classification.js';
import { FlowDetector, type DetectFile, type DetectFlow, type RuleHit } from '../../../common/rules/flow-detector.js';
import { encodingLayers, hostHeaderValid } from '../../../common/rules/http-events.js';
import { RuleLoader } from '../../../common/rules/load-rules.js';
import { RuleSet } from '../../../common/rules/rule-set.js';
import { ThresholdState } from '../../../common/rules/threshold-state.js';
import { FlowAppLayer } from '../../../common/discovery/app-layer.js';
import { DEFAULT_CLASSIFICATION_PATH } from '../../../node/rules/rule-files.js';

const classes = parseClassification(readFileSync(DEFAULT_CLASSIFICATION_PATH, 'utf8'));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const flow: DetectFlow = { id: 'aaaaaaaaaaaa-0', ipVersion: 4, proto: 6, client: Uint8Array.from([10, 0, 0, 1]), server: Uint8Array.from([10, 0, 0, 2]), clientPort: 40000, serverPort: 80 };
const MD5 = 'e19c1283c925b3206685ff522acfe3e6';

function setup(text: string): { d: FlowDetector; hits: RuleHit[]; app: FlowAppLayer } {
  const loader = new RuleLoader({ classes });
  loader.add(text, 'x.rules', (name) => (name === 'bad.md5' ? `${MD5}\n# comment\n` : null));
  assert.deepEqual(loader.skipped, []);
  const hits: RuleHit[] = [];
  const d = new FlowDetector(new RuleSet(loader.rules), flow, new ThresholdState(), (h) => hits.push(h));
  return { d, hits, app: new FlowAppLayer('tcp', 80, 40000, d) };
}

function file(over: Partial<DetectFile>): DetectFile {
  return { dir: 1, protocol: 'http', name: 'report.pdf', magic: 'PDF document, version 1.4', head: enc('%PDF-1.4'), size: 1000, md5: MD5, sha1: '0'.repeat(40), sha256: '1'.repeat(64), url: 'http://h/files/report.pdf', host: 'h', userAgent: 'Wget/1.21', method: 'GET', ref: { tsSec: 1, tsNsec: 0, packet: 5 }, ...over };
}

test('filemagic, filename, fileext, filesize and filemd5 each decide per file', () => {
  const { d, hits } = setup(
    [
      'alert http any any -> any any (msg:"magic"; filemagic:"pdf document"; sid:1;)',
      'alert http any any -> any any (msg:"name"; filename:"report"; sid:2;)',
      'alert http any any -> any any (msg:"ext"; fileext:"pdf"; sid:3;)',
      'alert http any any -> any any (msg:"size"; filesize:>999; sid:4;)',
      'alert http any any -> any any (msg:"md5"; filemd5:bad.md5; sid:5;)',
      'alert http any any -> any any (msg:"not md5"; filemd5:!bad.md5; sid:6;)',
      'alert smtp any any -> any any (msg:"smtp only"; filemagic:"PDF"; sid:7;)',
      'alert http any any -> any any (msg:"uri and magic"; http.uri; content:"/files/"; filemagic:"PDF"; sid:8;)',
    ].join('\n'),
  );
  d.file(file({}));
  assert.deepEqual(hits.map((h) => h.rule.sid).sort((a, b) => a - b), [1, 2, 3, 4, 5, 8]);
  assert.ok(hits.every((h) => h.dir === 1 && h.ref.packet === 5 && h.inspection === 'file'));
  hits.length = 0;
  d.file(file({ name: 'report.pdf.exe', magic: 'PE32 executable', size: 999, md5: 'f'.repeat(32), url: 'http://h/x' }));
  assert.deepEqual(hits.map((h) => h.rule.sid), [2, 6], 'name still contains "report"; the ext is exe; 999 is not > 999');
  hits.length = 0;
  d.file(file({ protocol: 'smtp', dir: 0 }));
  assert.ok(hits.some((h) => h.rule.sid === 7) && !hits.some((h) => h.rule.sid === 1), 'the rule protocol names the carver');
});

test('flowbits set by a request decide a file rule of the same flow (suricata-verify filemagic-flowbits)', () => {
  const { d, hits, app } = setup(
    [
      'alert http any any -> any any (msg:"Wget useragent";content:"wget"; nocase; startswith; http_user_agent; sid:1; rev:1; flowbits:set,wgetagent; noalert;)',
      'alert http any any -> any any (msg:"PDF wget"; flowbits:isset,wgetagent; filemagic:"PDF"; sid:2; rev:1;)',
      'alert http any any -> any any (msg:"PDF not wget"; flowbits:isnotset,wgetagent; filemagic:"PDF"; sid:3; rev:1;)',
    ].join('\n'),
  );
  app.onData({ dir: 0, offset: 0, data: enc('GET /a.pdf HTTP/1.1\r\nHost: h\r\nUser-Agent: Wget/1.21\r\n\r\n'), gapBefore: 0, tsSec: 1, tsNsec: 0, packet: 3 });
  d.file(file({}));
  assert.deepEqual(hits.map((h) => h.rule.sid), [2]);
});

test('libhtp host validation: bracketed IPv6, ports, labels', () => {
  for (const ok of ['example.com', 'EXAMPLE.com:8080', '[::1]', '[::1]:80', '192.168.235.101:8080', 'under_score.example', ' a.b ']) assert.ok(hostHeaderValid(ok), ok);
  for (const bad of ['', 'a..b', '.a', 'exa mple.com', 'a.com:0', 'a.com:70000', 'a.com:x', '[::1', '[::zz]', '[::1]x', `${'a'.repeat(64)}.com`]) assert.ok(!hostHeaderValid(bad), bad);
});

test('content-encoding layers: a single value never counts, lists count every token', () => {
  assert.equal(encodingLayers('gzip'), 1);
  assert.equal(encodingLayers('gzip, gzip'), 2);
  assert.equal(encodingLayers('identity, identity, gzip, identity, gzip, gzip'), 6);
});

test('app-layer-event rules alert once per transaction, when the request or its response raises the event', () => {
  const { hits, app } = setup(
    [
      'alert http any any -> any any (msg:"too many layers"; flow:to_server; app-layer-event:http.too_many_encoding_layers; flowint:http.anomaly.count,+,1; sid:1;)',
      'alert http any any -> any any (msg:"host invalid"; flow:to_server; app-layer-event:http.request_header_host_invalid; sid:2;)',
    ].join('\n'),
  );
  const req = (host: string): string => `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
  const res = (ce: string): string => `HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Encoding: ${ce}\r\n\r\nhi`;
  const off = [0, 0];
  const send = (dir: 0 | 1, s: string, packet: number): void => {
    app.onData({ dir, offset: off[dir], data: enc(s), gapBefore: 0, tsSec: packet, tsNsec: 0, packet });
    off[dir] += s.length;
  };
  send(0, req('[::1]'), 1);
  send(1, res('gzip'), 2);
  assert.equal(hits.length, 0, 'a valid IPv6 host and one coding: no event');
  send(0, req('bad host'), 3);
  assert.deepEqual(hits.map((h) => h.rule.sid), [2]);
  send(1, res('gzip, gzip, gzip'), 4);
  assert.deepEqual(hits.map((h) => h.rule.sid), [2, 1], 'the response adds its event; sid 2 does not repeat for the same transaction');
  assert.ok(hits.every((h) => h.dir === 0));
});

test('file.data in a mail rule inspects the mail files; strip_whitespace removes every isspace() byte (suricata-verify bug-3616)', () => {
  const { d, hits } = setup(
    [
      'alert smtp any any -> any any (msg:"canary"; flow:established,to_server; file_data; content:"New code tooltip display"; sid:1;)',
      'alert smtp any any -> any any (msg:"stripped"; flow:established,to_server; file_data; strip_whitespace; content:"Version4.9.9.0"; sid:2;)',
      'alert http any any -> any any (msg:"http body stripped"; file.data; strip_whitespace; content:"a=b"; sid:3;)',
    ].join('\n'),
  );
  d.file(file({ protocol: 'smtp', dir: 0, head: enc('New code tooltip display\r\n  Version 4.9.9.0\t\n'), magic: null }));
  assert.deepEqual(hits.map((h) => h.rule.sid).sort(), [1, 2]);
  hits.length = 0;
  d.file(file({ protocol: 'smtp', dir: 0, head: enc('Version 4.9.9.1'), magic: null }));
  assert.deepEqual(hits, [], 'no match after stripping either');
  const loader = new RuleLoader({ classes });
  loader.add('alert http any any -> any any (msg:"x"; http.uri; strip_whitespace; content:"a"; sid:9;)');
  assert.match(loader.skipped[0]?.reason ?? '', /strip_whitespace on http.uri is not supported/);
});
