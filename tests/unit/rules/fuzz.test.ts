/**
 * Fuzzing (fast-check): the rule loader on random and mutated rule text never throws and always
 * accounts for every rule; the matcher on random payloads never throws and agrees with a naive
 * reference for single contents; the app-layer parsers (HTTP, TLS, DNS) survive random bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseClassification } from '../../../common/rules/classification.js';
import { loadRules } from '../../../common/rules/load-rules.js';
import { BufferText, findBytes, matchBuffer } from '../../../common/rules/pattern-match.js';
import { translatePcre } from '../../../common/rules/pcre-translate.js';
import { FlowAppLayer } from '../../../common/discovery/app-layer.js';
import { parseDnsMessage } from '../../../common/discovery/dns-message.js';
import { certificateNames } from '../../../common/discovery/x509-names.js';
import { DEFAULT_CLASSIFICATION_PATH, DEFAULT_RULES_PATH } from '../../../node/rules/rule-files.js';

const classes = parseClassification(readFileSync(DEFAULT_CLASSIFICATION_PATH, 'utf8'));
const seedRules = readFileSync(new URL('./all-keywords.rules', import.meta.url), 'utf8') + readFileSync(DEFAULT_RULES_PATH, 'utf8');
const seedLines = seedRules.split('\n').filter((l) => l.startsWith('alert') || l.startsWith('drop'));
const TOKENS = ['(', ')', ';', ':', '"', '\\', '|', '!', '[', ']', ',', '$HOME_NET', 'any', '->', '<>', 'content:', 'pcre:"/', '/i"', 'sid:', 'flowbits:', 'threshold:', '00', 'ff', ' ', '\n'];

test('loader: mutated real rules never throw and every rule is loaded or skipped', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...seedLines),
      fc.array(fc.tuple(fc.nat(400), fc.nat(40), fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 }))), { maxLength: 6 }),
      (line, edits) => {
        let s = line;
        for (const [at, del, ins] of edits) {
          const p = at % (s.length + 1);
          s = s.slice(0, p) + ins + s.slice(p + (del % 4));
        }
        const r = loadRules(s, { classes });
        assert.ok(r.report.loaded + r.report.skipped.length <= 1 + (s.match(/\\\n/g)?.length ?? 0) + s.split('\n').length);
        for (const rule of r.rules) assert.ok(rule.sid >= 0);
      },
    ),
    { numRuns: 3000 },
  );
});

test('loader: random text never throws', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      loadRules(`alert tcp any any -> any any (${s}`, { classes });
      loadRules(s, { classes });
    }),
    { numRuns: 2000 },
  );
});

test('pcre translation: random patterns give a RegExp or a reason, never a throw', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), fc.constantFrom('', 'i', 'smi', 'R', 'x', 'U', 'G', 'Q'), (p, flags) => {
      const t = translatePcre(`"/${p}/${flags}"`);
      assert.ok('error' in t ? typeof t.error === 'string' : t.re instanceof RegExp);
    }),
    { numRuns: 3000 },
  );
});

test('matcher: a single content (any case mode) agrees with a naive search', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.boolean(), (buf, pat, nocase) => {
      const fold = (b: Uint8Array): Uint8Array => b.map((c) => (nocase && c >= 65 && c <= 90 ? c | 32 : c));
      const p = fold(pat);
      const got = findBytes(buf, p, nocase, 0, buf.length);
      const hay = fold(buf);
      let want = -1;
      for (let i = 0; i + p.length <= hay.length && want < 0; i++) if (p.every((c, j) => hay[i + j] === c)) want = i;
      assert.equal(got, want);
    }),
    { numRuns: 3000 },
  );
});

test('matcher: every rule of the keyword file on random payloads never throws', () => {
  const { rules } = loadRules(seedRules, { classes });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (buf) => {
      const t = new BufferText(buf);
      for (const r of rules) matchBuffer(r.matches, t);
    }),
    { numRuns: 300 },
  );
});

test('app-layer parsers: random stream bytes and datagrams never throw', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(0 as const, 1 as const), fc.uint8Array({ maxLength: 300 }), fc.nat(3)), { maxLength: 12 }),
      fc.constantFrom('GET / HTTP/1.1\r\n', 'HTTP/1.1 200 OK\r\n', '\x16\x03\x01', 'SSH-2.0-x\r\n', ''),
      (chunks, prefix) => {
        const app = new FlowAppLayer('tcp', 53, 40000, { firstLine: () => undefined, dns: () => undefined });
        const off = [0, 0];
        let i = 0;
        for (const [dir, data, gap] of chunks) {
          const d = i++ === 0 ? Uint8Array.from([...new TextEncoder().encode(prefix), ...data]) : data;
          app.onData({ dir, offset: off[dir], data: d, gapBefore: gap === 3 ? 5 : 0, tsSec: 0, tsNsec: 0, packet: i });
          off[dir] += d.length;
        }
        app.finish();
        for (const [, data] of chunks) {
          parseDnsMessage(data);
          certificateNames(data);
        }
      },
    ),
    { numRuns: 1500 },
  );
});

test('matcher: byte_test/byte_jump/byte_extract/isdataat/base64 rules on random payloads never throw', () => {
  const cursorRules = loadRules(
    [
      'alert tcp any any -> any any (content:"|00|"; byte_extract:1,0,n,relative; byte_jump:n,0,relative,post_offset -3; byte_test:2,>,n,-1,relative; isdataat:!n,relative; sid:1;)',
      'alert tcp any any -> any any (byte_jump:4,0,string,from_end,multiplier 65535,align; isdataat:0,relative; sid:2;)',
      'alert tcp any any -> any any (content:"A"; base64_decode:relative; base64_data; content:"a"; byte_test:1,&,1,0,relative; sid:3;)',
      'alert tcp any any -> any any (byte_extract:2,0,len,little; content:"x"; offset:len; depth:len; byte_test:8,!^,0xff,0,bitmask 0xff00; sid:4;)',
    ].join('\n'),
    { classes },
  ).rules;
  assert.equal(cursorRules.length, 4);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (payload) => {
      for (const r of cursorRules) matchBuffer(r.matches, new BufferText(payload));
    }),
    { numRuns: 3000 },
  );
});
