/**
 * One live-capture trial with CPU profiles of the capture worker (its main thread, which runs
 * the libpcap loop, and the store writer thread), for finding where capture time goes:
 *   node --import tsx tests/bench/profile-capture.ts [RATE_PPS|0=topspeed] [PACKETS] [PROFILE_DIR]
 * Builds a veth pair between two namespaces (removed at the end), runs the built
 * `tapline capture` (dist/, `npm run build` first) in one with the worker started through
 * TAPLINE_CAPTURE_WORKER as `node --cpu-prof`, replays the 200 MiB bench capture with tcpreplay
 * from the other, stops the capture and prints its summary. Summarize a profile with any
 * .cpuprofile viewer (Chrome DevTools, speedscope).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createNetnsPair, netnsSkipReason } from '../helpers/netns.js';
import { ensureCapture } from './lib/capture.js';
import { BENCH_DATA, TAPLINE_CLI } from './lib/env.js';

async function main(): Promise<void> {
  const [rate = '100000', count = '300000', profDir = join(BENCH_DATA, 'capture-profiles')] = process.argv.slice(2);
  const skip = netnsSkipReason();
  if (skip) throw new Error(skip);
  if (!existsSync(TAPLINE_CLI)) throw new Error(`${TAPLINE_CLI} missing: run npm run build`);
  const source = await ensureCapture({ sizeText: '200M', seed: 1 });
  const worker = TAPLINE_CLI.replace(/electron[/\\]cli[/\\]main\.js$/, 'capture-worker/main.js');
  mkdirSync(profDir, { recursive: true });
  const store = join(BENCH_DATA, 'capture-profile-store');
  const pair = createNetnsPair('p', 83);
  try {
    for (const [ns, dev] of [[pair.nsA, pair.ifA], [pair.nsB, pair.ifB]] as const) pair.exec(ns, 'ip', ['link', 'set', dev, 'mtu', '9000']);
    rmSync(store, { recursive: true, force: true });
    const env = { ...process.env, TAPLINE_CAPTURE_WORKER: JSON.stringify([process.execPath, '--cpu-prof', `--cpu-prof-dir=${profDir}`, worker]) };
    const cap = pair.spawnIn(pair.nsB, process.execPath, [TAPLINE_CLI, 'capture', '--iface', pair.ifB, '--store', store, '--segment-size', '32M', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let text = '';
    cap.stdout?.on('data', (b: Buffer) => (text += b.toString()));
    cap.stderr?.on('data', (b: Buffer) => (text += b.toString()));
    const t0 = Date.now();
    while (!/capturing from/.test(text)) {
      if (Date.now() - t0 > 30_000 || cap.exitCode !== null) throw new Error(`capture did not start: ${text.slice(-500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const speed = rate === '0' ? ['--topspeed'] : ['--pps', rate];
    const out = pair.exec(pair.nsA, 'tcpreplay', ['-i', pair.ifA, ...speed, '--limit', count, source.path], 300_000);
    console.log(/Actual: .*/.exec(out)?.[0] ?? out.slice(-300));
    await new Promise((r) => setTimeout(r, 1500));
    cap.kill('SIGINT');
    await new Promise((r) => cap.once('exit', r));
    console.log(text.split('\n').filter((l) => /captured/.test(l)).join('\n'));
    console.log(`profiles in ${profDir}`);
  } finally {
    pair.remove();
    rmSync(store, { recursive: true, force: true });
  }
}

void main();
