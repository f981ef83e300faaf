/**
 * Syslog over UDP (RFC 5426): one message per datagram, in two threads of their own. The socket
 * thread (SOCKET_THREAD_SOURCE below) only drains the kernel buffer into large batch buffers
 * (udp-batch.ts: length-prefixed records, one transferred ArrayBuffer per batch), so a busy
 * thread elsewhere does not turn into kernel drops; the receive buffer is raised (16 MiB asked;
 * the kernel caps it at net.core.rmem_max and reports twice what it grants). The parse threads
 * (udp-parse-thread.ts, two with more than two cores, else one; batches dealt in turn) parse each batch, build the
 * events and encode their journal lines; the main thread puts the batches back in order
 * (parsed-batch.ts) and only resolves names, correlates, writes and publishes. The hand-off between the threads is bounded (HANDOFF_LIMIT messages, counted in
 * shared memory): beyond it the socket thread drops datagrams and counts them (queue full).
 * The kernel's drops for this socket are read from /proc/net/udp (udp-socket-drops.ts).
 */
import { existsSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { LogIntake } from './log-intake.js';
import { chooseUdpReceiver, type UdpReceiverChoice } from './native-udp-intake.js';
import { ParseThreadMessageSchema, type ParsedLogBatch } from './parsed-batch.js';
import { UDP_BATCH_WRITER_SOURCE } from './udp-batch.js';
import { logEventsBuilt } from './log-event-batch.js';
import type { NativeParseInit, ParseThreadInit, WholeLinesControl } from './udp-parse-thread.js';
import { udpSocketDrops } from './udp-socket-drops.js';

/** Messages handed from the socket thread and not yet taken by the intake, at most. */
export const HANDOFF_LIMIT = 100_000;

interface UdpWorkerData {
  host: string;
  port: number;
  recvBufferBytes: number;
  nice: number | null;
  /** To the parse threads. */
  outs: MessagePort[];
  /** Int32 [0]: messages handed to the parse thread and not yet taken by the intake. */
  pending: SharedArrayBuffer;
  limit: number;
}

type SocketThreadMessage = { kind: 'ready'; port: number; recvBufferBytes: number; nice: number | null } | { kind: 'error'; code: string | null; message: string };

/** The parse thread's entry: the built .js, or from source (tests, tsx) the .ts through tsx's loader. */
function parseThreadEntry(): { entry: string | URL; eval: boolean } {
  const js = new URL('./udp-parse-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { entry: js, eval: false };
  const ts = new URL('./udp-parse-thread.ts', import.meta.url);
  // a worker thread does not inherit tsx's loader: it registers it before importing its entry
  const tsxApi = import.meta.resolve('tsx/esm/api');
  return { entry: `import(${JSON.stringify(tsxApi)}).then((m) => m.register()).then(() => import(${JSON.stringify(ts.href)}));`, eval: true };
}

/**
 * The socket thread, as plain JavaScript run with `eval` (no module file to locate, the same in
 * the build and under tsx). It only copies each datagram into the current batch buffer and
 * posts the buffer (transferred, not copied) to the parse thread when it is full, holds 2048
 * datagrams, or every 10 ms (a slow trickle is not handed over one datagram at a time: each
 * hand-off costs two thread messages and a journal write). When the hand-off holds its limit
 * (HANDOFF_LIMIT) it drops datagrams and reports how many with its next batch. Messages to the main thread: SocketThreadMessage.
 */
const SOCKET_THREAD_SOURCE = `
const { createSocket } = require('node:dgram');
const { isIPv6 } = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
${UDP_BATCH_WRITER_SOURCE}
const { host, port, recvBufferBytes, nice, outs, limit } = workerData;
const pending = new Int32Array(workerData.pending);
const CAPACITY = 1 << 20;
const sock = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
const w = new UdpBatchWriter(CAPACITY);
let dropped = 0;
let seq = 0;
// batches go to the parse threads in turn; seq lets the main thread put them back in order
function flush() {
  const b = w.take(CAPACITY);
  const out = outs[seq % outs.length];
  if (b) {
    Atomics.add(pending, 0, b.count);
    out.postMessage({ kind: 'batch', seq: seq++, data: b.data, used: b.used, count: b.count, ips: b.ips, dropped }, [b.data]);
    dropped = 0;
  } else if (dropped > 0) {
    out.postMessage({ kind: 'batch', seq: seq++, data: new ArrayBuffer(0), used: 0, count: 0, ips: [], dropped });
    dropped = 0;
  }
}
sock.on('message', (msg, rinfo) => {
  if (Atomics.load(pending, 0) + w.count >= limit) { dropped++; return; }
  const now = Date.now();
  if (!w.add(msg, rinfo.address, rinfo.port, now)) { flush(); w.add(msg, rinfo.address, rinfo.port, now); }
  if (w.count >= 2048) flush();
});
sock.once('error', (e) => parentPort.postMessage({ kind: 'error', code: e.code || null, message: e.message }));
sock.bind(port, host, () => {
  let granted = 0;
  try { sock.setRecvBufferSize(recvBufferBytes); } catch { /* capped or refused: report what we have */ }
  try { granted = sock.getRecvBufferSize(); } catch { granted = 0; }
  // this thread's own scheduling priority (Linux: a thread id is a PRIO_PROCESS target): a
  // thread that only drains is woken ahead of busier ones, so the kernel buffer does not fill
  // while the main thread or other processes hold the CPU. Needs CAP_SYS_NICE to go below 0.
  let niceGot = null;
  try {
    const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
    if (nice !== null) { try { require('node:os').setPriority(tid, nice); } catch { /* not permitted: keep the default */ } }
    niceGot = require('node:os').getPriority(tid);
  } catch { niceGot = null; }
  const timer = setInterval(flush, 10);
  parentPort.on('message', (m) => {
    if (m === 'close') { clearInterval(timer); sock.close(() => { flush(); for (const o of outs) { o.postMessage({ kind: 'end' }); o.close(); } parentPort.close(); }); }
  });
  parentPort.postMessage({ kind: 'ready', port: sock.address().port, recvBufferBytes: granted, nice: niceGot });
});
`;

export interface UdpReceiverOptions {
  host: string;
  port: number;
  /** Receive buffer to ask for (bytes; the kernel caps it at net.core.rmem_max). */
  recvBufferBytes?: number;
  /** Nice value for the socket thread (default -10; null leaves it; below 0 needs CAP_SYS_NICE). */
  socketThreadNice?: number | null;
  /** Messages between the socket thread and the intake, at most (default HANDOFF_LIMIT). */
  handoffLimit?: number;
  /** Parse threads (default DEFAULT_PARSE_THREADS; with the native receiver the first deals batches to the others). */
  parseThreads?: number;
  /**
   * 'auto' (default): the native recvmmsg receiver (native/udp-intake) when it loads, else the
   * dgram socket thread; 'dgram': the socket thread always.
   */
  receiver?: 'auto' | 'dgram';
}

/**
 * Parse threads: parsing is the costliest step per message, and with more than two cores a
 * second thread lets it use another one (batches are put back in order). On two cores the
 * socket, parse and main threads already fill both; a second parse thread measured worse there
 * (it took CPU from everything else, a co-located sender included).
 */
export const DEFAULT_PARSE_THREADS = parseThreadsFromEnv(process.env.TAPLINE_UDP_PARSE_THREADS) ?? (availableParallelism() > 2 ? 2 : 1);

/** TAPLINE_UDP_PARSE_THREADS (1..8) overrides the default (benchmarks; a sensor with cores to spare). */
function parseThreadsFromEnv(v: string | undefined): number | null {
  if (v === undefined || !/^[1-8]$/.test(v.trim())) return null;
  return Number(v.trim());
}

export const DEFAULT_SOCKET_THREAD_NICE = -10;

/** How long after the last event built from a UDP batch the parse threads keep sending whole lines. */
export const WHOLE_LINES_LINGER_MS = 2000;

export const DEFAULT_UDP_RECV_BUFFER = 16 * 1024 * 1024;

let receiverSeq = 0;

export class UdpLogReceiver {
  /** The kernel's drops for this socket at the last poll (every second); null when unknown. */
  kernelDropsSeen: number | null = null;
  /** Native receiver: datagrams dropped because its ring was full (also in the intake's dropped_queue_full). */
  ringDrops = 0;
  private readonly poll: NodeJS.Timeout;

  private constructor(
    /** Which receiver reads the socket, and why. */
    readonly choice: UdpReceiverChoice,
    /** The dgram socket thread (null with the native receiver, which the parse thread owns). */
    private readonly socketThread: Worker | null,
    private readonly parseThreads: Worker[],
    private readonly ended: Promise<void>,
    readonly host: string,
    readonly port: number,
    /** What the kernel granted, as getsockopt(SO_RCVBUF) reports it (Linux: twice the usable size). */
    readonly recvBufferBytes: number,
    /** The socket thread's nice value as set (null when unknown). */
    readonly socketThreadNice: number | null,
  ) {
    this.poll = setInterval(() => void this.kernelDrops(), 1000);
    this.poll.unref();
  }

  static start(intake: LogIntake, opts: UdpReceiverOptions): Promise<UdpLogReceiver> {
    const choice = chooseUdpReceiver(opts.host, opts.receiver ?? 'auto');
    const native = choice.kind === 'native';
    const n = Math.max(1, Math.min(8, opts.parseThreads ?? DEFAULT_PARSE_THREADS));
    // dgram: socket thread → every parse thread; native: parse thread 0 (it owns the receiver) → the others
    const channels = Array.from({ length: native ? n - 1 : n }, () => new MessageChannel());
    const pendingBuf = new SharedArrayBuffer(4);
    const pending = new Int32Array(pendingBuf);
    const outs = channels.map((c) => c.port1);
    const recvBufferBytes = opts.recvBufferBytes ?? DEFAULT_UDP_RECV_BUFFER;
    const nice = opts.socketThreadNice === undefined ? DEFAULT_SOCKET_THREAD_NICE : opts.socketThreadNice;
    const limit = opts.handoffLimit ?? HANDOFF_LIMIT;
    const { entry, eval: isEval } = parseThreadEntry();
    const receiver = ++receiverSeq;
    let made: UdpLogReceiver | null = null;
    // batches come back from the parse threads in any order: each is handed to the intake in the
    // socket thread's order, and counted as handed over (pending) only then, so the ones waiting
    // here stay within the hand-off bound
    const waiting = new Map<number, ParsedLogBatch>();
    let next = 0;
    // while events are built on this thread (a live subscriber, an exporter), the parse threads
    // also send each event's whole line; WHOLE_LINES_LINGER_MS after the last build they stop
    // They are extra work for the parse threads (~4-6 µs a message): while messages wait for
    // them (the hand-off backlog past a tenth of its bound, until it is back under a fortieth)
    // they stop, and events are built from the compact lines again: the live feed may then miss
    // events (counted), the journal must not
    let wholeLines = false;
    const watchDemand = (): void => {
      const backlog = Atomics.load(pending, 0);
      const want = Date.now() - logEventsBuilt.lastAt < WHOLE_LINES_LINGER_MS && backlog < (wholeLines ? limit / 10 : limit / 40);
      if (want === wholeLines) return;
      wholeLines = want;
      const control: WholeLinesControl = { kind: 'whole-lines', on: want };
      for (const t of parseThreads) t.postMessage(control);
    };
    const deliver = (seq: number, b: ParsedLogBatch): void => {
      waiting.set(seq, b);
      for (let w = waiting.get(next); w !== undefined; w = waiting.get(next)) {
        waiting.delete(next++);
        Atomics.sub(pending, 0, w.count);
        intake.offerParsedBatch(w);
      }
      watchDemand();
    };
    let nativeReady: ((m: { port: number; recvBufferBytes: number; nice: number | null }) => void) | null = null;
    let nativeFailed: ((e: Error) => void) | null = null;
    const parseThreads: Worker[] = [];
    const endings: Promise<void>[] = [];
    for (let k = 0; k < n; k++) {
      const nativeInit: NativeParseInit = { host: opts.host, port: opts.port, recvBufferBytes, nice, pending: pendingBuf, limit };
      const idPrefix = `${intake.idPrefix}u${receiver}${String.fromCharCode(97 + k)}-`;
      let init: ParseThreadInit;
      let transferList: MessagePort[];
      if (native && k === 0) {
        init = { sensor: intake.sensor, idPrefix, native: nativeInit, forward: outs };
        transferList = outs;
      } else {
        const input = channels[native ? k - 1 : k].port2;
        init = { sensor: intake.sensor, idPrefix, input };
        transferList = [input];
      }
      const t = new Worker(entry, { eval: isEval, workerData: init, transferList, name: `tapline-udp-parse-${k}` });
      let endParse!: () => void;
      endings.push(new Promise<void>((r) => (endParse = r)));
      t.on('message', (raw: unknown) => {
        const checked = ParseThreadMessageSchema.safeParse(raw);
        if (!checked.success) return intake.reportError(`UDP parse thread sent a malformed batch: ${checked.error.message}`);
        const m = checked.data;
        if (m.kind === 'end') return endParse();
        if (m.kind === 'ready') return nativeReady?.(m);
        if (m.kind === 'error') {
          if (nativeFailed) return nativeFailed(Object.assign(new Error(m.message), { code: m.code ?? undefined }));
          return intake.reportError(`UDP receiver failed: ${m.message}`);
        }
        if (made && m.ringDropped) made.ringDrops += m.ringDropped;
        if (made && m.kernelDrops !== undefined) made.kernelDropsSeen = Math.max(made.kernelDropsSeen ?? 0, m.kernelDrops);
        // the native receiver's whole batches go back to this parse thread once nothing refers to them (LogEventBatch.released)
        deliver(m.seq, m.pooled === true ? { ...m, giveBack: (d: ArrayBuffer) => t.postMessage({ kind: 'buffer', data: d }, [d]) } : m);
      });
      t.once('exit', () => endParse());
      t.on('error', (e) => {
        if (nativeFailed) nativeFailed(e);
        intake.reportError(`UDP parse thread failed: ${e.message}`);
      });
      parseThreads.push(t);
    }
    const ended = Promise.all(endings).then(() => undefined);
    const terminateParse = (): void => {
      for (const t of parseThreads) void t.terminate();
    };
    if (native) {
      return new Promise((resolve, reject) => {
        nativeReady = (m) => {
          nativeReady = null;
          nativeFailed = null;
          made = new UdpLogReceiver(choice, null, parseThreads, ended, opts.host, m.port, m.recvBufferBytes, m.nice);
          resolve(made);
        };
        nativeFailed = (e) => {
          nativeReady = null;
          nativeFailed = null;
          terminateParse();
          reject(e);
        };
      });
    }
    const data: UdpWorkerData = { host: opts.host, port: opts.port, recvBufferBytes, nice, outs, pending: pendingBuf, limit };
    const worker = new Worker(SOCKET_THREAD_SOURCE, { eval: true, workerData: data, transferList: outs, execArgv: [], name: 'tapline-udp-socket' });
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: SocketThreadMessage) => {
        if (m.kind === 'ready') {
          ready = true;
          resolve(new UdpLogReceiver(choice, worker, parseThreads, ended, opts.host, m.port, m.recvBufferBytes, m.nice));
        } else if (!ready) {
          void worker.terminate();
          terminateParse();
          reject(Object.assign(new Error(m.message), { code: m.code ?? undefined }));
        }
      });
      worker.once('error', (e) => {
        if (!ready) {
          terminateParse();
          reject(e);
        }
      });
    });
  }

  /** Datagrams the kernel dropped for this port (receive buffer full), since the socket opened; null when unknown. */
  async kernelDrops(): Promise<number | null> {
    const n = await udpSocketDrops(this.port, isIPv6(this.host));
    if (n !== null) this.kernelDropsSeen = n;
    return n;
  }

  /** Stops receiving; resolves once every datagram received so far was handed to the intake. */
  async close(): Promise<void> {
    clearInterval(this.poll);
    const socketThread = this.socketThread;
    if (socketThread) {
      await new Promise<void>((resolve) => {
        socketThread.once('exit', () => resolve());
        socketThread.postMessage('close');
        // a thread that does not stop promptly is ended
        setTimeout(() => void socketThread.terminate(), 2000).unref();
      });
    } else {
      // the native receiver drains its socket, hands over its last batch, then ends
      for (const t of this.parseThreads) t.postMessage('close');
    }
    const stop = setTimeout(() => {
      for (const t of this.parseThreads) void t.terminate();
    }, 10_000);
    await this.ended;
    clearTimeout(stop);
    for (const t of this.parseThreads) await t.terminate();
  }
}
