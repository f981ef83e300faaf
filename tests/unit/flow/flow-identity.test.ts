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
