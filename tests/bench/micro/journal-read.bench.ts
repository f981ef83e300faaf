/**
 * Cost of reading log events back from the journal (EventJournal.search: `tapline events`, the
 * API's event search), per line of the journal, for compact (format 2) and whole (format 1)
 * lines of the same events:
 *   node --import tsx tests/bench/micro/journal-read.bench.ts make DIR [N]   writes DIR/compact and DIR/whole (N bench messages as the UDP parse thread writes them, and as JSON.stringify of the same events)
 *   node --import tsx tests/bench/micro/journal-read.bench.ts query STORE [ROUNDS]   CPU µs per journal line of each query (min of ROUNDS)
 * `query` imports only the journal, so a build of older code can run it on the same files
 * (older code reads only whole lines).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventJournal, type JournalQuery } from '../../../node/store/event-journal.js';

const [mode, dir, arg] = process.argv.slice(2);

if (mode === 'make') {
  const n = Number(arg ?? 100_000);
  const { UDP_BATCH_WRITER_SOURCE } = await import('../../../node/logs/udp-batch.js');
  const { UdpBatchParser } = await import('../../../node/logs/udp-batch-parser.js');
  const { decodeLogBatch, batchBytes } = await import('../../../node/logs/parsed-batch.js');
  const { benchMessage } = await import('../suites/logs.js');
  const makeWriter = new Function('capacity', `${UDP_BATCH_WRITER_SOURCE}\nreturn new UdpBatchWriter(capacity);`) as (c: number) => { add(m: Uint8Array, ip: string, port: number, ms: number): boolean; take(c: number): Parameters<InstanceType<typeof UdpBatchParser>['parse']>[0] | null };
  const parser = new UdpBatchParser('bench:log:x:u1a-', 'bench');
  const compact: Uint8Array[] = [];
  const whole: string[] = [];
  for (let k = 0; k < n; k += 1000) {
    const w = makeWriter(1 << 20);
    for (let i = k; i < Math.min(n, k + 1000); i++) w.add(Buffer.from(benchMessage(i)), '127.0.0.1', 40000 + (i % 7), 1_795_000_000_000 + i * 3);
    const p = parser.parse(w.take(1 << 20) as NonNullable<ReturnType<typeof w.take>>, 0);
    compact.push(batchBytes(p).slice());
    for (const e of decodeLogBatch(p)) whole.push(`${JSON.stringify(e)}\n`);
  }
  for (const [name, bytes] of [
    ['compact', Buffer.concat(compact)],
    ['whole', Buffer.from(whole.join(''))],
  ] as const) {
    rmSync(join(dir, name), { recursive: true, force: true });
    mkdirSync(join(dir, name, 'events'), { recursive: true });
    writeFileSync(join(dir, name, 'events', 'journal-00000000.ndjson'), bytes);
    process.stdout.write(`${name}: ${n} events, ${bytes.length} bytes (${(bytes.length / n).toFixed(0)} a line)\n`);
  }
} else if (mode === 'query') {
  const rounds = Number(arg ?? 5);
  const j = await EventJournal.open(dir);
  const lines = readFileSync(join(dir, 'events', 'journal-00000000.ndjson'), 'utf8').split('\n').length - 1;
  const queries: [string, JournalQuery][] = [
    ['newest 100 logs (events --kind log)', { kind: 'log', limit: 100 }],
    ['every log (--limit all)', { kind: 'log', limit: Number.MAX_SAFE_INTEGER }],
    ['--host 192.0.2.10 (a third of the lines)', { kind: 'log', host: '192.0.2.10', limit: Number.MAX_SAFE_INTEGER }],
    ['--host 10.0.1.3 (one line)', { kind: 'log', host: '10.0.1.3', limit: Number.MAX_SAFE_INTEGER }],
    ['--since T (40% of the lines)', { kind: 'log', since: { sec: 1_795_000_000 + Math.floor(lines * 0.9 * 0.003), nsec: 0 }, limit: Number.MAX_SAFE_INTEGER }],
    ['--text "port scan" (a fifth)', { kind: 'log', text: 'port scan', limit: Number.MAX_SAFE_INTEGER }],
    ['--kind flow (no line of it)', { kind: 'flow', limit: Number.MAX_SAFE_INTEGER }],
  ];
  for (const [name, q] of queries) {
    let best = Infinity;
    let found = 0;
    for (let r = 0; r < rounds; r++) {
      const a = process.cpuUsage();
      found = (await j.search(q)).length;
      const b = process.cpuUsage(a);
      best = Math.min(best, b.user + b.system);
    }
    const scanned = q.limit === 100 ? found : lines;
    process.stdout.write(`${name.padEnd(44)} found ${String(found).padStart(7)}  ${(best / 1000).toFixed(0).padStart(6)} ms CPU, ${(best / Math.max(1, scanned)).toFixed(2)} µs per line read\n`);
  }
  process.stdout.write(`load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
} else {
  process.stderr.write('usage: journal-read.bench.ts make DIR [N] | query STORE [ROUNDS]\n');
  process.exitCode = 2;
}
