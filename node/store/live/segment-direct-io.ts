/**
 * The live writer's segment data written around the page cache (O_DIRECT, native/capture's
 * segment_io.c, which says why and how). Optional like every addon: without it, or where the
 * filesystem refuses O_DIRECT, segments are written through the page cache as before.
 * `TAPLINE_SEGMENT_DIRECT=0` switches it off (for comparisons); `TAPLINE_NATIVE=0` too.
 */
import { loadNativeAddon } from '../../native/native-addon.js';

declare const segmentIoBrand: unique symbol;
/** An open segment file's O_DIRECT descriptor and staging buffer (owned by the addon). */
export type SegmentIoHandle = { readonly [segmentIoBrand]: true };

export interface SegmentIo {
  /** Opens `path` (just created, empty) a second time with O_DIRECT; `fd` is its ordinary descriptor. Throws (code EINVAL) where O_DIRECT is refused. */
  segmentOpen(path: string, fd: number): SegmentIoHandle;
  /** Appends bytes at the file's logical end: every whole block is in the file on return, the partial last block stays staged. Throws with an errno code (ENOSPC, EIO). */
  segmentAppend(h: SegmentIoHandle, bytes: Uint8Array): void;
  /** Puts every appended byte in the file: whole blocks directly, the partial last block through `fd`. */
  segmentFlush(h: SegmentIoHandle): void;
  /** Closes the O_DIRECT descriptor and frees the staging; what was not flushed is dropped. */
  segmentClose(h: SegmentIoHandle): void;
  /** False once a direct write was refused and the handle fell back to ordinary writes. */
  segmentDirect(h: SegmentIoHandle): boolean;
}

const FUNCTIONS = ['segmentOpen', 'segmentAppend', 'segmentFlush', 'segmentClose', 'segmentDirect'] as const;

function isSegmentIo(m: unknown): m is SegmentIo {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  return FUNCTIONS.every((f) => typeof o[f] === 'function');
}

export type SegmentIoChoice = { io: SegmentIo; reason: null } | { io: null; reason: string };

let choice: SegmentIoChoice | null = null;

/** The addon's segment functions, or why segments go through the page cache. */
export function segmentDirectIo(): SegmentIoChoice {
  if (choice) return choice;
  if (process.env.TAPLINE_SEGMENT_DIRECT === '0') return (choice = { io: null, reason: 'switched off (TAPLINE_SEGMENT_DIRECT=0)' });
  const load = loadNativeAddon('capture', 'tapline_capture', isSegmentIo);
  choice = load.ok ? { io: load.addon, reason: null } : { io: null, reason: load.reason };
  return choice;
}
