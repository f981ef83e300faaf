/**
 * The native UDP receiver (native/udp-intake, target tapline_udp_intake): a thread of its own
 * reads the socket with recvmmsg into a fixed ring of batches in udp-batch.ts's layout and hands
 * each batch to the JavaScript thread that opened it (the UDP parse thread) with one call per
 * batch. Loaded only through loadNativeAddon, which says why when it is not used (missing, stale,
 * TAPLINE_NATIVE=0); the dgram socket thread (udp-receiver.ts) is the portable path.
 */
import { isIP } from 'node:net';
import { loadNativeAddon, type NativeAddonLoad } from '../native/native-addon.js';

/** The batch layout the addon writes (node/logs/udp-batch.ts); a build with another one is stale. */
export const NATIVE_UDP_LAYOUT_VERSION = 1;

export interface NativeUdpOpenOptions {
  host: string;
  port: number;
  recvBufferBytes?: number;
  /** Nice value for the receive thread (omitted: leave it). */
  nice?: number;
  /** Int32 [0]: messages handed over and not yet taken by the intake (shared with the main thread). */
  pending: Int32Array;
  /** Hand-off bound: beyond it datagrams are dropped and counted (queue full). */
  limit: number;
  ringSlots?: number;
  batchBytes?: number;
  batchMessages?: number;
  flushMs?: number;
  /**
   * Run the parse fast path (native/udp-intake/src/log_fast_path.c) on the receive thread over
   * each batch (default true): its results come with the batch (`pre`), for the messages it is sure of.
   */
  fastParse?: boolean;
  /**
   * Whole batches in C (native/udp-intake/src/line_pack.h): a batch whose every record the fast
   * path handled comes as the parsed batch itself (callback kind 2), its lines written from these
   * texts (log-journal-line.ts compactLineTexts) with ids after state[0], which the call advances.
   * state is the calling thread's own (never transferred): [0] the last id given, [1] 1 while
   * whole batches are wanted.
   */
  pack?: {
    state: Float64Array;
    prefix: Uint8Array;
    prefixChars: number;
    origin: Uint8Array;
    originChars: number;
    /** An ArrayBuffer of at least `bytes` to write the batch into (a pooled one the main thread gave back), called on the opening thread; else a new one is made. */
    take?: (bytes: number) => ArrayBuffer;
  };
}

export interface NativeUdpOpened {
  handle: unknown;
  port: number;
  /** getsockopt(SO_RCVBUF): on Linux twice what the kernel grants. */
  recvBufferBytes: number;
  nice: number | null;
}

/**
 * kind 0: a batch (`data` undefined when the call only reports drops), 1: the end (the last call,
 * after close()), 2: a whole parsed batch (`pack`: data holds the lines [0, used), then the facts
 * table and the ends as udp-batch-parser.ts packBatch lays them out). Drop counts are since the
 * previous call; kernelDrops is the socket's total.
 */
export type NativeUdpCallback = (
  kind: 0 | 1 | 2,
  data: ArrayBuffer | undefined,
  used: number,
  count: number,
  ips: string[],
  droppedQueueFull: number,
  droppedRingFull: number,
  kernelDrops: number,
  pre: ArrayBuffer | undefined,
) => void;

export interface NativeUdpAddon {
  layoutVersion: number;
  open(options: NativeUdpOpenOptions, callback: NativeUdpCallback): NativeUdpOpened;
  /** Stops receiving: the socket is drained, the last batch and then the end call follow. */
  close(handle: unknown): void;
  stats(handle: unknown): { received: number; kernelDrops: number };
  /** The fast path's results for a batch in udp-batch.ts's layout, on the calling thread (the receive thread's code; for tests and benches). */
  fastParseBatch(data: ArrayBuffer, used: number, count: number): ArrayBuffer;
  /** The whole parsed batch a kind-2 call hands over, ids after lastId, on the calling thread (the same code; for tests); undefined: the per-record path. */
  fastPackBatch(
    data: ArrayBuffer,
    used: number,
    count: number,
    ips: string[],
    lastId: number,
    pack: { prefix: Uint8Array; prefixChars: number; origin: Uint8Array; originChars: number },
  ): { data: ArrayBuffer; used: number } | undefined;
}

function isNativeUdpAddon(m: unknown): m is NativeUdpAddon {
  if (typeof m !== 'object' || m === null) return false;
  const a = m as Record<string, unknown>;
  return typeof a.open === 'function' && typeof a.close === 'function' && typeof a.stats === 'function' && typeof a.fastParseBatch === 'function' && typeof a.fastPackBatch === 'function' && a.layoutVersion === NATIVE_UDP_LAYOUT_VERSION;
}

export function loadNativeUdpIntake(): NativeAddonLoad<NativeUdpAddon> {
  return loadNativeAddon('udp-intake', 'tapline_udp_intake', isNativeUdpAddon);
}

/** Which receiver a UDP endpoint uses, and why (reported by `serve` and the stats API). */
export interface UdpReceiverChoice {
  kind: 'native' | 'dgram';
  reason: string;
}

/** The native receiver when it loads and the host is an address (it does not resolve names), else dgram. */
export function chooseUdpReceiver(host: string, prefer: 'auto' | 'dgram' = 'auto'): UdpReceiverChoice {
  if (prefer === 'dgram') return { kind: 'dgram', reason: 'dgram receiver requested' };
  if (isIP(host) === 0) return { kind: 'dgram', reason: `host ${host} is a name (the native receiver binds addresses only)` };
  const load = loadNativeUdpIntake();
  if (!load.ok) return { kind: 'dgram', reason: load.reason };
  const fast = process.env.TAPLINE_NATIVE_PARSE === '0' ? 'parse fast path off (TAPLINE_NATIVE_PARSE=0)' : 'parse fast path in C on its thread';
  return { kind: 'native', reason: `native recvmmsg receiver (${load.path}), ${fast}` };
}
