/** Benchmark captures: reuse a generated one when it matches the request, else generate it. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GENERATOR_VERSION, defaultFlowCount, type CaptureMeta, type FlowRecord } from '../generate-capture.js';
import { BENCH_DATA, GENERATOR, REPO_ROOT, ensureDir } from './env.js';
import { failureText, runMeasured, succeeded } from './measure.js';
import { formatBytes, parseSize, sizeLabel } from './size.js';
import { say } from './report.js';

export interface BenchCapture {
  path: string;
  flowsPath: string;
  bytes: number;
  meta: CaptureMeta;
  /** Set when this run generated the file. */
  generatedMs: number | null;
}

export interface CaptureRequest {
  /** Size as given by the user ("2G"); names the file. */
  sizeText: string;
  seed: number;
  /** Flow count; default scales with the size. */
  flows?: number;
}

export function capturePath(req: CaptureRequest): string {
  const seedPart = req.seed === 1 ? '' : `-s${req.seed}`;
  const flowsPart = req.flows === undefined ? '' : `-f${req.flows}`;
  return join(BENCH_DATA, `bench-${sizeLabel(req.sizeText)}${seedPart}${flowsPart}.pcap`);
}

function readMeta(path: string): CaptureMeta | null {
  try {
    return JSON.parse(readFileSync(`${path}.meta.json`, 'utf8')) as CaptureMeta;
  } catch {
    return null;
  }
}

/** Why an existing capture cannot be reused, or null when it can. */
function staleReason(path: string, req: CaptureRequest, size: number, flows: number): string | null {
  if (!existsSync(path)) return 'missing';
  if (!existsSync(`${path}.flows.ndjson`)) return 'flows sidecar missing';
  const meta = readMeta(path);
  if (!meta) return 'meta file missing';
  if (meta.generatorVersion !== GENERATOR_VERSION) return `generator version ${meta.generatorVersion} != ${GENERATOR_VERSION}`;
  if (meta.options.size !== size || meta.options.seed !== req.seed || meta.options.flows !== flows) return 'parameters differ';
  if (statSync(path).size !== meta.stats.bytes) return 'file size differs from its meta';
  return null;
}

export async function ensureCapture(req: CaptureRequest): Promise<BenchCapture> {
  ensureDir(BENCH_DATA);
  const size = parseSize(req.sizeText);
  const flows = req.flows ?? defaultFlowCount(size);
  const path = capturePath(req);
  const reason = staleReason(path, req, size, flows);
  let generatedMs: number | null = null;
  if (reason !== null) {
    say(`generating ${path} (${formatBytes(size)}, seed ${req.seed}, ~${flows} flows): ${reason}`);
    const r = await runMeasured({
      cmd: process.execPath,
      args: ['--import', 'tsx', GENERATOR, '--out', path, '--size', String(size), '--seed', String(req.seed), '--flows', String(flows)],
      cwd: REPO_ROOT,
      stdout: 'capture',
      stderr: 'capture',
    });
    if (!succeeded(r)) throw new Error(`capture generation failed: ${failureText(r)}`);
    generatedMs = r.wallMs;
  }
  const meta = readMeta(path);
  if (!meta) throw new Error(`${path}.meta.json unreadable after generation`);
  return { path, flowsPath: `${path}.flows.ndjson`, bytes: statSync(path).size, meta, generatedMs };
}

export function readFlows(path: string): FlowRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as FlowRecord);
}
