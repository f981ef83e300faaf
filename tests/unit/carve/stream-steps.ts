/** Feeding synthetic flow payload (steps, cut into pieces) to any stream carver (SMTP, POP3, IMAP, FTP, TFTP). */
import type { StreamCarver } from '../../../common/carve/stream-carver.js';
import { bytes, CollectingSink, type Step } from './carve-test-helpers.js';

/** Runs the steps through a fresh carver; each data step is cut into `piece`-byte chunks (Infinity: whole, as one datagram). */
export function runSteps<C extends StreamCarver>(make: (sink: CollectingSink) => C, steps: Step[], piece = Infinity): { sink: CollectingSink; carver: C } {
  const sink = new CollectingSink();
  const carver = make(sink);
  const offset = [0, 0];
  const ended = [false, false];
  let packet = 0;
  for (const s of steps) {
    if ('end' in s) {
      carver.onEnd(s.end, s.reason ?? 'fin', s.gapAtEnd ?? 0);
      ended[s.end] = true;
      continue;
    }
    const d = bytes(s.data);
    let gap = s.gapBefore ?? 0;
    offset[s.dir] += gap;
    for (let i = 0; i < d.length; i += piece) {
      const part = d.subarray(i, Math.min(d.length, i + piece));
      carver.onData({ dir: s.dir, offset: offset[s.dir], data: part, gapBefore: gap, tsSec: 1000 + packet, tsNsec: 5, packet: packet++ });
      offset[s.dir] += part.length;
      gap = 0;
    }
  }
  for (const dir of [0, 1] as const) if (!ended[dir]) carver.onEnd(dir, 'fin', 0);
  return { sink, carver };
}

export const c = (data: string | Uint8Array, gapBefore?: number): Step => ({ dir: 0, data, gapBefore });
export const s = (data: string | Uint8Array, gapBefore?: number): Step => ({ dir: 1, data, gapBefore });
