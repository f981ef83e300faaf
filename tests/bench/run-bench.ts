/**
 * Benchmark runner: `node --import tsx tests/bench/run-bench.ts [suite...]` (all suites when
 * none is named). `npm run bench` builds first. Benchmarks report figures and ratios against
 * reference tools; they never fail on a missed target, only on harness errors.
 *
 * Env: BENCH_SIZE (capture size, default 2G; e.g. 200M for a quick run), BENCH_SEED (default 1),
 * plus suite-specific knobs documented in each suite.
 */
import { envInt, envString } from './lib/env.js';
import { parseSize } from './lib/size.js';
import type { Suite, SuiteContext } from './lib/suite.js';
import { captureSuite } from './suites/capture.js';
import { logsSuite } from './suites/logs.js';
import { rulesSuite } from './suites/rules.js';
import { storeSuite } from './suites/store.js';
import { liveStoreSuite } from './suites/live-store.js';
import { carveSuite } from './suites/carve.js';
import { uiSuite } from './suites/ui.js';

/** Registered suites, in the order a full run executes them. */
const SUITES: readonly Suite[] = [storeSuite, liveStoreSuite, captureSuite, carveSuite, rulesSuite, logsSuite, uiSuite];

async function main(): Promise<number> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`usage: run-bench.ts [suite...]\nsuites:\n${SUITES.map((s) => `  ${s.name.padEnd(10)} ${s.description}`).join('\n')}\n`);
    return 0;
  }
  const unknown = names.filter((n) => !SUITES.some((s) => s.name === n));
  if (unknown.length) {
    process.stderr.write(`unknown suite(s): ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const selected = names.length ? SUITES.filter((s) => names.includes(s.name)) : SUITES;
  const sizeText = envString('BENCH_SIZE', '2G');
  const ctx: SuiteContext = { sizeText, size: parseSize(sizeText), seed: envInt('BENCH_SEED', 1) };
  let status = 0;
  for (const suite of selected) {
    const t0 = performance.now();
    try {
      await suite.run(ctx);
      process.stdout.write(`\n[${suite.name}] done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    } catch (e) {
      // A harness error in one suite should not hide the others' results.
      process.stderr.write(`\n[${suite.name}] harness error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      status = 1;
    }
  }
  return status;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
