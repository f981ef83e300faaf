/**
 * `tapline capture`: live capture into a store.
 *
 *   --iface NAME                   local interface through the capture worker (libpcap)
 *   --ssh user@host --remote-iface NAME   remote tcpdump over ssh, through the capture worker
 *   --pcap-over-ip HOST:PORT       a TCP stream of pcap, through the capture worker
 *   --read -                       a pcap/pcapng stream on stdin, in this process (no privilege needed)
 *
 * Local and remote sources run in the capture worker (capture-worker/main.ts), the only process
 * that may hold capture privileges; this command supervises it, prints its stats once a second
 * on stderr, and on SIGINT/SIGTERM or after --duration asks it to stop, which writes and indexes
 * everything received. TAPLINE_CAPTURE_WORKER names another worker program (a copy with file
 * capabilities, or a pkexec wrapper): see docs/CAPTURE.md. With --elevate, a worker that has no
 * capture privilege is started again as `pkexec WORKER`, exactly as the app's capture service
 * does (electron/services/pkexec-fallback.ts); WORKER is the packaged worker executable, or
 * TAPLINE_PKEXEC_WORKER.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CaptureEvent, CaptureSourceConfig, CaptureStats, CaptureStoreOptions } from '../../common/worker/capture-worker-protocol.js';
import { LiveCapture } from '../../node/capture/live-capture.js';
import { parseSshDestination } from '../../node/capture/sources/ssh-command.js';
import { createStdinSource, parseHostPort } from '../../node/capture/sources/stream-source.js';
import { SourceConfigError } from '../../node/capture/sources/source-types.js';
import { CaptureController, CaptureRequestError, captureWorkerLaunch } from '../services/capture-controller.js';
import { startWithPkexecFallback, type WorkerLaunch } from '../services/pkexec-fallback.js';
import { ServiceError } from '../services/sensor-backend.js';
import { DEFAULT_CLASSIFICATION_PATH } from '../../node/rules/rule-files.js';
import { UsageError, needString, parseSizeArg } from './cli-args.js';

const OPTIONS = {
  iface: { type: 'string' },
  ssh: { type: 'string' },
  'remote-iface': { type: 'string' },
  sudo: { type: 'boolean' },
  'known-hosts': { type: 'string' },
  'host-key-fingerprint': { type: 'string' },
  identity: { type: 'string' },
  'pcap-over-ip': { type: 'string' },
  read: { type: 'string' },
  filter: { type: 'string' },
  snaplen: { type: 'string' },
  'no-promisc': { type: 'boolean' },
  'buffer-size': { type: 'string' },
  store: { type: 'string' },
  duration: { type: 'string' },
  'max-store': { type: 'string' },
  'max-age': { type: 'string' },
  mode: { type: 'string' },
  'trigger-payload': { type: 'string' },
  'trigger-rules': { type: 'string', multiple: true },
  'pre-alert-packets': { type: 'string' },
  'segment-size': { type: 'string' },
  elevate: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export { parseSizeArg } from './cli-args.js';

/** "90", "90s", "15m", "2h", "7d" → seconds. */
export function parseDurationArg(v: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`--${name} "${v}" is not a duration (e.g. 30s, 15m, 2h, 7d)`);
  const mult = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  const n = Number(m[1]) * mult;
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} "${v}" must be positive`);
  return n;
}

function intArg(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} "${v}" is not a whole number`);
  return Number(v);
}

type Parsed = { source: CaptureSourceConfig | 'stdin'; store: CaptureStoreOptions; durationSec: number | null; quiet: boolean; elevate: boolean };

export function parseCaptureArgs(args: string[]): Parsed {
  const { values: v } = parseArgs({ args, options: OPTIONS, strict: true });
  const chosen = [v.iface, v.ssh, v['pcap-over-ip'], v.read].filter((x) => x !== undefined).length;
  if (chosen !== 1) throw new UsageError('capture needs exactly one of --iface, --ssh, --pcap-over-ip, --read -');
  // Absolute: the worker may run with another working directory (pkexec starts in /).
  const store: CaptureStoreOptions = { dir: resolve(needString(v.store, 'store')) };
  if (v['max-store'] !== undefined) store.maxStoreBytes = parseSizeArg(v['max-store'], 'max-store');
  if (v['max-age'] !== undefined) store.maxAgeSec = Math.ceil(parseDurationArg(v['max-age'], 'max-age'));
  if (v['segment-size'] !== undefined) store.segmentBytes = parseSizeArg(v['segment-size'], 'segment-size');
  if (v.mode !== undefined) {
    if (v.mode !== 'full' && v.mode !== 'conditional') throw new UsageError(`--mode "${v.mode}" must be full or conditional`);
    store.mode = v.mode;
  }
  if (v['trigger-payload'] !== undefined) store.triggerPayload = v['trigger-payload'];
  if (v['trigger-rules'] !== undefined) {
    // absolute: the worker reads them, maybe from another working directory
    store.triggerRules = v['trigger-rules'].map((f) => {
      const p = resolve(f);
      if (!existsSync(p)) throw new UsageError(`--trigger-rules ${f}: no such file`);
      return p;
    });
    store.ruleClassification = DEFAULT_CLASSIFICATION_PATH;
  }
  if (v['pre-alert-packets'] !== undefined) store.preAlertPackets = intArg(v['pre-alert-packets'], 'pre-alert-packets');
  const durationSec = v.duration !== undefined ? parseDurationArg(v.duration, 'duration') : null;
  const snapLen = intArg(v.snaplen, 'snaplen');
  const promiscuous = v['no-promisc'] ? false : undefined;
  let source: Parsed['source'];
  if (v.iface !== undefined) {
    source = { kind: 'libpcap', iface: v.iface, filter: v.filter, snapLen, promiscuous, bufferSize: v['buffer-size'] !== undefined ? parseSizeArg(v['buffer-size'], 'buffer-size') : undefined };
  } else if (v.ssh !== undefined) {
    const { destination, port } = parseSshDestination(v.ssh);
    source = {
      kind: 'ssh',
      destination,
      port,
      remoteIface: needString(v['remote-iface'], 'remote-iface'),
      filter: v.filter,
      sudo: v.sudo ?? false,
      snapLen,
      promiscuous,
      knownHostsFile: v['known-hosts'],
      hostKeyFingerprint: v['host-key-fingerprint'],
      identityFile: v.identity,
    };
  } else if (v['pcap-over-ip'] !== undefined) {
    const { host, port } = parseHostPort(v['pcap-over-ip']);
    source = { kind: 'pcap-over-ip', host, port };
  } else {
    if (v.read !== '-') throw new UsageError('--read takes "-" (stdin); import files with `tapline import`');
    source = 'stdin';
  }
  if (source === 'stdin' || source.kind === 'pcap-over-ip') {
    const extra = (['filter', 'snaplen', 'no-promisc', 'buffer-size'] as const).filter((k) => v[k] !== undefined);
    if (extra.length) throw new UsageError(`${extra.map((k) => `--${k}`).join(', ')} apply to --iface and --ssh captures only`);
  }
  if (v.elevate && source === 'stdin') throw new UsageError('--elevate applies to captures through the capture worker (--iface, --ssh, --pcap-over-ip)');
  return { source, store, durationSec, quiet: v.quiet ?? false, elevate: v.elevate ?? false };
}

function statsLine(s: CaptureStats): string {
  const drops = s.kernelDrops === null ? '' : `, ${s.kernelDrops} kernel drops, ${s.ifDrops ?? 0} interface drops`;
  const rec = s.reconnects ? `, ${s.reconnects} reconnects` : '';
  const flows = s.activeFlows === null ? '' : `, ${s.activeFlows} active flows`;
  const stored = s.storedPackets !== s.packets ? `, ${s.storedPackets} stored` : '';
  const storeDrops = s.storeDrops ? `, ${s.storeDrops} dropped by the store` : '';
  const handoff = s.handoffDrops ? `, ${s.handoffDrops} dropped at the store hand-off` : '';
  const storeErr = s.storeError ? ` (store: ${s.storeError})` : '';
  return `${(s.elapsedMs / 1000).toFixed(0)} s: ${s.packets} packets, ${s.bytes} bytes${drops}${stored}${storeDrops}${handoff}${flows}, store ${s.storeBytes} bytes${rec}${storeErr}`;
}

/** The final line: what was received, stored and dropped. */
function summaryLine(s: CaptureStats): string {
  return `captured ${s.packets} packets (${s.bytes} bytes), stored ${s.storedPackets}; ${s.kernelDrops ?? 0} kernel drops, ${s.storeDrops} store drops, ${s.handoffDrops ?? 0} hand-off drops`;
}

function describeEvent(e: CaptureEvent): string {
  switch (e.kind) {
    case 'capture-ended':
      return `capture ended (${e.reason}): ${e.message}`;
    case 'gap':
      return `gap ${e.from.sec}.${String(e.from.nsec).padStart(9, '0')} - ${e.to.sec}.${String(e.to.nsec).padStart(9, '0')}: ${e.reason}`;
    case 'store-error':
      return `store: ${e.message}`;
    case 'flows':
      return `${e.flows.filter((f) => f.event === 'start').length} new, ${e.flows.filter((f) => f.event === 'end').length} ended flows`;
  }
}

/** Resolves on SIGINT, SIGTERM, the duration, or `ended`; returns what happened. */
function waitForEnd(durationSec: number | null, ended: Promise<unknown>): { done: Promise<string>; dispose: () => void } {
  let dispose = (): void => {};
  const done = new Promise<string>((resolve) => {
    const onInt = (): void => resolve('SIGINT');
    const onTerm = (): void => resolve('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
    const timer = durationSec !== null ? setTimeout(() => resolve('duration'), durationSec * 1000) : null;
    void ended.then(() => resolve('ended'));
    dispose = () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (timer) clearTimeout(timer);
    };
  });
  return { done, dispose };
}

export async function captureCommand(args: string[], out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const p = parseCaptureArgs(args);
  const progress = (s: CaptureStats): void => {
    if (!p.quiet) err(statsLine(s));
  };
  const onEvent = (e: CaptureEvent): void => {
    if (e.kind !== 'flows') err(describeEvent(e)); // flow batches are for the UI; stats show the count
  };
  if (p.source === 'stdin') return captureInProcess(p, progress, onEvent, out, err);
  return captureInWorker(p, p.source, progress, onEvent, out, err);
}

async function captureInProcess(p: Parsed, progress: (s: CaptureStats) => void, onEvent: (e: CaptureEvent) => void, out: NodeJS.WritableStream, err: (line: string) => void): Promise<number> {
  const capture = new LiveCapture({ onStats: progress, onEvent, log: err });
  await capture.start((sink) => createStdinSource(sink), { ...p.store, flowSummaries: false });
  const w = waitForEnd(p.durationSec, capture.ended);
  const why = await w.done;
  w.dispose();
  const end = why === 'ended' ? await capture.ended : null;
  const r = await capture.stop();
  out.write(`${summaryLine(r.stats)}\n`);
  if (end?.kind === 'error') {
    err(`error: ${end.message}`);
    return 1;
  }
  return 0;
}

async function captureInWorker(
  p: Parsed,
  source: CaptureSourceConfig,
  progress: (s: CaptureStats) => void,
  onEvent: (e: CaptureEvent) => void,
  out: NodeJS.WritableStream,
  err: (line: string) => void,
): Promise<number> {
  let launch;
  try {
    launch = captureWorkerLaunch();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let endedResolve!: (why: string) => void;
  const ended = new Promise<string>((r) => (endedResolve = r));
  let ctl: CaptureController | null = null;
  // one worker per attempt: with --elevate a second one runs through pkexec when the first has no privilege
  const attempt = async (l: WorkerLaunch, readyTimeoutMs?: number): Promise<CaptureController> => {
    const c = new CaptureController({ launch: l, readyTimeoutMs });
    c.on('stats', (s) => {
      if (ctl === c) progress(s);
    });
    c.on('stderr', (line) => err(line));
    c.on('event', (e) => {
      if (ctl !== c) return;
      onEvent(e);
      if (e.kind === 'capture-ended') endedResolve(e.reason === 'error' ? e.message : '');
    });
    c.on('worker-exit', (why) => {
      if (ctl === c) endedResolve(why);
    });
    ctl = c;
    try {
      // flow batches are for the UI; the CLI prints counts only, so the worker need not build them
      const started = await c.start({ source, store: { ...p.store, flowSummaries: false } });
      err(`capturing from ${started.source} into ${started.storeDir}${p.durationSec !== null ? ` for ${p.durationSec} s` : ''}; Ctrl-C stops`);
      return c;
    } catch (e) {
      await c.close();
      throw e;
    }
  };
  let running: CaptureController;
  try {
    running = await startWithPkexecFallback({
      elevate: p.elevate,
      launch,
      // TAPLINE_PKEXEC_WORKER: the worker executable pkexec runs (default: the packaged worker)
      pkexecWorker: process.env.TAPLINE_PKEXEC_WORKER || undefined,
      attempt,
      onElevate: (worker) => err(`the capture worker has no capture privilege; starting it again through pkexec ${worker}`),
    });
  } catch (e) {
    if (e instanceof CaptureRequestError) {
      throw new SourceConfigError(e.code === 'permission-denied' && !p.elevate ? `${e.message} (--elevate runs the worker through pkexec; or grant it cap_net_raw,cap_net_admin, see docs/CAPTURE.md)` : e.message, e.code);
    }
    if (e instanceof ServiceError) throw new SourceConfigError(e.hint ? `${e.message} (${e.hint})` : e.message, 'permission-denied');
    throw e;
  }
  const w = waitForEnd(p.durationSec, ended);
  const why = await w.done;
  w.dispose();
  let code = 0;
  try {
    const r = await running.stop();
    out.write(`${summaryLine(r.stats)}\n`);
  } catch (e) {
    err(`error: stopping the capture: ${e instanceof Error ? e.message : String(e)}`);
    code = 1;
  }
  const endedWhy = why === 'ended' ? await ended : '';
  if (endedWhy) {
    err(`error: ${endedWhy}`);
    code = 1;
  }
  await running.close();
  return code;
}
