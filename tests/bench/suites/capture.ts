/**
 * Live-capture benchmark: the highest replay rate each capture keeps without a single drop, for
 * `tapline capture --iface` (worker + store writer, rotating and indexing segments while it
 * captures) and for `tcpdump -w` on the same link in the same run, plus CPU per Gbit/s.
 *
 * Two namespaces joined by a veth pair (tests/helpers/netns.ts, removed at the end); tcpreplay
 * in one sends a bounded number of packets of a generated capture at a fixed packet rate, the
 * capture runs in the other. Rates climb a ladder; a tool's result is the highest rate at which it
 * received every packet sent with zero kernel drops. Trials alternate tools at each rate so load
 * from other processes on this shared machine hits both alike.
 *
 * Env: BENCH_CAPTURE_SIZE (replay source, default 200M), BENCH_CAPTURE_RATES (pps ladder,
 * default 20000,50000,100000,200000,400000,0 where 0 = --topspeed), BENCH_CAPTURE_SECONDS
 * (trial length at each rate, default 3), BENCH_CAPTURE_MAX_PACKETS (packets a trial at most,
 * default 1,000,000: about 2 s at top speed, which weighs the capture's start-up (a fresh worker
 * compiling its hot code) heavily against a sensor that runs for hours; a larger value runs
 * longer trials, replaying the source several times over with tcpreplay --loop when it holds
 * fewer packets (unset: at most the source once over); every tool gets the same trials),
 * BENCH_CAPTURE_SEGMENT (tapline segment size, default 32M: small enough that segments are
 * closed and indexed during the trial), BENCH_CAPTURE_TOOLS (default tapline,tcpdump; add
 * tapline-js for the `pcap` package path, i.e. tapline with TAPLINE_NATIVE=0, and tapline-ref
 * for the build at BENCH_TAPLINE_REF_CLI, in the same run), BENCH_CAPTURE_PIN=1 (tcpreplay on CPU 0,
 * the capture, every thread of it, on CPU 1: each tool then sees the same offered load, which
 * its own CPU use no longer slows, and has one core, which a multi-threaded capture cannot
 * spread over; off by default, on by default with the afpacket sender; `sender`: the sender alone
 * on CPU 0 and the capture wherever the scheduler puts it, the two-core sensor's case with RPS
 * below), BENCH_CAPTURE_SENDER
 * (`tcpreplay`, the default, or `afpacket`: tests/bench/native/pcap-sender.c, compiled into
 * bench-data, which preloads the trial's packets and sends them with sendmmsg on an AF_PACKET
 * socket, about 1.1-1.3 M pps of bench-2g's packets on one core with nobody listening, where
 * tcpreplay tops out near the captures' own rates; its default ladder then climbs to 1.2 M pps),
 * BENCH_CAPTURE_ROUNDS (default 1: the ladder is climbed that many times; a tool's result is its
 * median round, and the ratio is given for every round and for the medians: one trial a rung
 * ends a tool's ladder at its first unlucky drop, so single ladders of two tools close to each
 * other disagree from run to run),
 * BENCH_CAPTURE_RPS=1 (pinned only: the receiving veth end's receive processing steered to the
 * capture's core, rps_cpus. A veth delivers each packet to the packet sockets in the sender's
 * softirq, on the sender's core: beside either capture the sender then reaches only 410-600 k
 * pps, below both captures' limits, so every tool is drop-free at every rung and the ladder
 * finds the rig's limit, not theirs. With RPS the capture's core also does the kernel's receive
 * work for its packets, the sender is no longer the limit, and each tool drops somewhere: a
 * single-core budget for kernel and capture together).
 *
 * Every trial also reads the receiving veth end's rx_packets before and after: `delivered` is
 * what reached the capture's interface (a drop between the two veth ends would show as a
 * difference to `sent`, and is not the capture's).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createNetnsPair, netnsSkipReason, type NetnsPair } from '../../helpers/netns.js';
import { ensureCapture } from '../lib/capture.js';
import { BENCH_DATA, TAPLINE_CLI, ensureDir, envInt, envString, machineInfo, toolVersion, which, writeResults } from '../lib/env.js';
import { fmt, fmtRatio, renderTable, say, section } from '../lib/report.js';
import { formatBytes } from '../lib/size.js';
import type { Suite, SuiteContext } from '../lib/suite.js';

type Tool = 'tapline' | 'tapline-js' | 'tapline-ref' | 'tcpdump';
const TOOLS: readonly Tool[] = ['tapline', 'tapline-js', 'tapline-ref', 'tcpdump'];
/** tapline-ref: another build's CLI (e.g. the commit before a change), run in the same trials. */
const REF_CLI = process.env.BENCH_TAPLINE_REF_CLI;
type Sender = 'tcpreplay' | 'afpacket';
const SENDER: Sender = process.env.BENCH_CAPTURE_SENDER === 'afpacket' ? 'afpacket' : 'tcpreplay';
/** BENCH_CAPTURE_PIN=1: the sender and the capture each on a core of their own (taskset); the afpacket sender pins unless it is 0. */
const PIN = process.env.BENCH_CAPTURE_PIN === '1' || process.env.BENCH_CAPTURE_PIN === 'sender' || (SENDER === 'afpacket' && process.env.BENCH_CAPTURE_PIN !== '0');
/**
 * BENCH_CAPTURE_PIN=sender: only the sender is pinned (CPU 0); each capture runs where the
 * scheduler puts it, as on a sensor whose receive processing has a core of its own (with RPS on
 * CPU 1) and whose other cores are free: a capture with threads may use the sender's leftovers.
 */
const CAPTURE_FREE = PIN && process.env.BENCH_CAPTURE_PIN === 'sender';
/** BENCH_CAPTURE_RPS=1 (pinned only): receive processing on the capture's core (see above). */
const RPS = PIN && process.env.BENCH_CAPTURE_RPS === '1';

/** The AF_PACKET sender's binary, compiled into bench-data when missing or older than its source. */
function afpacketSender(): string {
  const src = fileURLToPath(new URL('../native/pcap-sender.c', import.meta.url));
  const bin = join(BENCH_DATA, 'pcap-sender');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin;
  const cc = which('cc') ?? which('gcc');
  if (!cc) throw new Error('BENCH_CAPTURE_SENDER=afpacket needs a C compiler (cc or gcc)');
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', bin, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`compiling ${src}: ${r.stderr}`);
  return bin;
}

/** What a replay reported: packets and bytes the sender handed to the kernel, and how long it took. */
interface Replay {
  sent: number;
  bytes: number;
  seconds: number;
}

/** Sends `count` packets of `file` (replayed `loops` times over where needed) at `rate` pps (0: as fast as the sender can). */
function replay(pair: NetnsPair, rate: number, count: number, loops: number, file: string): Replay {
  if (SENDER === 'afpacket') {
    // bounded in time too: three times the trial's length at the asked rate, at least 30 s
    const bound = Math.max(30, rate > 0 ? (3 * count) / rate : 0);
    const out = pair.exec(pair.nsA, ...onCpu(0, afpacketSender(), [pair.ifA, String(rate), String(count), String(bound), file]), 300_000);
    const r = JSON.parse(out.trim().split('\n').pop() ?? '') as { sent?: unknown; bytes?: unknown; seconds?: unknown };
    if (typeof r.sent !== 'number' || typeof r.bytes !== 'number' || typeof r.seconds !== 'number') throw new Error(`pcap-sender output not understood: ${out.slice(-300)}`);
    return { sent: r.sent, bytes: r.bytes, seconds: r.seconds };
  }
  const speed = rate === 0 ? ['--topspeed'] : ['--pps', String(rate)];
  const loop = loops > 1 ? ['--loop', String(loops)] : [];
  const text = pair.exec(pair.nsA, ...onCpu(0, 'tcpreplay', ['-i', pair.ifA, ...speed, ...loop, '--limit', String(count), file]), 300_000);
  const m = /Actual: (\d+) packets \((\d+) bytes\) sent in ([\d.]+) seconds/.exec(text);
  if (!m) throw new Error(`tcpreplay output not understood: ${text.slice(-300)}`);
  return { sent: Number(m[1]), bytes: Number(m[2]), seconds: Number(m[3]) };
}

/** Packets the receiving veth end has taken in so far. */
function rxPackets(pair: NetnsPair): number {
  return Number(pair.exec(pair.nsB, 'cat', [`/sys/class/net/${pair.ifB}/statistics/rx_packets`]).trim());
}

/** The command run on one CPU when PIN is set (the capture's, CPU 1, unless CAPTURE_FREE). */
function onCpu(cpu: number, cmd: string, args: string[]): [string, string[]] {
  return PIN && !(cpu === 1 && CAPTURE_FREE) ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
}

interface Trial {
  tool: Tool;
  ratePps: number | 'topspeed';
  sent: number;
  sentBytes: number;
  replaySeconds: number;
  /** Packets that reached the capture's veth end during the trial (its rx_packets; includes the odd IPv6 housekeeping packet). */
  delivered: number | null;
  captured: number | null;
  kernelDrops: number | null;
  /** tapline: packets received but not stored (store writer and hand-off drops). */
  storeDrops: number | null;
  /** tapline: the part of storeDrops dropped at the hand-off to the writer thread (its ring full). */
  handoffDrops: number | null;
  cpuSeconds: number | null;
  /** tapline: the trial's CPU by thread (threadBreakdown). */
  threads: string | null;
  zeroDrop: boolean;
  error: string | null;
}

const CLK_TCK = 100;

/** CPU seconds (user + system) used so far by a process and its descendants. */
function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  const walk = (p: number): void => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
      for (const t of readdirSync(`/proc/${p}/task`)) {
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) walk(Number(c));
      }
    } catch {
      // exited meanwhile
    }
  };
  walk(pid);
  return ticks / CLK_TCK;
}

interface ThreadTicks {
  pid: number;
  tid: number;
  comm: string;
  ticks: number;
  /** Of ticks: user and system time. */
  user: number;
  sys: number;
  /** Voluntary context switches (the thread went to sleep: a wait for work, a lock): a count the load does not move. */
  vcs: number;
}

function voluntarySwitches(statusPath: string): number {
  const m = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(statusPath, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** CPU ticks of every thread of a process and its descendants, by "pid/tid". */
function treeThreadTicks(pid: number): Map<string, ThreadTicks> {
  const out = new Map<string, ThreadTicks>();
  const walk = (p: number): void => {
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const stat = readFileSync(`/proc/${p}/task/${t}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        out.set(`${p}/${t}`, { pid: p, tid: Number(t), comm, ticks: Number(f[11]) + Number(f[12]), user: Number(f[11]), sys: Number(f[12]), vcs: voluntarySwitches(`/proc/${p}/task/${t}/status`) });
        for (const c of readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/)) if (c) walk(Number(c));
      }
    } catch {
      // exited meanwhile
    }
  };
  walk(pid);
  return out;
}

/**
 * Where a tapline trial's CPU went, by thread of the capture worker (the process with the native
 * capture thread, named tl-capture): that thread (the copy out of the kernel ring), the worker's
 * JS main thread, its other threads by CPU (the store writer thread first as a rule, then V8's
 * and libuv's helpers), and the CLI parent. Seconds; threads that ended during the trial are
 * missing (none should: the worker runs throughout). The capture and main threads' voluntary
 * context switches ("sleeps": waits for work, i.e. wake-ups) are counts the load barely moves.
 */
function threadBreakdown(before: Map<string, ThreadTicks>, after: Map<string, ThreadTicks>): string {
  const delta = [...after.entries()].map(([k, a]) => {
    const b = before.get(k);
    return { ...a, ticks: a.ticks - (b?.ticks ?? 0), user: a.user - (b?.user ?? 0), sys: a.sys - (b?.sys ?? 0), vcs: a.vcs - (b?.vcs ?? 0) };
  });
  const worker = delta.find((t) => t.comm === 'tl-capture')?.pid;
  if (worker === undefined) return 'threads: no tl-capture thread (JavaScript capture path or an older build)';
  const s = (ticks: number): string => (ticks / CLK_TCK).toFixed(2);
  // user/system split: V8's helper threads (GC, compilers) run in user time, libuv's pool (the
  // segment writes and data syncs) almost only in system time
  const us = (ts: { user: number; sys: number }[]): string => `${s(ts.reduce((n, t) => n + t.user, 0))}u+${s(ts.reduce((n, t) => n + t.sys, 0))}s`;
  const mine = delta.filter((t) => t.pid === worker);
  const native = mine.filter((t) => t.comm === 'tl-capture');
  const main = mine.filter((t) => t.tid === worker);
  const others = mine.filter((t) => t.comm !== 'tl-capture' && t.tid !== worker).sort((a, b) => b.ticks - a.ticks);
  const parent = delta.filter((t) => t.pid !== worker);
  const vcs = (ts: { vcs: number }[]): string => `${ts.reduce((n, t) => n + t.vcs, 0)}`;
  return `threads: capture ${us(native)} (${vcs(native)} sleeps), worker main ${us(main)} (${vcs(main)} sleeps), worker others ${others.slice(0, 3).map((t) => us([t])).join(' / ')} (+${us(others.slice(3))}), parent ${s(parent.reduce((n, t) => n + t.ticks, 0))} s`;
}

function waitFor(child: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = '';
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${re}: ${text.slice(-500)}`)), timeoutMs);
    child[stream]!.on('data', (b: Buffer) => {
      text += b.toString();
      if (re.test(text)) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once('exit', (c) => {
      clearTimeout(t);
      reject(new Error(`exited ${c}: ${text.slice(-500)}`));
    });
  });
}

function collectOutput(child: ChildProcess): () => string {
  let text = '';
  child.stdout?.on('data', (b: Buffer) => (text += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (text += b.toString()));
  return () => text;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(null);
    }, timeoutMs);
    child.once('exit', (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
}

async function trial(pair: NetnsPair, tool: Trial['tool'], rate: number, count: number, loops: number, replayFile: string, workDir: string, segment: string): Promise<Trial> {
  const ratePps: Trial['ratePps'] = rate === 0 ? 'topspeed' : rate;
  const base: Trial = { tool, ratePps, sent: 0, sentBytes: 0, replaySeconds: 0, delivered: null, captured: null, kernelDrops: null, storeDrops: null, handoffDrops: null, cpuSeconds: null, threads: null, zeroDrop: false, error: null };
  const dir = join(workDir, `${tool}-${ratePps}`);
  rmSync(dir, { recursive: true, force: true });
  ensureDir(dir);
  const tapline = tool !== 'tcpdump';
  const cap =
    tapline
      ? pair.spawnIn(pair.nsB, ...onCpu(1, process.execPath, [tool === 'tapline-ref' && REF_CLI ? REF_CLI : TAPLINE_CLI, 'capture', '--iface', pair.ifB, '--store', join(dir, 'store'), '--segment-size', segment, '--quiet']), {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: tool === 'tapline-js' ? { ...process.env, TAPLINE_NATIVE: '0' } : process.env,
        })
      : pair.spawnIn(pair.nsB, ...onCpu(1, 'tcpdump', ['-i', pair.ifB, '-n', '-s', '262144', '-B', String(32 * 1024), '-Z', 'root', '-w', join(dir, 'tcpdump.pcap')]), { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = collectOutput(cap);
  try {
    await waitFor(cap, 'stderr', tapline ? /capturing from/ : /listening on/, 30_000);
    const cpu0 = treeCpuSeconds(cap.pid!);
    const threads0 = tapline ? treeThreadTicks(cap.pid!) : null;
    const rx0 = rxPackets(pair);
    const r = replay(pair, rate, count, loops, replayFile);
    base.sent = r.sent;
    base.sentBytes = r.bytes;
    base.replaySeconds = r.seconds;
    // Let the capture drain its ring (bounded), then take its CPU and stop it.
    await new Promise((r) => setTimeout(r, 1500));
    base.delivered = rxPackets(pair) - rx0;
    base.cpuSeconds = Math.round((treeCpuSeconds(cap.pid!) - cpu0) * 100) / 100;
    if (threads0) base.threads = threadBreakdown(threads0, treeThreadTicks(cap.pid!));
    cap.kill('SIGINT');
    const code = await exited(cap, 300_000);
    const text = output();
    if (code !== 0) throw new Error(`${tool} exited ${code}: ${text.slice(-300)}`);
    if (tapline) {
      // older builds print no hand-off drops (their writer ran on the capture's thread)
      const c = /captured (\d+) packets .*; (\d+) kernel drops, (\d+) store drops(?:, (\d+) hand-off drops)?/.exec(text);
      if (!c) throw new Error(`no summary: ${text.slice(-300)}`);
      base.captured = Number(c[1]);
      base.kernelDrops = Number(c[2]);
      base.storeDrops = Number(c[3]) + Number(c[4] ?? 0);
      base.handoffDrops = c[4] === undefined ? null : Number(c[4]);
    } else {
      base.captured = Number(/(\d+) packets captured/.exec(text)?.[1] ?? NaN);
      base.kernelDrops = Number(/(\d+) packets dropped by kernel/.exec(text)?.[1] ?? NaN);
    }
    // The link carries nothing else but the occasional IPv6 housekeeping packet, so >= sent.
    base.zeroDrop = base.kernelDrops === 0 && (base.storeDrops ?? 0) === 0 && base.captured !== null && base.captured >= base.sent;
  } catch (e) {
    base.error = e instanceof Error ? e.message : String(e);
    cap.kill('SIGKILL');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return base;
}

export const captureSuite: Suite = {
  name: 'capture',
  description: 'live capture on a veth pair: highest zero-drop rate vs tcpdump -w, CPU per Gbit/s',
  async run(_ctx: SuiteContext): Promise<void> {
    const senderName = SENDER === 'afpacket' ? 'pcap-sender (AF_PACKET, sendmmsg)' : 'tcpreplay';
    const where = CAPTURE_FREE ? `the sender on CPU 0, ${RPS ? 'receive processing on CPU 1, ' : ''}the capture on any CPU` : `the sender on CPU 0, the capture${RPS ? ' and its receive processing' : ''} on CPU 1`;
    section(PIN ? `Live capture (${senderName} over a veth pair; ${where})` : `Live capture (${senderName} over a veth pair)`);
    const skip = netnsSkipReason() ?? (SENDER === 'afpacket' || which('tcpreplay') ? null : 'tcpreplay is not installed') ?? (which('tcpdump') ? null : 'tcpdump is not installed');
    if (skip) {
      say(`skipped: ${skip}`);
      writeResults('capture', { skipped: skip });
      return;
    }
    const source = await ensureCapture({ sizeText: envString('BENCH_CAPTURE_SIZE', '200M'), seed: 1 });
    const defaultRates = SENDER === 'afpacket' ? '100000,200000,300000,400000,500000,600000,700000,800000,1000000,1200000,0' : '20000,50000,100000,200000,400000,0';
    const rates = envString('BENCH_CAPTURE_RATES', defaultRates)
      .split(',')
      .map((s) => Number(s.trim()));
    const seconds = envInt('BENCH_CAPTURE_SECONDS', 3);
    const segment = envString('BENCH_CAPTURE_SEGMENT', '32M');
    const maxPackets = envInt('BENCH_CAPTURE_MAX_PACKETS', 1_000_000);
    if (maxPackets < 1) throw new Error('BENCH_CAPTURE_MAX_PACKETS must be at least 1');
    const workDir = ensureDir(join(BENCH_DATA, 'capture'));
    const pair = createNetnsPair('b', 79);
    const tools = envString('BENCH_CAPTURE_TOOLS', 'tapline,tcpdump')
      .split(',')
      .map((s) => s.trim())
      .filter((s): s is Tool => (TOOLS as readonly string[]).includes(s));
    const rounds = envInt('BENCH_CAPTURE_ROUNDS', 1);
    if (rounds < 1) throw new Error('BENCH_CAPTURE_ROUNDS must be at least 1');
    const trials: Trial[] = [];
    /** Each round's highest zero-drop trial per tool. */
    const bestOfRound: Record<Tool, Trial | null>[] = [];
    const rateOf = (x: Trial): number => x.sent / Math.max(x.replaySeconds, 1e-9);
    try {
      for (const dev of [[pair.nsA, pair.ifA], [pair.nsB, pair.ifB]] as const) pair.exec(dev[0], 'ip', ['link', 'set', dev[1], 'mtu', '9000']);
      if (RPS) {
        // CPU 1's bit: the receiving end's packets are processed there (the capture's core)
        const rps = `/sys/class/net/${pair.ifB}/queues/rx-0/rps_cpus`;
        pair.exec(pair.nsB, 'sh', ['-c', `echo 2 > ${rps}`]);
        say(`receive processing on CPU 1: ${rps} = ${pair.exec(pair.nsB, 'cat', [rps]).trim()}`);
      }
      say(`replay source ${source.path} (${formatBytes(source.bytes)}, ${source.meta.stats.packets} packets); ${seconds} s a trial, at most ${maxPackets} packets${rounds > 1 ? `; ${rounds} rounds` : ''}`);
      for (let round = 0; round < rounds; round++) {
        if (rounds > 1) say(`round ${round + 1} of ${rounds}`);
        const best: Record<Tool, Trial | null> = { tapline: null, 'tapline-js': null, 'tapline-ref': null, tcpdump: null };
        const failed: Record<Tool, boolean> = { tapline: false, 'tapline-js': false, 'tapline-ref': !REF_CLI, tcpdump: false };
        bestOfRound.push(best);
        for (const rate of rates) {
          // unset: as before, at most the source once over (no loop)
          const count = Math.min(maxPackets, rate === 0 ? maxPackets : rate * seconds, process.env.BENCH_CAPTURE_MAX_PACKETS ? Infinity : source.meta.stats.packets);
          const loops = Math.ceil(count / source.meta.stats.packets);
          const order: Tool[] = trials.length % (2 * tools.length) === 0 ? [...tools] : [...tools].reverse();
          for (const tool of order) {
            if (failed[tool]) continue;
            const t = await trial(pair, tool, rate, count, loops, source.path, workDir, segment);
            trials.push(t);
            say(`${tool.padEnd(8)} ${String(t.ratePps).padStart(9)} pps: sent ${t.sent} (${rateOf(t).toFixed(0)} pps achieved), delivered ${t.delivered ?? '-'}, captured ${t.captured ?? '-'}, kernel drops ${t.kernelDrops ?? '-'}${t.storeDrops ? `, store/hand-off drops ${t.storeDrops}${t.handoffDrops !== null ? ` (hand-off ${t.handoffDrops})` : ''}` : ''}, CPU ${t.cpuSeconds ?? '-'} s${t.threads ? ` (${t.threads})` : ''}${t.error ? `, error: ${t.error}` : ''}`);
            // the highest rate achieved without a drop (the capture's own CPU use slows the sender,
            // so a higher asked rate can come out lower)
            if (t.zeroDrop) {
              if (best[tool] === null || rateOf(t) > rateOf(best[tool])) best[tool] = t;
            } else failed[tool] = true;
          }
          if (tools.every((t) => failed[t])) break;
        }
        if (rounds > 1) {
          const r = best.tapline && best.tcpdump ? rateOf(best.tapline) / rateOf(best.tcpdump) : null;
          say(`round ${round + 1}: ${tools.map((t) => `${t} ${best[t] ? rateOf(best[t]).toFixed(0) : 'none'}`).join(', ')} pps; tapline / tcpdump ${fmtRatio(r)}`);
        }
      }
    } finally {
      pair.remove();
    }
    /** A tool's median round (by its highest zero-drop rate; a round without one counts as 0). */
    const medianOf = (tool: Tool): Trial | null => {
      const sorted = bestOfRound.map((b) => b[tool]).sort((a, b) => (a ? rateOf(a) : 0) - (b ? rateOf(b) : 0));
      return sorted[Math.floor((sorted.length - 1) / 2)] ?? null;
    };
    const best: Record<Tool, Trial | null> = { tapline: medianOf('tapline'), 'tapline-js': medianOf('tapline-js'), 'tapline-ref': medianOf('tapline-ref'), tcpdump: medianOf('tcpdump') };
    const roundRatios = bestOfRound.map((b) => (b.tapline && b.tcpdump ? rateOf(b.tapline) / rateOf(b.tcpdump) : null));
    const achieved = (t: Trial | null): number | null => (t ? t.sent / Math.max(t.replaySeconds, 1e-9) : null);
    const gbps = (t: Trial | null): number | null => (t ? (t.sentBytes * 8) / Math.max(t.replaySeconds, 1e-9) / 1e9 : null);
    const cpuPerGbit = (t: Trial | null): number | null => (t && t.cpuSeconds !== null && t.sentBytes > 0 ? t.cpuSeconds / ((t.sentBytes * 8) / 1e9) : null);
    const rows = tools.map((tool) => {
      const b = best[tool];
      return [tool, b ? String(b.ratePps) : 'none', fmt(achieved(b), 0), fmt(gbps(b), 3), fmt(cpuPerGbit(b), 2)];
    });
    say(
      renderTable(
        [
          { header: 'capture', align: 'left' },
          { header: 'highest zero-drop rate (pps asked)', align: 'right' },
          { header: 'pps achieved', align: 'right' },
          { header: 'Gbit/s', align: 'right' },
          { header: 'CPU s per Gbit', align: 'right' },
        ],
        rows,
      ),
    );
    const ratio = achieved(best.tapline) !== null && achieved(best.tcpdump) ? achieved(best.tapline)! / achieved(best.tcpdump)! : null;
    say(`tapline / tcpdump zero-drop rate: ${fmtRatio(ratio)}${rounds > 1 ? ` (median rounds; each round: ${roundRatios.map((r) => fmtRatio(r)).join(' / ')})` : ''} (target >= 1.0 while also indexing)`);
    const ratioJs = achieved(best['tapline-js']) !== null && achieved(best.tcpdump) ? achieved(best['tapline-js'])! / achieved(best.tcpdump)! : null;
    if (tools.includes('tapline-js')) say(`tapline-js (pcap package path) / tcpdump zero-drop rate: ${fmtRatio(ratioJs)}`);
    const ratioRef = achieved(best['tapline-ref']) !== null && achieved(best.tcpdump) ? achieved(best['tapline-ref'])! / achieved(best.tcpdump)! : null;
    if (tools.includes('tapline-ref')) say(`tapline-ref (${REF_CLI ?? 'BENCH_TAPLINE_REF_CLI unset'}) / tcpdump zero-drop rate: ${fmtRatio(ratioRef)}`);
    const path = writeResults('capture', { machine: machineInfo(), load: readFileSync('/proc/loadavg', 'utf8').trim(), sender: SENDER, tcpreplay: SENDER === 'tcpreplay' ? toolVersion('tcpreplay', ['--version']) : null, tcpdump: toolVersion('tcpdump', ['--version']), rates, seconds, maxPackets, segment, rounds, roundRatios, tools, trials, best, ratio, ratioJs, ratioRef, refCli: REF_CLI ?? null, pinned: PIN ? (CAPTURE_FREE ? 'sender' : 'both') : 'none', rps: RPS, cpuPerGbit: { tapline: cpuPerGbit(best.tapline), 'tapline-js': cpuPerGbit(best['tapline-js']), 'tapline-ref': cpuPerGbit(best['tapline-ref']), tcpdump: cpuPerGbit(best.tcpdump) } });
    say(`results: ${path}`);
  },
};
