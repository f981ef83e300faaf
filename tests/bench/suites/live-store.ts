/**
 * Live store writer benchmark: a generated capture's records are replayed as live packets into
 * the LiveWriter (segments, live index snapshots every second, final indexes), next to
 * `tcpdump -r F -w /dev/null` on the same data in the same run. Reports MB/s, packets/s, CPU,
 * peak RSS and the live index lag (packet handed over → covered by a durable index).
 *
 * Env: BENCH_SIZE (2G; the brief asks for a 1-2 GB stream), BENCH_SEED (1),
 * BENCH_TCPDUMP_RUNS (3), BENCH_LIVE_SEGMENT_BYTES (writer default, 128 MiB),
 * BENCH_LIVE_RATE_MBPS (50: the paced run that measures the index lag at a steady rate, 0 skips it),
 * BENCH_KEEP_STORE (0: the live store is deleted afterwards).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureCapture } from '../lib/capture.js';
import { BENCH_DATA, REPO_ROOT, ensureDir, envBool, envInt, machineInfo, toolVersion, which, writeResults } from '../lib/env.js';
import { failureText, median, runMeasured, succeeded, type RunResult } from '../lib/measure.js';
import { fmt, fmtMiB, fmtMs, fmtRatio, renderTable, say, section } from '../lib/report.js';
import { formatBytes, mbPerSec, sizeLabel } from '../lib/size.js';
import type { Suite, SuiteContext } from '../lib/suite.js';

const DRIVER = join(REPO_ROOT, 'tests/bench/live-store-writer.ts');
/** The brief: flows queryable within 2 s of their packets arriving. */
const LAG_TARGET_MS = 2000;

interface DriverResult {
  ms: number;
  bytesRead: number;
  packets: number;
  stored: number;
  droppedBacklog: number;
  storedBytes: number;
  segments: number;
  storeBytes: number;
  stalls: number;
  lagSamples: number;
  lagP50Ms: number | null;
  lagP99Ms: number | null;
  lagMaxMs: number | null;
}

async function run(ctx: SuiteContext): Promise<void> {
  const label = sizeLabel(ctx.sizeText) + (ctx.seed === 1 ? '' : `-s${ctx.seed}`);
  const logDir = ensureDir(join(BENCH_DATA, 'logs', `live-store-${label}`));
  const storeDir = join(BENCH_DATA, `live-store-${label}`);
  const tcpdumpRuns = Math.max(1, envInt('BENCH_TCPDUMP_RUNS', 3));
  const segmentBytes = envInt('BENCH_LIVE_SEGMENT_BYTES', 0);
  const keep = envBool('BENCH_KEEP_STORE', false);
  const paceMBps = envInt('BENCH_LIVE_RATE_MBPS', 50);
  const machine = machineInfo();
  const tcpdump = which('tcpdump');

  section('live-store: capture');
  const cap = await ensureCapture({ sizeText: ctx.sizeText, seed: ctx.seed });
  const st = cap.meta.stats;
  say(`${cap.path}: ${formatBytes(cap.bytes)}, ${st.packets.toLocaleString('en-US')} packets, ${st.flows.toLocaleString('en-US')} flows`);
  say(`machine: ${machine.cpus} CPUs, load average at start ${machine.loadAvgAtStart.join(' ')}; shared, so compare ratios, not absolute times`);
  const warm = await runMeasured({ cmd: 'sh', args: ['-c', 'cat "$1" > /dev/null', 'sh', cap.path], gnuTime: false });
  say(`page cache warmed (${fmtMs(warm.wallMs)}): both tools read the capture from memory and write to ${BENCH_DATA}'s disk or /dev/null`);

  section('live-store: tcpdump -r F -w /dev/null');
  let tcpdumpToDisk: { ms: number; mbps: number } | null = null;
  let tcpdumpRes: { runsMs: number[]; medianMs: number; mbps: number; pps: number; error: string | null } | null = null;
  if (tcpdump) {
    const runs: RunResult[] = [];
    for (let i = 0; i < tcpdumpRuns; i++) runs.push(await runMeasured({ cmd: tcpdump, args: ['-r', cap.path, '-w', '/dev/null'], stdout: 'ignore', stderr: 'capture' }));
    const bad = runs.find((r) => !succeeded(r));
    const ms = median(runs.map((r) => r.wallMs));
    tcpdumpRes = { runsMs: runs.map((r) => Math.round(r.wallMs)), medianMs: Math.round(ms), mbps: mbPerSec(cap.bytes, ms), pps: st.packets / (ms / 1000), error: bad ? failureText(bad) : null };
    say(`median of ${tcpdumpRuns}: ${fmtMs(ms)} -> ${fmt(tcpdumpRes.mbps, 0)} MB/s, ${fmt(tcpdumpRes.pps / 1e6, 2)} Mpkt/s`);
    // the same work minus indexing: tcpdump copying the capture to a file on the store's disk
    const out = join(BENCH_DATA, `live-store-tcpdump-${label}.pcap`);
    const wr = await runMeasured({ cmd: 'sh', args: ['-c', 'tcpdump -r "$1" -w "$2" && sync -f "$2"', 'sh', cap.path, out], stdout: 'ignore', stderr: 'capture' });
    rmSync(out, { force: true });
    tcpdumpToDisk = succeeded(wr) ? { ms: Math.round(wr.wallMs), mbps: mbPerSec(cap.bytes, wr.wallMs) } : null;
    say(`tcpdump -r F -w FILE (same disk, then sync): ${fmtMs(wr.wallMs)} -> ${tcpdumpToDisk ? fmt(tcpdumpToDisk.mbps, 0) : 'n/a'} MB/s${succeeded(wr) ? '' : `  (FAILED: ${failureText(wr)})`}`);
  } else say('tcpdump not found: no reference');

  section('live-store: LiveWriter');
  rmSync(storeDir, { recursive: true, force: true });
  const args = ['--import', 'tsx', DRIVER, cap.path, storeDir, String(segmentBytes)];
  const r = await runMeasured({ cmd: process.execPath, args, cwd: REPO_ROOT, stdout: { file: join(logDir, 'driver.json') }, stderr: { file: join(logDir, 'driver.err') } });
  if (!succeeded(r)) throw new Error(`live writer driver failed: ${failureText(r)}`);
  const d = JSON.parse(readFileSync(join(logDir, 'driver.json'), 'utf8').trim()) as DriverResult;
  const mbps = mbPerSec(d.bytesRead, d.ms);
  const pps = d.packets / (d.ms / 1000);
  const cpuS = (r.userS ?? 0) + (r.sysS ?? 0);
  say(`${d.packets.toLocaleString('en-US')} packets (${formatBytes(d.bytesRead)}) in ${fmtMs(d.ms)} -> ${fmt(mbps, 0)} MB/s, ${fmt(pps / 1e6, 2)} Mpkt/s; process wall ${fmtMs(r.wallMs)}, CPU ${fmt(cpuS, 1)} s, peak RSS ${fmtMiB(r.peakRssKb)}`);
  say(`stored ${d.stored.toLocaleString('en-US')} packets in ${d.segments} segment(s), ${formatBytes(d.storeBytes)} with indexes; ${d.droppedBacklog} dropped; source paused ${d.stalls} times for the disk`);
  say(`live index lag (${d.lagSamples} samples, 100 ms apart): p50 ${fmtMs(d.lagP50Ms)}, p99 ${fmtMs(d.lagP99Ms)}, max ${fmtMs(d.lagMaxMs)}`);
  let paced: DriverResult | null = null;
  if (paceMBps > 0) {
    section(`live-store: LiveWriter at a steady ${paceMBps} MB/s (${fmt((paceMBps * 8) / 1000, 2)} Gbit/s)`);
    rmSync(storeDir, { recursive: true, force: true });
    const pr = await runMeasured({ cmd: process.execPath, args: ['--import', 'tsx', DRIVER, cap.path, storeDir, String(segmentBytes), String(paceMBps)], cwd: REPO_ROOT, stdout: { file: join(logDir, 'driver-paced.json') }, stderr: { file: join(logDir, 'driver-paced.err') } });
    if (!succeeded(pr)) throw new Error(`paced live writer driver failed: ${failureText(pr)}`);
    paced = JSON.parse(readFileSync(join(logDir, 'driver-paced.json'), 'utf8').trim()) as DriverResult;
    say(`${fmt(mbPerSec(paced.bytesRead, paced.ms), 0)} MB/s achieved, ${paced.droppedBacklog} dropped, CPU ${fmt((pr.userS ?? 0) + (pr.sysS ?? 0), 1)} s`);
    say(`live index lag (${paced.lagSamples} samples): p50 ${fmtMs(paced.lagP50Ms)}, p99 ${fmtMs(paced.lagP99Ms)}, max ${fmtMs(paced.lagMaxMs)}`);
  }
  const ratio = tcpdumpRes ? mbps / tcpdumpRes.mbps : null;
  say(
    renderTable(
      [{ header: 'metric' }, { header: 'Tapline', align: 'right' }, { header: 'tcpdump -w /dev/null', align: 'right' }, { header: 'ratio', align: 'right' }, { header: 'target' }],
      [
        ['write MB/s (capture bytes / wall)', fmt(mbps, 0), tcpdumpRes ? fmt(tcpdumpRes.mbps, 0) : 'n/a', fmtRatio(ratio), '(information)'],
        ['write MB/s vs tcpdump -w FILE + sync', fmt(mbps, 0), tcpdumpToDisk ? fmt(tcpdumpToDisk.mbps, 0) : 'n/a', fmtRatio(tcpdumpToDisk ? mbps / tcpdumpToDisk.mbps : null), '(information)'],
        ['packets/s (M)', fmt(pps / 1e6, 2), tcpdumpRes ? fmt(tcpdumpRes.pps / 1e6, 2) : 'n/a', fmtRatio(tcpdumpRes ? pps / tcpdumpRes.pps : null), '(information)'],
        ['live index lag p99, full speed', fmtMs(d.lagP99Ms), '', '', '(information: the source outruns the disk)'],
        [`live index lag p99 at ${paceMBps} MB/s`, fmtMs(paced?.lagP99Ms), '', '', `<= ${LAG_TARGET_MS} ms: ${paced?.lagP99Ms == null ? 'n/a' : paced.lagP99Ms <= LAG_TARGET_MS ? 'yes' : 'NO'}`],
        ['peak RSS', fmtMiB(r.peakRssKb), '', '', '(information)'],
      ],
    ),
  );
  say('  Tapline writes segments to disk, indexes every packet and fsyncs every second; tcpdump only parses and discards (-w /dev/null)');
  const resultsPath = writeResults('live-store', {
    suite: 'live-store',
    date: new Date().toISOString(),
    machine,
    tools: { tcpdump: tcpdump ? toolVersion(tcpdump) : null },
    capture: { path: relative(REPO_ROOT, cap.path), bytes: cap.bytes, packets: st.packets, flows: st.flows },
    tcpdump: tcpdumpRes,
    tcpdumpToDisk,
    tapline: { ...d, mbps, pps, processWallMs: Math.round(r.wallMs), cpuS, peakRssKb: r.peakRssKb },
    paced: paced ? { rateMBps: paceMBps, ...paced } : null,
    ratioVsTcpdump: ratio,
  });
  say(`results: ${relative(REPO_ROOT, resultsPath)}`);
  if (!keep) rmSync(storeDir, { recursive: true, force: true });
}

export const liveStoreSuite: Suite = {
  name: 'live-store',
  description: 'live writer: generated stream → segments + live index, vs tcpdump -r F -w /dev/null; live index lag',
  run,
};
