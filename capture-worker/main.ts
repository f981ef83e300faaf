/**
 * The capture worker: the only process that needs capture privileges (cap_net_raw,cap_net_admin
 * as a file capability, or root through pkexec; see docs/CAPTURE.md). It speaks the worker
 * protocol (common/worker/worker-protocol.ts) on stdio with the methods of
 * common/worker/capture-worker-protocol.ts, runs at most one capture, and sends stats every
 * second.
 *
 * Lifetime (protocol rules): stdin EOF (the parent died or is stopping us), SIGTERM, or a failed
 * write to stdout (EPIPE) → stop the source, close the store writer (buffered packets written,
 * final index durable) within a bounded time, and exit. SIGINT is ignored: a terminal Ctrl-C is the parent's.
 */
import { captureWorkerProtocol, type CaptureEvent, type CaptureStats } from '../common/worker/capture-worker-protocol.js';
import { LineSplitter } from '../common/worker/line-splitter.js';
import { WORKER_PROTOCOL_VERSION, decodeParentMessage, describeZodError, encodeMessage, type WorkerMessage } from '../common/worker/worker-protocol.js';
import { listInterfaces } from '../node/capture/interfaces.js';
import { LiveCapture } from '../node/capture/live-capture.js';
import { loadPcapBinding } from '../node/capture/sources/libpcap-binding.js';
import { SourceConfigError } from '../node/capture/sources/source-types.js';

type Methods = typeof captureWorkerProtocol.methods;
type MethodName = keyof Methods;

let exiting = false;
let capture: LiveCapture | null = null;

function log(line: string): void {
  try {
    process.stderr.write(`capture-worker: ${line}\n`);
  } catch {
    // stderr gone too
  }
}

function send(m: WorkerMessage): void {
  if (exiting && m.type !== 'response') return;
  try {
    process.stdout.write(encodeMessage(m));
  } catch {
    void shutdown('stdout closed', true);
  }
}
process.stdout.on('error', () => void shutdown('stdout closed (EPIPE)', true));

function onStats(s: CaptureStats): void {
  send({ type: 'stats', stats: s });
}
function onEvent(e: CaptureEvent): void {
  send({ type: 'event', event: e });
}

async function handle(method: MethodName, params: unknown): Promise<unknown> {
  switch (method) {
    case 'interfaces':
      return listInterfaces();
    case 'start': {
      const p = captureWorkerProtocol.methods.start.params.parse(params);
      if (capture?.running) throw new SourceConfigError('a capture is already running; stop it first', 'busy');
      const c = new LiveCapture({ onStats, onEvent, log });
      const description = await c.start(p.source, p.store);
      capture = c;
      void c.ended.then(async (end) => {
        // The source ended by itself (EOF, fatal error): write and index what it delivered.
        if (end.kind !== 'stopped' && capture === c) await c.stop().catch((e: unknown) => log(String(e)));
      });
      return { source: description, storeDir: p.store.dir };
    }
    case 'stop': {
      const c = capture;
      if (c === null) throw new SourceConfigError('no capture is running', 'not-running');
      const r = await c.stop();
      capture = null;
      return r;
    }
    case 'stats':
      return capture?.stats() ?? null;
  }
}

function isMethod(m: string): m is MethodName {
  return Object.prototype.hasOwnProperty.call(captureWorkerProtocol.methods, m);
}

function onLine(line: string): void {
  const d = decodeParentMessage(line);
  if (!d.ok) {
    log(`ignoring an invalid message: ${d.error}`);
    return;
  }
  const m = d.message;
  if (m.type === 'cancel') return; // every method is short or already bounded; nothing to abort
  const id = m.id;
  if (!isMethod(m.method)) {
    send({ type: 'response', id, ok: false, error: { code: 'unknown-method', message: `no method ${m.method}` } });
    return;
  }
  const spec = captureWorkerProtocol.methods[m.method];
  const checked = spec.params.safeParse(m.params);
  if (!checked.success) {
    send({ type: 'response', id, ok: false, error: { code: 'invalid-params', message: describeZodError(checked.error) } });
    return;
  }
  handle(m.method, checked.data).then(
    (result) => send({ type: 'response', id, ok: true, result }),
    (e: unknown) => {
      const code = e instanceof SourceConfigError ? e.code : 'error';
      const message = (e instanceof Error ? e.message : String(e)).slice(0, 4000);
      send({ type: 'response', id, ok: false, error: { code, message } });
    },
  );
}

async function shutdown(why: string, parentGone: boolean): Promise<void> {
  if (exiting) return;
  exiting = true;
  const c = capture;
  // Bounded: a wedged source or disk must not keep a privileged process alive.
  const hardExit = setTimeout(() => process.exit(1), parentGone ? 5_000 : 20_000);
  hardExit.unref();
  if (c !== null) {
    try {
      // Closing the writer writes what is buffered and makes the final index durable.
      await c.stop();
    } catch (e) {
      log(`stopping on ${why}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // The pcap binding keeps a closed handle's poll alive until the next packet: exit explicitly.
  process.exit(0);
}

function main(): void {
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => void shutdown('SIGTERM', false));
  process.on('SIGHUP', () => void shutdown('SIGHUP', true));
  const splitter = new LineSplitter((e) => {
    if (e.kind === 'line') onLine(e.text);
    else log(`ignoring ${e.kind === 'overlong' ? 'an overlong' : 'a non-UTF-8'} line`);
  });
  process.stdin.on('data', (chunk: Buffer) => splitter.push(chunk));
  process.stdin.on('end', () => void shutdown('stdin EOF', true));
  process.stdin.on('error', () => void shutdown('stdin error', true));
  let libpcap: string | null = null;
  try {
    libpcap = loadPcapBinding().lib_version();
  } catch (e) {
    log(e instanceof Error ? e.message : String(e));
  }
  send({ type: 'ready', protocol: WORKER_PROTOCOL_VERSION, info: { pid: process.pid, libpcap, uid: typeof process.getuid === 'function' ? process.getuid() : null } });
}

main();
