/**
 * CPU per message of the UDP parse thread's per-batch work (udp-batch-parser.ts: fact extraction,
 * compact journal line, facts table) per message format, and of the fact extractor alone:
 *
 *   node --import tsx tests/bench/micro/parse-thread-formats.bench.ts [ROUNDS] [ROOT...]
 *
 * ROOT (default: this worktree's sources) is where `node/logs/udp-batch-parser.js` and
 * `common/logs/log-facts.js` are imported from; with several (`dist` of this worktree and `dist`
 * of a reference build, `/tmp/ref-6231/dist`), each is loaded as its own modules in this process
 * and the rounds alternate between them, so both sides see the same load. Each format is 20 batches of 500 realistic datagrams (numbers, addresses and times
 * vary per message as a sender's would); rounds alternate formats and the minimum of the
 * process's CPU time per message is reported (other processes' load counts less than in wall
 * time), plus how many of the format's messages the extractor was sure of (the rest take the
 * full parse).
 *
 * With this worktree's native UDP addon built (session 10), also: `native`, the C parse fast
 * path over a batch (log_fast_path.c through the addon's fastParseBatch: the receive thread's
 * added work, plus the call's result buffer), `thread+pre`, each side's parse thread given the
 * C results with the batch (a build without the fast path ignores them: then it equals
 * `thread`), and the share of messages the C path handled.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSeedLine } from '../../../common/logs/seed-format.js';
import { loadNativeUdpIntake } from '../../../node/logs/native-udp-intake.js';
import { UDP_BATCH_WRITER_SOURCE, UdpBatchReader, type UdpBatch } from '../../../node/logs/udp-batch.js';
import { benchMessage } from '../suites/logs.js';

interface Writer {
  add(msg: Uint8Array, ip: string, port: number, timeMs: number): boolean;
  take(capacity: number): UdpBatch | null;
}
interface Parser {
  parse(b: UdpBatch, dropped: number): { used: number; count: number };
  useFacts: boolean;
}
interface Facts {
  format: number;
}
type Extract = (b: Uint8Array, start: number, end: number, refSec: number, f: Facts) => boolean;

const rounds = Number(process.argv[2] ?? 20);
const roots = process.argv.length > 3 ? process.argv.slice(3).map((r) => resolve(r)) : [fileURLToPath(new URL('../../..', import.meta.url))];
const sides = await Promise.all(
  roots.map(async (root) => {
    const parserMod = (await import(join(root, 'node/logs/udp-batch-parser.js'))) as { UdpBatchParser: new (prefix: string, sensor: string) => Parser };
    const factsMod = (await import(join(root, 'common/logs/log-facts.js'))) as { extractLogFacts: Extract; LogFacts: new () => Facts };
    return { root, parser: new parserMod.UdpBatchParser('bench:log:x:u1a-', 'bench'), extract: factsMod.extractLogFacts, facts: new factsMod.LogFacts() };
  }),
);
type Side = (typeof sides)[number];

const makeWriter = new Function('capacity', `${UDP_BATCH_WRITER_SOURCE}\nreturn new UdpBatchWriter(capacity);`) as (capacity: number) => Writer;

const ip4 = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const sec2 = (i: number): string => String(i % 60).padStart(2, '0');
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Message i of each format (the logs suite's five shapes, then the other variants parseLog reads). */
const FORMATS: [string, (i: number) => string][] = [
  ['3164 sshd (suite)', (i) => benchMessage(5 * i)],
  ['5424 + SD (suite)', (i) => benchMessage(5 * i + 1)],
  ['CEF in 3164 (suite)', (i) => benchMessage(5 * i + 2)],
  ['3164 kernel kv (suite)', (i) => benchMessage(5 * i + 3)],
  ['3164 Cisco ASA (suite)', (i) => benchMessage(5 * i + 4)],
  ['3164 ISO time (rsyslog fwd)', (i) => `<30>2026-11-22T10:${sec2(i >> 6)}:${sec2(i)}.${String(i % 1e6).padStart(6, '0')}+01:00 host${i % 9} app[${i % 4000}]: connection from ${ip4(i)} port ${1024 + (i % 60000)} closed by peer`],
  ['3164 no host, tag only', (i) => `<13>${MON[i % 12]} ${1 + (i % 28)} 10:00:${sec2(i)} systemd[1]: Started Session ${i} of user root.`],
  ['3164 no time', (i) => `<13>robin[${i % 999}]: Hello number ${i} from the other side`],
  ['5424 no SD', (i) => `<165>1 2026-11-22T10:00:${sec2(i)}.003Z mymachine.example.com evntslog ${i % 9999} ID47 - An application event ${i} SRC=${ip4(i)} DST=192.0.2.1 SPT=${i % 65535} DPT=443`],
  ['OSSEC default', (i) => `<132>Nov 22 10:00:${sec2(i)} ossec-server ossec: Alert Level: 5; Rule: 5716 - SSHD authentication failed.; Location: (web1) 10.0.0.5->/var/log/auth.log; srcip: ${ip4(i)}; user: root; Failed password for root from ${ip4(i)} port ${1024 + (i % 60000)} ssh2`],
  [
    'seed export',
    (i) =>
      `<${i % 2 ? 12 : 14}>${formatSeedLine({ timeSec: 1_795_000_000 + i, sensor: 'S-0', domain: 'tapline', evtype: 1 + (i % 11), rank: i % 7, message: `[1:${2_000_000 + (i % 9999)}:3] ET SCAN Suspicious inbound ${i}`, proto: i % 3 ? 'TCP' : 'UDP', src: ip4(i), spt: i % 65535, dir: '->', dst: '192.0.2.10', dpt: 22 })}`,
  ],
  ['suite mix', (i) => benchMessage(i)],
];

const PER_BATCH = 500;
const BATCHES = 20;
const msgs = PER_BATCH * BATCHES;

function batchesOf(gen: (i: number) => string): UdpBatch[] {
  const out: UdpBatch[] = [];
  for (let k = 0; k < BATCHES; k++) {
    const w = makeWriter(1 << 20);
    for (let i = 0; i < PER_BATCH; i++) w.add(Buffer.from(gen(k * PER_BATCH + i)), '127.0.0.1', 40000 + (i % 3), 1_795_000_000_000 + k * 10 + i / 100);
    out.push(w.take(1 << 20) as UdpBatch);
  }
  return out;
}

const native = loadNativeUdpIntake();
const fastParse = native.ok ? native.addon.fastParseBatch : null;
const sets = FORMATS.map(([name, gen]) => {
  const batches = batchesOf(gen);
  // the batches with the C results, as the native receiver hands them over
  const withPre = fastParse ? batches.map((b) => ({ ...b, pre: fastParse(b.data, b.used, b.count) })) : batches;
  return { name, batches, withPre };
});
let sink = 0;

function nativeAll(bs: UdpBatch[]): number {
  let handled = 0;
  if (!fastParse) return 0;
  for (const b of bs) {
    const pre = new Int32Array(fastParse(b.data, b.used, b.count), 0, b.count);
    for (let i = 0; i < pre.length; i++) if (pre[i] >= 0) handled++;
  }
  return handled;
}

function parseAll(side: Side, bs: UdpBatch[]): void {
  for (const b of bs) sink += side.parser.parse(b, 0).used;
}
function extractAll(side: Side, bs: UdpBatch[]): number {
  let sure = 0;
  for (const b of bs) {
    const r = new UdpBatchReader(b);
    while (r.next()) if (side.extract(r.bytes, r.start, r.end, r.timeSec, side.facts)) sure++;
  }
  return sure;
}
function cpuNs(f: () => void): number {
  const a = process.cpuUsage();
  f();
  const b = process.cpuUsage(a);
  return ((b.user + b.system) * 1000) / msgs;
}

for (let i = 0; i < 3; i++) for (const side of sides) for (const s of sets) {
  parseAll(side, s.batches);
  extractAll(side, s.batches);
}
const best = sides.map(() => sets.map(() => ({ thread: Infinity, extract: Infinity, pre: Infinity })));
const bestNative = sets.map(() => Infinity);
for (let r = 0; r < rounds; r++) {
  sets.forEach((s, k) => {
    sides.forEach((side, j) => {
      best[j][k].thread = Math.min(best[j][k].thread, cpuNs(() => parseAll(side, s.batches)));
      best[j][k].extract = Math.min(best[j][k].extract, cpuNs(() => extractAll(side, s.batches)));
      if (fastParse) best[j][k].pre = Math.min(best[j][k].pre, cpuNs(() => parseAll(side, s.withPre)));
    });
    if (fastParse) bestNative[k] = Math.min(bestNative[k], cpuNs(() => nativeAll(s.batches)));
  });
}
const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
process.stdout.write(`${msgs} messages a format, min of ${rounds} rounds (alternating sides), ns a message (CPU of the process); load ${load}\n`);
sides.forEach((side, j) => process.stdout.write(`side ${j}: ${side.root}\n`));
process.stdout.write(native.ok ? `native: ${native.path}\n` : `native: not loaded (${native.reason})\n`);
const preCols = (j: number, k: number): string => (fastParse ? `${best[j][k].pre.toFixed(0).padStart(13)}` : '');
process.stdout.write(
  `${'format'.padEnd(30)}${sides.map((_, j) => `${`thread ${j}`.padStart(10)}${`extract ${j}`.padStart(11)}${fastParse ? `thread+pre ${j}`.padStart(13) : ''}`).join('')}${fastParse ? `${'native'.padStart(8)}` : ''}  sure${fastParse ? ' (native)' : ''}\n`,
);
sets.forEach((s, k) => {
  const sure = sides.map((side) => `${((100 * extractAll(side, s.batches)) / msgs).toFixed(0)} %`).join(' / ');
  const nat = fastParse ? `${bestNative[k].toFixed(0).padStart(8)}` : '';
  const natSure = fastParse ? ` (${((100 * nativeAll(s.batches)) / msgs).toFixed(0)} %)` : '';
  process.stdout.write(`${s.name.padEnd(30)}${sides.map((_, j) => `${best[j][k].thread.toFixed(0).padStart(10)}${best[j][k].extract.toFixed(0).padStart(11)}${preCols(j, k)}`).join('')}${nat}  ${sure}${natSure}\n`);
});
if (sink < 0) process.stdout.write('!\n');
