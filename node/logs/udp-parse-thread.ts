/**
 * The UDP receiver's parse thread: takes datagram batches (udp-batch.ts), parses every message
 * (common/logs, the same code the intake uses for TCP), writes its `log` event's journal line
 * straight into bytes (common/logs/log-line-encoder.ts: exactly JSON.stringify's output, without
 * building the event object or a JSON string), and transfers the batch (parsed-batch.ts) to the
 * main thread. The main thread then only correlates, appends the ready bytes and publishes.
 *
 * The batches come either from the dgram socket thread (a MessagePort, `input`) or, with the
 * native receiver (`native`), straight from the addon's receive thread: this thread opens it, so a
 * batch reaches the parser with one call and no thread message in between.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { JsonLineWriter, writeParsedLogLine } from '../../common/logs/log-line-encoder.js';
import { decodeLogBytes, parseLog } from '../../common/logs/parse-log.js';
import { loadNativeUdpIntake } from './native-udp-intake.js';
import { UdpBatchReader, type UdpBatch } from './udp-batch.js';

export interface NativeParseInit {
  host: string;
  port: number;
  recvBufferBytes: number;
  nice: number | null;
  /** Int32 [0]: messages handed over and not yet taken by the intake. */
  pending: SharedArrayBuffer;
  limit: number;
}

export interface ParseThreadInit {
  sensor: string;
  /** Event ids are this prefix and a sequence number. */
  idPrefix: string;
  /** Where the socket thread posts its batches and, at the end, 'end' (dgram receiver). */
  input?: MessagePort;
  /** Open the native receiver here instead (the main thread posts 'close' to stop it). */
  native?: NativeParseInit;
}

/** From the socket thread. */
export type SocketThreadMessage = ({ kind: 'batch'; seq: number; dropped: number } & UdpBatch) | { kind: 'end' };

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('udp-parse-thread runs as a worker thread');
  const init = workerData as ParseThreadInit;
  let id = 0;
  // one writer for every batch: the lines are written straight into its bytes (no event objects,
  // no JSON strings), then copied out exactly sized
  const w = new JsonLineWriter(1 << 20);
  const parseBatch = (seq: number, b: UdpBatch, dropped: number, extra: { ringDropped?: number; kernelDrops?: number }): void => {
    w.reset();
    const ends = new Uint32Array(b.count * 2);
    const r = new UdpBatchReader(b);
    let n = 0;
    while (n < b.count && r.next()) {
      const sec = r.timeSec;
      const text = decodeLogBytes(r.payload());
      writeParsedLogLine(w, text, parseLog(text, sec), init.idPrefix + ++id, init.sensor, sec, r.timeNsec, 'udp', r.ip, r.port, null);
      w.byte(0x0a);
      ends[2 * n] = w.at;
      ends[2 * n + 1] = w.chars;
      n++;
    }
    const data = w.take();
    port.postMessage({ kind: 'parsed', seq, data, used: w.at, ends: n === b.count ? ends : ends.slice(0, 2 * n), count: n, dropped, ...extra }, [data]);
  };

  if (init.native) {
    runNative(port, init.native, parseBatch);
    return;
  }
  const input = init.input;
  if (!input) throw new Error('udp-parse-thread needs an input port or a native receiver');
  input.on('message', (m: SocketThreadMessage) => {
    if (m.kind === 'end') {
      port.postMessage({ kind: 'end' });
      input.close();
      return;
    }
    parseBatch(m.seq, m, m.dropped, {});
  });
}

function runNative(port: MessagePort, opts: NativeParseInit, parseBatch: (seq: number, b: UdpBatch, dropped: number, extra: { ringDropped?: number; kernelDrops?: number }) => void): void {
  const load = loadNativeUdpIntake();
  if (!load.ok) {
    port.postMessage({ kind: 'error', code: null, message: load.reason });
    return;
  }
  const addon = load.addon;
  let seq = 0;
  const empty = new ArrayBuffer(0);
  let opened: ReturnType<typeof addon.open>;
  try {
    opened = addon.open(
      { host: opts.host, port: opts.port, recvBufferBytes: opts.recvBufferBytes, ...(opts.nice === null ? {} : { nice: opts.nice }), pending: new Int32Array(opts.pending), limit: opts.limit },
      (kind, data, used, count, ips, droppedQueueFull, droppedRingFull, kernelDrops) => {
        if (kind === 1) {
          if (droppedQueueFull + droppedRingFull > 0) parseBatch(seq++, { data: empty, used: 0, count: 0, ips: [] }, droppedQueueFull + droppedRingFull, { ringDropped: droppedRingFull, kernelDrops });
          port.postMessage({ kind: 'end' });
          return;
        }
        parseBatch(seq++, data ? { data, used, count, ips } : { data: empty, used: 0, count: 0, ips: [] }, droppedQueueFull + droppedRingFull, { ringDropped: droppedRingFull, kernelDrops });
      },
    );
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    port.postMessage({ kind: 'error', code: typeof err.code === 'string' ? err.code : null, message: err.message });
    return;
  }
  let closed = false;
  port.on('message', (m: unknown) => {
    if (m === 'close' && !closed) {
      closed = true;
      addon.close(opened.handle);
    }
  });
  port.postMessage({ kind: 'ready', port: opened.port, recvBufferBytes: opened.recvBufferBytes, nice: opened.nice });
}

main();
