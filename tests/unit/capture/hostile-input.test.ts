/**
 * Hostile input: random bytes and mutated captures (flipped bytes, random truncation) must only
 * ever produce CaptureFormatError, finish promptly, and never deliver a record outside the file.
 * Seeded PRNG, bounded case count: failures are reproducible from the printed seed/case.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createCaptureParser } from '../../../common/capture/capture-parser.js';
import { CaptureFormatError } from '../../../common/capture/capture-types.js';
import { corpusAvailable, corpusCaptures, parseInChunks, prng, readCapture } from './capture-test-helpers.js';
import { buildMixedPcapng, buildPcap } from './capture-fixtures.js';

/** Parses `bytes` in `chunk`-sized pieces; returns the error (CaptureFormatError) or null. */
function parseHostile(bytes: Uint8Array, chunk: number, label: string): CaptureFormatError | null {
  let packets = 0;
  const parser = createCaptureParser({
    onFileInfo: () => undefined,
    onInterface: () => undefined,
    onPacket: (r) => {
      packets++;
      // Everything delivered must lie inside the input and be self-consistent.
      assert.ok(r.recordOffset >= 0 && r.recordOffset + r.recordLength <= bytes.length, `${label}: record inside file`);
      assert.ok(r.dataOffset >= r.recordOffset && r.dataOffset + r.capLen <= r.recordOffset + r.recordLength, `${label}: data inside record`);
      assert.equal(r.data.length, r.capLen, `${label}: data length`);
      assert.deepEqual(r.buffer?.subarray(r.bufferOffset, (r.bufferOffset ?? 0) + r.capLen), r.data, `${label}: buffer view`);
      assert.ok(r.tsNsec >= 0 && r.tsNsec < 1e9 && Number.isInteger(r.tsNsec), `${label}: tsNsec range`);
    },
  });
  try {
    for (let at = 0; at < bytes.length; at += chunk) parser.push(bytes.subarray(at, at + chunk));
    parser.end();
    assert.ok(packets >= 0);
    return null;
  } catch (e) {
    if (e instanceof CaptureFormatError) {
      assert.ok(e.offset >= 0 && e.offset <= bytes.length, `${label}: error offset ${e.offset} within file`);
      return e;
    }
    throw new Error(`${label}: threw a non-CaptureFormatError: ${String(e)}`, { cause: e });
  }
}

const MAGICS = [
  [0xd4, 0xc3, 0xb2, 0xa1],
  [0xa1, 0xb2, 0xc3, 0xd4],
  [0x4d, 0x3c, 0xb2, 0xa1],
  [0x34, 0xcd, 0xb2, 0xa1],
  [0x0a, 0x0d, 0x0d, 0x0a],
];

test('random bytes, with and without a valid magic, only ever raise CaptureFormatError', { timeout: 60_000 }, () => {
  const rand = prng(0xbadf00d);
  for (let c = 0; c < 1500; c++) {
    const n = Math.floor(rand() * 3000);
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = Math.floor(rand() * 256);
    if (c % 2 === 0 && n >= 4) bytes.set(MAGICS[c % MAGICS.length], 0);
    if (c % 10 === 0 && n >= 12) bytes.set([0x4d, 0x3c, 0x2b, 0x1a], 8); // plausible pcapng byte-order magic
    parseHostile(bytes, 1 + Math.floor(rand() * 700), `random case ${c}`);
  }
});

test('corpus and synthetic captures with flipped bytes or cut at random points only raise CaptureFormatError', { timeout: 120_000 }, () => {
  const sources: [string, Uint8Array][] = [
    ['synthetic.pcap', buildPcap({ packets: 30, seed: 8 })],
    ['synthetic.pcapng', buildMixedPcapng()],
  ];
  if (corpusAvailable()) {
    for (const name of corpusCaptures()) {
      const b = readCapture(name);
      if (b.length > 0 && b.length < 100_000) sources.push([name, b]);
    }
  }
  const rand = prng(0x5eed);
  let errors = 0;
  let cases = 0;
  for (const [name, original] of sources) {
    for (let c = 0; c < 12; c++) {
      const bytes = original.slice();
      const flips = 1 + Math.floor(rand() * 8);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(rand() * Math.min(bytes.length, c % 3 === 0 ? 64 : bytes.length));
        bytes[at] = c % 4 === 0 ? 0xff : bytes[at] ^ (1 << Math.floor(rand() * 8));
      }
      const cut = c % 2 === 0 ? bytes.length : Math.floor(rand() * bytes.length);
      const label = `${name} case ${c}`;
      if (parseHostile(bytes.subarray(0, cut), 1 + Math.floor(rand() * 5000), label) !== null) errors++;
      cases++;
    }
  }
  // The mutations must actually exercise error paths.
  assert.ok(errors > cases / 4, `${errors} of ${cases} mutated cases raised an error`);
});

test('a huge claimed record length at the end of a small file does not allocate or hang', () => {
  const bytes = buildPcap({ packets: 1, seed: 1 });
  const bad = new Uint8Array(bytes.length + 16);
  bad.set(bytes);
  new DataView(bad.buffer).setUint32(bytes.length + 8, 200 * 1024 * 1024, true);
  const t0 = Date.now();
  const e = parseHostile(bad, 1, 'huge caplen');
  assert.match(e?.message ?? '', /truncated record: needs 209715216 bytes, 16 available/);
  assert.ok(Date.now() - t0 < 2000);
});

test('on mutated captures, 3-byte chunks and whole-file pushes deliver the same records and the same error', { timeout: 120_000 }, () => {
  const rand = prng(0xc0ffee);
  const sources: Uint8Array[] = [buildPcap({ packets: 12, seed: 3 }), buildMixedPcapng()];
  if (corpusAvailable()) {
    for (const name of corpusCaptures()) {
      const b = readCapture(name);
      if (b.length > 0 && b.length < 8_000) sources.push(b);
    }
  }
  for (const [k, original] of sources.entries()) {
    for (let c = 0; c < 6; c++) {
      const bytes = original.slice(0, Math.max(1, Math.floor(original.length * (0.5 + rand() / 2))));
      for (let f = 0; f < 3; f++) bytes[Math.floor(rand() * bytes.length)] ^= 1 << Math.floor(rand() * 8);
      const small = parseInChunks(bytes, 3);
      const whole = parseInChunks(bytes, bytes.length);
      assert.deepEqual(small.records, whole.records, `source ${k} case ${c}: records`);
      assert.equal(small.error?.message, whole.error?.message, `source ${k} case ${c}: error`);
      assert.equal(small.consumed, whole.consumed, `source ${k} case ${c}: consumed`);
    }
  }
});
