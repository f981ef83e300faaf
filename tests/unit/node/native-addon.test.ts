/**
 * loadNativeAddon: one load per process, but each caller's check of the exports applies: two
 * callers of one addon (the capture source and the segment writer share tapline_capture) each
 * get their own verdict, whatever the other asked first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNativeAddon, nativeAddonPath } from '../../../node/native/native-addon.js';

const built = nativeAddonPath('flow-index', 'tapline_flow_index') !== null && process.env.TAPLINE_NATIVE !== '0';
const skip = built ? undefined : 'flow-index addon not built (npm run build:native) or TAPLINE_NATIVE=0';

test("a second caller's check of an addon already loaded still decides for that caller", { skip }, () => {
  const hasRun = (m: unknown): m is { run: unknown } => typeof (m as Record<string, unknown>).run === 'function';
  const hasNoSuch = (m: unknown): m is { noSuch: unknown } => typeof (m as Record<string, unknown>).noSuch === 'function';
  const first = loadNativeAddon('flow-index', 'tapline_flow_index', hasRun);
  assert.equal(first.ok, true, first.ok ? '' : first.reason);
  const second = loadNativeAddon('flow-index', 'tapline_flow_index', hasNoSuch);
  assert.equal(second.ok, false);
  if (!second.ok) assert.match(second.reason, /unexpected interface/);
  const again = loadNativeAddon('flow-index', 'tapline_flow_index', hasRun);
  assert.equal(again.ok, true, 'the failed check did not spoil the load for others');
  if (first.ok && again.ok) assert.equal(again.addon, first.addon, 'loaded once: the same exports');
});
