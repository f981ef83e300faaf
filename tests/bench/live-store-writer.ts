/**
 * Benchmark driver for the live store writer (run by suites/live-store.ts as a child process so
 * its CPU time and peak RSS are measured alone):
 *   node --import tsx tests/bench/live-store-writer.ts CAPTURE STORE [SEGMENT_BYTES] [RATE_MBPS]
 * Replays a pcap file's records as LivePackets into a LiveWriter as fast as the writer takes
 * them (reading pauses while more than 64 MiB wait for the disk, as a source with a ring buffer
 * would), or at RATE_MBPS (MB/s, 4 MiB steps), then closes it. Samples the live-index lag: every 100 ms the packets received so far
 * are noted; the lag is how long until stats().durablePackets covers them. Prints one JSON line.
 */
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCaptureParser } from '../../common/capture/capture-parser.js';
import type { LivePacket } from '../../common/capture/live-packet-sink.js';
import { openLiveWriter } from '../../node/store/live/index.js';

const [capture, store, segArg, rateArg] = process.argv.slice(2);
const w = await openLiveWriter(store, { segmentBytes: segArg && segArg !== '0' ? Number(segArg) : undefined });
const rate = rateArg ? Number(rateArg) * 1e6 : 0;
const pkt: LivePacket = { linkId: 0, tsSec: 0, tsNsec: 0, capLen: 0, origLen: 0, data: new Uint8Array(0) };
let linked = false;
const parser = createCaptureParser({
  onFileInfo: () => undefined,
  onInterface: (i) => {
    if (!linked) w.link({ id: 0, linkType: i.linkType, snapLen: i.snapLen, name: 'bench' });
    linked = true;
  },
  onPacket: (r) => {
    pkt.tsSec = r.tsSec;
    pkt.tsNsec = r.tsNsec;
    pkt.capLen = r.capLen;
    pkt.origLen = r.origLen;
    pkt.data = r.buffer.subarray(r.bufferOffset, r.bufferOffset + r.capLen);
    w.packet(pkt);
  },
});

const lags: number[] = [];
const pending: { at: number; packets: number }[] = [];
const sampler = setInterval(() => {
  const s = w.stats();
  const now = performance.now();
  while (pending.length && pending[0].packets <= s.durablePackets) lags.push(now - (pending.shift() as { at: number }).at);
  pending.push({ at: now, packets: s.receivedPackets });
}, 100);

const fh = await open(capture, 'r');
const buf = new Uint8Array(4 << 20);
let pos = 0;
let stalls = 0;
const t0 = performance.now();
for (;;) {
  const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
  if (bytesRead === 0) break;
  parser.push(buf.subarray(0, bytesRead));
  pos += bytesRead;
  while (w.stats().queuedBytes > 64 * 1024 * 1024) {
    stalls++;
    await sleep(2);
  }
  if (rate > 0) {
    const due = (pos / rate) * 1000 - (performance.now() - t0);
    if (due > 0) await sleep(due);
  }
}
parser.end();
await fh.close();
await w.close();
const ms = performance.now() - t0;
clearInterval(sampler);
lags.sort((a, b) => a - b);
const q = (p: number): number | null => (lags.length ? lags[Math.min(lags.length - 1, Math.floor(p * lags.length))] : null);
const s = w.stats();
process.stdout.write(
  `${JSON.stringify({ ms, bytesRead: pos, packets: s.receivedPackets, stored: s.storedPackets, droppedBacklog: s.droppedBacklog, storedBytes: s.storedBytes, segments: s.segments, storeBytes: s.storeBytes, stalls, lagSamples: lags.length, lagP50Ms: q(0.5), lagP99Ms: q(0.99), lagMaxMs: lags.length ? lags[lags.length - 1] : null })}\n`,
);
