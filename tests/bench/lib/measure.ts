/**
 * Runs a command and measures wall time and peak memory.
 *
 * Peak RSS comes from two sources, because each misses something:
 * - GNU time's %M (when /usr/bin/time is GNU time): exact peak of the largest process it waited
 *   for, but not the sum of a tree of processes running at once;
 * - polling /proc every `pollMs` for the summed RSS of the whole process tree: sees helpers
 *   and workers together, but can miss a spike shorter than the poll interval.
 * The reported peakRssKb is the larger of the two.
 */
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunOptions {
  cmd: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** 'ignore', 'capture' (kept in memory, tail-capped), or a file to write to. */
  stdout?: 'ignore' | 'capture' | { file: string };
  /** As stdout; with a file, RunResult.stderr still gets the file's tail. */
  stderr?: 'ignore' | 'capture' | { file: string };
  /** /proc polling interval for the process-tree RSS (default 50 ms). */
  pollMs?: number;
  /** Kill the whole process group after this long (default: no limit). */
  timeoutMs?: number;
  /** Measure with GNU time when available (default true). */
  gnuTime?: boolean;
}

export interface RunResult {
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  wallMs: number;
  /** CPU seconds of the command (GNU time %U/%S), when available. */
  userS: number | null;
  sysS: number | null;
  gnuTimeRssKb: number | null;
  treePeakRssKb: number;
  peakRssKb: number;
  stdout: string;
  stderr: string;
}

const CAPTURE_LIMIT = 4 * 1024 * 1024;

let gnuTimeChecked: boolean | null = null;
/** True when /usr/bin/time is GNU time (it accepts -f/-o); BusyBox/BSD time do not. */
export function hasGnuTime(): boolean {
  if (gnuTimeChecked === null) {
    if (!existsSync('/usr/bin/time')) gnuTimeChecked = false;
    else {
      const r = spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' });
      gnuTimeChecked = r.status === 0 && /^\d+\s*$/m.test(r.stderr);
    }
  }
  return gnuTimeChecked;
}

let pageSize = 0;
function getPageSize(): number {
  if (pageSize === 0) {
    const r = spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' });
    pageSize = Number(r.stdout.trim()) || 4096;
  }
  return pageSize;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) for (const c of text.split(/\s+/)) out.push(Number(c));
    } catch {
      // task exited between readdir and read
    }
  }
  return out;
}

function rssKb(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return (Number(fields[1]) * getPageSize()) / 1024;
  } catch {
    return 0;
  }
}

/** Summed RSS (KiB) of pid's descendants, plus pid itself unless excludeRoot. */
export function processTreeRssKb(pid: number, excludeRoot: boolean): number {
  let total = excludeRoot ? 0 : rssKb(pid);
  const stack = childrenOf(pid);
  const seen = new Set<number>();
  while (stack.length > 0) {
    const p = stack.pop();
    if (p === undefined || seen.has(p)) continue;
    seen.add(p);
    total += rssKb(p);
    for (const c of childrenOf(p)) stack.push(c);
  }
  return total;
}

function stdioFor(spec: RunOptions['stdout'], fds: number[]): 'ignore' | 'pipe' | number {
  if (spec === undefined || spec === 'ignore') return 'ignore';
  if (spec === 'capture') return 'pipe';
  const fd = openSync(spec.file, 'w');
  fds.push(fd);
  return fd;
}

export async function runMeasured(opts: RunOptions): Promise<RunResult> {
  const useTime = (opts.gnuTime ?? true) && hasGnuTime();
  const tmp = useTime ? mkdtempSync(join(tmpdir(), 'bench-time-')) : '';
  const timeFile = join(tmp, 'time.txt');
  const argv = [opts.cmd, ...opts.args];
  const [cmd, args] = useTime
    ? ['/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, ...argv]]
    : [opts.cmd, [...opts.args]];
  const fds: number[] = [];
  const stdio: StdioOptions = ['ignore', stdioFor(opts.stdout, fds), stdioFor(opts.stderr, fds)];
  const start = performance.now();
  // detached: own process group, so a timeout can kill the command and its children together.
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio, detached: true });
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const keep = (name: 'stdout' | 'stderr', b: Buffer): void => {
    const list = chunks[name];
    list.push(b);
    let n = list.reduce((s, x) => s + x.length, 0);
    while (n > CAPTURE_LIMIT && list.length > 1) n -= list.shift()?.length ?? 0;
  };
  child.stdout?.on('data', (b: Buffer) => keep('stdout', b));
  child.stderr?.on('data', (b: Buffer) => keep('stderr', b));

  let treePeak = 0;
  const poll = (): void => {
    if (child.pid !== undefined) treePeak = Math.max(treePeak, processTreeRssKb(child.pid, useTime));
  };
  const timer = setInterval(poll, opts.pollMs ?? 50);
  let timedOut = false;
  const killer =
    opts.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          if (child.pid !== undefined) {
            try {
              process.kill(-child.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
        }, opts.timeoutMs)
      : null;

  const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (c, s) => resolve({ code: c, signal: s }));
  });
  const wallMs = performance.now() - start;
  clearInterval(timer);
  if (killer) clearTimeout(killer);
  for (const fd of fds) closeSync(fd);

  let userS: number | null = null;
  let sysS: number | null = null;
  let gnuRss: number | null = null;
  let exitCode = code;
  let sig = signal;
  if (useTime) {
    try {
      const text = readFileSync(timeFile, 'utf8');
      // A command killed by a signal makes GNU time print "Command terminated by signal N" first.
      const sigMatch = /terminated by signal (\d+)/.exec(text);
      if (sigMatch) sig = `signal ${sigMatch[1]}`;
      const m = /(\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (\d+)\s*$/.exec(text.trim());
      if (m) {
        userS = Number(m[2]);
        sysS = Number(m[3]);
        gnuRss = Number(m[4]);
      }
      const exitMatch = /exited with non-zero status (\d+)/.exec(text);
      if (exitMatch) exitCode = Number(exitMatch[1]);
    } catch {
      // time was killed (timeout) before writing
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  return {
    argv,
    exitCode,
    signal: sig,
    timedOut,
    wallMs,
    userS,
    sysS,
    gnuTimeRssKb: gnuRss,
    treePeakRssKb: Math.round(treePeak),
    peakRssKb: Math.round(Math.max(treePeak, gnuRss ?? 0)),
    stdout: Buffer.concat(chunks.stdout).toString('utf8'),
    // stderr sent to a file: keep its tail too, so failures can be explained.
    stderr: typeof opts.stderr === 'object' ? fileTail(opts.stderr.file, 16 * 1024) : Buffer.concat(chunks.stderr).toString('utf8'),
  };
}

function fileTail(path: string, bytes: number): string {
  try {
    const all = readFileSync(path);
    return all.subarray(Math.max(0, all.length - bytes)).toString('utf8');
  } catch {
    return '';
  }
}

/** True when the command ran to completion with exit status 0. */
export function succeeded(r: RunResult): boolean {
  return r.exitCode === 0 && !r.timedOut && r.signal === null;
}

/** One-line description of a failed run, for reports. */
export function failureText(r: RunResult, stderrTail = ''): string {
  const why = r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit ${r.exitCode}`;
  const tail = (stderrTail || r.stderr).trim().split('\n').slice(-3).join(' | ');
  return `${why}${tail ? `: ${tail}` : ''}`;
}

/** CPU seconds (user + system) of a measured command, or null when they were not measured. */
export function cpuSeconds(r: RunResult | null): number | null {
  return r && r.userS !== null && r.sysS !== null ? r.userS + r.sysS : null;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}
