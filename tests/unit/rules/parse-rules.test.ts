/**
 * The rule loader: every supported keyword parses into the expected Rule fields; every rule the
 * engine cannot honour is skipped with its reason and counted in the report; hostile text never
 * throws.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseClassification } from '../../../common/rules/classification.js';
import { loadRules } from '../../../common/rules/load-rules.js';
import { DEFAULT_VARS } from '../../../common/rules/net-list.js';
import type { ContentMatch, PcreMatch, Rule } from '../../../common/rules/rule-types.js';
import { DEFAULT_CLASSIFICATION_PATH, DEFAULT_RULES_PATH } from '../../../node/rules/rule-files.js';

const classes = parseClassification(readFileSync(DEFAULT_CLASSIFICATION_PATH, 'utf8'));
const text = readFileSync(new URL('./all-keywords.rules', import.meta.url), 'utf8');
const { rules, report } = loadRules(text, { classes }, 'all-keywords.rules');
const bySid = new Map(rules.map((r) => [r.sid, r]));
const rule = (sid: number): Rule => {
  const r = bySid.get(sid);
  assert.ok(r, `sid ${sid} loaded (skipped: ${report.skipped.find((s) => s.sid === sid)?.reason})`);
  return r;
};
const contents = (r: Rule): ContentMatch[] => r.matches.filter((m): m is ContentMatch => m.kind === 'content');
const key = (ip: string): Uint8Array => {
  const k = new Uint8Array(16);
  if (ip.includes(':')) {
    // enough IPv6 for these tests: 2001:db8::1 style
    const [head, tail] = ip.split('::');
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    groups.forEach((g, i) => {
      const v = parseInt(g, 16);
      k[i * 2] = v >> 8;
      k[i * 2 + 1] = v & 0xff;
    });
    return k;
  }
  k[10] = 0xff;
  k[11] = 0xff;
  ip.split('.').forEach((o, i) => (k[12 + i] = Number(o)));
  return k;
};

test('every rule of sids 100-199 loads and every rule of 200+ is skipped', () => {
  const loaded = rules.map((r) => r.sid).sort((a, b) => a - b);
  for (const s of loaded) assert.ok(s >= 100 && s < 200, `sid ${s} should have been skipped`);
  const expectLoaded = [...text.matchAll(/sid:(1\d\d);/g)].map((m) => Number(m[1]));
  assert.deepEqual(loaded, [...new Set(expectLoaded)].sort((a, b) => a - b));
  assert.equal(report.loaded, rules.length);
  // 26 with sids 200-226 (no 204), one without sid, one duplicate of 100
  assert.equal(report.skipped.length, 28, report.skipped.map((s) => `${s.sid}: ${s.reason}`).join('\n'));
  assert.equal(Object.values(report.byReason).reduce((a, b) => a + b, 0), report.skipped.length);
});

test('skip reasons name the problem', () => {
  const reason = (sid: number): string => report.skipped.find((s) => s.sid === sid)?.reason ?? '(not skipped)';
  assert.match(reason(200), /pass/);
  assert.match(reason(201), /protocol "smb"/);
  assert.match(reason(202), /unsupported keyword "byte_math"/);
  assert.match(reason(223), /filemd5 list "no-such.md5" cannot be read/);
  assert.match(reason(224), /dce/);
  assert.match(reason(225), /app-layer-event "http.gzip_decompression_failed" is not raised/);
  assert.match(reason(226), /"nosuch", which no earlier byte_extract sets/);
  assert.match(reason(203), /unknown classtype/);
  assert.match(reason(205), /undefined variable \$NO_SUCH_VAR/);
  assert.match(reason(206), /nested quantifier/);
  assert.match(reason(207), /possessive/);
  assert.match(reason(208), /atomic|not supported/);
  assert.match(reason(209), /backreference/);
  assert.match(reason(210), /hex/);
  assert.match(reason(211), /without a preceding content/);
  assert.match(reason(212), /after the closing/);
  assert.match(reason(213), /port/);
  assert.match(reason(214), /shorter than its content/);
  assert.match(reason(215), /direction/);
  assert.match(reason(216), /unterminated/);
  assert.match(reason(217), /cannot be used in a dns rule/);
  assert.match(reason(218), /only_stream/);
  assert.match(reason(219), /G/);
  assert.match(reason(220), /not supported/);
  assert.match(reason(221), /dsize/);
  assert.match(reason(222), /unbalanced|unterminated/);
  assert.ok(report.skipped.some((s) => s.sid === null && /no sid/.test(s.reason)));
  assert.ok(report.skipped.some((s) => s.sid === 100 && /duplicate/.test(s.reason)));
});

test('header: variables, groups with negation, ranges and direction', () => {
  const v = rule(100);
  assert.ok(v.src.matches(key('192.168.1.5')) && !v.src.matches(key('8.8.8.8')), 'HOME_NET is RFC 1918');
  assert.ok(v.dstPorts.matches(8080) && !v.dstPorts.matches(22), 'HTTP_PORTS');
  const g = rule(101);
  assert.ok(g.src.matches(key('10.2.3.4')) && !g.src.matches(key('10.1.3.4')) && !g.src.matches(key('11.0.0.1')));
  assert.ok(g.srcPorts.matches(1024) && g.srcPorts.matches(65535) && !g.srcPorts.matches(1023));
  assert.ok(!g.dst.matches(key('192.168.0.1')) && g.dst.matches(key('192.168.0.3')));
  assert.equal(g.bidirectional, true);
  assert.ok(rule(102).dst.matches(key('2001:db8::1')) && !rule(102).dst.matches(key('2001:db9::1')));
  const p = rule(105);
  assert.ok(p.dstPorts.matches(80) && p.dstPorts.matches(8443) && !p.dstPorts.matches(8080) && !p.dstPorts.matches(81));
  assert.ok(rule(104).srcPorts.matches(0) && !rule(104).srcPorts.matches(1024) && rule(104).dstPorts.matches(65535));
  assert.equal(rule(106).action, 'drop');
});

test('metadata options: gid, rev, classtype priority, explicit priority, references', () => {
  const r = rule(110);
  assert.deepEqual([r.gid, r.sid, r.rev, r.classtype, r.priority], [1, 110, 7, 'trojan-activity', 2]);
  assert.deepEqual(r.references, ['url,example.com/x', 'cve,2020-0001']);
  assert.equal(rule(141).priority, 3, 'no classtype: priority 3');
});

test('content and its modifiers', () => {
  const [a, b, c] = contents(rule(111));
  assert.deepEqual([...a.bytes], [...Buffer.from('get')], 'nocase lowercases the pattern');
  assert.deepEqual([a.depth, a.offset, a.nocase], [3, 0, true]);
  assert.deepEqual([...b.bytes], [...Buffer.from('\r\nHost: ')]);
  assert.deepEqual([b.distance, b.within, b.fastPattern], [0, 200, true]);
  assert.equal(c.negated, true);
  assert.equal(Buffer.from(contents(rule(112))[0].bytes).toString(), 'a;b"c\\d');
  const [s, e] = contents(rule(113));
  assert.ok(s.startswith && e.endswith);
  assert.deepEqual(rule(111).flow, { dir: 0, established: true, stateless: false });
  assert.deepEqual(rule(121).flow, { dir: 1, established: false, stateless: false });
  assert.deepEqual(rule(122).flow, { dir: 0, established: null, stateless: true });
  assert.deepEqual(rule(124).dsize, { op: '<>', a: 10, b: 20 });
  assert.deepEqual(rule(126).dsize, { op: '<', a: 5, b: 0 });
});

test('pcre: flags, modifier buffers, negation, anchors', () => {
  const p = rule(116).matches[0] as PcreMatch;
  assert.ok(p.relative && p.re.flags.includes('i') && p.re.flags.includes('s') && p.re.flags.includes('m'));
  assert.ok((rule(117).matches[0] as PcreMatch).re.test('a12'));
  assert.deepEqual(
    rule(118).matches.map((m) => m.buffer),
    ['http.uri', 'http.header', 'http.client_body', 'http.cookie', 'http.method', 'http.uri.raw', 'http.header.raw', 'http.stat_code'],
  );
  const n = rule(119).matches[0] as PcreMatch;
  assert.ok(n.negated);
  n.re.lastIndex = 0;
  assert.equal(n.re.exec('xevil'), null, 'A anchors at the start');
  const z = rule(120).matches[0] as PcreMatch;
  z.re.lastIndex = 0;
  assert.ok(z.re.exec('ab c'));
  z.re.lastIndex = 0;
  assert.equal(z.re.exec('ab c\n'), null, '\\z is the very end');
  const zz = rule(120).matches[1] as PcreMatch;
  zz.re.lastIndex = 0;
  assert.ok(zz.re.exec('x\n'), '\\Z allows a final newline');
});

test('flowbits, noalert, threshold and detection_filter', () => {
  assert.deepEqual(rule(127).flowbits, [{ op: 'set', names: ['logged_in'] }, { op: 'noalert' }]);
  assert.ok(rule(127).noalert && rule(131).noalert);
  assert.deepEqual(rule(130).flowbits, [
    { op: 'isset', names: ['a', 'b'], any: true },
    { op: 'isset', names: ['c', 'd'], any: false },
  ]);
  assert.deepEqual(rule(132).threshold, { kind: 'threshold', type: 'limit', track: 'by_src', count: 1, seconds: 60 });
  assert.deepEqual(rule(134).threshold, { kind: 'threshold', type: 'both', track: 'by_src', count: 5, seconds: 360 });
  assert.deepEqual(rule(135).threshold, { kind: 'detection_filter', type: 'threshold', track: 'by_src', count: 30, seconds: 60 });
});

test('sticky buffers and the older http_* modifiers land on the same buffers', () => {
  assert.deepEqual(
    rule(140).matches.map((m) => m.buffer),
    ['http.method', 'http.uri', 'http.host', 'http.user_agent', 'http.header', 'http.cookie', 'http.client_body'],
  );
  assert.deepEqual(
    rule(150).matches.map((m) => m.buffer),
    ['http.method', 'http.uri', 'http.host', 'http.user_agent', 'http.header', 'http.cookie', 'http.client_body', 'http.uri.raw', 'http.header.raw'],
  );
  assert.equal(rule(150).proto, 'http', 'a tcp rule with http buffers becomes an http rule');
  assert.deepEqual(rule(141).matches.map((m) => m.buffer), ['http.uri.raw', 'http.header.raw', 'http.stat_code', 'file.data']);
  assert.deepEqual(rule(142).matches.map((m) => m.buffer), ['file.data', 'payload']);
  assert.deepEqual(rule(143).matches.map((m) => m.buffer), ['http.request_header', 'http.client_body', 'file.data']);
  assert.deepEqual([rule(144), rule(145)].map((r) => r.matches[0].buffer), ['dns.query', 'dns.query']);
  assert.deepEqual([rule(146), rule(147)].map((r) => r.matches[0].buffer), ['tls.sni', 'tls.sni']);
  assert.equal(rule(160).matches.length, 1, 'continued lines join');
});

test('the shipped default rule set loads without a skip', () => {
  const r = loadRules(readFileSync(DEFAULT_RULES_PATH, 'utf8'), { classes });
  assert.deepEqual(r.report.skipped, []);
  assert.ok(r.rules.length >= 20);
});

test('hostile inputs: skipped or loaded, never thrown, and fast', () => {
  const hostile = [
    '(',
    ')',
    'alert',
    'alert tcp any any -> any any (',
    'alert tcp any any -> any any ()',
    `alert tcp ${'['.repeat(5000)}1.1.1.1${']'.repeat(5000)} any -> any any (sid:1;)`,
    `alert tcp any any -> any any (msg:"${'\\'.repeat(10000)}"; sid:2;)`,
    `alert tcp any any -> any any (${'content:"a"; '.repeat(1000)}sid:3;)`,
    `alert tcp any any -> any any (content:"|${'41 '.repeat(70000)}|"; sid:4;)`,
    'alert tcp any any -> any any (pcre:"/(?:(?:a*)*)*$/"; sid:5;)',
    'alert tcp any any -> any any (pcre:"/[/"; sid:6;)',
    'alert tcp any any -> any any (sid:99999999999999999999;)',
    'alert tcp any any -> any any (threshold:type limit; sid:7;)',
    'alert tcp any any -> any any (flowbits:set; sid:8;)',
    'alert tcp any any -> any any (dsize:-1; sid:9;)',
    'alert tcp any any -> any any (content:"a"; distance:99999999; sid:10;)',
    'alert tcp any any -> any any (content:""; sid:11;)',
    '\u0000\u0001\u0002 alert tcp',
    'alert tcp any any -> any any (msg:"unicode ☃"; content:"☃"; sid:12;)',
  ].join('\n');
  const vars = new Map(DEFAULT_VARS);
  vars.set('LOOP', '$LOOP');
  const r = loadRules(`${hostile}\nalert tcp $LOOP any -> any any (sid:13;)\n`, { classes, vars });
  assert.equal(r.report.loaded + r.report.skipped.length, 20);
  assert.ok(r.report.skipped.some((s) => s.sid === 13 && /refers to itself/.test(s.reason)));
  assert.ok(r.rules.some((x) => x.sid === 12), 'non-Latin-1 content is UTF-8 encoded');
});

test('pcre: repeated alternation is accepted only when its branches start with distinct bytes', () => {
  const load = (p: string): string | null => {
    const r = loadRules(`alert tcp any any -> any any (pcre:"${p}"; sid:1;)`, { classes });
    return r.rules.length ? null : r.report.skipped[0].reason;
  };
  assert.equal(load('/(?:\\x2f|%2f)+x/i'), null);
  assert.equal(load('/(?:ab|cd)*/'), null);
  assert.match(load('/(a|ab)+c/') ?? '', /alternation/);
  assert.match(load('/(?:\\w|\\d)+$/') ?? '', /alternation/);
  assert.match(load('/(a|a)*b/') ?? '', /alternation/);
  // and the accepted form stays fast on a hostile subject
  const ok = loadRules('alert tcp any any -> any any (pcre:"/(?:a|b)+c/"; sid:1;)', { classes }).rules[0];
  const re = (ok.matches[0] as PcreMatch).re;
  re.lastIndex = 0;
  assert.equal(re.exec('ab'.repeat(4000)), null);
});
