/**
 * The UDP receiver's parse thread: takes datagram batches (udp-batch.ts), parses them
 * (udp-batch-parser.ts: journal lines written straight into bytes, plus a facts table), and
 * transfers each parsed batch (parsed-batch.ts) to the main thread, which then ranks,
 * correlates, appends the ready bytes and publishes without decoding the lines.
 *
 * The batches come either from the dgram socket thread (a MessagePort, `input`) or, with the
 * native receiver (`native`), straight from the addon's receive thread: this thread opens it, so a
 * batch reaches the parser with one call and no thread message in between.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { compactLineTexts } from '../../common/logs/log-journal-line.js';
import { loadNativeUdpIntake, type NativeUdpOpenOptions } from './native-udp-intake.js';
import type { UdpBatch } from './udp-batch.js';
import { BufferPool } from './batch-buffer-pool.js';
import { packedBatch, UdpBatchParser } from './udp-batch-parser.js';

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
  /**
   * Native receiver with several parse threads: the other parse threads' inputs. This thread
   * deals the addon's batches in turn (numbered: the main thread puts them back in order) and
   * parses its own share; the others read theirs from their `input` as from the socket thread.
   */
  forward?: MessagePort[];
}

/** From the main thread: write each event's whole line too (ParsedLogBatch.wholeData), or stop. */
export interface WholeLinesControl {
  kind: 'whole-lines';
  on: boolean;
}

function isWholeLinesControl(m: unknown): m is WholeLinesControl {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'whole-lines' && typeof (m as { on?: unknown }).on === 'boolean';
}

/** From the main thread: a pooled batch's buffer, no longer referred to there (ParsedLogBatch.giveBack). */
function isBufferReturn(m: unknown): m is { kind: 'buffer'; data: ArrayBuffer } {
  return typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'buffer' && (m as { data?: unknown }).data instanceof ArrayBuffer;
}

/** From the socket thread (or, native receiver, from the parse thread that owns it, with its counts). */
export type SocketThreadMessage = ({ kind: 'batch'; seq: number; dropped: number; ringDropped?: number; kernelDrops?: number } & UdpBatch) | { kind: 'end' };

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('udp-parse-thread runs as a worker thread');
  const init = workerData as ParseThreadInit;
  const parser = new UdpBatchParser(init.idPrefix, init.sensor);
  const parseBatch = (seq: number, b: UdpBatch, dropped: number, extra: { ringDropped?: number; kernelDrops?: number }): void => {
    const m = parser.parse(b, dropped);
    // the ends and facts are views into the data's buffer (udp-batch-parser.ts packBatch): listed once
    const transfer: ArrayBuffer[] = [m.data];
    for (const x of [m.ends.buffer, m.facts.buffer] as ArrayBuffer[]) if (!transfer.includes(x)) transfer.push(x);
    if (m.wholeData && m.wholeEnds) transfer.push(m.wholeData, m.wholeEnds.buffer as ArrayBuffer);
    port.postMessage({ kind: 'parsed', seq, ...m, ...extra }, transfer);
  };
  // the native receiver's whole batches (kind 2: lines, facts and ends written in C) go on as they are
  const postPacked = (seq: number, data: ArrayBuffer, used: number, count: number, dropped: number, extra: { ringDropped?: number; kernelDrops?: number }): void => {
    port.postMessage({ kind: 'parsed', seq, ...packedBatch(data, used, count, dropped), ...(pooling ? { pooled: true } : {}), ...extra }, [data]);
  };
  // TAPLINE_NATIVE_POOL=0: every whole batch in a new buffer (the comparison)
  const pooling = process.env.TAPLINE_NATIVE_POOL !== '0';
  const pool = new BufferPool();
  // the main thread asks for whole lines while it builds events (udp-receiver.ts): then no whole batches from C
  const onControl = (m: unknown): void => {
    if (isBufferReturn(m)) return pool.give(m.data);
    if (isWholeLinesControl(m)) {
      parser.wholeLines = m.on;
      parser.state[1] = m.on ? 0 : 1;
    }
  };
  port.on('message', onControl);

  if (init.native) {
    // whole batches from C only with one parse thread (the ids are this thread's sequence)
    const forward = init.forward ?? [];
    const texts = compactLineTexts(init.idPrefix, init.sensor, 'udp');
    const pack = forward.length === 0 && process.env.TAPLINE_NATIVE_PACK !== '0' ? { state: parser.state, prefix: texts.prefix.bytes, prefixChars: texts.prefix.chars, origin: texts.origin.bytes, originChars: texts.origin.chars, ...(pooling ? { take: (n: number) => pool.take(n) } : {}) } : undefined;
    if (pack) parser.state[1] = parser.wholeLines ? 0 : 1;
    runNative(port, init.native, parseBatch, postPacked, forward, pack);
    return;
  }
  const input = init.input;
  if (!input) throw new Error('udp-parse-thread needs an input port or a native receiver');
  input.on('message', (m: SocketThreadMessage) => {
    if (m.kind === 'end') {
      port.postMessage({ kind: 'end' });
      input.close();
      port.off('message', onControl);
      return;
    }
    parseBatch(m.seq, m, m.dropped, { ...(m.ringDropped === undefined ? {} : { ringDropped: m.ringDropped }), ...(m.kernelDrops === undefined ? {} : { kernelDrops: m.kernelDrops }) });
  });
}

function runNative(
  port: MessagePort,
  opts: NativeParseInit,
  parseOwn: (seq: number, b: UdpBatch, dropped: number, extra: { ringDropped?: number; kernelDrops?: number }) => void,
  postPacked: (seq: number, data: ArrayBuffer, used: number, count: number, dropped: number, extra: { ringDropped?: number; kernelDrops?: number }) => void,
  forward: MessagePort[],
  pack: NativeUdpOpenOptions['pack'],
): void {
  const ways = forward.length + 1;
  // batch seq goes to thread seq % ways (0: this one); the datagrams are transferred, not copied
  const parseBatch = (seq: number, b: UdpBatch, dropped: number, extra: { ringDropped?: number; kernelDrops?: number }): void => {
    const k = seq % ways;
    if (k === 0) return parseOwn(seq, b, dropped, extra);
    const m: SocketThreadMessage & { ringDropped?: number; kernelDrops?: number } = { kind: 'batch', seq, dropped, ...b, ...extra };
    const transfer: ArrayBuffer[] = b.data.byteLength ? [b.data] : [];
    if (b.pre) transfer.push(b.pre);
    forward[k - 1].postMessage(m, transfer);
  };
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
      {
        host: opts.host,
        port: opts.port,
        recvBufferBytes: opts.recvBufferBytes,
        ...(opts.nice === null ? {} : { nice: opts.nice }),
        pending: new Int32Array(opts.pending),
        limit: opts.limit,
        // TAPLINE_NATIVE_PARSE=0: the native receiver without the parse fast path (every message parsed in TypeScript)
        fastParse: process.env.TAPLINE_NATIVE_PARSE !== '0',
        ...(pack ? { pack } : {}),
      },
      (kind, data, used, count, ips, droppedQueueFull, droppedRingFull, kernelDrops, pre) => {
        if (kind === 1) {
          if (droppedQueueFull + droppedRingFull > 0) parseBatch(seq++, { data: empty, used: 0, count: 0, ips: [] }, droppedQueueFull + droppedRingFull, { ringDropped: droppedRingFull, kernelDrops });
          // the other parse threads end after the batches already forwarded to them
          for (const f of forward) {
            f.postMessage({ kind: 'end' });
            f.close();
          }
          port.postMessage({ kind: 'end' });
          return;
        }
        if (kind === 2 && data) return postPacked(seq++, data, used, count, droppedQueueFull + droppedRingFull, { ringDropped: droppedRingFull, kernelDrops });
        parseBatch(seq++, data ? { data, used, count, ips, ...(pre ? { pre } : {}) } : { data: empty, used: 0, count: 0, ips: [] }, droppedQueueFull + droppedRingFull, { ringDropped: droppedRingFull, kernelDrops });
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
