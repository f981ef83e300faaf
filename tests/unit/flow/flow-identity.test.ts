/**
 * The index stores FNV-1a of each flow's Community ID, computed without building the string:
 * it must equal fnv1a(flowCommunityId(...)) (what a query by Community ID hashes) for any flow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { flowCommunityId, flowCommunityIdFnv } from '../../../common/flow/flow-identity.js';
import { fnv1a } from '../../../common/index/index-format.js';
import { communityId } from '../../../common/packet/community-id.js';

test('flowCommunityIdFnv equals the FNV-1a of the Community ID string for any flow', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(4, 6, 0),
      fc.constantFrom(6, 17, 1, 58, 132, 47),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.boolean(),
      fc.nat(65535),
      fc.nat(65535),
      fc.integer({ min: -1, max: 255 }),
      fc.integer({ min: -1, max: 255 }),
      (v, proto, client, server, hasPorts, cp, sp, icmpType, icmpCode) => {
        const cid = flowCommunityId(v, proto, client, server, hasPorts, cp, sp, icmpType, icmpType < 0 ? -1 : Math.max(icmpCode, 0));
        const h = flowCommunityIdFnv(v, proto, client, server, hasPorts, cp, sp, icmpType, icmpType < 0 ? -1 : Math.max(icmpCode, 0));
        assert.equal(h, cid === null ? 0 : fnv1a(cid));
      },
    ),
    { numRuns: 2000, seed: 3 },
  );
});

test('the per-flow Community ID still matches the specification example', () => {
  // corelight/community-id-spec baseline: TCP 128.232.110.120:34855 -> 66.35.250.204:80
  assert.equal(communityId(4, 6, new Uint8Array([128, 232, 110, 120]), new Uint8Array([66, 35, 250, 204]), 34855, 80), '1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
  assert.equal(flowCommunityId(4, 6, new Uint8Array([128, 232, 110, 120]), new Uint8Array([66, 35, 250, 204]), true, 34855, 80, -1, -1), '1:LQU9qZlK+B5F3KDmev6m5PMibrg=');
});

test('flowCommunityIdFnv gives the same value for a flow seen again after many others', () => {
  // 20 000 distinct IPv4 and IPv6 flows, then all of them again in another order: every answer
  // equals the hash of the Community ID string (no state carried from one flow to the next)
  const flows: [number, number, Uint8Array, Uint8Array, number, number][] = [];
  for (let i = 0; i < 20_000; i++) {
    const v = i % 3 === 0 ? 6 : 4;
    const c = new Uint8Array(16);
    const s = new Uint8Array(16);
    c[0] = 10;
    c[1] = (i >> 8) & 255;
    c[2] = i & 255;
    s[0] = 192;
    s[3] = i % 7;
    flows.push([v, i % 2 ? 6 : 17, c, s, 1024 + (i % 50_000), 80 + (i % 5)]);
  }
  const expected = flows.map(([v, p, c, s, cp, sp]) => fnv1a(flowCommunityId(v, p, c, s, true, cp, sp, -1, -1) as string));
  for (const order of [flows.map((_, i) => i), flows.map((_, i) => flows.length - 1 - i), flows.map((_, i) => (i * 7919) % flows.length)]) {
    for (const i of order) {
      const [v, p, c, s, cp, sp] = flows[i];
      assert.equal(flowCommunityIdFnv(v, p, c, s, true, cp, sp, -1, -1), expected[i]);
    }
  }
});
