/**
 * Per-thread CPU of the log intake at one fixed UDP rate (a diagnostic beside the `logs` suite):
 * `node --import tsx tests/bench/logs-threads.ts RATE COUNT [STORE_DIR]`. Prints the stored
 * count and CPU µs per message for the whole process and for each thread (from
 * /proc/self/task/*\/stat), so a change can be attributed to the thread it moved work from,
 * and each listed thread's minor page faults per message (fresh memory touched: batch buffers).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TaplineServices } from '../../electron/services/tapline-services.js';
import { logEventsBuilt } from '../../node/logs/log-event-batch.js';

const SUITE = fileURLToPath(new URL('./suites/logs.ts', import.meta.url));

function threadTimes(): Map<string, { name: string; cpu: number; faults: number }> {
  const out = new Map<string, { name: string; cpu: number; faults: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // the main thread's id is the process id; the UDP socket thread is the one at nice -10
      const comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      const name = Number(tid) === process.pid ? 'main' : comm === 'tapline-udp-rx' ? 'native receive' : Number(f[16]) < 0 ? `nice ${f[16]} (socket)` : `thread ${tid} ${comm} (started ${f[19]})`;
      out.set(tid, { name, cpu: (Number(f[11]) + Number(f[12])) / 100, faults: Number(f[7]) });
    } catch {
      // a thread that ended
    }
  }
  return out;
}

async function main(): Promise<void> {
  const rate = Number(process.argv[2] ?? 25000);
  const count = Number(process.argv[3] ?? 75000);
  const dir = process.argv[4] ?? '/tmp/logs-threads-store';
  await rm(dir, { recursive: true, force: true });
  const services = await TaplineServices.open({ storeDir: dir, sensorId: 'bench' });
  const recv = await services.logs.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
  // BENCH_LOG_SUBSCRIBER=1: a live subscriber on the event bus, as the serve API's WebSocket
  // subscribes (live-socket.ts: each delivered batch serialized with JSON.stringify); every
  // delivered event is then built on the main thread
  const live = { events: 0, missed: 0, bytes: 0 };
  if (process.env.BENCH_LOG_SUBSCRIBER === '1')
    services.bus.subscribe((b) => {
      live.bytes += JSON.stringify(b).length;
      live.events += b.events.length;
      live.missed += b.missed;
    });
  const send = (n: number): Promise<{ sent: number; seconds: number }> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', SUITE, '--sender', '127.0.0.1', String(recv.port), String(rate), String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() as string)) : reject(new Error(`sender ${code}`))));
    });
  // warm-up (BENCH_LOG_WARMUP messages, default 20,000): module loading in the worker threads and
  // JIT compilation are not what a sensor pays per message in the long run
  const warm = Number(process.env.BENCH_LOG_WARMUP ?? 20000);
  if (warm > 0) {
    await send(warm);
    for (let i = 0; i < 60 && services.logs.intake.stats.stored + services.logs.intake.stats.dropped_queue_full < warm; i++) await new Promise((r) => setTimeout(r, 250));
    await services.logs.intake.flush();
  }
  const liveBefore = { ...live };
  const storedBefore = services.logs.intake.stats.stored;
  const dropsBefore = services.logs.intake.stats.dropped_queue_full;
  const kernelBefore = (await services.logs.udpReceivers[0].kernelDrops()) ?? 0;
  await new Promise((r) => setTimeout(r, 300));
  const t0 = threadTimes();
  const c0 = process.cpuUsage();
  const sent = await send(count);
  // until every message sent is stored or counted as dropped (journal writes can stall for a
  // second on a busy disk: a fixed quiet period cut runs short), at most 60 s
  for (let i = 0; i < 240; i++) {
    const st = services.logs.intake.stats;
    const kd = ((await services.logs.udpReceivers[0].kernelDrops()) ?? 0) - kernelBefore;
    if (st.stored - storedBefore + st.dropped_queue_full - dropsBefore + kd >= sent.sent) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await services.logs.intake.flush();
  // the bus delivers every 100 ms: let the subscriber take what is queued (at most 60 s)
  if (process.env.BENCH_LOG_SUBSCRIBER === '1') {
    let last = -1;
    for (let i = 0; i < 240 && live.events + live.missed !== last; i++) {
      last = live.events + live.missed;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  const c1 = process.cpuUsage(c0);
  const t1 = threadTimes();
  const stored = services.logs.intake.stats.stored - storedBefore;
  const kernelAfter = await services.logs.udpReceivers[0].kernelDrops();
  const drops = kernelAfter === null ? null : kernelAfter - kernelBefore;
  const per = (s: number): string => ((s * 1e6) / sent.sent).toFixed(1);
  process.stdout.write(`rate ${rate} (after ${warm} warm-up messages) sent ${sent.sent} at ${(sent.sent / sent.seconds).toFixed(0)}/s stored ${stored} queue drops ${services.logs.intake.stats.dropped_queue_full - dropsBefore} kernel drops ${drops}; process ${(((c1.user + c1.system) / sent.sent)).toFixed(1)} µs/msg\n`);
  if (process.env.BENCH_LOG_SUBSCRIBER === '1') process.stdout.write(`  live subscriber: ${live.events - liveBefore.events} events delivered, ${live.missed - liveBefore.missed} missed, ${live.bytes - liveBefore.bytes} JSON characters\n`);
  process.stdout.write(`  events built on the main thread (whole process): ${logEventsBuilt.count}, from whole lines ${logEventsBuilt.fromWholeLine}; batches with whole lines ${logEventsBuilt.wholeLineBatches}\n`);
  const byName = new Map<string, number>();
  const faultsByName = new Map<string, number>();
  for (const [tid, b] of t1) {
    const a = t0.get(tid);
    const d = b.cpu - (a?.cpu ?? 0);
    byName.set(b.name, (byName.get(b.name) ?? 0) + d);
    faultsByName.set(b.name, (faultsByName.get(b.name) ?? 0) + b.faults - (a?.faults ?? 0));
  }
  // threads under 0.3 µs a message are summed by kind (V8's helper threads do the GC's concurrent
  // and parallel work, libuv's pool the journal's writes): together they can be 1-2 µs a message
  const small = new Map<string, number>();
  for (const [name, d] of [...byName].sort((x, y) => y[1] - x[1])) {
    if ((d * 1e6) / sent.sent > (process.env.BENCH_LOG_THREADS_ALL === "1" ? 0 : 0.3)) process.stdout.write(`  ${name.padEnd(20)} ${per(d)} µs/msg, ${((faultsByName.get(name) ?? 0) / sent.sent).toFixed(3)} page faults/msg\n`);
    else {
      const kind = /^thread \d+ (.*) \(started/.exec(name)?.[1] ?? name;
      small.set(kind, (small.get(kind) ?? 0) + d);
    }
  }
  for (const [kind, d] of [...small].sort((x, y) => y[1] - x[1])) if (d > 0) process.stdout.write(`  small: ${kind.padEnd(13)} ${per(d)} µs/msg\n`);
  process.stdout.write(`load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
  await services.close();
  await rm(dir, { recursive: true, force: true });
}

void main();
