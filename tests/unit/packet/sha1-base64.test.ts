import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { sha1 } from '../../../common/packet/sha1.js';
import { base64Encode } from '../../../common/packet/base64.js';
import { bytesToHex } from '../../../common/packet/hex.js';

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

test('sha1 of the empty message is the FIPS 180 digest', () => {
  assert.equal(bytesToHex(sha1(new Uint8Array(0))), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
});

test('sha1 of "abc" is the FIPS 180 one-block digest', () => {
  assert.equal(bytesToHex(sha1(ascii('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
});

test('sha1 of the 448-bit message spills the length into a second block', () => {
  const m = ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
  assert.equal(bytesToHex(sha1(m)), '84983e441c3bd26ebaae4aa1f95129e5e54670f1');
});

test('sha1 of the 896-bit message matches the FIPS 180 two-block digest', () => {
  const m = ascii(
    'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
  );
  assert.equal(bytesToHex(sha1(m)), 'a49b2446a02c645bf419f995b67091253a04a259');
});

test('sha1 of one million "a" is the FIPS 180 long-message digest', () => {
  assert.equal(bytesToHex(sha1(new Uint8Array(1_000_000).fill(0x61))), '34aa973cd4c4daa4f61eeb2bdbad27316534016f');
});

test('sha1 is correct at the 55/56/64-byte padding boundaries', () => {
  assert.equal(bytesToHex(sha1(new Uint8Array(55).fill(0x61))), 'c1c8bbdc22796e28c0e15163d20899b65621d65a');
  assert.equal(bytesToHex(sha1(new Uint8Array(56).fill(0x61))), 'c2db330f6083854c99d4b5bfb6e8f29f201be699');
  assert.equal(bytesToHex(sha1(new Uint8Array(64).fill(0x61))), '0098ba824b5c16427bd7a1122a5a442a25ec644d');
});

test('sha1 equals node:crypto for every length 0..300 of pseudo-random bytes', () => {
  let x = 12345;
  for (let n = 0; n <= 300; n++) {
    const m = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      m[i] = x >>> 24;
    }
    assert.equal(bytesToHex(sha1(m)), createHash('sha1').update(m).digest('hex'), `length ${n}`);
  }
});

test('base64 equals Buffer.toString("base64") for every length 0..64', () => {
  const m = Uint8Array.from({ length: 64 }, (_, i) => (i * 97 + 13) & 0xff);
  for (let n = 0; n <= 64; n++) assert.equal(base64Encode(m.subarray(0, n)), Buffer.from(m.subarray(0, n)).toString('base64'));
});

test('base64 encodes the RFC 4648 test vectors with padding', () => {
  const cases: Array<[string, string]> = [
    ['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy'],
  ];
  for (const [input, expected] of cases) assert.equal(base64Encode(ascii(input)), expected, input);
});

test('base64 uses + and / for the top of the alphabet', () => {
  assert.equal(base64Encode(Uint8Array.from([0xfb, 0xff, 0xbf])), '+/+/');
  assert.equal(base64Encode(Uint8Array.from([0, 0, 0])), 'AAAA');
});

test('hex renders bytes as lowercase two-digit pairs', () => {
  assert.equal(bytesToHex(Uint8Array.from([0, 1, 0xab, 0xff])), '0001abff');
});
