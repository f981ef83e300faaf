/**
 * The live store writer's public shape: what the capture CLI and the worker pass to
 * openLiveWriter, what stats() reports and what flow summaries look like. Kept stable: the
 * capture helper builds against it.
 */
import type { AlertTrigger } from '../../../common/capture/alert-trigger.js';
import type { FlowJson } from '../../../common/flow/flow-json.js';

export type LiveStoreMode = 'full' | 'conditional';

export interface LiveWriterOptions {
  /** Rotate the open segment when it reaches this many bytes (default 128 MiB). */
  segmentBytes?: number;
  /** Rotate the open segment after this many seconds of wall-clock time (default 300). */
  segmentSeconds?: number;
  /** Ring bound on the segments' total size (segment files + their indexes); 0/undefined = none. */
  maxStoreBytes?: number;
  /** Delete segments that started more than this many seconds ago; 0/undefined = none. */
  maxAgeSeconds?: number;
  /** 'full' stores every packet; 'conditional' only flows a trigger alerted on (default 'full'). */
  mode?: LiveStoreMode;
  /** Conditional mode: packets kept from before each flow's alert (default 10). */
  preAlertPackets?: number;
  /** Conditional mode: the alert source (also `LiveWriter.alert(flowKey)`). */
  trigger?: AlertTrigger;
  /** How often received packets reach disk and the live index is made durable (default 500 ms, at most 1000). */
  flushIntervalMs?: number;
  /**
   * Write segment data with O_DIRECT where the addon and the filesystem allow (default true;
   * segment-direct-io.ts): no page-cache writeback for the flush's data sync to pay. False:
   * through the page cache.
   */
  directIo?: boolean;
  /** Flow summaries, in batches, once per flush interval. */
  onFlows?: (batch: LiveFlowSummary[]) => void;
  /** Errors that stop writing (disk full, I/O errors); writing resumes by itself when it can. */
  onError?: (error: Error) => void;
  /** Notices (repaired segments, retention deletions, resumed writing), one line each. */
  log?: (line: string) => void;
  /**
   * Index packets of existing flows in C where the flow-index addon is built (native-stretch.ts;
   * default true). False, like TAPLINE_NATIVE_FLOWS=0, keeps every packet in TypeScript.
   */
  nativeFlows?: boolean;
}

export interface LiveFlowSummary {
  event: 'start' | 'update' | 'end';
  /** Why a flow ended: TCP FIN from both sides or RST, idle timeout, or its segment closed (the
   * connection, if it goes on, continues as a new flow in the next segment). */
  reason: 'fin' | 'rst' | 'idle' | 'segment-closed' | null;
  /** The flow as `tapline flows --json` prints it; `id` is sliceable once the index is durable. */
  flow: FlowJson;
}

export interface LiveWriterStats {
  /** Packets and bytes (original lengths) handed to the writer. */
  receivedPackets: number;
  receivedBytes: number;
  /** Packets and record bytes written to segments. */
  storedPackets: number;
  storedBytes: number;
  /** Of the stored packets, those indexed in C (native-stretch.ts: packets of existing flows). */
  nativeIndexedPackets: number;
  /** Packets whose bytes are on disk and covered by a durable index (sliceable). */
  durablePackets: number;
  /** Bytes received but not yet written (a source may slow down when this grows). */
  queuedBytes: number;
  /**
   * Packets dropped because the disk could not keep up (the write queue was full). Always 0 since
   * segment data is written synchronously by the writer (session 10): a slow disk now holds up
   * the writer's thread, and the capture side's hand-off bound drops (and counts) instead.
   */
  droppedBacklog: number;
  /** Packets dropped while the disk was full or writing failed. */
  droppedDiskFull: number;
  /** Packets on a link the source never announced with link(). */
  droppedUnknownLink: number;
  /**
   * Packets the capture thread could not hand to the writer's thread because the hand-off
   * ring was full (the writer fell that far behind); always 0 for an in-thread LiveWriter.
   */
  droppedHandoff: number;
  /** Conditional mode: packets not stored because their flow had not alerted (yet). */
  notAlerted: number;
  /** Conditional mode: flows that alerted. */
  alertedFlows: number;
  /** Segments on disk, and their total size with indexes. */
  segments: number;
  storeBytes: number;
  /** Flows in the open segment. */
  activeFlows: number;
  openSegment: string | null;
  /** Capture gaps reported by the source. */
  gaps: number;
  /** Set while writing is stopped (disk full, I/O error); null when writing. */
  error: string | null;
  /** Wall-clock ms of the last completed flush (0 before the first). */
  lastFlushAt: number;
  /** How the open (or last) segment's data is written: O_DIRECT or through the page cache; null before the first. */
  segmentWrites: 'direct' | 'page-cache' | null;
}

/** Stats of a writer that has not seen a packet yet. */
export function emptyLiveWriterStats(): LiveWriterStats {
  return {
    receivedPackets: 0,
    receivedBytes: 0,
    storedPackets: 0,
    storedBytes: 0,
    nativeIndexedPackets: 0,
    durablePackets: 0,
    queuedBytes: 0,
    droppedBacklog: 0,
    droppedDiskFull: 0,
    droppedUnknownLink: 0,
    droppedHandoff: 0,
    notAlerted: 0,
    alertedFlows: 0,
    segments: 0,
    storeBytes: 0,
    activeFlows: 0,
    openSegment: null,
    gaps: 0,
    error: null,
    lastFlushAt: 0,
    segmentWrites: null,
  };
}
