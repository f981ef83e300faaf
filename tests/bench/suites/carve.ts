/**
 * Carving benchmark: reassembly + HTTP carving throughput on a generated HTTP-heavy capture
 * (keep-alive connections, 1 KB – 2 MB bodies, 1448-byte segments) against
 * `tshark -r F -q --export-objects http,DIR` on the same file in the same run, with the ratio,
 * plus a check that both exported the same set of files (by sha256).
 *
 * Tapline carves from its store, so two figures are given: `tapline carve` alone (what an analyst
 * waits for once a capture is imported) and import + carve (from the raw pcap, like tshark).
 * Knobs: BENCH_CARVE_SIZE (default 256M: tshark's export holds every object in memory and is
 * slow), BENCH_TSHARK (1; 0 skips tshark), BENCH_KEEP_STORE (0).
 */
import { closeSync, createReadStream, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { encodePcapGlobalHeader, writePcapRecordHeader } from '../../../common/capture/pcap-writer.js';
import { ethernet, ipv4, tcp } from '../../helpers/packet-builders.js';
import { BENCH_DATA, REPO_ROOT, TAPLINE_CLI, ensureDir, envBool, envString, fileExists, machineInfo, toolVersion, which, writeResults } from '../lib/env.js';
import { failureText, runMeasured, succeeded, type RunResult } from '../lib/measure.js';
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

    const store = join(work, 'store');
    const outDir = join(work, 'out');
    const tsharkDir = join(work, 'tshark');
    for (const d of [store, outDir, tsharkDir]) rmSync(d, { recursive: true, force: true });
    const logs = ensureDir(join(BENCH_DATA, 'logs'));
    const tapline = (args: string[]): { cmd: string; args: string[] } => ({ cmd: process.execPath, args: [TAPLINE_CLI, ...args] });
    // Node's start-up is part of the carve's wall time: this machine's NODE_EXTRA_CA_CERTS is
    // left out of the timed commands (lib/node-start.ts), and its cost is shown
    const env = taplineEnv();
    const start = nodeStartMs();
    const startNote = start ? `timed without ${taplineEnvNote()}: node -e 0 takes ${fmtMs(start.inherited)} with it, ${fmtMs(start.timed)} without (medians of 5; BENCH_KEEP_NODE_ENV=1 keeps it)` : '';
    if (startNote) say(startNote);
    const notMeasured: string[] = [];

    section('carve: tapline');
    let imp: RunResult | null = null;
    let carve: RunResult | null = null;
    let threads: ThreadSplit | null = null;
    if (fileExists(TAPLINE_CLI)) {
      imp = await runMeasured({ ...tapline(['import', '--store', store, cap]), env, cwd: REPO_ROOT, stdout: { file: join(logs, 'carve-import.out') }, stderr: 'capture' });
      say(`import: ${fmtMs(imp.wallMs)} (${fmt(mbPerSec(bytes, imp.wallMs), 0)} MB/s)${succeeded(imp) ? '' : ` FAILED: ${failureText(imp)}`}`);
      // per-thread CPU (lib/thread-cpu.cjs prints it at exit): the carve spreads over the spool stages
      carve = await runMeasured({ cmd: process.execPath, args: ['--require', THREAD_CPU, TAPLINE_CLI, 'carve', '--store', store, '-o', outDir, '--json'], env, cwd: REPO_ROOT, stdout: { file: join(logs, 'carve.ndjson') }, stderr: 'capture' });
      say(`carve:  ${fmtMs(carve.wallMs)} (${fmt(mbPerSec(bytes, carve.wallMs), 0)} MB/s), peak RSS ${fmtMiB(carve.peakRssKb)}${succeeded(carve) ? '' : ` FAILED: ${failureText(carve)}`}`);
      threads = threadSplit(carve.stderr, plan.native !== null);
      if (threads) say(`carve CPU by thread: ${threads.text}`);
    } else notMeasured.push(`tapline (CLI not built: ${TAPLINE_CLI})`);

    // follow-from-store: every flow's packets read back by offset and reassembled (the path under
    // carve, detect and the UI's follow view), in-process so the figure has no process start
    let followMs: number | null = null;
    if (imp && succeeded(imp)) {
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

    section('carve: tshark');
    const tshark = which('tshark');
    let ts: RunResult | null = null;
    if (tshark && envBool('BENCH_TSHARK', true)) {
      say(toolVersion(tshark, ['--version'])?.split('\n')[0] ?? 'tshark');
      ts = await runMeasured({ cmd: tshark, args: ['-r', cap, '-q', '--export-objects', `http,${tsharkDir}`], stdout: 'ignore', stderr: { file: join(logs, 'carve-tshark.err') } });
      say(`tshark --export-objects http: ${fmtMs(ts.wallMs)} (${fmt(mbPerSec(bytes, ts.wallMs), 0)} MB/s), peak RSS ${fmtMiB(ts.peakRssKb)}${succeeded(ts) ? '' : ` FAILED: ${failureText(ts)}`}`);
    } else notMeasured.push('tshark (missing or BENCH_TSHARK=0)');

    let same: string = 'n/a';
    let ours: string[] = [];
    if (carve && succeeded(carve)) ours = await dirHashes(outDir);
    if (ts && succeeded(ts) && ours.length) {
      const theirs = await dirHashes(tsharkDir);
      const a = new Set(ours);
      const missing = theirs.filter((h) => !a.has(h)).length;
      same = `${theirs.length - missing}/${theirs.length} of tshark's files carved (ours: ${ours.length})`;
      say(same);
    }

    const ok = (r: RunResult | null): boolean => r !== null && succeeded(r);
    const carveRatio = ok(carve) && ok(ts) ? (ts as RunResult).wallMs / (carve as RunResult).wallMs : null;
    const bothRatio = ok(carve) && ok(imp) && ok(ts) ? (ts as RunResult).wallMs / ((carve as RunResult).wallMs + (imp as RunResult).wallMs) : null;
    const cpu = (r: RunResult | null): number | null => (r && r.userS !== null && r.sysS !== null ? r.userS + r.sysS : null);
    const cpuRatio = ok(carve) && ok(ts) && cpu(carve) && cpu(ts) ? (cpu(ts) as number) / (cpu(carve) as number) : null;
    section('carve: summary');
    const rows: TargetRow[] = [
      {
        metric: 'carve (store → files)',
        value: ok(carve) ? `${fmt(mbPerSec(bytes, (carve as RunResult).wallMs), 0)} MB/s` : 'n/a',
        reference: ok(ts) ? `tshark ${fmt(mbPerSec(bytes, (ts as RunResult).wallMs), 0)} MB/s` : 'n/a',
        ratio: fmtRatio(carveRatio),
        target: `>= ${TARGET_RATIO}x`,
        meets: carveRatio === null ? null : carveRatio >= TARGET_RATIO,
      },
      {
        metric: 'import + carve (pcap → files)',
        value: ok(carve) && ok(imp) ? `${fmt(mbPerSec(bytes, (carve as RunResult).wallMs + (imp as RunResult).wallMs), 0)} MB/s` : 'n/a',
        reference: ok(ts) ? `tshark ${fmt(mbPerSec(bytes, (ts as RunResult).wallMs), 0)} MB/s` : 'n/a',
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
        value: cpu(carve) === null ? 'n/a' : `${fmt(cpu(carve), 2)} s`,
        reference: cpu(ts) === null ? 'n/a' : `tshark ${fmt(cpu(ts), 2)} s`,
        ratio: fmtRatio(cpuRatio),
        target: '(information)',
        meets: null,
      },
    ];
    say(
      renderTable(
        [{ header: 'metric' }, { header: 'Tapline', align: 'right' }, { header: 'reference' }, { header: 'ratio', align: 'right' }, { header: 'target' }, { header: 'meets' }],
        rows.map((r) => [r.metric, r.value, r.reference, r.ratio, r.target, r.target === '(information)' ? '' : meets(r.meets)]),
      ),
    );
    say(`files: ${same}`);
    if (threads) say(`  carve CPU by thread: ${threads.text}`);
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
      tapline: { importMs: imp?.wallMs ?? null, carveMs: carve?.wallMs ?? null, followMs, carvePeakRssKb: carve?.peakRssKb ?? null, files: ours.length, cpuS: cpu(carve), threads: threads?.split ?? null },
      tsharkCpuS: cpu(ts),
      loadAverage: loadavg(),
      nodeStartMs: start,
      tshark: ts ? { ms: ts.wallMs, peakRssKb: ts.peakRssKb } : null,
      ratios: { carve: carveRatio, importAndCarve: bothRatio, cpu: cpuRatio },
      files: same,
      notMeasured,
    });
    say(`results: ${path}`);
    if (!envBool('BENCH_KEEP_STORE', false)) for (const d of [store, outDir, tsharkDir]) rmSync(d, { recursive: true, force: true });
  },
};
