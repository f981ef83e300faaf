/**
 * CPU per message of the UDP parse thread's work (udp-batch-parser.ts) on the logs suite's
 * message mix: parsing alone, the journal line alone, the thread's whole work (facts read from
 * the bytes by log-facts.ts where it is sure) and the same with every message parsed in full:
 * `node --import tsx tests/bench/micro/udp-batch-parser.bench.ts [ROUNDS]`. Rounds alternate and
 * the minimum is reported (CPU time of the process, so other processes' load counts less).
 */
import { writeCompactLogLine } from '../../../common/logs/log-journal-line.js';
import { JsonLineWriter } from '../../../common/logs/log-line-encoder.js';
import { decodeLogBytes, parseLog } from '../../../common/logs/parse-log.js';
import { UDP_BATCH_WRITER_SOURCE, UdpBatchReader, type UdpBatch } from '../../../node/logs/udp-batch.js';
import { UdpBatchParser } from '../../../node/logs/udp-batch-parser.js';
import { benchMessage } from '../suites/logs.js';

interface Writer {
  add(msg: Uint8Array, ip: string, port: number, timeMs: number): boolean;
  take(capacity: number): UdpBatch | null;
}
const makeWriter = new Function('capacity', `${UDP_BATCH_WRITER_SOURCE}\nreturn new UdpBatchWriter(capacity);`) as (capacity: number) => Writer;

const PER_BATCH = 500;
const batches: UdpBatch[] = [];
for (let k = 0; k < 20; k++) {
  const w = makeWriter(1 << 20);
  for (let i = 0; i < PER_BATCH; i++) w.add(Buffer.from(benchMessage(k * PER_BATCH + i)), '127.0.0.1', 40000, 1_795_000_000_000 + i);
  batches.push(w.take(1 << 20) as UdpBatch);
}
const msgs = batches.length * PER_BATCH;

function cpuUs(f: () => void): number {
  // the process has one JavaScript thread doing work here: its CPU time is this thread's
  const a = process.cpuUsage();
  f();
  const b = process.cpuUsage(a);
  return (b.user + b.system) / msgs;
}

const parser = new UdpBatchParser('bench:log:x:u1a-', 'bench');
// every message through parseLog (the path before the fact extractor, and still the one for lines it is not sure of)
const fullParser = new UdpBatchParser('bench:log:x:u1a-', 'bench');
fullParser.useFacts = false;
let sink = 0;
const parseOnly = (): void => {
  for (const b of batches) {
    const r = new UdpBatchReader(b);
    while (r.next()) sink += parseLog(decodeLogBytes(r.payload()), r.timeSec).message.length;
  }
};
const full = (): void => {
  for (const b of batches) sink += parser.parse(b, 0).used;
};
const fullParse = (): void => {
  for (const b of batches) sink += fullParser.parse(b, 0).used;
};
// the journal line alone (the compact line the parse thread writes), from parse results made beforehand
const pre = batches.map((b) => {
  const r = new UdpBatchReader(b);
  const out: { text: string; p: ReturnType<typeof parseLog>; sec: number; nsec: number }[] = [];
  while (r.next()) {
    const text = decodeLogBytes(r.payload());
    out.push({ text, p: parseLog(text, r.timeSec), sec: r.timeSec, nsec: r.timeNsec });
  }
  return out;
});
const lw = new JsonLineWriter(1 << 20);
const encodeOnly = (): void => {
  let id = 0;
  for (const b of pre) {
    lw.reset();
    for (const m of b) {
      writeCompactLogLine(lw, m.text, m.p, 'bench:log:x:u1a-', ++id, 'bench', m.sec, m.nsec, 'udp', '127.0.0.1', 40000, null);
      lw.byte(0x0a);
    }
    sink += lw.at;
  }
};
const rounds = Number(process.argv[2] ?? 30);
for (let i = 0; i < 5; i++) {
  parseOnly();
  full();
  encodeOnly();
  fullParse();
}
let p = Infinity;
let f = Infinity;
let e = Infinity;
let fp = Infinity;
for (let i = 0; i < rounds; i++) {
  p = Math.min(p, cpuUs(parseOnly));
  f = Math.min(f, cpuUs(full));
  e = Math.min(e, cpuUs(encodeOnly));
  fp = Math.min(fp, cpuUs(fullParse));
}
process.stdout.write(`${msgs} messages a round, min of ${rounds}: parse ${p.toFixed(2)} µs/msg, journal line alone ${e.toFixed(2)}, parse thread's work (facts from the bytes where sure) ${f.toFixed(2)} µs/msg, the same with every message parsed in full ${fp.toFixed(2)}; load ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}${sink < 0 ? '!' : ''}\n`);
