/** Feeding synthetic flow payload (steps, cut into pieces) to any stream carver (SMTP, POP3, IMAP, FTP, TFTP). */
import type { StreamCarver } from '../../../common/carve/stream-carver.js';
import { CollectingSink, feedSteps, type Step } from './carve-test-helpers.js';

/** Runs the steps through a fresh carver (feedSteps: each data step cut into `piece`-byte chunks, Infinity: whole, as one datagram). */
export function runSteps<C extends StreamCarver>(make: (sink: CollectingSink) => C, steps: Step[], piece = Infinity): { sink: CollectingSink; carver: C } {
  const sink = new CollectingSink();
  const carver = make(sink);
  feedSteps(carver, steps, piece);
  return { sink, carver };
}

export const c = (data: string | Uint8Array, gapBefore?: number): Step => ({ dir: 0, data, gapBefore });
export const s = (data: string | Uint8Array, gapBefore?: number): Step => ({ dir: 1, data, gapBefore });
