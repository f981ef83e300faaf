/**
 * What a live store writer offers its caller (the capture CLI / worker). The implementation is
 * LiveWriter (live-writer.ts); callers open one with openLiveWriter (index.ts) and program
 * against this interface.
 */
import type { LivePacketSink } from '../../../common/capture/live-packet-sink.js';
import type { LiveWriterStats } from './live-writer-options.js';

export interface LiveStoreWriter extends LivePacketSink {
  /** Conditional mode: alert the flow with this key now (an asynchronous rule engine's verdict). */
  alert(flowKey: string): void;
  /** Everything received so far is on disk and covered by a durable index when this resolves. */
  flush(): Promise<void>;
  /** Flushes, closes the open segment (final index), releases the store. Idempotent. */
  close(): Promise<void>;
  stats(): LiveWriterStats;
}
