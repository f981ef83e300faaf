/** Paths, environment knobs and machine facts shared by benchmark suites. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Generated captures, stores, logs and results (git-ignored). */
export const BENCH_DATA = join(REPO_ROOT, 'bench-data');
/** The built CLI; BENCH_TAPLINE_CLI points elsewhere (e.g. another build to compare). */
export const TAPLINE_CLI = resolve(REPO_ROOT, process.env.BENCH_TAPLINE_CLI || 'dist/electron/cli/main.js');
export const GENERATOR = join(REPO_ROOT, 'tests/bench/generate-capture.ts');

export function envString(name: string, dflt: string): string {
  const v = process.env[name];
  return v === undefined || v === '' ? dflt : v;
}

export function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

export function envBool(name: string, dflt: boolean): boolean {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  return !['0', 'false', 'no', 'off'].includes(v.toLowerCase());
}

export function ensureDir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

/** Absolute path of an executable on PATH, or null. */
export function which(name: string): string | null {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : null;
}

/** First line of `cmd --version`-style output, for the results file. */
export function toolVersion(cmd: string, args: readonly string[] = ['--version']): string | null {
  const r = spawnSync(cmd, [...args], { encoding: 'utf8' });
  if (r.error) return null;
  const text = `${r.stdout}\n${r.stderr}`.split('\n').find((l) => l.trim() && !l.startsWith('Running as user'));
  return text?.trim() ?? null;
}

/** MemAvailable in bytes (Linux), or null. */
export function memAvailable(): number | null {
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memTotalBytes: number;
  loadAvgAtStart: number[];
  kernel: string;
  node: string;
  gitCommit: string | null;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return {
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    memTotalBytes: totalmem(),
    loadAvgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    kernel: release(),
    node: process.version,
    gitCommit: git.status === 0 ? git.stdout.trim() : null,
  };
}

/** Writes bench-data/results-<name>.json and returns its path. */
export function writeResults(name: string, data: unknown): string {
  const path = join(ensureDir(BENCH_DATA), `results-${name}.json`);
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}

export function fileExists(path: string): boolean {
  return existsSync(path);
}
