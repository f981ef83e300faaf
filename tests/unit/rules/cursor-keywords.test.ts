/**
 * byte_test, byte_jump, byte_extract, isdataat, base64_decode/base64_data and flowint with the
 * examples of Suricata's documentation (payload-keywords, flow-keywords, base64 keywords), plus
 * the edge cases the implementation follows from Suricata's code (string bases, bitmask shift,
 * jumps clamped at the start and refused past the end, isdataat's absolute/relative asymmetry).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseClassification } from '../../../common/rules/classification.js';
import { FlowDetector, type DetectFlow, type RuleHit } from '../../../common/rules/flow-detector.js';
import { loadRules } from '../../../common/rules/load-rules.js';
import { BufferText, matchBuffer } from '../../../common/rules/pattern-match.js';
import { RuleSet } from '../../../common/rules/rule-set.js';
import { ThresholdState } from '../../../common/rules/threshold-state.js';
import { parseStringNumber } from '../../../common/rules/byte-keywords.js';
import { DEFAULT_CLASSIFICATION_PATH } from '../../../node/rules/rule-files.js';

const classes = parseClassification(readFileSync(DEFAULT_CLASSIFICATION_PATH, 'utf8'));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** Bytes from a mix of text and |hex| runs, as in rule contents. */
function bytes(s: string): Uint8Array {
  const out: number[] = [];
  s.split('|').forEach((part, i) => {
    if (i % 2) for (const h of part.trim().split(/\s+/).filter(Boolean)) out.push(parseInt(h, 16));
    else for (const c of part) out.push(c.charCodeAt(0));
  });
  return Uint8Array.from(out);
}

function one(opts: string): (payload: Uint8Array | string) => boolean {
  const { rules, report } = loadRules(`alert tcp any any -> any any (${opts} sid:1;)`, { classes });
  assert.equal(rules.length, 1, JSON.stringify(report.skipped));
  return (p) => matchBuffer(rules[0].matches, new BufferText(typeof p === 'string' ? bytes(p) : p));
}

test('byte_test: the documentation examples', () => {
  // content:"|00 01 00 02|"; byte_test:2,=,0x01,0;
  assert.ok(one('content:"|00 01 00 02|"; byte_test:2,=,0x01,0;')('|00 01 00 02|'));
  assert.ok(!one('content:"|00 01 00 02|"; byte_test:2,=,0x01,0;')('|00 02 00 01 00 02|'));
  // relative: 2 bytes after the match, skip 2 → 0x0003
  const rel = one('content:"|00 01 00 02|"; byte_test:2,=,0x03,2,relative;');
  assert.ok(rel('|00 01 00 02 ff ff 00 03|'));
  assert.ok(!rel('|00 01 00 02 ff ff 00 04|'));
  assert.ok(!rel('|00 01 00 02 ff ff 00|'), 'bytes past the end: no match');
  assert.ok(one('content:"|00 01 00 02|"; byte_test:2,!=,0x06,0;')('|00 01 00 02|'));
  assert.ok(!one('content:"|00 01 00 02|"; byte_test:2,!=,0x01,0;')('|00 01 00 02|'));
  const large = one('content:"|00 01 00 02|"; byte_test:2,>,1000,1,relative;');
  assert.ok(large('|00 01 00 02 00 03 e9|'), '0x03e9 = 1001 > 1000');
  assert.ok(!large('|00 01 00 02 00 03 e8|'), '1000 is not > 1000');
  const lowBit = one('content:"|00 01 00 02|"; byte_test:2,&,0x01,12,relative;');
  assert.ok(lowBit(new Uint8Array([0, 1, 0, 2, ...new Array(12).fill(0), 0x12, 0x35])));
  assert.ok(!lowBit(new Uint8Array([0, 1, 0, 2, ...new Array(12).fill(0), 0x12, 0x34])));
  const str = one('content:"foobar"; byte_test:4,=,1337,1,relative,string,dec;');
  assert.ok(str('foobar 1337'));
  assert.ok(!str('foobar 1338'));
});

test('byte_test: operators, endianness, string bases and bitmask', () => {
  assert.ok(one('byte_test:2,<=,0x0102,0,little;')('|02 01|'));
  assert.ok(!one('byte_test:2,<=,0x0101,0,little;')('|02 01|'));
  assert.ok(one('byte_test:1,>=,5,0;')('|05|'));
  assert.ok(one('byte_test:1,^,5,0;')('|04|'), 'xor non-zero');
  assert.ok(!one('byte_test:1,^,5,0;')('|05|'));
  assert.ok(one('byte_test:1,!&,0xF8,0;')('|07|'), 'none of the high bits set');
  assert.ok(!one('byte_test:1,!&,0xF8,0;')('|08|'));
  assert.ok(one('byte_test:3,=,0xff,0,string,hex;')('0ff'));
  assert.ok(one('byte_test:3,=,8,0,string,oct;')('010'));
  assert.ok(one('byte_test:4,=,26,0,string;')('0x1a'), 'no base: strtoull picks hex from 0x');
  assert.ok(one('byte_test:4,=,12,0,string,dec;')('12ab'), 'digits stop at the first non-digit');
  assert.ok(!one('byte_test:4,=,12,0,string,dec;')('ab12'), 'no digits: no match');
  // bitmask: AND then shift right by the mask's trailing zeros
  assert.ok(one('byte_test:2,=,0x0a,0,bitmask 0x0ff0;')('|00 a5|'));
  assert.ok(one('byte_test:8,=,0xffffffffffffffff,0;')('|ff ff ff ff ff ff ff ff|'), '8-byte values are exact');
});

test('byte_jump: the documentation examples', () => {
  const alice = one('content:"Alice"; byte_jump:2,0; content:"Bob";');
  assert.ok(alice('|00 03|Alice..Bob'));
  // two jumps: 2-byte length at 0, then a 2-byte length after the jump, then foobar right there
  const multi = one('byte_jump:2,0; byte_jump:2,0,relative; content:"foobar"; distance:0; within:6;');
  assert.ok(multi('|00 02|xx|00 01|yfoobar'));
  assert.ok(!multi('|00 02|xx|00 02|yfoobar'), 'a jump one byte too far misses foobar');
  const fromEnd = one('byte_jump:0,0, from_end, post_offset -8; content:"|6c 33 33 74|"; distance:0; within:4;');
  assert.ok(fromEnd('header....l33t1234'));
  assert.ok(!fromEnd('header....l33t12345'));
});

test('byte_jump: multiplier, align, from_beginning, string, bounds', () => {
  // 1 byte = 3, ×2 = 6, cursor after the byte (1) + 6 = 7
  assert.ok(one('byte_jump:1,0,multiplier 2; content:"X"; distance:0; within:1;')('|03|......X'));
  // align rounds 5 up to 8: 1 + 8 = 9
  assert.ok(one('byte_jump:1,0,align; content:"X"; distance:0; within:1;')('|05|........X'));
  assert.ok(one('content:"zz"; byte_jump:1,2,from_beginning; content:"X"; distance:0; within:1;')('zz|04|.X'), 'the value counts from the buffer start');
  assert.ok(one('byte_jump:2,0,string,dec; content:"X"; distance:0; within:1;')('03...X'), 'string: jumps from after the digits');
  assert.ok(one('byte_jump:1,0,post_offset -5; content:"|00|"; depth:1; distance:0;')('|00|'), 'before the start: clamped to 0');
  assert.ok(!one('byte_jump:1,0; content:"x";')('|09|xx'), 'past the end: no match');
  assert.ok(one('byte_jump:1,0; isdataat:!1,relative;')('|02|xx'), 'exactly to the end is allowed');
});

test('byte_extract: the documentation examples', () => {
  const size = one('content:"Alice"; byte_extract:2,0,size; content:"Bob"; distance:size; within:3;');
  // size = 5 read at 0; the cursor is after the 2 extracted bytes, so Bob starts at 2 + 5
  assert.ok(size('|00 05|AliceBob'));
  assert.ok(!size('|00 04|AliceBob'));
  const within = one('content:"|00 FF|"; byte_extract:1,0,len,relative; content:"|5c 00|"; distance:2; within:len;');
  assert.ok(within('|00 FF 04 aa bb 5c 00|'));
  assert.ok(within('|00 FF 02 aa bb 5c 00|'), 'within counts from cursor + distance');
  assert.ok(!within('|00 FF 01 aa bb 5c 00|'), 'within 1 cannot hold two bytes');
  const cmp = one('content:"|00 FF|"; byte_extract:2,0,cmp_ver,relative; content:"FooBar"; distance:0; byte_test:2,=,cmp_ver,0;');
  assert.ok(cmp('|01 02 00 FF 01 02|FooBar'));
  assert.ok(!cmp('|01 03 00 FF 01 02|FooBar'));
});

test('byte_extract: string, multiplier and align; an unset variable never matches', () => {
  assert.ok(one('byte_extract:2,0,n,string,dec,multiplier 2; byte_test:1,=,n,0,relative;')('12|18|'), '12 × 2 = 24 = 0x18');
  assert.ok(one('byte_extract:1,0,n,align 4; byte_test:1,=,n,0,relative;')('|05 08|'));
});

test('isdataat: absolute means a byte at that offset, relative that many bytes after the cursor', () => {
  assert.ok(one('isdataat:512;')(new Uint8Array(513)));
  assert.ok(!one('isdataat:512;')(new Uint8Array(512)));
  const rel = one('content:"PASS"; isdataat:50,relative;');
  assert.ok(rel(enc(`PASS${'x'.repeat(50)}`)));
  assert.ok(!rel(enc(`PASS${'x'.repeat(49)}`)));
  const atEnd = one('content:"foo"; isdataat:!1,relative;');
  assert.ok(atEnd('barfoo'));
  assert.ok(!atEnd('barfoo!'));
  assert.ok(atEnd('foo!barfoo'), 'the later foo is tried when the first has data after it');
});

test('base64_decode and base64_data: the documentation example and the decode bounds', () => {
  const r = one('content:"somestring"; base64_decode:bytes 8, offset 1, relative; base64_data; content:"test";');
  assert.ok(r('GET /somestring?dGVzdA== HTTP/1.1'));
  assert.ok(!r('GET /somestring?dGVzdQ== HTTP/1.1'), '"tesu"');
  assert.ok(!r('GET /somestring?XdGVzdA== HTTP/1.1'), 'offset 1 then 8 bytes: misaligned data decodes to something else');
  const stop = one('base64_decode; base64_data; content:"hello"; depth:5;');
  assert.ok(stop('aGVsbG8gd29ybGQ= trailing'), 'decoding stops at padding / the first byte outside the alphabet');
  assert.ok(!stop('!!!aGVsbG8='), 'nothing decodes at offset 0');
  const unrel = one('content:"x"; base64_decode:bytes 4; base64_data; content:"hi";');
  assert.ok(unrel('aGk=x'), 'without relative it decodes from the start');
});

test('string numbers follow strtoull: blanks, sign, 0x prefix, auto base', () => {
  assert.deepEqual(parseStringNumber(enc('  42x'), 0, 5, 'dec'), { value: 42n, used: 4 });
  assert.deepEqual(parseStringNumber(enc('0x1F'), 0, 4, 'hex'), { value: 31n, used: 4 });
  assert.deepEqual(parseStringNumber(enc('017'), 0, 3, 'auto'), { value: 15n, used: 3 });
  assert.equal(parseStringNumber(enc('zz'), 0, 2, 'dec'), null);
});

const udp: DetectFlow = { id: 'aaaaaaaaaaaa-0', ipVersion: 4, proto: 17, client: Uint8Array.from([10, 0, 0, 1]), server: Uint8Array.from([10, 0, 0, 2]), clientPort: 40000, serverPort: 9999 };

function detector(text: string): { send: (s: string) => void; hits: RuleHit[] } {
  const { rules, report } = loadRules(text, { classes });
  assert.deepEqual(report.skipped, []);
  const hits: RuleHit[] = [];
  const d = new FlowDetector(new RuleSet(rules), udp, new ThresholdState(), (h) => hits.push(h));
  let n = 0;
  return { send: (s) => d.packet(0, enc(s), 0, { tsSec: 1000 + n, tsNsec: 0, packet: n++ }), hits };
}

test('flowint: the documentation counting example alerts from the sixth username on', () => {
  const { send, hits } = detector(
    [
      'alert udp any any -> any any (msg:"Counting Usernames"; content:"jonkman"; flowint: usernamecount, +, 1; noalert; sid:1;)',
      'alert udp any any -> any any (msg:"More than Five Usernames!"; content:"jonkman"; flowint: usernamecount, +, 1; flowint:usernamecount, >, 5; sid:2;)',
    ].join('\n'),
  );
  for (let i = 0; i < 4; i++) send('USER jonkman');
  assert.equal(hits.length, 0, 'two increments per packet: 8 after four, but sid 2 only passes when its own check holds');
  send('USER jonkman');
  assert.ok(hits.length >= 1);
  assert.ok(hits.every((h) => h.rule.sid === 2));
});

test('flowint: set, isset, notset, == against another variable', () => {
  const { send, hits } = detector(
    [
      'alert udp any any -> any any (msg:"set"; content:"GET"; flowint:myvar, notset; flowint:maxvar,notset; flowint:myvar,=,1; flowint: maxvar,=,6; sid:1;)',
      'alert udp any any -> any any (msg:"add"; content:"Unauthorized"; flowint:myvar,isset; flowint: myvar,+,2; sid:2;)',
      'alert udp any any -> any any (msg:"new counter at 3"; content:"Unauthorized"; flowint:myvar, isset; flowint:myvar,==,3; flowint:cntpackets,notset; flowint:cntpackets, =, 0; sid:3;)',
      'alert udp any any -> any any (msg:"count"; flowint:cntpackets,isset; flowint:cntpackets, +, 1; noalert; sid:4;)',
      'alert udp any any -> any any (msg:"reach max"; flowint: cntpackets, isset; flowint: maxvar,isset; flowint: cntpackets, ==, maxvar; sid:5;)',
    ].join('\n'),
  );
  send('Unauthorized');
  assert.deepEqual(hits.map((h) => h.rule.sid), [], 'myvar is not set yet');
  send('GET');
  send('GET');
  assert.deepEqual(hits.map((h) => h.rule.sid), [1], 'set only once (notset)');
  send('Unauthorized');
  // rules run in file order: sid 2 makes myvar 3, sid 3 then sees 3 and starts cntpackets at 0,
  // sid 4 counts this packet (1)
  assert.deepEqual(hits.map((h) => h.rule.sid), [1, 2, 3]);
  send('Unauthorized');
  assert.deepEqual(hits.map((h) => h.rule.sid), [1, 2, 3, 2], 'myvar 5: sid 3 does not fire again (cntpackets is set)');
  for (let i = 0; i < 3; i++) send('x');
  assert.ok(!hits.some((h) => h.rule.sid === 5), 'cntpackets 5');
  send('x');
  assert.equal(hits.filter((h) => h.rule.sid === 5).length, 1, 'cntpackets reaches maxvar 6');
  send('x');
  assert.equal(hits.filter((h) => h.rule.sid === 5).length, 1, '7 is not 6');
});
