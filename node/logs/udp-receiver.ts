/**
 * Syslog over UDP (RFC 5426): one message per datagram. The socket lives in a worker thread
 * (WORKER_SOURCE below) that only drains the kernel buffer, so bursts and a busy main thread do
 * not turn into kernel drops; the receive buffer is raised (8 MiB asked; the kernel caps it at
 * net.core.rmem_max). Datagrams the intake queue cannot take are counted as drops.
 */
import { Worker } from 'node:worker_threads';
import type { LogIntake } from './log-intake.js';

interface UdpWorkerData {
  host: string;
  port: number;
  recvBufferBytes: number;
}

type UdpWorkerMessage =
  | { kind: 'ready'; port: number; recvBufferBytes: number }
  | { kind: 'error'; code: string | null; message: string }
  | { kind: 'batch'; data: ArrayBuffer; ends: Uint32Array; ips: string[]; ports: Uint16Array; sec: Float64Array; nsec: Uint32Array };

/**
 * The socket thread, as plain JavaScript run with `eval` (no module file to locate, the same in
 * the build and under tsx). It only drains the kernel buffer and posts batches: one transferred
 * buffer per batch, at most every 5 ms or 512 datagrams. Messages: UdpWorkerMessage.
 */
const WORKER_SOURCE = `
const { createSocket } = require('node:dgram');
const { isIPv6 } = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
const { host, port, recvBufferBytes } = workerData;
const sock = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
let parts = [], ips = [], ports = [], times = [], bytes = 0;
function flush() {
  if (parts.length === 0) return;
  const data = new ArrayBuffer(bytes);
  const view = new Uint8Array(data);
  const ends = new Uint32Array(parts.length);
  const sec = new Float64Array(parts.length);
  const nsec = new Uint32Array(parts.length);
  let off = 0;
  for (let i = 0; i < parts.length; i++) {
    view.set(parts[i], off);
    off += parts[i].length;
    ends[i] = off;
    sec[i] = Math.floor(times[i] / 1000);
    nsec[i] = (times[i] % 1000) * 1e6;
  }
  parentPort.postMessage({ kind: 'batch', data, ends, ips, ports: Uint16Array.from(ports), sec, nsec }, [data]);
  parts = []; ips = []; ports = []; times = []; bytes = 0;
}
sock.on('message', (msg, rinfo) => {
  parts.push(msg); ips.push(rinfo.address); ports.push(rinfo.port); times.push(Date.now());
  bytes += msg.length;
  if (parts.length >= 512) flush();
});
sock.once('error', (e) => parentPort.postMessage({ kind: 'error', code: e.code || null, message: e.message }));
sock.bind(port, host, () => {
  let granted = 0;
  try { sock.setRecvBufferSize(recvBufferBytes); granted = sock.getRecvBufferSize(); } catch { granted = 0; }
  const timer = setInterval(flush, 5);
  parentPort.on('message', (m) => {
    if (m === 'close') { clearInterval(timer); flush(); sock.close(() => parentPort.close()); }
  });
  parentPort.postMessage({ kind: 'ready', port: sock.address().port, recvBufferBytes: granted });
});
`;

export interface UdpReceiverOptions {
  host: string;
  port: number;
  /** Receive buffer to ask for (bytes). */
  recvBufferBytes?: number;
}

export class UdpLogReceiver {
  private constructor(
    private readonly worker: Worker,
    readonly host: string,
    readonly port: number,
    readonly recvBufferBytes: number,
  ) {}

  static start(intake: LogIntake, opts: UdpReceiverOptions): Promise<UdpLogReceiver> {
    const data: UdpWorkerData = { host: opts.host, port: opts.port, recvBufferBytes: opts.recvBufferBytes ?? 8 * 1024 * 1024 };
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data, execArgv: [] });
    return new Promise((resolve, reject) => {
      let ready = false;
      worker.on('message', (m: UdpWorkerMessage) => {
        if (m.kind === 'batch') {
          const all = new Uint8Array(m.data);
          let start = 0;
          for (let i = 0; i < m.ends.length; i++) {
            intake.offer(all.subarray(start, m.ends[i]), { transport: 'udp', senderIp: m.ips[i], senderPort: m.ports[i], receivedSec: m.sec[i], receivedNsec: m.nsec[i] });
            start = m.ends[i];
          }
        } else if (m.kind === 'ready') {
          ready = true;
          resolve(new UdpLogReceiver(worker, opts.host, m.port, m.recvBufferBytes));
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

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.postMessage('close');
      // a worker that does not stop promptly is ended
      setTimeout(() => void this.worker.terminate(), 2000).unref();
    });
  }
}
