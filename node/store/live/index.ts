/**
 * Entry point of the live store for the capture CLI and worker:
 *
 *   const w = await openLiveWriter(storeDir, { segmentBytes, segmentSeconds, maxStoreBytes,
 *     maxAgeSeconds, mode, preAlertPackets, trigger, flushIntervalMs, onFlows, onError, log });
 *   source.start(w);          // w is a LivePacketSink
 *   ... w.stats() every second ...
 *   await w.close();          // on SIGINT/SIGTERM or --duration
 */
import type { LiveStoreWriter } from './live-writer-api.js';
import type { LiveWriterOptions } from './live-writer-options.js';
import { LiveWriter } from './live-writer.js';

export type { LiveStoreWriter } from './live-writer-api.js';
export type { LiveFlowSummary, LiveStoreMode, LiveWriterOptions, LiveWriterStats } from './live-writer-options.js';
export type { AlertTrigger, AlertPacket } from '../../../common/capture/alert-trigger.js';
export { alertFlowKey, payloadContainsTrigger, predicateTrigger } from '../../../common/capture/alert-trigger.js';
export { LiveWriter } from './live-writer.js';
export { ThreadedLiveWriter, openThreadedLiveWriter, type ThreadedWriterOptions } from './threaded-writer.js';
export { LiveFlowSummaryBatchSchema, LiveFlowSummarySchema } from '../../../common/capture/live-flow-summary.js';
export { readCaptureGaps, gapsPath, DEFAULT_GAPS_LIMIT } from './capture-gaps.js';

export function openLiveWriter(storeDir: string, options: LiveWriterOptions = {}): Promise<LiveStoreWriter> {
  return LiveWriter.open(storeDir, options);
}
