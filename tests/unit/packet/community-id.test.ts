import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { communityId, parseIp } from '../../../common/packet/community-id.js';
import type { CommunityIdOptions } from '../../../common/packet/community-id.js';
import { corpusPresent as corpusAvailable, corpusDir } from '../../helpers/corpus.js';

interface BaselineVector {
  proto: number;
  saddr: string;
  daddr: string;
  sport?: number | null;
  dport?: number | null;
  communityid: string;
}

function ip(text: string): { version: 4 | 6; bytes: Uint8Array } {
  const parsed = parseIp(text);
  assert.ok(parsed, `unparsable address ${text}`);
  return parsed;
}

/** Computes the ID of a vector the way a caller would: ICMP type/code or ports, -1 when absent. */
function idOf(v: BaselineVector, opts?: CommunityIdOptions): string {
  const s = ip(v.saddr);
  const d = ip(v.daddr);
  return communityId(s.version, v.proto, s.bytes, d.bytes, v.sport ?? -1, v.dport ?? -1, opts);
}

const baselines: Array<[string, CommunityIdOptions | undefined]> = [
  ['deflt', undefined],
  ['seed1', { seed: 1 }],
  ['nob64', { base64: false }],
];

for (const [name, opts] of baselines) {
  test(`community ID matches every vector of the spec baseline_${name}.json`, (t) => {
    if (!corpusAvailable) {
      t.skip(`corpus not found at ${corpusDir}`);
      return;
    }
    const file = resolve(corpusDir, 'oracles/community-id-spec__combined.pcap', `community-id-spec__baseline_${name}.json`);
    const vectors = JSON.parse(readFileSync(file, 'utf8')) as BaselineVector[];
    assert.ok(vectors.length >= 20, 'baseline unexpectedly small');
    const protos = new Set(vectors.map((v) => v.proto));
    for (const p of [1, 6, 17, 58, 132, 46]) assert.ok(protos.has(p), `baseline lacks protocol ${p}`);
    for (const v of vectors) assert.equal(idOf(v, opts), v.communityid, JSON.stringify(v));
  });
}

const A = ip('10.0.0.1').bytes;
const B = ip('127.0.0.1').bytes;

test('community ID is the same for both directions of a TCP flow (spec README example)', () => {
  const fwd = communityId(4, 6, A, B, 1234, 80);
  assert.equal(fwd, communityId(4, 6, B, A, 80, 1234));
  assert.match(fwd, /^1:[A-Za-z0-9+/]{27}=$/);
});

test('community ID orders equal addresses by port', () => {
  assert.equal(communityId(4, 17, A, A, 5000, 53), communityId(4, 17, A, A, 53, 5000));
});

test('community ID of an ICMP echo request equals that of its reply in the other direction', () => {
  assert.equal(communityId(4, 1, A, B, 8, 0), communityId(4, 1, B, A, 0, 0));
  assert.equal(communityId(6, 58, ip('fe80::1').bytes, ip('fe80::2').bytes, 128, 0), communityId(6, 58, ip('fe80::2').bytes, ip('fe80::1').bytes, 129, 0));
});

test('community ID keeps one-way ICMP messages directional (no endpoint reordering)', () => {
  // Destination unreachable (3) has no counterpart: the two directions hash differently.
  assert.notEqual(communityId(4, 1, A, B, 3, 3), communityId(4, 1, B, A, 3, 3));
});

test('community ID hashes no ports for protocols without ports, and the seed changes it', () => {
  const gre = communityId(4, 47, A, B, -1, -1);
  assert.equal(gre, communityId(4, 47, B, A, -1, -1));
  assert.notEqual(gre, communityId(4, 47, A, B, 0, 0));
  assert.notEqual(gre, communityId(4, 47, A, B, -1, -1, { seed: 1 }));
});

test('community ID hex output is the 40-digit SHA-1 of the same input as the base64 form', () => {
  const hex = communityId(4, 6, A, B, 1234, 80, { base64: false });
  const b64 = communityId(4, 6, A, B, 1234, 80);
  assert.match(hex, /^1:[0-9a-f]{40}$/);
  assert.equal(Buffer.from(hex.slice(2), 'hex').toString('base64'), b64.slice(2));
});

test('community ID uses only the first 4 bytes of a 16-byte buffer for IPv4', () => {
  const padded = new Uint8Array(16);
  padded.set(A);
  padded.fill(0xee, 4);
  assert.equal(communityId(4, 6, padded, B, 1, 2), communityId(4, 6, A, B, 1, 2));
});

test('community ID rejects out-of-range ports, seeds, protocols, short addresses and a single port', () => {
  assert.throws(() => communityId(4, 6, A, B, 70000, 1), RangeError);
  assert.throws(() => communityId(4, 6, A, B, 1, 2, { seed: 65536 }), RangeError);
  assert.throws(() => communityId(4, 256, A, B, 1, 2), RangeError);
  assert.throws(() => communityId(6, 6, A, B, 1, 2), RangeError);
  assert.throws(() => communityId(4, 6, A, B, 1, -1), RangeError);
});
