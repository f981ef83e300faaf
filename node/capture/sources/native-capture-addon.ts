/**
 * Typed access to Tapline's own capture addon (native/capture, target tapline_capture): the
 * libpcap loop in a native thread that fills batch buffers in the store writer's layout
 * (node/store/live/packet-batch.ts) and hands them to JS once per batch. See
 * native/capture/src/capture.c for the contract. Loaded through loadNativeAddon, so a missing or
 * stale build, or TAPLINE_NATIVE=0, yields a reason and the `pcap` package path is used instead.
 */
import { loadNativeAddon, type NativeAddonLoad } from '../../native/native-addon.js';

/** An opaque handle (a napi_external) of one open capture. */
export type NativeCaptureHandle = { readonly __nativeCaptureHandle: unique symbol };

export interface NativeCaptureOpenOptions {
  iface: string;
  filter: string;
  snapLen: number;
  promiscuous: boolean;
  bufferSize: number;
  /** TPACKET_V3 block timeout, ms. */
  timeoutMs: number;
  /** The linkId written in each batch run header. */
  linkId: number;
}

export interface NativeCaptureOpened {
  handle: NativeCaptureHandle;
  /** libpcap's DLT (pcap_datalink). */
  dlt: number;
  /** Timestamps are nanoseconds from the kernel (else µs × 1000). */
  nano: boolean;
  /** pcap_activate's warning, if any. */
  warning: string | null;
}

export interface NativeCaptureStats {
  /** libpcap pcap_stats, taken by the capture thread every 200 ms and at the end. */
  psRecv: number;
  psDrop: number;
  psIfdrop: number;
  statsOk: boolean;
  /** Packets read from the ring but lost here: stopping with no buffer lent back in 5 s, or teardown. */
  ringDrops: number;
  /** Packets and original bytes handed to JS in batches. */
  packets: number;
  bytes: number;
  /** Free buffers the thread holds. */
  held: number;
}

export interface NativeCaptureDevice {
  name: string;
  description?: string;
  flags: number;
  addresses: Array<{ addr?: string; netmask?: string; broadaddr?: string; dstaddr?: string }>;
}

export interface NativeCaptureAddon {
  version(): string;
  /** 2: give takes Uint8Array views (shared-memory batch slots) as well as ArrayBuffers. */
  interfaceVersion(): number;
  findAllDevs(): NativeCaptureDevice[];
  /** Throws libpcap's message (code ERR_BAD_FILTER) when `filter` does not compile for `dlt`. */
  compileFilter(filter: string, dlt: number, snapLen: number): void;
  /** Activates the capture; throws libpcap's message with code ERR_PCAP_PERM, ERR_PCAP_NO_DEVICE, ERR_BAD_FILTER or ERR_PCAP_OPEN. */
  open(o: NativeCaptureOpenOptions): NativeCaptureOpened;
  /**
   * Lends an empty buffer (an ArrayBuffer or a Uint8Array, >= 8 + 16 + snapLen bytes, <= 64 MiB)
   * to the capture thread; JS must not touch it until onBatch returns that same object.
   */
  give(h: NativeCaptureHandle, buf: ArrayBuffer | Uint8Array): void;
  start(h: NativeCaptureHandle, onBatch: (buf: ArrayBuffer | Uint8Array, len: number, packets: number, bytes: number) => void, onEnd: (error: string | null) => void): void;
  stats(h: NativeCaptureHandle): NativeCaptureStats;
  /** Asks the thread to drain the ring, hand over its last batch and end (onEnd). */
  stop(h: NativeCaptureHandle): void;
  /** Joins the thread and closes the handle (after onEnd, or to abandon a capture). */
  close(h: NativeCaptureHandle): void;
}

const FUNCTIONS = ['version', 'interfaceVersion', 'findAllDevs', 'compileFilter', 'open', 'give', 'start', 'stats', 'stop', 'close'] as const;

function isNativeCaptureAddon(m: unknown): m is NativeCaptureAddon {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  // a build from before interfaceVersion 2 would refuse the store writer's shared batch slots
  return FUNCTIONS.every((f) => typeof o[f] === 'function') && (o.interfaceVersion as () => unknown)() === 2;
}

export function loadNativeCapture(): NativeAddonLoad<NativeCaptureAddon> {
  return loadNativeAddon('capture', 'tapline_capture', isNativeCaptureAddon);
}

/** The LINKTYPE_* of a Linux DLT: DLT_RAW (12, 14 on OpenBSD) is LINKTYPE_RAW; the rest are equal. */
export function linkTypeOfDlt(dlt: number): number {
  return dlt === 12 || dlt === 14 ? 101 : dlt;
}

/** The DLT to compile a filter for a LINKTYPE (the inverse of linkTypeOfDlt on Linux). */
export function dltOfLinkType(linkType: number): number {
  return linkType === 101 ? 12 : linkType;
}

/** The addon's error code, when it threw one. */
export function nativeErrorCode(e: unknown): string | null {
  const code: unknown = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : null;
}
