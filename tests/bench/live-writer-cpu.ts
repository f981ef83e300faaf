/**
 * CPU per packet of the live store writer, with no network and no capture thread: the writer's
 * share of a live capture measured on its own, so that each change to it can be measured even
 * while other work loads the machine (CPU time per packet moves far less with load than rates).
 *
 *   node --import tsx tests/bench/live-writer-cpu.ts [--packets N] [--capture FILE]
 *        [--store DIR] [--mode direct|threaded] [--rate PPS] [--segment-size BYTES] [--runs R]
 *        [--cpu-prof FILE.cpuprofile] [--heap-sample FILE.heapprofile] [--dist] [--dist-root DIR]
 *        [--marks] [--json]
 *
 * The first N packets (default 1,000,000) of CAPTURE (default bench-data/bench-2g.pcap) are
 * loaded into 1 MiB packet batches first (packet-batch.ts: the layout the native capture thread
 * fills), so reading and framing the file are not measured. Then:
 * - `direct` (default): a LiveWriter on this thread gets the batches as writer-thread.ts hands
 *   them over (packetRunBorrowed per run, segment data written synchronously as there,
 *   the event loop turning every 4 batches), then close(): the writer's whole work, snapshots,
 *   flushes, the final index and retention included. GC pauses of this thread are observed.
 * - `threaded`: the same batches through ThreadedLiveWriter.packetBatch (one 1 MiB copy per
 *   batch into a buffer from takeBatchBuffer, as the native thread writes into it), i.e. the
 *   capture worker's path minus libpcap: adds the messaging and the thread hand-off.
 * - `index-only`: the floor: the same records handed straight to one CaptureIndexer (decode and
 *   flow table, what import does per packet), no segments, no snapshots, no disk.
 * `--dist` (threaded mode) runs the built writer from dist/ (`npm run build` first): from source
 * its thread runs under tsx, whose loader's own compilation lands in the measured window.
 * `--dist-root DIR` (implies --dist): the built writer of another tree (DIR/dist/...), e.g. a copy
 * of main built beside this one, so before and after run under the same harness.
 * Besides the measured window (from the writer's open to its close), each run reports the whole
 * run's CPU per packet ("whole", open included: the writer thread's start and its warm-up).
 * `--rate` paces the hand-over at PPS packets a second (default: as fast as the writer takes
 * them); time-driven work (a snapshot and a data sync every 500 ms) then costs what it costs at
 * that capture rate.
 *
 * Prints per run: packets, wall time, CPU µs per packet for the whole process and per thread
 * (from /proc/self/task: this thread, the writer thread, V8's helper threads, libuv's pool),
 * and GC pause time. Writes the store under bench-data/ (removed after each run) unless --store.
 * `--cpu-prof` (direct mode) profiles the last run from the writer's open to its close, in this
 * thread only (open it in Chrome DevTools or speedscope; sampled wall time, so shares only).
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { PacketRecord } from '../../common/capture/packet-record.js';
import { CaptureIndexer } from '../../common/flow/capture-indexer.js';
import { LiveWriter } from '../../node/store/live/live-writer.js';
import { ThreadedLiveWriter } from '../../node/store/live/threaded-writer.js';
import { forEachBatchRun } from '../../node/store/live/packet-batch.js';
import { BENCH_DATA, REPO_ROOT } from './lib/env.js';
import { loadBatches, type Batch } from './lib/packet-batches.js';

/** As writer-thread.ts. */
const BATCHES_PER_TURN = 4;

interface Args {
  packets: number;
  capture: string;
  store: string;
  mode: 'direct' | 'threaded' | 'index-only';
  rate: number;
  segmentBytes: number | undefined;
  runs: number;
  json: boolean;
  /** Direct mode: write a CPU profile of the last run's measured part here. */
  profile: string | null;
  /** Threaded mode: the built writer (dist/, `npm run build` first), whose thread runs plain JS like the product's, not under tsx. */
  dist: boolean;
  distRoot: string;
  /** Print a line at the measured window's start and end (to split a --trace-opt log). */
  marks: boolean;
  /**
   * Direct mode: write a sampling heap profile of the last run's measured part here, garbage
   * included (what was allocated, not what is alive at the end): where the GC's work comes from.
   */
  heapSample: string | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    packets: 1_000_000,
    capture: join(BENCH_DATA, 'bench-2g.pcap'),
    store: join(BENCH_DATA, `live-writer-cpu-${process.pid}`),
    mode: 'direct',
    rate: 0,
    segmentBytes: undefined,
    runs: 1,
    json: false,
    profile: null,
    dist: false,
    distRoot: REPO_ROOT,
    marks: false,
    heapSample: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return x;
    };
    switch (argv[i]) {
      case '--packets': a.packets = Number(v()); break;
      case '--capture': a.capture = v(); break;
      case '--store': a.store = v(); break;
      case '--mode': {
        const m = v();
        if (m !== 'direct' && m !== 'threaded' && m !== 'index-only') throw new Error(`--mode: direct, threaded or index-only, not ${m}`);
        a.mode = m;
        break;
      }
      case '--rate': a.rate = Number(v()); break;
      case '--segment-size': a.segmentBytes = Number(v()); break;
      case '--runs': a.runs = Number(v()); break;
      case '--json': a.json = true; break;
      case '--cpu-prof': a.profile = v(); break;
      case '--dist': a.dist = true; break;
      case '--dist-root': a.dist = true; a.distRoot = v(); break;
      case '--marks': a.marks = true; break;
      case '--heap-sample': a.heapSample = v(); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!(a.packets > 0) || !(a.runs > 0) || !(a.rate >= 0)) throw new Error('--packets and --runs must be positive, --rate non-negative');
  return a;
}


interface ThreadCpu {
  user: number;
  sys: number;
}

/** CPU seconds of each thread of this process, by tid (all of Node's threads are named "node"). */
function threadCpu(): Map<number, ThreadCpu> {
  const out = new Map<number, ThreadCpu>();
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(Number(t), { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds by role: this (main) thread; the writer thread (threaded mode: it has exited by
 * the time close() resolves, so it is what the process used beyond the threads still there);
 * the helpers, split into user time (mostly V8's concurrent GC and compilers) and system time
 * (mostly libuv's pool writing the segments into the page cache).
 */
function threadGroups(before: Map<number, ThreadCpu>, after: Map<number, ThreadCpu>, totalS: number, threaded: boolean, userS = 0): Record<string, number> {
  const g: Record<string, number> = { main: 0, writer: 0, helpersUser: 0, helpersSys: 0 };
  let mainUser = 0;
  for (const [tid, a] of after) {
    const b = before.get(tid);
    if (b === undefined) continue; // started during the run: counted in the rest
    if (tid === process.pid) {
      g.main += a.user - b.user + a.sys - b.sys;
      mainUser += a.user - b.user;
    } else {
      g.helpersUser += a.user - b.user;
      g.helpersSys += a.sys - b.sys;
    }
  }
  if (threaded) {
    g.writer = Math.max(0, totalS - g.main - g.helpersUser - g.helpersSys);
    // the writer's user time: the process's user time less this thread's and the helpers'
    g.writerUser = Math.max(0, userS - mainUser - g.helpersUser);
  }
  return g;
}

/** `opened` is called once the writer is open: what is measured starts there (not the thread's start-up). */
async function runDirect(args: Args, batches: Batch[], linkType: number, snapLen: number, opened: () => void): Promise<void> {
  const w = await LiveWriter.open(args.store, { segmentBytes: args.segmentBytes });
  opened();
  w.link({ id: 0, linkType, snapLen, name: 'bench' });
  const t0 = performance.now();
  let sent = 0;
  for (let i = 0; i < batches.length; i++) {
    const b = batches[i];
    const writes: Promise<void>[] = [];
    forEachBatchRun(b.buf, b.len, (linkId, from, to) => {
      const r = w.packetRunBorrowed(linkId, b.buf.subarray(from, to), to - from);
      if (r.written) writes.push(r.written);
    });
    sent += b.packets;
    // the batches are reused by the next run only: nothing to give back
    if ((i + 1) % BATCHES_PER_TURN === 0) await new Promise((r) => setImmediate(r));
    await pace(args.rate, t0, sent);
  }
  await w.close();
}

async function runIndexOnly(batches: Batch[], linkType: number, segmentBytes: number | undefined, opened: () => void): Promise<void> {
  opened();
  // with --segment-size, a fresh indexer per segment's worth of records, as the writer's segments
  let ix = new CaptureIndexer();
  const rec = new PacketRecord();
  let offset = 24;
  for (const b of batches) {
    const v = new DataView(b.buf.buffer, b.buf.byteOffset, b.len);
    forEachBatchRun(b.buf, b.len, (_linkId, from, to) => {
      for (let at = from; at < to; ) {
        const capLen = v.getUint32(at + 8, true);
        rec.recordOffset = offset;
        rec.linkType = linkType;
        rec.tsSec = v.getUint32(at, true);
        rec.tsNsec = v.getUint32(at + 4, true);
        rec.capLen = capLen;
        rec.origLen = v.getUint32(at + 12, true);
        rec.setSource(b.buf, at + 16);
        ix.onPacket(rec);
        offset += 16 + capLen;
        at += 16 + capLen;
        if (segmentBytes !== undefined && offset > segmentBytes) {
          ix.finish();
          ix = new CaptureIndexer();
          offset = 24;
        }
      }
    });
  }
  ix.finish();
}

async function runThreaded(args: Args, batches: Batch[], linkType: number, snapLen: number, opened: () => void): Promise<void> {
  const Writer = args.dist ? await builtThreadedWriter(args.distRoot) : ThreadedLiveWriter;
  const w = await Writer.open(args.store, { segmentBytes: args.segmentBytes });
  opened();
  w.link({ id: 0, linkType, snapLen, name: 'bench' });
  const t0 = performance.now();
  let sent = 0;
  for (const b of batches) {
    let buf = w.takeBatchBuffer();
    while (buf === null) {
      await new Promise<void>((r) => w.onBatchBufferFree(r));
      w.onBatchBufferFree(null);
      buf = w.takeBatchBuffer();
    }
    buf.set(b.buf.subarray(0, b.len));
    w.packetBatch(buf, b.len, b.packets, b.bytes);
    sent += b.packets;
    await pace(args.rate, t0, sent);
  }
  await w.close();
  // packets the writer indexed in C (a build before native-stretch.ts: none)
  const native = (w.stats() as { nativeIndexedPackets?: number }).nativeIndexedPackets;
  if (native !== undefined) process.stderr.write(`natively indexed: ${native} of ${sent} packets\n`);
}

/** ThreadedLiveWriter from dist/ (same interface as the source's). */
async function builtThreadedWriter(root: string): Promise<typeof ThreadedLiveWriter> {
  const path = join(root, 'dist/node/store/live/threaded-writer.js');
  if (!existsSync(path)) throw new Error(`${path} missing: run npm run build`);
  const m = (await import(pathToFileURL(path).href)) as { ThreadedLiveWriter: typeof ThreadedLiveWriter };
  return m.ThreadedLiveWriter;
}

async function pace(rate: number, t0: number, sent: number): Promise<void> {
  if (rate <= 0) return;
  const due = (sent / rate) * 1000 - (performance.now() - t0);
  if (due > 1) await sleep(due);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(args.capture)) throw new Error(`${args.capture} missing (npm run bench generates the bench captures)`);
  const { batches, linkType, snapLen } = await loadBatches(args.capture, args.packets);
  const packets = batches.reduce((n, b) => n + b.packets, 0);
  const bytes = batches.reduce((n, b) => n + b.bytes, 0);
  let gcMs = 0;
  let gcCount = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      gcCount++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  for (let run = 0; run < args.runs; run++) {
    rmSync(args.store, { recursive: true, force: true });
    await sleep(50);
    gcMs = 0;
    gcCount = 0;
    const cpuWhole0 = process.cpuUsage();
    let cpu0 = process.cpuUsage();
    let th0 = threadCpu();
    let t0 = performance.now();
    const tOpen = t0;
    let openMs = 0;
    const opened = (): void => {
      openMs = performance.now() - tOpen;
      gcMs = 0;
      gcCount = 0;
      cpu0 = process.cpuUsage();
      th0 = threadCpu();
      t0 = performance.now();
      if (args.marks) process.stdout.write('=== measured window: start\n');
    };
    const profiling = args.profile !== null && args.mode === 'direct' && run === args.runs - 1;
    const heapSampling = args.heapSample !== null && args.mode === 'direct' && run === args.runs - 1;
    const session = profiling || heapSampling ? new Session() : null;
    if (session) session.connect();
    if (session && profiling) {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
    }
    if (session && heapSampling) {
      await session.post('HeapProfiler.enable');
      // every allocation is a candidate, the collected ones too: the garbage is what is looked for
      await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
    }
    if (args.mode === 'direct') await runDirect(args, batches, linkType, snapLen, opened);
    else if (args.mode === 'threaded') await runThreaded(args, batches, linkType, snapLen, opened);
    else await runIndexOnly(batches, linkType, args.segmentBytes, opened);
    if (session && profiling) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(args.profile as string, JSON.stringify(profile));
    }
    if (session && heapSampling) {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      writeFileSync(args.heapSample as string, JSON.stringify(profile));
    }
    session?.disconnect();
    const wallMs = performance.now() - t0;
    if (args.marks) process.stdout.write('=== measured window: end\n');
    const th1 = threadCpu();
    const cpu = process.cpuUsage(cpu0);
    const cpuWhole = process.cpuUsage(cpuWhole0);
    await sleep(20); // pending gc entries
    // the writer thread was there at th0 and is gone at th1: its CPU is the rest of the process's
    const groups = threadGroups(th0, th1, (cpu.user + cpu.system) / 1e6, args.mode === 'threaded', cpu.user / 1e6);
    const us = (s: number): number => Math.round(((s * 1e6) / packets) * 100) / 100;
    const result = {
      mode: args.mode,
      run: run + 1,
      packets,
      mbytes: Math.round(bytes / 1e4) / 100,
      wallMs: Math.round(wallMs),
      /** Opening the writer (threaded: starting its thread, which warms up its code), not measured. */
      openMs: Math.round(openMs),
      pps: Math.round((packets / wallMs) * 1000),
      cpuUsPerPacket: us((cpu.user + cpu.system) / 1e6),
      /** The whole run, the writer's open (thread start, warm-up) included. */
      wholeUsPerPacket: us((cpuWhole.user + cpuWhole.system) / 1e6),
      userUs: us(cpu.user / 1e6),
      sysUs: us(cpu.system / 1e6),
      threadsUsPerPacket: Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, us(v)])),
      gcPauseMs: Math.round(gcMs),
      gcPauses: gcCount,
      load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    };
    if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      const t = Object.entries(result.threadsUsPerPacket).map(([k, v]) => `${k} ${v}`).join(', ');
      console.log(
        `${result.mode} run ${result.run}: ${packets} packets (${result.mbytes} MB) in ${result.wallMs} ms (${result.pps} pps; open ${result.openMs} ms): ` +
          `${result.cpuUsPerPacket} µs CPU/packet (whole run ${result.wholeUsPerPacket}; user ${result.userUs}, sys ${result.sysUs}; threads: ${t}); ` +
          `GC pauses ${result.gcPauseMs} ms in ${result.gcPauses}${args.mode === 'threaded' ? ' (this thread only)' : ''}; load ${result.load}`,
      );
    }
    rmSync(args.store, { recursive: true, force: true });
  }
  obs.disconnect();
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
