import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipToString, parseIp } from '../../../common/packet/community-id.js';

function v6(text: string): Uint8Array {
  const p = parseIp(text);
  assert.ok(p && p.version === 6, `not IPv6: ${text}`);
  return p.bytes;
}

test('ipToString renders IPv4 as a dotted quad', () => {
  assert.equal(ipToString(4, Uint8Array.from([192, 0, 2, 255])), '192.0.2.255');
});

test('ipToString renders IPv6 in RFC 5952 canonical form', () => {
  const cases: Array<[string, string]> = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first run wins a tie
    ['FE80:0:0:0:0200:86FF:FE05:80DA', 'fe80::200:86ff:fe05:80da'], // lowercase, no leading zeros
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // IPv4-mapped keeps the dotted tail (§5)
    ['ff02::1:ff00:1', 'ff02::1:ff00:1'],
  ];
  for (const [input, expected] of cases) assert.equal(ipToString(6, v6(input)), expected, input);
});

test('parseIp accepts IPv4 and the IPv6 text forms of RFC 4291', () => {
  assert.deepEqual(parseIp('10.1.12.255'), { version: 4, bytes: Uint8Array.from([10, 1, 12, 255]) });
  assert.deepEqual(parseIp('0.0.0.0')?.bytes, new Uint8Array(4));
  assert.deepEqual(v6('::'), new Uint8Array(16));
  assert.equal(ipToString(6, v6('1:2:3:4:5:6:7::')), '1:2:3:4:5:6:7:0');
  assert.equal(ipToString(6, v6('::2:3:4:5:6:7:8')), '0:2:3:4:5:6:7:8');
  assert.equal(ipToString(6, v6('1:2:3:4:5:6:1.2.3.4')), '1:2:3:4:5:6:102:304');
  assert.equal(ipToString(6, v6('::1.2.3.4')), '::102:304');
  assert.equal(ipToString(6, v6('ABCD:EF01::')), 'abcd:ef01::');
});

test('parseIp rejects malformed and non-canonical-risk input', () => {
  const bad = [
    '', ' 10.0.0.1', '10.0.0.1 ', '10.0.0', '10.0.0.1.2', '256.0.0.1', '01.2.3.4', '1.2.3.-4', '1.2.3.4/24', '0x1.2.3.4',
    ':', ':::', '1:::2', '1::2::3', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8', '12345::', 'g::', 'fe80::1%eth0', '[::1]', '1.2.3.4::', '::1.2.3', '::1.2.3.4:5',
  ];
  for (const text of bad) assert.equal(parseIp(text), null, JSON.stringify(text));
});

test('parseIp and ipToString round-trip canonical IPv6 text', () => {
  for (const text of ['2001:db8::1', 'fe80::200:86ff:fe05:80da', '::', '::1', '3ffe:507:0:1:200:86ff:fe05:80da']) {
    assert.equal(ipToString(6, v6(text)), text);
  }
});

test('IPv4 text parses exactly as the dotted-quad grammar says (four dec-octets, no leading zeros), also inside IPv6', async () => {
  const fc = (await import('fast-check')).default;
  // the grammar as a regular expression: the reference the hand-written scanner must equal
  const grammar = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;
  for (const t of ['0.0.0.0', '255.255.255.255', '192.0.2.1', '01.2.3.4', '1.2.3.256', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', '１.2.3.4', '', '1.2.3.0004', '00.0.0.0']) {
    const p = parseIp(t);
    assert.equal(p !== null, grammar.test(t), t);
    if (p) assert.deepEqual([...p.bytes], t.split('.').map(Number), t);
  }
  const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^[0-9]{0,4}$/), fc.constantFrom('', '00', '-1', 'a', ' 1'));
  fc.assert(
    fc.property(fc.array(octet, { minLength: 1, maxLength: 6 }), (parts) => {
      const t = parts.join('.');
      const p = parseIp(t);
      assert.equal(p !== null, grammar.test(t), t);
      if (p) assert.deepEqual([...p.bytes], parts.map(Number));
      // with a dot, the last IPv6 group is an IPv4 tail (without one it is a hex group)
      if (t.includes('.')) assert.equal(parseIp(`::ffff:${t}`) !== null, grammar.test(t), `::ffff:${t}`);
    }),
    { numRuns: 5000 },
  );
});
