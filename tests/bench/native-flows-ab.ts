/**
 * The live writer's indexing with and without its native path for packets of existing flows
 * (node/store/live/native-stretch.ts), alternated in one process: two dry writers (LiveWriter.dry:
 * every in-memory step of a real writer, segments, snapshots, final index encodes, no disk) take
 * the same packet batches in turn, so both see the same machine minutes and the same compiled
 * JavaScript; CPU time of this thread per packet, per round.
 *
 *   node --import tsx tests/bench/native-flows-ab.ts [--packets N] [--rounds R] [--segment-size BYTES] [--only native|js]
 *
 * Batches: the first N packets (default 1,000,000) of bench-data/bench-2g.pcap in 1 MiB batches of
 * one run each, as live-writer-cpu.ts loads them. Each round: a fresh dry writer of each kind
 * (the order alternating), every batch through packetRunBorrowed, a flush every 64 batches (as a
 * 500 ms flush at ~500 k packets a second), close.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LiveWriter } from '../../node/store/live/live-writer.js';
import { BATCH_RUN_HEADER } from '../../node/store/live/packet-batch.js';
import { BENCH_DATA } from './lib/env.js';
import { loadBatches, type Batch } from './lib/packet-batches.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}


/** This thread's user and system CPU seconds (/proc: process.cpuUsage would add V8's helper threads). */
function threadCpu(): { user: number; sys: number } {
  const st = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 };
}

async function round(native: boolean, batches: Batch[], linkType: number, snapLen: number, segmentBytes: number): Promise<{ user: number; sys: number; packets: number; nativePackets: number }> {
  const w = LiveWriter.dry({ segmentBytes, nativeFlows: native });
  w.link({ id: 0, linkType, snapLen, name: 'bench' });
  const t0 = threadCpu();
  let packets = 0;
  for (let i = 0; i < batches.length; i++) {
    const b = batches[i];
    packets += w.packetRunBorrowed(0, b.buf.subarray(BATCH_RUN_HEADER, b.len), b.len - BATCH_RUN_HEADER).packets;
    if ((i + 1) % 64 === 0) await w.flush();
  }
  await w.close();
  const t1 = threadCpu();
  return { user: t1.user - t0.user, sys: t1.sys - t0.sys, packets, nativePackets: w.stats().nativeIndexedPackets };
}

const { batches, linkType, snapLen } = await loadBatches(join(BENCH_DATA, 'bench-2g.pcap'), arg('--packets', 1_000_000));
const rounds = arg('--rounds', 6);
const segmentBytes = arg('--segment-size', 32 << 20);
// one unmeasured round of each first: both paths compiled before anything counts
await round(true, batches, linkType, snapLen, segmentBytes);
await round(false, batches, linkType, snapLen, segmentBytes);
const per: Record<string, number[]> = { native: [], js: [] };
for (let r = 0; r < rounds; r++) {
  // --only native|js: one kind only (to profile it)
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
  for (const native of (r % 2 === 0 ? [true, false] : [false, true]).filter((n) => only === null || (only === 'native') === n)) {
    const x = await round(native, batches, linkType, snapLen, segmentBytes);
    const us = ((x.user + x.sys) * 1e6) / x.packets;
    per[native ? 'native' : 'js'].push(us);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`round ${r + 1} ${native ? 'native' : 'js    '}: ${us.toFixed(3)} µs CPU/packet (user ${((x.user * 1e6) / x.packets).toFixed(3)}), ${x.nativePackets} of ${x.packets} packets in C; load ${load}`);
  }
}
const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
console.log(`mean: native ${mean(per.native).toFixed(3)}, js ${mean(per.js).toFixed(3)} µs CPU/packet; native lower in ${per.native.filter((v, i) => v < per.js[i]).length} of ${rounds} rounds`);
