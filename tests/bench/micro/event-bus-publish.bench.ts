/**
 * CPU per event of EventBus.publishLazy with no subscriber (a log sensor's usual case: every UDP
 * batch published, the replay buffer keeping the last 20,000), whole process (main thread and
 * V8's helper threads, which do the GC's concurrent work) and the GCs it caused:
 * `node --expose-gc --import tsx tests/bench/micro/event-bus-publish.bench.ts [BUS_MODULE] [BATCHES]`.
 * BUS_MODULE (default this tree's common/bridge/event-bus.ts) lets another build's bus run in the
 * same minutes. Batches of 1,000 events, as the UDP receiver's 10 ms batches at 100k msg/s.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

interface Bus {
  publishLazy(count: number, source: { event(i: number): unknown }): number;
  recent(): unknown[];
}

async function main(): Promise<void> {
  const path = process.argv[2] ?? new URL('../../../common/bridge/event-bus.ts', import.meta.url).pathname;
  const batches = Number(process.argv[3] ?? 20000);
  const mod = (await import(pathToFileURL(path).href)) as { EventBus: new () => Bus };
  const bus = new mod.EventBus();
  const gcs = new Map<string, number>();
  const obs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      const k = kind === 1 ? 'minor' : kind === 4 ? 'major' : kind === 8 ? 'incremental' : `kind ${kind}`;
      gcs.set(k, (gcs.get(k) ?? 0) + 1);
    }
  });
  // a batch source as the UDP receiver's: one object a batch holding its bytes (built only on demand)
  const built = { kind: 'notice' };
  const source = () => ({ data: new ArrayBuffer(256 * 1000), event: (): unknown => built });
  for (let i = 0; i < 2000; i++) bus.publishLazy(1000, source());
  (globalThis as { gc?: () => void }).gc?.();
  obs.observe({ entryTypes: ['gc'] });
  const c0 = process.cpuUsage();
  for (let i = 0; i < batches; i++) bus.publishLazy(1000, source());
  const c = process.cpuUsage(c0);
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  const n = batches * 1000;
  process.stdout.write(`${path}: ${n} events, ${(((c.user + c.system) * 1000) / n).toFixed(1)} ns/event (user ${((c.user * 1000) / n).toFixed(1)}), GCs ${JSON.stringify(Object.fromEntries(gcs))}, recent ${bus.recent().length}\n`);
}

void main();
