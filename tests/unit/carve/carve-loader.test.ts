/**
 * The carve command's bundle is used only while it is current: bundleProblem says why not when
 * the bundle or its input list is missing, an input is gone or newer than the bundle, or the
 * environment turns it off; its code cache only for the exact source it was made for
 * (electron/cli/carve-loader.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createHash } from 'node:crypto';
import { bundleProblem, compileBundle } from '../../../electron/cli/carve-loader.js';

function layout(t: { after: (fn: () => void) => void }): { bundle: URL; inputs: URL; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tl-carve-loader-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'cli'));
  mkdirSync(join(dir, 'carve'));
  writeFileSync(join(dir, 'carve', 'a.js'), 'export {};');
  writeFileSync(join(dir, 'cli', 'b.js'), 'export {};');
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(dir, 'carve', 'a.js'), old, old);
  utimesSync(join(dir, 'cli', 'b.js'), old, old);
  writeFileSync(join(dir, 'cli', 'bundle.js'), 'export {};');
  writeFileSync(join(dir, 'cli', 'bundle.inputs.json'), JSON.stringify({ inputs: ['../carve/a.js', './b.js'] }));
  return { bundle: pathToFileURL(join(dir, 'cli', 'bundle.js')), inputs: pathToFileURL(join(dir, 'cli', 'bundle.inputs.json')), dir };
}

test('a bundle newer than every input it lists is current', (t) => {
  const { bundle, inputs } = layout(t);
  assert.equal(bundleProblem(bundle, inputs), null);
});

test('an input rebuilt after the bundle makes it stale', (t) => {
  const { bundle, inputs, dir } = layout(t);
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(dir, 'carve', 'a.js'), later, later);
  assert.equal(bundleProblem(bundle, inputs), 'bundle older than ../carve/a.js');
});

test('a missing bundle, input list or input is not used', (t) => {
  const { bundle, inputs, dir } = layout(t);
  rmSync(join(dir, 'cli', 'b.js'));
  assert.equal(bundleProblem(bundle, inputs), 'bundle input missing: ./b.js');
  writeFileSync(join(dir, 'cli', 'bundle.inputs.json'), '{"inputs": 3}');
  assert.equal(bundleProblem(bundle, inputs), 'bundle input list unreadable');
  rmSync(join(dir, 'cli', 'bundle.inputs.json'));
  assert.equal(bundleProblem(bundle, inputs), 'no bundle');
  assert.equal(bundleProblem(new URL('./none.js', bundle), inputs), 'no bundle');
});

test('TAPLINE_CARVE_BUNDLE=0 turns the bundle off', (t) => {
  const { bundle, inputs } = layout(t);
  const before = process.env.TAPLINE_CARVE_BUNDLE;
  t.after(() => {
    if (before === undefined) delete process.env.TAPLINE_CARVE_BUNDLE;
    else process.env.TAPLINE_CARVE_BUNDLE = before;
  });
  process.env.TAPLINE_CARVE_BUNDLE = '0';
  assert.equal(bundleProblem(bundle, inputs), 'TAPLINE_CARVE_BUNDLE=0');
});

test('a code cache is used only for the source it was made for, never for another of the same length', () => {
  const a = 'module.exports = { f: () => 1 + 1 };';
  const b = 'module.exports = { f: () => 2 + 2 };';
  assert.equal(a.length, b.length);
  // a file name per compile: V8 would otherwise reuse the isolate's own compilation of the same source
  let n = 0;
  const name = (): string => `/nowhere/bundle-${n++}.cjs`;
  const { script } = compileBundle(name(), a, null);
  const cache = Buffer.concat([createHash('sha256').update(a).digest(), script.createCachedData()]);
  assert.equal(compileBundle(name(), a, cache).cached, true);
  assert.equal(compileBundle(name(), b, cache).cached, false);
  // a cache V8 rejects (its header damaged) or too short to name a source: compiled from source
  const damaged = Buffer.from(cache);
  damaged.fill(7, 36);
  assert.equal(compileBundle(name(), a, damaged).cached, false);
  assert.equal(compileBundle(name(), a, Buffer.alloc(3)).cached, false);
});
