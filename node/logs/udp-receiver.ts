/**
 * Syslog over UDP (RFC 5426): one message per datagram. The socket lives in a worker thread
 * (WORKER_SOURCE below) that only drains the kernel buffer into large batch buffers
 * (udp-batch.ts: length-prefixed records, one transferred ArrayBuffer per batch), so a busy
 * main thread does not turn into kernel drops; the receive buffer is raised (16 MiB asked; the
 * kernel caps it at net.core.rmem_max and reports twice what it grants). Datagrams the intake
 * queue cannot take are counted as drops; the kernel's drops for this socket are read from
 * /proc/net/udp (udp-socket-drops.ts).
 */
import { isIPv6 } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { LogIntake } from './log-intake.js';
import { UDP_BATCH_WRITER_SOURCE, type UdpBatch } from './udp-batch.js';
import { udpSocketDrops } from './udp-socket-drops.js';

interface UdpWorkerData {
  host: string;
  port: number;
  recvBufferBytes: number;
  nice: number | null;
}

type UdpWorkerMessage =
  | { kind: 'ready'; port: number; recvBufferBytes: number; nice: number | null }
  | { kind: 'error'; code: string | null; message: string }
  | ({ kind: 'batch' } & UdpBatch);

/**
 * The socket thread, as plain JavaScript run with `eval` (no module file to locate, the same in
 * the build and under tsx). It only copies each datagram into the current batch buffer and
 * posts the buffer (transferred, not copied) when it is full, holds 2048 datagrams, or every
 * 2 ms. Messages: UdpWorkerMessage.
 */
const WORKER_SOURCE = `
const { createSocket } = require('node:dgram');
const { isIPv6 } = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
${UDP_BATCH_WRITER_SOURCE}
const { host, port, recvBufferBytes, nice } = workerData;
const CAPACITY = 1 << 20;
const sock = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
const w = new UdpBatchWriter(CAPACITY);
function flush() {
  const b = w.take(CAPACITY);
  if (b) parentPort.postMessage({ kind: 'batch', data: b.data, used: b.used, count: b.count, ips: b.ips }, [b.data]);
}
sock.on('message', (msg, rinfo) => {
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
  const timer = setInterval(flush, 2);
  parentPort.on('message', (m) => {
    if (m === 'close') { clearInterval(timer); flush(); sock.close(() => parentPort.close()); }
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
}

export const DEFAULT_SOCKET_THREAD_NICE = -10;

export const DEFAULT_UDP_RECV_BUFFER = 16 * 1024 * 1024;

export class UdpLogReceiver {
  /** The kernel's drops for this socket at the last poll (every second); null when unknown. */
  kernelDropsSeen: number | null = null;
  private readonly poll: NodeJS.Timeout;

  private constructor(
    private readonly worker: Worker,
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
    const data: UdpWorkerData = { host: opts.host, port: opts.port, recvBufferBytes: opts.recvBufferBytes ?? DEFAULT_UDP_RECV_BUFFER, nice: opts.socketThreadNice === undefined ? DEFAULT_SOCKET_THREAD_NICE : opts.socketThreadNice };
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data, execArgv: [] });
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: UdpWorkerMessage) => {
        if (m.kind === 'batch') intake.offerUdpBatch(m);
        else if (m.kind === 'ready') {
          ready = true;
          resolve(new UdpLogReceiver(worker, opts.host, m.port, m.recvBufferBytes, m.nice));
        } else if (!ready) {
          void worker.terminate();
          reject(Object.assign(new Error(m.message), { code: m.code ?? undefined }));
        }
      });
      worker.once('error', (e) => {
        if (!ready) reject(e);
      });
    });
  }

  /** Datagrams the kernel dropped for this port (receive buffer full), since the socket opened; null when unknown. */
  async kernelDrops(): Promise<number | null> {
    const n = await udpSocketDrops(this.port, isIPv6(this.host));
    if (n !== null) this.kernelDropsSeen = n;
    return n;
  }

  close(): Promise<void> {
    clearInterval(this.poll);
    return new Promise((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.postMessage('close');
      // a worker that does not stop promptly is ended
      setTimeout(() => void this.worker.terminate(), 2000).unref();
    });
  }
}
