/**
 * Reading flows back from a store: every TCP/UDP flow followed (oldest first, one at a time),
 * then a `detect` pass with no rules; prints wall MB/s of capture and process CPU, which is the
 * steadier figure on a shared machine. SRC selects the source tree, so an older checkout (e.g.
 * `git archive <commit> | tar -x -C bench-data/base-src`) can be measured against the same store.
 * Run: node --import tsx tests/bench/micro/flow-readback.bench.ts STORE_DIR [SRC_ROOT]
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';

interface Chunk {
  data: Uint8Array;
}
interface FlowLike {
  record: { hasPorts: boolean; proto: number };
}

const [storeDir, srcArg] = process.argv.slice(2);
if (!storeDir) throw new Error('usage: flow-readback.bench.ts STORE_DIR [SRC_ROOT]');
const src = resolve(srcArg ?? new URL('../../..', import.meta.url).pathname);
const { Store } = (await import(`${src}/node/store/store.ts`)) as typeof import('../../../node/store/store.js');
const { followFlow } = (await import(`${src}/node/store/flow-stream.ts`)) as typeof import('../../../node/store/flow-stream.js');
const { detectStore } = (await import(`${src}/node/rules/detect-store.ts`)) as typeof import('../../../node/rules/detect-store.js');
const { RuleSet } = (await import(`${src}/common/rules/rule-set.ts`)) as typeof import('../../../common/rules/rule-set.js');

const s = await Store.open(storeDir, {});
try {
  const bytes = s.captures.reduce((n, c) => n + statSync(c.path).size, 0);
  const flows = (await s.findFlows({})).reverse().filter((f: FlowLike) => f.record.hasPorts && (f.record.proto === 6 || f.record.proto === 17));
  const mbs = (ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(0);
  const cpuMs = (c: NodeJS.CpuUsage): string => ((c.user + c.system) / 1000).toFixed(0);
  let payload = 0;
  let cpu = process.cpuUsage();
  let t = performance.now();
  for (const f of flows) await followFlow(s, f, { onData: (c: Chunk) => void (payload += c.data.length), onEnd: () => undefined });
  let ms = performance.now() - t;
  console.log(`follow: ${flows.length} flows, ${payload} payload bytes: ${ms.toFixed(0)} ms (${mbs(ms)} MB/s of capture), CPU ${cpuMs(process.cpuUsage(cpu))} ms`);
  cpu = process.cpuUsage();
  t = performance.now();
  const sum = await detectStore(s, { rules: new RuleSet([]), discovery: false, onEvent: () => undefined });
  ms = performance.now() - t;
  console.log(`detect, no rules: ${sum.flows} flows, ${sum.packets} packets: ${ms.toFixed(0)} ms (${mbs(ms)} MB/s of capture), CPU ${cpuMs(process.cpuUsage(cpu))} ms`);
} finally {
  await s.close();
}
