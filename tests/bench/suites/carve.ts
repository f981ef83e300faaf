/**
 * Carving benchmark: reassembly + HTTP carving throughput on a generated HTTP-heavy capture
 * (keep-alive connections, 1 KB – 2 MB bodies, 1448-byte segments) against
 * `tshark -r F -q --export-objects http,DIR` on the same file in the same run, with the ratio,
 * plus a check that both exported the same set of files (by sha256).
 *
 * Tapline carves from its store, so two figures are given: `tapline carve` alone (what an analyst
 * waits for once a capture is imported) and import + carve (from the raw pcap, like tshark).
 * Knobs: BENCH_CARVE_SIZE (default 256M: tshark's export holds every object in memory and is
 * slow), BENCH_CARVE_ROUNDS (3: import, carve and tshark's export per round, each round in its own
 * directory; the target row is the median round by ratio), BENCH_TSHARK (1; 0 skips tshark),
 * BENCH_KEEP_STORE (0).
 */
import { closeSync, createReadStream, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../../common/capture/pcap-writer.js';
import { ethernet, ipv4, tcp } from '../../helpers/packet-builders.js';
import { BENCH_DATA, REPO_ROOT, TAPLINE_CLI, ensureDir, envBool, envInt, envString, fileExists, machineInfo, toolVersion, which, writeResults } from '../lib/env.js';
import { cpuSeconds, failureText, runMeasured, succeeded, type RunResult } from '../lib/measure.js';
import { nodeStartMs, taplineEnv, taplineEnvNote } from '../lib/node-start.js';
import { Rng } from '../lib/prng.js';
import { fmt, fmtMiB, fmtMs, fmtRatio, meets, renderTable, say, section } from '../lib/report.js';
import { formatBytes, mbPerSec, parseSize } from '../lib/size.js';
import type { Suite, SuiteContext, TargetRow } from '../lib/suite.js';
import { Store } from '../../../node/store/store.js';
import { followFlow } from '../../../node/store/flow-stream.js';
import { digestStages } from '../../../node/carve/hash-worker.js';

const TARGET_RATIO = 5;
const GENERATOR_VERSION = 1;
const MSS = 1448;
const TYPES = ['application/octet-stream', 'image/jpeg', 'text/html', 'application/pdf', 'application/zip'];

/** Writes the capture (streaming: bounded memory) and returns how many bodies it holds. */
function generate(path: string, bytes: number, seed: number): number {
  const rng = new Rng(seed);
  const pool = new Uint8Array(4 * 1024 * 1024);
  for (let i = 0; i < pool.length; i++) pool[i] = Math.floor(rng.float() * 256);
  const fd = openSync(path, 'w');
  let written = 0;
  const out = (b: Uint8Array): void => {
    writeSync(fd, b);
    written += b.length;
  };
  out(encodePcapGlobalHeader({ linkType: 1, snapLen: 65535, nanosecond: false }));
  let t = 1_700_000_000_000_000;
  let files = 0;
  let flow = 0;
  const packet = (c2s: boolean, cport: number, cip: number[], seq: number, ack: number, flags: number, payload: Uint8Array): void => {
    const seg = tcp({ sport: c2s ? cport : 80, dport: c2s ? 80 : cport, seq, ack, flags, payload: Array.from(payload) });
    const frame = ethernet(0x0800, ipv4({ src: c2s ? cip : [10, 1, 0, 1], dst: c2s ? [10, 1, 0, 1] : cip, proto: 6, payload: seg }));
    const rec = new Uint8Array(16 + frame.length);
    writePcapRecordHeader(rec, 0, Math.floor(t / 1e6), t % 1e6, frame.length, frame.length);
    rec.set(frame, 16);
    out(rec);
    t += 20;
  };
  while (written < bytes) {
    const cport = 20000 + (flow % 40000);
    const cip = [10, 2, (flow >> 8) & 0xff, flow & 0xff];
    flow++;
    let cs = 1000;
    let ss = 5000;
    packet(true, cport, cip, cs - 1, 0, 2, new Uint8Array(0));
    packet(false, cport, cip, ss - 1, cs, 0x12, new Uint8Array(0));
    const requests = 1 + Math.floor(rng.float() * 4);
    for (let q = 0; q < requests && written < bytes; q++) {
      const size = Math.floor(1024 + rng.float() ** 3 * 2 * 1024 * 1024);
      const req = Buffer.from(`GET /f/${files}.bin HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: bench\r\n\r\n`, 'latin1');
      packet(true, cport, cip, cs, ss, 0x18, req);
      cs += req.length;
      const head = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: ${TYPES[files % TYPES.length]}\r\nContent-Length: ${size}\r\n\r\n`, 'latin1');
      const body = new Uint8Array(size);
      // a unique prefix makes every body distinct; the rest comes from the random pool
      body.set(Buffer.from(`file ${files} seed ${seed}\n`).subarray(0, size));
      for (let at = 32, off = Math.floor(rng.float() * pool.length); at < size; ) {
        const n = Math.min(size - at, pool.length - off);
        body.set(pool.subarray(off, off + n), at);
        at += n;
        off = 0;
      }
      const resp = Buffer.concat([head, body]);
      for (let i = 0; i < resp.length; i += MSS) {
        const seg = resp.subarray(i, Math.min(resp.length, i + MSS));
        packet(false, cport, cip, ss, cs, 0x18, seg);
        ss += seg.length;
      }
      files++;
    }
    packet(true, cport, cip, cs, ss, 0x11, new Uint8Array(0));
    packet(false, cport, cip, ss, cs + 1, 0x11, new Uint8Array(0));
  }
  closeSync(fd);
  return files;
}

const THREAD_CPU = join(REPO_ROOT, 'tests/bench/lib/thread-cpu.cjs');

interface ThreadSplit {
  split: { main: number; stages: number[]; other: number };
  text: string;
}

/**
 * The carve's CPU by thread from lib/thread-cpu.cjs's line: the main thread (tid = pid), the
 * spool stages — the native stage's threads by name (tl-spool-write, -hash, -fin), or worker
 * stages as the threads created after the ten Node 20 starts before them (V8's four platform
 * threads, libuv's four pool threads and two more: write and the digest lanes with AVX-512, else
 * write, sha256 + sha1, md5) — and the rest (V8 compiler and GC helpers, libuv's file system
 * pool: reads of the capture).
 */
function threadSplit(stderr: string, nativeStage: boolean): ThreadSplit | null {
  const m = /^THREAD-CPU (\d+) (.*)$/m.exec(stderr);
  if (!m) return null;
  const pid = Number(m[1]);
  const rows = m[2].split(' ').map((x) => x.split(':')).map(([tid, u, sy, name]) => ({ tid: Number(tid), cpu: Number(u) + Number(sy), name: name ?? '' }));
  const main = rows.find((r) => r.tid === pid)?.cpu ?? 0;
  const rest = rows.filter((r) => r.tid !== pid);
  const sum = (list: typeof rest) => list.reduce((n, r) => n + r.cpu, 0);
  let stages: number[];
  let other: number;
  let names: string;
  if (nativeStage && rest.some((r) => r.name.startsWith('tl-spool-'))) {
    // the native stage's threads by name (native/digest/src/spool_stage.c)
    const write = rest.filter((r) => r.name === 'tl-spool-write');
    const hash = rest.filter((r) => r.name === 'tl-spool-hash');
    const fin = rest.filter((r) => r.name === 'tl-spool-fin');
    stages = [sum(write), sum(hash), sum(fin)];
    other = sum(rest) - stages[0] - stages[1] - stages[2];
    names = `native threads: write / md5+sha1+sha256 in lanes / fsync, close, copy (${fin.length} threads)`;
  } else {
    // worker stages: the last threads made (after Node's ten)
    const NODE_THREADS = 10;
    stages = rest.length > NODE_THREADS ? rest.slice(NODE_THREADS).map((r) => r.cpu) : [];
    other = sum(rest) - stages.reduce((n, c) => n + c, 0);
    names = stages.length === 2 ? 'write / md5+sha1+sha256 in lanes' : stages.length === 3 ? 'write / sha256+sha1 / md5' : 'threads';
  }
  const text = `main ${fmt(main, 2)} s; spool stages (${names}) ${stages.map((c) => fmt(c, 2)).join(' / ') || 'n/a'} s; other threads (V8 compiler + GC, libuv fs pool) ${fmt(other, 2)} s`;
  return { split: { main, stages, other }, text };
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function dirHashes(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of readdirSync(dir)) out.push(await sha256File(join(dir, n)));
  return out;
}

export const carveSuite: Suite = {
  name: 'carve',
  description: 'reassembly + HTTP carving MB/s vs tshark --export-objects http on a generated capture',
  async run(ctx: SuiteContext): Promise<void> {
    const sizeText = envString('BENCH_CARVE_SIZE', '256M');
    const size = parseSize(sizeText);
    const work = ensureDir(join(BENCH_DATA, 'carve'));
    const cap = join(BENCH_DATA, `carve-${sizeText}-s${ctx.seed}-v${GENERATOR_VERSION}.pcap`);
    section('carve: capture');
    if (!fileExists(cap)) {
      const t0 = performance.now();
      const n = generate(cap, size, ctx.seed);
      say(`generated ${cap}: ${n} HTTP bodies in ${fmtMs(performance.now() - t0)}`);
    }
    const bytes = statSync(cap).size;
    say(`capture ${cap} (${formatBytes(bytes)})`);
    // which digest path the carve will take on this machine (the CLI says so with TAPLINE_DEBUG=1)
    const plan = digestStages();
    say(`digests: ${plan.lanes.length > 0 ? `${plan.lanes.join('+')} in ${plan.width} lanes (native/digest)` : 'no lanes'}${plan.openssl.length > 0 ? `; OpenSSL: ${plan.openssl.map((a) => a.join('+')).join(', ')}` : ''} (${plan.reason}); ${plan.native ? 'native spool threads' : 'spool workers'}`);

    // each round in its own directory, all removed at the end: on ext4 without a journal an
    // inode create scans past the inodes deleted in the last minutes, so deleting one round's
    // ~2,000 files right before the next carve would tax that carve (and tshark's export less).
    // The rounds of the run before were deleted at its end, in the same parent: each round's
    // directory is spread to another block group (the Orlov allocator's "top directory" flag,
    // chattr +T) so that neither tool creates its files next to those deleted inodes. Measured
    // (8,000 files deleted just before, carve into a sibling directory): 2.09 s without the
    // flag, 1.00 s with it; tshark, whose 500 files come at the end of 5 s, was not affected.
    const rounds = Math.max(1, envInt('BENCH_CARVE_ROUNDS', 3));
    const spread = spawnSync('chattr', ['+T', work], { encoding: 'utf8' });
    say(spread.status === 0 ? `${work}: rounds spread over block groups (chattr +T)` : `${work}: chattr +T not applied (${(spread.stderr || spread.error?.message || `exit ${spread.status}`).trim()}); recent deletions nearby can slow file creation on ext4 without a journal`);
    const roundDir = (r: number): string => join(work, `round-${r}`);
    const clear = (): void => {
      for (const n of readdirSync(work)) rmSync(join(work, n), { recursive: true, force: true });
    };
    clear();
    const logs = ensureDir(join(BENCH_DATA, 'logs'));
    const tapline = (args: string[]): { cmd: string; args: string[] } => ({ cmd: process.execPath, args: [TAPLINE_CLI, ...args] });
    // Node's start-up is part of the carve's wall time: this machine's NODE_EXTRA_CA_CERTS is
    // left out of the timed commands (lib/node-start.ts), and its cost is shown
    const env = taplineEnv();
    const start = nodeStartMs();
    const startNote = start ? `timed without ${taplineEnvNote()}: node -e 0 takes ${fmtMs(start.inherited)} with it, ${fmtMs(start.timed)} without (medians of 5; BENCH_KEEP_NODE_ENV=1 keeps it)` : '';
    if (startNote) say(startNote);
    // how much a fresh page costs on this machine now (on a VM that hands free memory back to
    // its host, a page-cache page first touched faults on the host too; both tools write files,
    // and figures swing with it): 64 MiB written through the page cache, then removed
    const probe = join(work, 'fresh-pages.probe');
    const dd = await runMeasured({ cmd: 'dd', args: ['if=/dev/zero', `of=${probe}`, 'bs=1M', 'count=64', 'status=none'], stdout: 'ignore', stderr: 'capture' });
    rmSync(probe, { force: true });
    if (succeeded(dd) && dd.sysS !== null) say(`fresh page-cache pages: 64 MiB written in ${fmtMs(dd.wallMs)}, ${fmt(dd.sysS, 2)} s of system time (about 0.01-0.02 s where pages are cheap; 0.1-0.15 s where each first touch faults on a host)`);
    const notMeasured: string[] = [];
    const haveCli = fileExists(TAPLINE_CLI);
    if (!haveCli) notMeasured.push(`tapline (CLI not built: ${TAPLINE_CLI})`);
    const tshark = which('tshark');
    const runTshark = tshark !== null && envBool('BENCH_TSHARK', true);
    if (!runTshark) notMeasured.push('tshark (missing or BENCH_TSHARK=0)');
    else say(toolVersion(tshark, ['--version'])?.split('\n')[0] ?? 'tshark');
    say(`${rounds} round${rounds === 1 ? '' : 's'}, each: import, carve, then tshark's export of the same capture (the ratio of a round pairs runs of the same minute)`);

    interface Round {
      imp: RunResult | null;
      carve: RunResult | null;
      threads: ThreadSplit | null;
      ts: RunResult | null;
      same: string;
      load: number;
    }
    const ok = (r: RunResult | null): r is RunResult => r !== null && succeeded(r);
    const done: Round[] = [];
    let followMs: number | null = null;
    for (let r = 1; r <= rounds; r++) {
      section(`carve: round ${r} of ${rounds}`);
      const dir = ensureDir(roundDir(r));
      const store = join(dir, 'store');
      const outDir = join(dir, 'out');
      const tsharkDir = join(dir, 'tshark');
      const round: Round = { imp: null, carve: null, threads: null, ts: null, same: 'n/a', load: loadavg()[0] };
      if (haveCli) {
        round.imp = await runMeasured({ ...tapline(['import', '--store', store, cap]), env, cwd: REPO_ROOT, stdout: { file: join(logs, 'carve-import.out') }, stderr: 'capture' });
        say(`import: ${fmtMs(round.imp.wallMs)} (${fmt(mbPerSec(bytes, round.imp.wallMs), 0)} MB/s)${succeeded(round.imp) ? '' : ` FAILED: ${failureText(round.imp)}`}`);
        // per-thread CPU (lib/thread-cpu.cjs prints it at exit): the carve spreads over the spool stages
        round.carve = await runMeasured({ cmd: process.execPath, args: ['--require', THREAD_CPU, TAPLINE_CLI, 'carve', '--store', store, '-o', outDir, '--json'], env, cwd: REPO_ROOT, stdout: { file: join(logs, 'carve.ndjson') }, stderr: 'capture' });
        say(`carve:  ${fmtMs(round.carve.wallMs)} (${fmt(mbPerSec(bytes, round.carve.wallMs), 0)} MB/s), CPU ${fmt(cpuSeconds(round.carve) ?? NaN, 2)} s, peak RSS ${fmtMiB(round.carve.peakRssKb)}${succeeded(round.carve) ? '' : ` FAILED: ${failureText(round.carve)}`}`);
        round.threads = threadSplit(round.carve.stderr, plan.native !== null);
        if (round.threads) say(`carve CPU by thread: ${round.threads.text}`);
      }
      // follow-from-store (first round): every flow's packets read back by offset and
      // reassembled (the path under carve, detect and the UI's follow view), in-process so the
      // figure has no process start
      if (r === 1 && ok(round.imp)) {
        const s = await Store.open(store, {});
        try {
          const flows = (await s.findFlows({})).reverse().filter((f) => f.record.hasPorts && f.record.proto === 6);
          let payload = 0;
          const t0 = performance.now();
          for (const f of flows) await followFlow(s, f, { onData: (c) => void (payload += c.data.length), onEnd: () => undefined });
          followMs = performance.now() - t0;
          say(`follow: ${flows.length} flows, ${formatBytes(payload)} payload in ${fmtMs(followMs)} (${fmt(mbPerSec(bytes, followMs), 0)} MB/s of capture, one flow at a time)`);
        } finally {
          await s.close();
        }
      }
      if (runTshark) {
        round.ts = await runMeasured({ cmd: tshark, args: ['-r', cap, '-q', '--export-objects', `http,${tsharkDir}`], stdout: 'ignore', stderr: { file: join(logs, 'carve-tshark.err') } });
        say(`tshark --export-objects http: ${fmtMs(round.ts.wallMs)} (${fmt(mbPerSec(bytes, round.ts.wallMs), 0)} MB/s), CPU ${fmt(cpuSeconds(round.ts) ?? NaN, 2)} s, peak RSS ${fmtMiB(round.ts.peakRssKb)}${succeeded(round.ts) ? '' : ` FAILED: ${failureText(round.ts)}`}`);
      }
      if (ok(round.carve) && ok(round.ts)) {
        const ours = await dirHashes(outDir);
        const theirs = await dirHashes(tsharkDir);
        const a = new Set(ours);
        const missing = theirs.filter((h) => !a.has(h)).length;
        round.same = `${theirs.length - missing}/${theirs.length} of tshark's files carved (ours: ${ours.length})`;
        say(`${round.same}; ratio ${fmtRatio(round.ts.wallMs / round.carve.wallMs)}; load ${fmt(round.load, 2)} at the start of the round`);
      }
      done.push(round);
    }

    // the median round by the carve's ratio to tshark (each round's pair ran in the same minute)
    const ratioOf = (x: Round): number | null => (ok(x.carve) && ok(x.ts) ? x.ts.wallMs / x.carve.wallMs : null);
    const rated = done.filter((x) => ratioOf(x) !== null).sort((x, y) => (ratioOf(x) as number) - (ratioOf(y) as number));
    const mid: Round | null = rated.length > 0 ? rated[Math.floor((rated.length - 1) / 2)] : (done[0] ?? null);
    const carve = mid?.carve ?? null;
    const imp = mid?.imp ?? null;
    const ts = mid?.ts ?? null;
    const carveRatio = mid ? ratioOf(mid) : null;
    const bothRatio = ok(carve) && ok(imp) && ok(ts) ? ts.wallMs / (carve.wallMs + imp.wallMs) : null;
    const cpuRatio = ok(carve) && ok(ts) && cpuSeconds(carve) && cpuSeconds(ts) ? (cpuSeconds(ts) as number) / (cpuSeconds(carve) as number) : null;
    const allRatios = done.map((x) => ratioOf(x));
    const sameAll = done.map((x) => x.same);
    section('carve: summary');
    const rows: TargetRow[] = [
      {
        metric: `carve (store → files)${rated.length > 1 ? `, median of ${rated.length} rounds` : ''}`,
        value: ok(carve) ? `${fmt(mbPerSec(bytes, carve.wallMs), 0)} MB/s` : 'n/a',
        reference: ok(ts) ? `tshark ${fmt(mbPerSec(bytes, ts.wallMs), 0)} MB/s` : 'n/a',
        ratio: fmtRatio(carveRatio),
        target: `>= ${TARGET_RATIO}x`,
        meets: carveRatio === null ? null : carveRatio >= TARGET_RATIO,
      },
      {
        metric: 'import + carve (pcap → files)',
        value: ok(carve) && ok(imp) ? `${fmt(mbPerSec(bytes, carve.wallMs + imp.wallMs), 0)} MB/s` : 'n/a',
        reference: ok(ts) ? `tshark ${fmt(mbPerSec(bytes, ts.wallMs), 0)} MB/s` : 'n/a',
        ratio: fmtRatio(bothRatio),
        target: '(information)',
        meets: null,
      },
      {
        metric: 'follow (store → payload, in-process)',
        value: followMs === null ? 'n/a' : `${fmt(mbPerSec(bytes, followMs), 0)} MB/s`,
        reference: '',
        ratio: '',
        target: '(information)',
        meets: null,
      },
      {
        metric: 'carve CPU time (user + sys)',
        value: cpuSeconds(carve) === null ? 'n/a' : `${fmt(cpuSeconds(carve), 2)} s`,
        reference: cpuSeconds(ts) === null ? 'n/a' : `tshark ${fmt(cpuSeconds(ts), 2)} s`,
        ratio: fmtRatio(cpuRatio),
        target: '(information)',
        meets: null,
      },
    ];
    say(
      renderTable(
        [{ header: 'metric' }, { header: 'Tapline', align: 'right' }, { header: 'reference' }, { header: 'ratio', align: 'right' }, { header: 'target' }, { header: 'meets' }],
        rows.map((x) => [x.metric, x.value, x.reference, x.ratio, x.target, x.target === '(information)' ? '' : meets(x.meets)]),
      ),
    );
    say(`rounds (carve / tshark / ratio): ${done.map((x, i) => `${fmtMs(x.carve?.wallMs ?? NaN)} / ${fmtMs(x.ts?.wallMs ?? NaN)} / ${fmtRatio(allRatios[i])}`).join('; ')}`);
    say(`files: ${sameAll.join('; ')}`);
    if (mid?.threads) say(`  carve CPU by thread (median round): ${mid.threads.text}`);
    say(`  load average at the end: ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} cores (figures on a busy machine are lower)`);
    say('  throughput = capture bytes / wall time of the whole command (process start included); page cache warm;');
    say('  the CPU row is less sensitive to a shared machine (wall time includes waiting for cores and disk)');
    if (startNote) say(`  ${startNote}`);
    if (notMeasured.length) say(`not measured: ${notMeasured.join('; ')}`);
    const path = writeResults('carve', {
      suite: 'carve',
      date: new Date().toISOString(),
      machine: machineInfo(),
      capture: { path: cap, bytes },
      tapline: { importMs: imp?.wallMs ?? null, carveMs: carve?.wallMs ?? null, followMs, carvePeakRssKb: carve?.peakRssKb ?? null, cpuS: cpuSeconds(carve), threads: mid?.threads?.split ?? null },
      tsharkCpuS: cpuSeconds(ts),
      loadAverage: loadavg(),
      nodeStartMs: start,
      tshark: ts ? { ms: ts.wallMs, peakRssKb: ts.peakRssKb } : null,
      ratios: { carve: carveRatio, importAndCarve: bothRatio, cpu: cpuRatio },
      rounds: done.map((x, i) => ({ carveMs: x.carve?.wallMs ?? null, carveCpuS: cpuSeconds(x.carve), tsharkMs: x.ts?.wallMs ?? null, tsharkCpuS: cpuSeconds(x.ts), ratio: allRatios[i], files: x.same, load: x.load })),
      files: mid?.same ?? 'n/a',
      notMeasured,
    });
    say(`results: ${path}`);
    if (!envBool('BENCH_KEEP_STORE', false)) clear();
  },
};
