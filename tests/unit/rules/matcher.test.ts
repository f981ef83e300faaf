/**
 * Matching semantics: content windows (offset/depth/distance/within), retrying an earlier
 * content when a later relative one fails, negation, startswith/endswith, pcre R; the prefilter
 * never hides a rule that matches; FlowDetector's header, flow, dsize, flowbits, threshold and
 * HTTP/DNS/TLS buffers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { AhoCorasick } from '../../../common/rules/aho-corasick.js';
import { parseClassification } from '../../../common/rules/classification.js';
import { FlowDetector, type DetectFlow, type RuleHit } from '../../../common/rules/flow-detector.js';
import { loadRules } from '../../../common/rules/load-rules.js';
import { BufferText, matchBuffer } from '../../../common/rules/pattern-match.js';
import { RuleSet } from '../../../common/rules/rule-set.js';
import { ThresholdState } from '../../../common/rules/threshold-state.js';
import { FlowAppLayer } from '../../../common/discovery/app-layer.js';
import { DEFAULT_CLASSIFICATION_PATH } from '../../../node/rules/rule-files.js';

const classes = parseClassification(readFileSync(DEFAULT_CLASSIFICATION_PATH, 'utf8'));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function one(ruleText: string): { matches: (payload: string) => boolean } {
  const { rules, report } = loadRules(ruleText, { classes });
  assert.equal(rules.length, 1, JSON.stringify(report.skipped));
  return { matches: (p) => matchBuffer(rules[0].matches, new BufferText(enc(p))) };
}
const R = (opts: string): string => `alert tcp any any -> any any (${opts} sid:1;)`;

test('offset and depth bound an absolute content', () => {
  const r = one(R('content:"abc"; offset:2; depth:3;'));
  assert.ok(r.matches('xxabc'));
  assert.ok(!r.matches('xabcx'), 'starts before offset');
  assert.ok(!r.matches('xxxabc'), 'ends after offset+depth');
});

test('distance and within are relative to the previous match; earlier contents are retried', () => {
  const r = one(R('content:"a"; content:"b"; distance:1; within:2;'));
  assert.ok(r.matches('axb'));
  assert.ok(!r.matches('ab'), 'distance 1 skips one byte');
  assert.ok(!r.matches('axxxb'));
  assert.ok(r.matches('a...a.b'), 'the second "a" is tried when the first fails');
  const neg = one(R('content:"GET"; content:!"admin"; distance:0;'));
  assert.ok(neg.matches('GET /index'));
  assert.ok(!neg.matches('GET /admin'));
  assert.ok(neg.matches('admin GET /'), 'negation only looks after GET');
});

test('nocase, hex, startswith and endswith', () => {
  assert.ok(one(R('content:"HeLLo"; nocase;')).matches('xhello'));
  assert.ok(!one(R('content:"HeLLo";')).matches('xhello'));
  assert.ok(one(R('content:"|00 41|B";')).matches('\u0000AB'));
  const se = one(R('content:"ab"; startswith; content:"yz"; endswith;'));
  assert.ok(se.matches('ab..yz'));
  assert.ok(!se.matches('xab..yz'));
  assert.ok(!se.matches('ab..yz.'));
});

test('pcre, relative pcre and negated pcre', () => {
  assert.ok(one(R('pcre:"/user=\\w+/i";')).matches('USER=bob'));
  const rel = one(R('content:"key"; pcre:"/^=\\d+/R";'));
  assert.ok(!rel.matches('key=x 1'));
  const relOk = one(R('content:"key"; pcre:"/=\\d+/R";'));
  assert.ok(relOk.matches('1=2 key=3'));
  assert.ok(!relOk.matches('1=2 key=x'), 'R searches after the content only');
  assert.ok(one(R('content:"a"; pcre:!"/evil/";')).matches('a good'));
  assert.ok(!one(R('content:"a"; pcre:!"/evil/";')).matches('a evil'));
});

test('Aho-Corasick finds exactly the patterns a naive case-insensitive search finds', () => {
  const pats = ['he', 'she', 'his', 'hers', 'HERS', 'x', 'abcab', 'bca'].map(enc);
  const ac = new AhoCorasick(pats.map((p) => p.map((b) => (b >= 65 && b <= 90 ? b | 32 : b))));
  for (const text of ['ushers', 'HIS hers', 'abcabcab', 'nothing', '']) {
    const found = new Set<number>();
    ac.scan(enc(text), (id) => found.add(id));
    const naive = new Set<number>();
    pats.forEach((p, id) => {
      if (text.toLowerCase().includes(new TextDecoder().decode(p).toLowerCase())) naive.add(id);
    });
    assert.deepEqual([...found].sort(), [...naive].sort(), text);
  }
});

// ---- FlowDetector over a synthetic flow ----

const flow: DetectFlow = { id: 'aaaaaaaaaaaa-0', ipVersion: 4, proto: 6, client: Uint8Array.from([10, 0, 0, 1]), server: Uint8Array.from([93, 184, 216, 34]), clientPort: 40000, serverPort: 80 };

function detector(rulesText: string, f = flow): { d: FlowDetector; hits: RuleHit[]; app: FlowAppLayer } {
  const { rules, report } = loadRules(rulesText, { classes });
  assert.deepEqual(report.skipped, []);
  const hits: RuleHit[] = [];
  const d = new FlowDetector(new RuleSet(rules), f, new ThresholdState(), (h) => hits.push(h));
  const app = new FlowAppLayer(f.proto === 6 ? 'tcp' : 'udp', f.serverPort, f.clientPort, d);
  return { d, hits, app };
}
const ref = (packet: number) => ({ tsSec: 1000 + packet, tsNsec: 0, packet });
const chunk = (dir: 0 | 1, offset: number, s: string, packet: number, gapBefore = 0) => ({ dir, offset, data: enc(s), gapBefore, tsSec: 1000 + packet, tsNsec: 0, packet });
const udpFlow: DetectFlow = { ...flow, proto: 17, serverPort: 9999 };
const SYN = 0x02;
const ACK = 0x10;

test('header direction, flow:to_server/established and dsize per packet', () => {
  const { d, hits, app } = detector(
    [
      'alert tcp $HOME_NET any -> any 80 (msg:"to server"; flow:to_server,established; content:"GET"; sid:1;)',
      'alert tcp any 80 -> any any (msg:"from server"; flow:to_client; content:"200"; sid:2;)',
      'alert tcp any any -> any any (msg:"not established"; flow:not_established; sid:3;)',
      'alert tcp any any <> $HOME_NET any (msg:"bidir"; dsize:>3; sid:4;)',
      'alert tcp any any -> any 81 (msg:"wrong port"; sid:5;)',
    ].join('\n'),
  );
  d.packet(0, new Uint8Array(0), SYN, ref(0));
  d.packet(1, new Uint8Array(0), SYN | ACK, ref(1));
  // content rules on TCP see the reassembled stream: each packet's data also goes to the stream
  d.packet(0, enc('GET / HTTP/1.1\r\n\r\n'), ACK, ref(2));
  app.onData(chunk(0, 0, 'GET / HTTP/1.1\r\n\r\n', 2));
  d.packet(1, enc('HTTP/1.1 200 OK\r\n\r\n'), ACK, ref(3));
  app.onData(chunk(1, 0, 'HTTP/1.1 200 OK\r\n\r\n', 3));
  const got = hits.map((h) => `${h.rule.sid}@${h.ref.packet}`).sort();
  assert.deepEqual(got, ['1@2', '2@3', '3@0', '3@1', '4@2', '4@3'].sort());
});

test('flowbits set by one rule are seen by another later in the flow; noalert suppresses', () => {
  const { d, hits } = detector(
    [
      'alert tcp any any -> any any (msg:"check"; flowbits:isset,login; content:"secret"; sid:2;)',
      'alert tcp any any -> any any (msg:"set"; content:"USER"; flowbits:set,login; flowbits:noalert; sid:1;)',
      'alert tcp any any -> any any (msg:"not set yet"; flowbits:isnotset,login; content:"secret"; sid:3;)',
    ].join('\n').replace(/alert tcp/g, 'alert udp'),
    udpFlow,
  );
  d.packet(0, enc('secret'), ACK, ref(0));
  d.packet(0, enc('USER bob secret'), ACK, ref(1));
  d.packet(0, enc('secret'), ACK, ref(2));
  assert.deepEqual(hits.map((h) => `${h.rule.sid}@${h.ref.packet}`), ['3@0', '2@1', '2@2']);
});

test('threshold limit and detection_filter', () => {
  const { d, hits } = detector(
    [
      'alert tcp any any -> any any (msg:"limit"; content:"x"; threshold:type limit, track by_src, count 2, seconds 60; sid:1;)',
      'alert tcp any any -> any any (msg:"df"; content:"x"; detection_filter:track by_src, count 3, seconds 60; sid:2;)',
      'alert tcp any any -> any any (msg:"every 2nd"; content:"x"; threshold:type threshold, track by_dst, count 2, seconds 60; sid:3;)',
    ].join('\n').replace(/alert tcp/g, 'alert udp'),
    udpFlow,
  );
  for (let i = 0; i < 6; i++) d.packet(0, enc('x'), ACK, ref(i));
  const by = (sid: number): number[] => hits.filter((h) => h.rule.sid === sid).map((h) => h.ref.packet);
  assert.deepEqual(by(1), [0, 1]);
  assert.deepEqual(by(2), [3, 4, 5]);
  assert.deepEqual(by(3), [1, 3, 5]);
});

test('HTTP buffers: uri (normalised), method, host, user agent, header, cookie, body, stat_code, file.data', () => {
  const { hits, app } = detector(
    [
      'alert http any any -> any any (msg:"uri"; flow:to_server; http.uri; content:"/a/b.php"; endswith; sid:1;)',
      'alert http any any -> any any (msg:"raw uri"; http.uri.raw; content:"//a/./b%2Ephp"; sid:2;)',
      'alert http any any -> any any (msg:"method host ua"; http.method; content:"POST"; http.host; content:"example.com"; startswith; http.user_agent; content:"curl/"; sid:3;)',
      'alert http any any -> any any (msg:"header excludes cookie"; http.header; content:"Cookie"; sid:4;)',
      'alert http any any -> any any (msg:"cookie"; http.cookie; content:"sess=1"; sid:5;)',
      'alert http any any -> any any (msg:"body"; http.client_body; content:"user=bob"; sid:6;)',
      'alert http any any -> any any (msg:"response"; flow:to_client; http.stat_code; content:"404"; file.data; content:"not here"; sid:7;)',
      'alert http any any -> any any (msg:"request buffer in response rule"; http.uri; content:".php"; http.stat_code; content:"404"; sid:8;)',
      'alert http any any -> any any (msg:"unbuffered"; flow:to_server; content:"X-Custom"; sid:9;)',
    ].join('\n'),
  );
  const body = 'user=bob';
  app.onData(chunk(0, 0, `POST //a/./b%2Ephp HTTP/1.1\r\nHost: Example.COM\r\nUser-Agent: curl/8.0\r\nCookie: sess=1\r\nX-Custom: 1\r\nContent-Length: ${body.length}\r\n\r\n`, 3));
  app.onData(chunk(0, 200, body, 4));
  app.onData(chunk(1, 0, 'HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnot \r\n4\r\nhere\r\n0\r\n\r\n', 5));
  app.finish();
  assert.deepEqual(hits.map((h) => `${h.rule.sid}@${h.ref.packet}`).sort(), ['1@4', '2@4', '3@4', '5@4', '6@4', '7@5', '8@5', '9@4'].sort());
});

test('DNS query and TLS SNI buffers', () => {
  const udp: DetectFlow = { ...flow, proto: 17, serverPort: 53 };
  const { hits, app } = detector('alert dns any any -> any any (msg:"dyn"; dns.query; content:".duckdns.org"; endswith; sid:1;)', udp);
  // query for x.duckdns.org, type A
  const q = Uint8Array.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x78, 7, ...enc('duckdns'), 3, ...enc('org'), 0, 0, 1, 0, 1]);
  app.datagram(0, q, ref(0));
  assert.deepEqual(hits.map((h) => h.rule.sid), [1]);

  const tlsFlow: DetectFlow = { ...flow, serverPort: 443 };
  const t = detector('alert tls any any -> any any (msg:"sni"; tls.sni; content:"pastebin.com"; sid:2;)', tlsFlow);
  const sni = enc('pastebin.com');
  const ext = [0, 0, 0, sni.length + 5, 0, sni.length + 3, 0, 0, sni.length, ...sni];
  const hello = [3, 3, ...new Array(32).fill(0), 0, 0, 2, 0x13, 0x01, 1, 0, 0, ext.length, ...ext];
  const hs = [1, 0, hello.length >> 8, hello.length & 0xff, ...hello];
  const rec = Uint8Array.from([22, 3, 1, hs.length >> 8, hs.length & 0xff, ...hs]);
  t.app.onData({ dir: 0, offset: 0, data: rec.subarray(0, 10), gapBefore: 0, tsSec: 1, tsNsec: 0, packet: 3 });
  t.app.onData({ dir: 0, offset: 10, data: rec.subarray(10), gapBefore: 0, tsSec: 1, tsNsec: 0, packet: 4 });
  assert.deepEqual(t.hits.map((h) => `${h.rule.sid}@${h.ref.packet}`), ['2@4']);
});

test('TCP content rules inspect the stream: a pattern split across segments alerts once, a retransmission adds nothing', () => {
  const { d, hits, app } = detector(
    [
      'alert tcp any any -> any any (msg:"split"; flow:established,to_server; content:"PASSWORD=hunter2"; sid:1;)',
      'alert tcp any any -> any any (msg:"anchored"; content:"USER"; depth:4; sid:2;)',
      'alert tcp any any -> any any (msg:"packet only"; dsize:>0; flow:to_server; sid:3;)',
    ].join('\n'),
  );
  d.packet(0, enc('xxPASSW'), ACK, ref(0));
  app.onData(chunk(0, 0, 'xxPASSW', 0));
  d.packet(0, enc('ORD=hunter2 USER'), ACK, ref(1));
  app.onData(chunk(0, 7, 'ORD=hunter2 USER', 1));
  // retransmission of packet 1: the reassembler delivers nothing new
  d.packet(0, enc('ORD=hunter2 USER'), ACK, ref(2));
  d.packet(0, enc('USER x'), ACK, ref(3));
  app.onData(chunk(0, 23, 'USER x', 3));
  assert.deepEqual(hits.map((h) => `${h.rule.sid}@${h.ref.packet}`), ['3@0', '3@1', '1@1', '3@2', '3@3', '2@3']);
  // a gap breaks the seam: no match is invented across missing bytes
  const g = detector('alert tcp any any -> any any (msg:"ab"; content:"abcd"; sid:9;)');
  g.d.packet(0, enc('ab'), ACK, ref(0));
  g.app.onData(chunk(0, 0, 'xxab', 0));
  g.app.onData(chunk(0, 10, 'cdxx', 1, 6));
  assert.deepEqual(g.hits, []);
});

test('ssh/ftp/smtp/pop3/imap rules run on flows recognised from their first lines, on any port', () => {
  const rules = [
    'alert smtp any any -> any any (msg:"smtp auth"; flow:to_server; content:"AUTH LOGIN"; sid:1;)',
    'alert ssh any any -> any any (msg:"old openssh"; content:"OpenSSH_5."; sid:2;)',
    'alert ftp any any -> any any (msg:"ftp site exec"; content:"SITE EXEC"; nocase; sid:3;)',
  ].join('\n');
  // SMTP on port 2525: a 220 greeting alone is ambiguous, the client's EHLO decides
  const smtp = detector(rules, { ...flow, serverPort: 2525 });
  smtp.d.packet(1, enc('220 mail ready\r\n'), ACK, ref(0));
  smtp.app.onData(chunk(1, 0, '220 mail ready\r\n', 0));
  smtp.app.onData(chunk(0, 0, 'EHLO me\r\n', 1));
  smtp.app.onData(chunk(0, 9, 'AUTH LOGIN\r\nSITE EXEC x\r\n', 2));
  assert.deepEqual(smtp.hits.map((h) => `${h.rule.sid}@${h.ref.packet}`), ['1@2']);
  // SSH: the banner itself is inspected once the flow is recognised by it
  const ssh = detector(rules, { ...flow, serverPort: 2222 });
  ssh.d.packet(1, enc('x'), ACK, ref(0));
  ssh.app.onData(chunk(1, 0, 'SSH-2.0-OpenSSH_5.3\r\n', 0));
  assert.deepEqual(ssh.hits.map((h) => h.rule.sid), [2]);
  // an HTTP flow carrying the same bytes is none of these
  const http = detector(rules);
  http.d.packet(0, enc('x'), ACK, ref(0));
  http.app.onData(chunk(0, 0, 'GET /?q=SITE%20EXEC HTTP/1.1\r\nX: AUTH LOGIN SITE EXEC OpenSSH_5.\r\n\r\n', 0));
  assert.deepEqual(http.hits, []);
});
