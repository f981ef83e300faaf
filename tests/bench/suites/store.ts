/**
 * Packet-store benchmark: import throughput, flow slicing, index size and peak memory, each
 * against reference tools run on the same capture in the same run (the machine is shared, so
 * only ratios are comparable between runs).
 *
 * Env: BENCH_SIZE (2G), BENCH_SEED (1), BENCH_SLICE_FLOWS (200), BENCH_REF_FLOWS (5),
 * BENCH_TCPDUMP_RUNS (3), BENCH_IMPORT_RUNS (1; Tapline imports, alternating with the tcpdump
 * runs, median reported), BENCH_TSHARK (1; 0 skips the slow tshark run),
 * BENCH_KEEP_STORE (1; 0 deletes the store afterwards), BENCH_FLOWS (flow count of the generated
 * capture instead of the size's default: a flow-heavy capture shows import memory bounded by
 * index parts), BENCH_FLOW_HEAVY (N: instead of the generated mix, N short flows - a SYN scan and
 * a DNS storm, tests/bench/lib/flow-heavy-capture.ts), BENCH_UNBOUNDED_IMPORT (0; 1 also imports once with no memory budget,
 * `--index-memory 1T`, and reports its peak RSS: what the capture needs indexed whole).
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import type { FlowRecord } from '../generate-capture.js';
import { ensureCapture, readFlows, type BenchCapture } from '../lib/capture.js';
import { ensureFlowHeavyCapture } from '../lib/flow-heavy-capture.js';
import { BENCH_DATA, REPO_ROOT, TAPLINE_CLI, ensureDir, envBool, envInt, fileExists, machineInfo, memAvailable, toolVersion, which, writeResults } from '../lib/env.js';
import { cpuSeconds, failureText, mean, median, runMeasured, succeeded, type RunResult } from '../lib/measure.js';
import { nodeStartMs, taplineEnv, taplineEnvNote } from '../lib/node-start.js';
import { decimalToUs, usToDecimal } from '../lib/net.js';
import { NotPcapError, bpfForFlow, compareSlice, decodeFiveTuple, flowMatcher, readPcap, type FlowKey } from '../lib/pcap.js';
import { Rng } from '../lib/prng.js';
import { fmt, fmtMiB, fmtMs, fmtRatio, meets, renderTable, say, section } from '../lib/report.js';
import { formatBytes, mbPerSec, sizeLabel } from '../lib/size.js';
import type { Suite, SuiteContext, TargetRow } from '../lib/suite.js';

const TARGETS = {
  importVsTcpdump: 0.6,
  sliceSpeedup: 100,
  sliceMsPerFlow: 50,
  indexPercent: 3,
  peakRssMiB: 512,
};

/** One slicing query as written to the NDJSON file (keys fixed by the CLI contract). */
interface SliceQuery extends FlowKey {
  sip: string;
  spt: number;
  dip: string;
  dpt: number;
  proto: 'tcp' | 'udp';
  stime: string;
  etime: string;
}

interface Measured {
  wallMs: number;
  peakRssKb: number;
  /** The two sources of peakRssKb (see lib/measure.ts). */
  gnuTimeRssKb: number | null;
  treePeakRssKb: number;
  userS: number | null;
  sysS: number | null;
  exitCode: number | null;
  error: string | null;
}

function measured(r: RunResult): Measured {
  return {
    wallMs: Math.round(r.wallMs * 10) / 10,
    peakRssKb: r.peakRssKb,
    gnuTimeRssKb: r.gnuTimeRssKb,
    treePeakRssKb: r.treePeakRssKb,
    userS: r.userS,
    sysS: r.sysS,
    exitCode: r.exitCode,
    error: succeeded(r) ? null : failureText(r),
  };
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function tapline(args: readonly string[]): { cmd: string; args: string[] } {
  return { cmd: process.execPath, args: [TAPLINE_CLI, ...args] };
}

/** Query for a generated flow; the window is widened by 1 s each side (analysts give rough times). */
function queryFor(f: FlowRecord): SliceQuery {
  return {
    sip: f.clientIp,
    spt: f.clientPort,
    dip: f.serverIp,
    dpt: f.serverPort,
    proto: f.proto === 'tcp' ? 'tcp' : 'udp',
    stime: usToDecimal(decimalToUs(f.first) - 1_000_000),
    etime: usToDecimal(decimalToUs(f.last) + 1_000_000),
  };
}

interface IndexFile {
  path: string;
  bytes: number;
  kind: 'index' | 'packet-data';
}

/**
 * Sizes of the store's files. Files that start with a pcap/pcapng magic are packet data (a store
 * that keeps its own copy of the packets); everything else counts as index. Heuristic: the
 * per-file list is written to the log so the split can be checked.
 */
function storeFiles(dir: string): IndexFile[] {
  const out: IndexFile[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        const head = Buffer.alloc(4);
        const fd = openSync(p, 'r');
        const n = readSync(fd, head, 0, 4, 0);
        closeSync(fd);
        const m = n === 4 ? head.readUInt32BE(0) : 0;
        const isPcap = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a].includes(m);
        out.push({ path: relative(dir, p), bytes: st.size, kind: isPcap ? 'packet-data' : 'index' });
      }
    }
  };
  walk(dir);
  return out.sort((a, b) => b.bytes - a.bytes);
}

async function run(ctx: SuiteContext): Promise<void> {
  const flowCount = envInt('BENCH_FLOWS', 0);
  const flowHeavy = envInt('BENCH_FLOW_HEAVY', 0);
  const label = flowHeavy > 0 ? `flowheavy-${flowHeavy}` : sizeLabel(ctx.sizeText) + (ctx.seed === 1 ? '' : `-s${ctx.seed}`) + (flowCount > 0 ? `-f${flowCount}` : '');
  const logDir = ensureDir(join(BENCH_DATA, 'logs', `store-${label}`));
  const storeDir = join(BENCH_DATA, `store-${label}`);
  const sliceRoot = join(BENCH_DATA, `slices-${label}`);
  const log = (name: string): { file: string } => ({ file: join(logDir, name) });
  const sliceFlows = envInt('BENCH_SLICE_FLOWS', 200);
  const refFlows = envInt('BENCH_REF_FLOWS', 5);
  const tcpdumpRuns = Math.max(1, envInt('BENCH_TCPDUMP_RUNS', 3));
  const importRuns = Math.max(1, envInt('BENCH_IMPORT_RUNS', 1));
  const runTshark = envBool('BENCH_TSHARK', true);
  const keepStore = envBool('BENCH_KEEP_STORE', true);
  const machine = machineInfo();
  const tcpdump = which('tcpdump');
  const tshark = which('tshark');
  const cliPresent = fileExists(TAPLINE_CLI);
  const untested: string[] = [];

  section('store: capture');
  const cap: BenchCapture =
    flowHeavy > 0 ? await ensureFlowHeavyCapture(ensureDir(BENCH_DATA), flowHeavy) : await ensureCapture({ sizeText: ctx.sizeText, seed: ctx.seed, flows: flowCount > 0 ? flowCount : undefined });
  const st = cap.meta.stats;
  if (cap.generatedMs !== null) say(`generated in ${fmtMs(cap.generatedMs)} (${fmt(mbPerSec(cap.bytes, cap.generatedMs), 0)} MB/s incl. process start)`);
  say(`${cap.path}: ${formatBytes(cap.bytes)}, ${st.packets.toLocaleString('en-US')} packets, ${st.flows.toLocaleString('en-US')} flows, ${st.firstTs} .. ${st.lastTs}`);
  say(`machine: ${machine.cpus} CPUs, ${formatBytes(machine.memTotalBytes)} RAM, load average at start ${machine.loadAvgAtStart.join(' ')}; shared, so compare ratios, not absolute times`);

  // ---------------------------------------------------------------------------------- import
  section('store: import');
  const avail = memAvailable();
  if (avail !== null && avail < cap.bytes * 1.5) say(`WARNING: only ${formatBytes(avail)} available; the capture may not stay in the page cache`);
  const warm = await runMeasured({ cmd: 'sh', args: ['-c', 'cat "$1" > /dev/null', 'sh', cap.path], gnuTime: false });
  say(`page cache warmed first: \`cat FILE > /dev/null\` took ${fmtMs(warm.wallMs)} (${fmt(mbPerSec(cap.bytes, warm.wallMs), 0)} MB/s); every tool below reads the capture from memory`);

  // tcpdump and Tapline runs alternate (tcpdump, tapline, tcpdump, …): on a shared machine the
  // load drifts within a minute, and alternating exposes both tools to the same drift
  let tcpdumpImport: { runsMs: number[]; medianMs: number; mbps: number; cpuS: number | null; error: string | null } | null = null;
  let taplineImport: (Measured & { mbps: number; runsMs: number[]; cpuS: number | null }) | null = null;
  let statsText: string | null = null;
  const tcpdumpResults: RunResult[] = [];
  const taplineResults: RunResult[] = [];
  const loadDuringImport: number[] = [];
  // timed Tapline processes run without this machine's NODE_EXTRA_CA_CERTS (lib/node-start.ts)
  const env = taplineEnv();
  const start = cliPresent ? nodeStartMs() : null;
  if (start) say(`Tapline commands timed without ${taplineEnvNote()}: node -e 0 takes ${fmtMs(start.inherited)} with it, ${fmtMs(start.timed)} without (medians of 5; BENCH_KEEP_NODE_ENV=1 keeps it)`);
  const runTapline = async (): Promise<RunResult> => {
    rmSync(storeDir, { recursive: true, force: true });
    const c = tapline(['import', '--store', storeDir, cap.path]);
    return runMeasured({ ...c, env, cwd: REPO_ROOT, stdout: log('import.out'), stderr: log('import.err'), timeoutMs: Math.max(30 * 60_000, (cap.bytes / 1e6) * 1000) });
  };
  if (!tcpdump) {
    say('tcpdump not found: no import reference');
    untested.push('tcpdump reference (tcpdump missing)');
  }
  if (!cliPresent) {
    say(`Tapline CLI not built (${relative(REPO_ROOT, TAPLINE_CLI)} missing): import, slicing, index size and RSS not measured`);
    untested.push('tapline import/slice/stats (CLI missing)');
  }
  for (let i = 0; i < Math.max(tcpdump ? tcpdumpRuns : 0, cliPresent ? importRuns : 0); i++) {
    loadDuringImport.push(loadavg()[0]);
    if (tcpdump && i < tcpdumpRuns) tcpdumpResults.push(await runMeasured({ cmd: tcpdump, args: ['-r', cap.path, '-w', '/dev/null'], stdout: 'ignore', stderr: 'capture' }));
    // stop after a failed import: the rest of the suite reports it
    if (cliPresent && i < importRuns && taplineResults.every(succeeded)) taplineResults.push(await runTapline());
  }
  const medianCpu = (rs: RunResult[]): number | null => (rs.every((r) => cpuSeconds(r) !== null) && rs.length ? median(rs.map((r) => cpuSeconds(r) as number)) : null);
  if (tcpdumpResults.length) {
    const bad = tcpdumpResults.find((r) => !succeeded(r));
    const ms = median(tcpdumpResults.map((r) => r.wallMs));
    tcpdumpImport = { runsMs: tcpdumpResults.map((r) => Math.round(r.wallMs)), medianMs: Math.round(ms), mbps: mbPerSec(cap.bytes, ms), cpuS: medianCpu(tcpdumpResults), error: bad ? failureText(bad) : null };
    say(`tcpdump -r F -w /dev/null: median of ${tcpdumpResults.length} ${fmtMs(ms)} -> ${fmt(tcpdumpImport.mbps, 0)} MB/s, CPU ${fmt(tcpdumpImport.cpuS ?? NaN, 2)} s${bad ? `  (FAILED: ${failureText(bad)})` : ''}`);
  }
  if (taplineResults.length) {
    const bad = taplineResults.find((r) => !succeeded(r));
    // the run of median wall time stands for the import (its RSS, CPU and errors)
    const byWall = [...taplineResults].sort((a, b) => a.wallMs - b.wallMs);
    const r = bad ?? byWall[(byWall.length - 1) >> 1];
    taplineImport = { ...measured(r), mbps: mbPerSec(cap.bytes, r.wallMs), runsMs: taplineResults.map((x) => Math.round(x.wallMs)), cpuS: medianCpu(taplineResults) };
    const runsText = taplineResults.length > 1 ? ` (median of ${taplineResults.length}: ${taplineImport.runsMs.map((x) => fmtMs(x)).join(', ')})` : '';
    say(`tapline import: ${fmtMs(r.wallMs)} -> ${fmt(taplineImport.mbps, 0)} MB/s${runsText}, CPU ${fmt(taplineImport.cpuS ?? NaN, 2)} s, peak RSS ${fmtMiB(r.peakRssKb)}${succeeded(r) ? '' : `  (FAILED: ${failureText(r)}; see ${join(logDir, 'import.err')})`}`);
    if (succeeded(r)) {
      const s = await runMeasured({ ...tapline(['stats', '--store', storeDir]), cwd: REPO_ROOT, stdout: 'capture', stderr: 'capture', gnuTime: false });
      statsText = succeeded(s) ? s.stdout : `stats failed: ${failureText(s)}`;
      writeFileSync(join(logDir, 'stats.txt'), statsText);
    }
  }
  say(`load average (1 min) before each import round: ${loadDuringImport.map((l) => fmt(l, 1)).join(', ')}`);
  const indexParts = statsText === null ? null : (() => {
    try {
      const m = JSON.parse(readFileSync(join(storeDir, 'store.json'), 'utf8')) as { captures: { parts?: number }[] };
      return m.captures[0]?.parts ?? 1;
    } catch {
      return null;
    }
  })();
  if (indexParts !== null) say(`index parts: ${indexParts} (flow-table budget: the CLI default)`);
  let unbounded: RunResult | null = null;
  if (cliPresent && envBool('BENCH_UNBOUNDED_IMPORT', false) && taplineResults.every(succeeded)) {
    const dir = `${storeDir}-unbounded`;
    rmSync(dir, { recursive: true, force: true });
    unbounded = await runMeasured({ ...tapline(['import', '--index-memory', '1T', '--store', dir, cap.path]), env, cwd: REPO_ROOT, stdout: log('import-unbounded.out'), stderr: log('import-unbounded.err'), timeoutMs: Math.max(30 * 60_000, (cap.bytes / 1e6) * 1000) });
    rmSync(dir, { recursive: true, force: true });
    say(`tapline import --index-memory 1T (one index, no budget): ${fmtMs(unbounded.wallMs)}, peak RSS ${fmtMiB(unbounded.peakRssKb)}${succeeded(unbounded) ? '' : `  (FAILED: ${failureText(unbounded)})`}`);
  }

  let tsharkImport: (Measured & { mbps: number; conversations: number }) | null = null;
  if (tshark && runTshark) {
    say('tshark -r F -q -z conv,tcp: running (slow)…');
    const r = await runMeasured({ cmd: tshark, args: ['-r', cap.path, '-q', '-z', 'conv,tcp'], stdout: log('tshark-conv.txt'), stderr: log('tshark.err') });
    const convs = readFileSync(join(logDir, 'tshark-conv.txt'), 'utf8').split('\n').filter((l) => l.includes('<->')).length;
    tsharkImport = { ...measured(r), mbps: mbPerSec(cap.bytes, r.wallMs), conversations: convs };
    say(`tshark -q -z conv,tcp: ${fmtMs(r.wallMs)} -> ${fmt(tsharkImport.mbps, 1)} MB/s, peak RSS ${fmtMiB(r.peakRssKb)}, ${convs.toLocaleString('en-US')} TCP conversations${succeeded(r) ? '' : `  (FAILED: ${failureText(r)})`}`);
  } else {
    say(tshark ? 'tshark skipped (BENCH_TSHARK=0)' : 'tshark not found');
  }

  const importOk = taplineImport !== null && taplineImport.error === null;
  if (taplineImport?.error) untested.push(`everything after the import (import failed: ${taplineImport.error})`);
  const importRatio = importOk && tcpdumpImport ? (taplineImport?.mbps ?? NaN) / tcpdumpImport.mbps : null;
  const importVsTshark = importOk && tsharkImport && tsharkImport.error === null ? (taplineImport?.mbps ?? NaN) / tsharkImport.mbps : null;
  if (importRatio !== null) say(`ratio Tapline/tcpdump ${fmtRatio(importRatio)}${importVsTshark !== null ? `, Tapline/tshark ${fmtRatio(importVsTshark)}` : ''}`);
  // On a loaded machine wall time follows CPU share and scheduling; CPU time follows the work.
  const importCpuRatio = importOk && tcpdumpImport?.cpuS && taplineImport?.cpuS ? tcpdumpImport.cpuS / taplineImport.cpuS : null;
  if (importCpuRatio !== null) say(`CPU (user+sys) ratio tcpdump/Tapline ${fmtRatio(importCpuRatio)} (${fmt(tcpdumpImport?.cpuS ?? NaN, 2)} s vs ${fmt(taplineImport?.cpuS ?? NaN, 2)} s)`);

  // --------------------------------------------------------------------------------- slicing
  section('store: slicing');
  const flows = readFlows(cap.flowsPath).filter((f) => f.proto === 'tcp' || f.proto === 'udp');
  const rng = new Rng(ctx.seed, 0x511ce);
  const picked = rng.sample(flows, sliceFlows);
  const queries = picked.map(queryFor);
  const queryFile = join(BENCH_DATA, `queries-${label}.ndjson`);
  writeFileSync(queryFile, queries.map((q) => JSON.stringify(q)).join('\n') + '\n');
  const refIdx = new Rng(ctx.seed, 0x7cd).sample(
    picked.map((_, i) => i),
    refFlows,
  );
  say(`${picked.length} flows picked at random (seed ${ctx.seed}) from ${flows.length.toLocaleString('en-US')} TCP/UDP flows in the sidecar; queries in ${relative(REPO_ROOT, queryFile)}`);
  say('query windows are the flow\'s first/last packet time ±1 s');

  const batchDir = join(sliceRoot, 'batch');
  const refDir = join(sliceRoot, 'tcpdump');
  const singleDir = join(sliceRoot, 'single');
  rmSync(sliceRoot, { recursive: true, force: true });
  for (const d of [batchDir, refDir, singleDir]) mkdirSync(d, { recursive: true });

  let sliceBatch: (Measured & { msPerFlow: number }) | null = null;
  const countCheck = { checked: 0, ok: 0, problems: [] as string[] };
  if (importOk) {
    const r = await runMeasured({ ...tapline(['slice', '--store', storeDir, '--queries', queryFile, '-o', batchDir]), env, cwd: REPO_ROOT, stdout: log('slice.out'), stderr: log('slice.err'), timeoutMs: 30 * 60_000 });
    sliceBatch = { ...measured(r), msPerFlow: r.wallMs / queries.length };
    say(`tapline slice --queries (${queries.length} flows, one process): ${fmtMs(r.wallMs)} -> ${fmtMs(sliceBatch.msPerFlow)} per flow, peak RSS ${fmtMiB(r.peakRssKb)}${succeeded(r) ? '' : `  (FAILED: ${failureText(r)})`}`);
    if (succeeded(r)) {
      // Every slice against the generator's ground truth: right packet count, nothing foreign.
      picked.forEach((f, i) => {
        const path = join(batchDir, `${i + 1}.pcap`);
        countCheck.checked++;
        try {
          const pc = readPcap(path);
          const match = flowMatcher(queries[i]);
          const foreign = pc.records.filter((rec) => !match(decodeFiveTuple(pc, rec))).length;
          if (pc.records.length === f.packets && foreign === 0) countCheck.ok++;
          else countCheck.problems.push(`#${i + 1} (${f.app} ${f.clientIp}:${f.clientPort}): ${pc.records.length} records (${foreign} foreign), generator says ${f.packets}`);
        } catch (e) {
          countCheck.problems.push(`#${i + 1}: ${e instanceof NotPcapError || e instanceof Error ? e.message : String(e)}`);
        }
      });
      say(`packet counts vs generator ground truth: ${countCheck.ok}/${countCheck.checked} slices exact${countCheck.problems.length ? `; first problems:\n  ${countCheck.problems.slice(0, 5).join('\n  ')}` : ''}`);
    }
  } else if (taplineImport === null) {
    untested.push('slicing (no store)');
  }

  // Reference: a full BPF scan per flow is too slow for 200 flows; time a seeded sample.
  interface RefResult {
    index: number;
    flow: string;
    packets: number;
    tcpdumpMs: number;
    singleCliMs: number | null;
    comparison: string;
    identical: boolean | null;
    singleMatchesBatch: boolean | null;
  }
  const refResults: RefResult[] = [];
  if (tcpdump) {
    say(`reference: \`tcpdump -r F -w out '<exact 5-tuple BPF>'\` on a seeded sample of ${refIdx.length} of the ${picked.length} flows (a full scan each; 200 would take too long) - ms/flow below is for that sample`);
    for (const i of refIdx) {
      const f = picked[i];
      const q = queries[i];
      const refPath = join(refDir, `${i + 1}.pcap`);
      const r = await runMeasured({ cmd: tcpdump, args: ['-r', cap.path, '-w', refPath, bpfForFlow(q)], stdout: 'ignore', stderr: 'capture' });
      if (!succeeded(r)) throw new Error(`tcpdump reference failed for flow #${i + 1}: ${failureText(r)}`);
      let comparison = 'not compared (no batch slice)';
      let identical: boolean | null = null;
      if (sliceBatch && sliceBatch.error === null) {
        try {
          const c = compareSlice(readPcap(join(batchDir, `${i + 1}.pcap`)), readPcap(refPath), q);
          identical = c.identical;
          comparison = `${c.detail}; ${c.oursRecords} vs ${c.refRecords} records${c.refForeign ? `, ${c.refForeign} over-matched tcpdump records dropped` : ''}`;
        } catch (e) {
          identical = false;
          comparison = e instanceof Error ? e.message : String(e);
        }
      }
      // The single-query form, timed per invocation (includes process start).
      let singleMs: number | null = null;
      let singleMatches: boolean | null = null;
      if (importOk) {
        const out = join(singleDir, `${i + 1}.pcap`);
        const s = await runMeasured({
          ...tapline(['slice', '--store', storeDir, '--sip', q.sip, '--spt', String(q.spt), '--dip', q.dip, '--dpt', String(q.dpt), '--proto', q.proto, '--stime', q.stime, '--etime', q.etime, '-o', out]),
          cwd: REPO_ROOT,
          stdout: 'ignore',
          stderr: 'capture',
          gnuTime: false,
        });
        if (succeeded(s)) {
          singleMs = s.wallMs;
          if (sliceBatch?.error === null) {
            try {
              singleMatches = readPcap(out).bytes.equals(readPcap(join(batchDir, `${i + 1}.pcap`)).bytes);
            } catch {
              singleMatches = false;
            }
          }
        } else {
          singleMatches = false;
        }
      }
      refResults.push({
        index: i + 1,
        flow: `${q.proto} ${hostPort(q.sip, q.spt)} <-> ${hostPort(q.dip, q.dpt)}`,
        packets: f.packets,
        tcpdumpMs: Math.round(r.wallMs),
        singleCliMs: singleMs === null ? null : Math.round(singleMs),
        comparison,
        identical,
        singleMatchesBatch: singleMatches,
      });
    }
    say(
      renderTable(
        [{ header: '#' }, { header: 'flow' }, { header: 'pkts', align: 'right' }, { header: 'tcpdump', align: 'right' }, { header: 'tapline single', align: 'right' }, { header: 'batch slice vs tcpdump' }],
        refResults.map((x) => [String(x.index), x.flow, String(x.packets), fmtMs(x.tcpdumpMs), x.singleCliMs === null ? 'n/a' : `${fmtMs(x.singleCliMs)}${x.singleMatchesBatch === false ? ' (differs from batch!)' : ''}`, x.comparison]),
      ),
    );
  } else {
    untested.push('slicing reference (tcpdump missing)');
  }
  const tcpdumpMsPerFlow = refResults.length ? mean(refResults.map((x) => x.tcpdumpMs)) : null;
  const speedup = tcpdumpMsPerFlow !== null && sliceBatch && sliceBatch.error === null ? tcpdumpMsPerFlow / sliceBatch.msPerFlow : null;
  const refIdentical = refResults.filter((x) => x.identical === true).length;
  const refCompared = refResults.filter((x) => x.identical !== null).length;

  // ------------------------------------------------------------------------------ index size
  let index: { indexBytes: number; packetDataBytes: number; percent: number; files: IndexFile[] } | null = null;
  if (importOk && fileExists(storeDir)) {
    section('store: index size');
    const files = storeFiles(storeDir);
    const indexBytes = files.filter((f) => f.kind === 'index').reduce((s, f) => s + f.bytes, 0);
    const dataBytes = files.filter((f) => f.kind === 'packet-data').reduce((s, f) => s + f.bytes, 0);
    index = { indexBytes, packetDataBytes: dataBytes, percent: (indexBytes / cap.bytes) * 100, files };
    writeFileSync(join(logDir, 'store-files.txt'), files.map((f) => `${f.kind}\t${f.bytes}\t${f.path}`).join('\n') + '\n');
    say(`index files ${formatBytes(indexBytes)} = ${fmt(index.percent, 2)}% of the capture; packet data in the store ${formatBytes(dataBytes)} (files starting with a pcap/pcapng magic; full list in ${relative(REPO_ROOT, join(logDir, 'store-files.txt'))})`);
    say(renderTable([{ header: 'largest store files' }, { header: 'bytes', align: 'right' }, { header: 'counted as' }], files.slice(0, 8).map((f) => [f.path, f.bytes.toLocaleString('en-US'), f.kind])));
    if (statsText) say(`tapline stats:\n${statsText.trim().split('\n').slice(0, 20).map((l) => `  ${l}`).join('\n')}`);
  }
  if (!keepStore) rmSync(storeDir, { recursive: true, force: true });

  // --------------------------------------------------------------------------------- summary
  section('store: summary');
  const rows: TargetRow[] = [
    {
      metric: 'import throughput',
      value: taplineImport ? (taplineImport.error ? 'FAILED' : `${fmt(taplineImport.mbps, 0)} MB/s`) : 'n/a',
      reference: tcpdumpImport ? `tcpdump ${fmt(tcpdumpImport.mbps, 0)} MB/s` : 'n/a',
      ratio: fmtRatio(importRatio),
      target: `>= ${TARGETS.importVsTcpdump}x tcpdump`,
      meets: importRatio === null ? null : importRatio >= TARGETS.importVsTcpdump,
    },
    {
      metric: '',
      value: '',
      reference: tsharkImport ? `tshark ${fmt(tsharkImport.mbps, 1)} MB/s` : 'tshark n/a',
      ratio: fmtRatio(importVsTshark),
      target: '(information)',
      meets: null,
    },
    {
      metric: 'import CPU (user+sys)',
      value: importOk && taplineImport?.cpuS ? `${fmt(taplineImport.cpuS, 2)} s` : 'n/a',
      reference: tcpdumpImport?.cpuS ? `tcpdump ${fmt(tcpdumpImport.cpuS, 2)} s` : 'n/a',
      ratio: fmtRatio(importCpuRatio),
      target: '(information)',
      meets: null,
    },
    {
      metric: `slice, ${queries.length} flows batch`,
      value: sliceBatch ? (sliceBatch.error ? 'FAILED' : `${fmtMs(sliceBatch.msPerFlow)}/flow`) : 'n/a',
      reference: tcpdumpMsPerFlow !== null ? `BPF scan ${fmtMs(tcpdumpMsPerFlow)}/flow*` : 'n/a',
      ratio: fmtRatio(speedup),
      target: `>= ${TARGETS.sliceSpeedup}x faster`,
      meets: speedup === null ? null : speedup >= TARGETS.sliceSpeedup,
    },
    {
      metric: '',
      value: '',
      reference: '',
      ratio: '',
      target: `<= ${TARGETS.sliceMsPerFlow} ms/flow`,
      meets: sliceBatch && sliceBatch.error === null ? sliceBatch.msPerFlow <= TARGETS.sliceMsPerFlow : null,
    },
    {
      metric: 'slices == tcpdump records',
      value: refCompared ? `${refIdentical}/${refCompared} identical` : 'n/a',
      reference: 'sample*',
      ratio: '',
      target: 'all identical',
      meets: refCompared ? refIdentical === refCompared : null,
    },
    {
      metric: 'slice packet counts',
      value: countCheck.checked ? `${countCheck.ok}/${countCheck.checked} exact` : 'n/a',
      reference: 'generator',
      ratio: '',
      target: 'all exact',
      meets: countCheck.checked ? countCheck.ok === countCheck.checked : null,
    },
    {
      metric: 'index size',
      value: index ? `${fmt(index.percent, 2)}% (${formatBytes(index.indexBytes)})` : 'n/a',
      reference: `capture ${formatBytes(cap.bytes)}`,
      ratio: '',
      target: `<= ${TARGETS.indexPercent}%`,
      meets: index ? index.percent <= TARGETS.indexPercent : null,
    },
    {
      metric: 'peak RSS, import',
      value: taplineImport && !taplineImport.error ? fmtMiB(taplineImport.peakRssKb) : 'n/a',
      reference: tsharkImport ? `tshark ${fmtMiB(tsharkImport.peakRssKb)}` : '',
      ratio: '',
      target: `<= ${TARGETS.peakRssMiB} MiB`,
      meets: taplineImport && taplineImport.error === null ? taplineImport.peakRssKb / 1024 <= TARGETS.peakRssMiB : null,
    },
    {
      metric: '',
      value: unbounded && succeeded(unbounded) ? fmtMiB(unbounded.peakRssKb) : '',
      reference: unbounded ? 'same import, no budget' : '',
      ratio: '',
      target: '(information)',
      meets: null,
    },
    {
      metric: 'peak RSS, slice batch',
      value: sliceBatch && !sliceBatch.error ? fmtMiB(sliceBatch.peakRssKb) : 'n/a',
      reference: '',
      ratio: '',
      target: `<= ${TARGETS.peakRssMiB} MiB`,
      meets: sliceBatch && sliceBatch.error === null ? sliceBatch.peakRssKb / 1024 <= TARGETS.peakRssMiB : null,
    },
  ];
  say(
    renderTable(
      [{ header: 'metric' }, { header: 'Tapline', align: 'right' }, { header: 'reference' }, { header: 'ratio', align: 'right' }, { header: 'target' }, { header: 'meets' }],
      rows.map((r) => [r.metric, r.value, r.reference, r.ratio, r.target, r.target === '(information)' ? '' : meets(r.meets)]),
    ),
  );
  say(`* tcpdump ms/flow measured on a seeded sample of ${refResults.length} flows, not all ${queries.length}; ratio = tcpdump ms/flow / Tapline batch ms/flow`);
  if (cap.bytes < 1024 ** 3) say('  small capture: fixed costs (process start, opening the store) weigh heavily in these ratios; the targets are meant for the 2G run');
  say('  import throughput = capture bytes / wall time of the whole command (process start included); page cache warm');
  if (untested.length) say(`not measured: ${untested.join('; ')}`);

  const resultsPath = writeResults('store', {
    suite: 'store',
    date: new Date().toISOString(),
    machine,
    tools: {
      tcpdump: tcpdump ? toolVersion(tcpdump) : null,
      tshark: tshark ? toolVersion(tshark) : null,
      taplineCli: cliPresent ? relative(REPO_ROOT, TAPLINE_CLI) : null,
    },
    capture: { path: relative(REPO_ROOT, cap.path), bytes: cap.bytes, generatedMs: cap.generatedMs, meta: cap.meta },
    pageCacheWarmMs: Math.round(warm.wallMs),
    import: {
      tcpdump: tcpdumpImport,
      tshark: tsharkImport,
      tapline: taplineImport,
      ratioVsTcpdump: importRatio,
      cpuRatioVsTcpdump: importCpuRatio,
      loadAverageBeforeRounds: loadDuringImport,
      ratioVsTshark: importVsTshark,
    },
    slice: {
      flows: queries.length,
      queryFile: relative(REPO_ROOT, queryFile),
      batch: sliceBatch,
      packetCountCheck: countCheck,
      reference: { sampleSize: refResults.length, tcpdumpMsPerFlow, flows: refResults },
      speedupVsTcpdump: speedup,
    },
    index: index ? { indexBytes: index.indexBytes, packetDataBytes: index.packetDataBytes, percentOfCapture: index.percent, files: index.files.slice(0, 50) } : null,
    peakRssKb: { import: taplineImport?.peakRssKb ?? null, importUnbounded: unbounded?.peakRssKb ?? null, sliceBatch: sliceBatch?.peakRssKb ?? null, tshark: tsharkImport?.peakRssKb ?? null },
    indexParts,
    targets: TARGETS,
    summary: rows,
    notMeasured: untested,
  });
  say(`results: ${relative(REPO_ROOT, resultsPath)}; logs: ${relative(REPO_ROOT, logDir)}`);
}

export const storeSuite: Suite = {
  name: 'store',
  description: 'packet store: import throughput, flow slicing, index size, peak RSS',
  run,
};
