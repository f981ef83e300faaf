/**
 * Log intake benchmark (`run-bench.ts logs`):
 * - parse rate per format (common/logs/parseLog on realistic lines, in process);
 * - sustained UDP intake: a sender process on loopback sends N messages at a fixed rate to
 *   Tapline's UDP receiver (LogService with its real journal and correlation against an empty
 *   store) and, in the same run, to rsyslogd (imudp → omfile); each rate step counts what was
 *   stored. The highest rate with zero loss is reported for both, and the ratio.
 * Target (issue 7): no loss at 50,000 messages/s, and at least rsyslog's zero-loss rate.
 *
 * Knobs: BENCH_LOG_RATES (comma list, default 10000,25000,50000,75000,100000,125000,150000,200000,300000,400000,500000:
 * past rsyslogd's limit on this machine, so its zero-loss rate is measured, not the ladder's top),
 * BENCH_LOG_SECONDS (per step, default 3), BENCH_LOG_PARSE_LINES (per format, default 100000),
 * BENCH_LOG_SENDER (`c`, the default when a C compiler is there: tests/bench/native/udp-sender.c,
 * sendmmsg in 1 ms ticks, sleeping between them, reaching rates past rsyslogd's limit; `node`:
 * the Node sender below, which spins between ticks and tops out near 100-120k msg/s here).
 *
 * Run as `logs.ts --sender HOST PORT RATE COUNT` it is the sender: paced in 1 ms ticks, prints
 * {"sent":N,"errors":N,"seconds":S} when done.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLog } from '../../../common/logs/parse-log.js';
import type { LogFormat } from '../../../common/logs/parsed-log.js';
import { TaplineServices } from '../../../electron/services/tapline-services.js';
import { BENCH_DATA, envInt, envString, machineInfo, which, writeResults } from '../lib/env.js';
import { fmt, fmtRatio, renderTable } from '../lib/report.js';
import type { Suite, TargetRow } from '../lib/suite.js';
import { DEFAULT_UDP_RECV_BUFFER } from '../../../node/logs/udp-receiver.js';

const SELF = fileURLToPath(import.meta.url);

/** The i-th benchmark message: a mix of the formats a sensor receives, 120-220 bytes. */
export function benchMessage(i: number): string {
  const a = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  switch (i % 5) {
    case 0:
      return `<38>Nov 22 10:00:${String(i % 60).padStart(2, '0')} web${i % 7} sshd[${1000 + (i % 5000)}]: Failed password for invalid user admin from ${a} port ${1024 + (i % 60000)} ssh2 seq=${i}`;
    case 1:
      return `<14>1 2026-11-22T10:00:00.${String(i % 1000).padStart(3, '0')}Z fw${i % 3} filterlog 4242 - [meta@32473 seq="${i}"] block in on em0 proto TCP from ${a}:${i % 65535} to 192.0.2.10:443`;
    case 2:
      return `<132>Nov 22 10:00:00 ids CEF:0|Acme|IDS|1.0|${2000 + (i % 50)}|Port scan detected|7|src=${a} dst=192.0.2.10 spt=${i % 65535} dpt=22 proto=TCP cs1Label=seq cs1=${i}`;
    case 3:
      return `<4>Nov 22 10:00:00 gw kernel: [${i}.000] IN=eth0 OUT= SRC=${a} DST=192.0.2.10 LEN=60 TOS=0x00 TTL=64 PROTO=UDP SPT=${i % 65535} DPT=53 seq=${i}`;
    default:
      return `<166>Nov 22 2026 10:00:00: %ASA-6-302013: Built inbound TCP connection ${i} for outside:${a}/${i % 65535} (${a}/${i % 65535}) to inside:192.0.2.10/80 (192.0.2.10/80)`;
  }
}

async function senderMain(host: string, port: number, rate: number, count: number): Promise<void> {
  const sock = createSocket('udp4');
  const msgs = Array.from({ length: 1000 }, (_, i) => Buffer.from(benchMessage(i)));
  let sent = 0;
  let errors = 0;
  let inflight = 0;
  const t0 = process.hrtime.bigint();
  const done = (e: Error | null): void => {
    inflight--;
    if (e) errors++;
  };
  while (sent < count) {
    const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const due = Math.min(count, Math.floor((elapsedMs * rate) / 1000) + 1);
    while (sent < due) {
      inflight++;
      sock.send(msgs[sent % 1000], port, host, done);
      sent++;
    }
    // let the send callbacks run, then wait for the next tick
    await new Promise<void>((r) => setImmediate(r));
  }
  while (inflight > 0) await new Promise<void>((r) => setImmediate(r));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  sock.close();
  process.stdout.write(`${JSON.stringify({ sent: sent - errors, errors, seconds })}\n`);
}

/** The C sender's binary, compiled into bench-data when missing or older than its source; null without a compiler. */
function cSender(): string | null {
  const src = fileURLToPath(new URL('../native/udp-sender.c', import.meta.url));
  const bin = join(BENCH_DATA, 'udp-sender');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin;
  const cc = which('cc') ?? which('gcc');
  if (!cc) return null;
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', bin, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`compiling ${src}: ${r.stderr}`);
  return bin;
}

/** How messages are sent: the C sender with the messages file, or this file run as the Node sender. */
interface Sender {
  describe: string;
  command(port: number, rate: number, count: number): [string, string[]];
}

function chooseSender(dir: string): Sender {
  const want = envString('BENCH_LOG_SENDER', 'c');
  const bin = want === 'node' ? null : cSender();
  if (bin) {
    const file = join(dir, 'messages.txt');
    writeFileSync(file, `${Array.from({ length: 1000 }, (_, i) => benchMessage(i)).join('\n')}\n`);
    return { describe: `C sender (${bin}, sendmmsg in 1 ms ticks)`, command: (port, rate, count) => [bin, ['127.0.0.1', String(port), String(rate), String(count), file]] };
  }
  if (want !== 'node') process.stdout.write('(no C compiler: the Node sender is used, which tops out near 100-120k msg/s)\n');
  return { describe: 'Node sender (dgram, spinning between 1 ms ticks)', command: (port, rate, count) => [process.execPath, ['--import', 'tsx', SELF, '--sender', '127.0.0.1', String(port), String(rate), String(count)]] };
}

let sender: Sender | null = null;

function send(port: number, rate: number, count: number): Promise<{ sent: number; errors: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    if (!sender) throw new Error('no sender chosen');
    const [cmd, args] = sender.command(port, rate, count);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`sender exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop() as string) as { sent: number; errors: number; seconds: number });
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until count() stops growing for quietMs (or reaches target), at most 60 s. */
async function settle(count: () => number, target: number, quietMs = 1000): Promise<number> {
  let last = -1;
  let stableSince = Date.now();
  const end = Date.now() + 60_000;
  for (;;) {
    const n = count();
    if (n >= target) return n;
    if (n !== last) {
      last = n;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > quietMs || Date.now() > end) return n;
    await sleep(100);
  }
}

function countLines(path: string): number {
  if (!existsSync(path)) return 0;
  const b = readFileSync(path);
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b[i] === 10) n++;
  return n;
}

/** The kernel's count of UDP datagrams dropped for a full receive buffer (all sockets). */
function udpRcvbufErrors(): number | null {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    const i = names.indexOf('RcvbufErrors');
    return i > 0 ? Number(values[i]) : null;
  } catch {
    return null;
  }
}

interface StepResult {
  rate: number;
  sent: number;
  achievedRate: number;
  tapline: number;
  taplineQueueDrops: number;
  /** Kernel receive-buffer drops during Tapline's part of the step (any socket on the machine). */
  kernelDrops: number | null;
  rsyslog: number | null;
  rsyslogAchievedRate: number | null;
  /** CPU time (all threads: socket thread, main thread, journal writes) per message sent, µs. */
  taplineCpuUsPerMsg: number;
  rsyslogCpuUsPerMsg: number | null;
  /** Kernel drops counted for Tapline's own socket (/proc/net/udp), this step. */
  socketDrops: number | null;
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat; null when unreadable. */
function procCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name and state
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

function parseRates(): { format: LogFormat; linesPerSec: number }[] {
  const n = envInt('BENCH_LOG_PARSE_LINES', 100_000);
  const out: { format: LogFormat; linesPerSec: number }[] = [];
  const samples: [LogFormat, (i: number) => string][] = [
    ['rfc3164', (i) => benchMessage(i * 5)],
    ['rfc5424', (i) => benchMessage(i * 5 + 1)],
    ['cef', (i) => benchMessage(i * 5 + 2)],
    ['ossec', (i) => `<132>Nov 22 10:00:00 ossec-server ossec: Alert Level: 5; Rule: 5716 - SSHD authentication failed.; Location: (web1) 10.0.0.5->/var/log/auth.log; srcip: 10.0.${(i >> 8) & 255}.${i & 255}; user: root; Failed password for root from 10.0.0.${i & 255} port ${i % 65535} ssh2`],
    ['seed', (i) => `<14>Nov 22 10:00:00 S-0.lab: {1,${i % 5}} [1:${2000000 + (i % 1000)}:3] ET SCAN Suspicious inbound {TCP} 10.0.${(i >> 8) & 255}.${i & 255}:${i % 65535} -> 192.0.2.10:22`],
    ['raw', (i) => `free text without any syslog header number ${i} and some words to make it long enough`],
  ];
  const ref = Date.UTC(2026, 10, 22) / 1000;
  for (const [format, gen] of samples) {
    const lines = Array.from({ length: Math.min(n, 10_000) }, (_, i) => gen(i));
    if (parseLog(lines[0], ref).format !== format) throw new Error(`bench sample for ${format} parses as ${parseLog(lines[0], ref).format}`);
    // warm up (JIT) before timing
    for (let i = 0; i < Math.min(n, 20_000); i++) parseLog(lines[i % lines.length], ref);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) parseLog(lines[i % lines.length], ref);
    out.push({ format, linesPerSec: n / ((performance.now() - t0) / 1000) });
  }
  return out;
}

async function run(): Promise<void> {
  const rates = envString('BENCH_LOG_RATES', '10000,25000,50000,75000,100000,125000,150000,200000,300000,400000,500000')
    .split(',')
    .map(Number)
    .filter((r) => r > 0);
  const seconds = envInt('BENCH_LOG_SECONDS', 3);
  const base = join(BENCH_DATA, 'logs-bench');
  await rm(base, { recursive: true, force: true });
  await mkdir(base, { recursive: true });
  const rmemMax = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
  sender = chooseSender(base);

  process.stdout.write('\n== logs: parse rate per format (one core, in process)\n');
  const parse = parseRates();
  process.stdout.write(`${renderTable([{ header: 'format' }, { header: 'lines/s', align: 'right' }], parse.map((p) => [p.format, fmt(p.linesPerSec, 0)]))}\n`);

  // Tapline: the real services (journal, ranking, correlation against an empty store)
  const services = await TaplineServices.open({ storeDir: join(base, 'store'), sensorId: 'bench' });
  const recv = await services.logs.listen({ transport: 'udp', host: '127.0.0.1', port: 0 });
  // rsyslogd with the same kind of input and a file output
  const haveRsyslog = which('rsyslogd') !== null;
  const rsDir = join(base, 'rsyslog');
  await mkdir(join(rsDir, 'work'), { recursive: true });
  const rsPort = recv.port + 1 <= 65535 ? await freeUdpPort() : 0;
  const rsOut = join(rsDir, 'out.log');
  let rsyslog: ReturnType<typeof spawn> | null = null;
  if (haveRsyslog) {
    const conf = join(rsDir, 'rsyslog.conf');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      conf,
      [
        `global(workDirectory="${join(rsDir, 'work')}")`,
        'module(load="imudp")',
        // the receive buffer Tapline's UDP receiver asks for (both force it past rmem_max as root)
        `input(type="imudp" address="127.0.0.1" port="${rsPort}" rcvbufSize="${DEFAULT_UDP_RECV_BUFFER}")`,
        'template(name="raw" type="string" string="%rawmsg%\\n")',
        `*.* action(type="omfile" file="${rsOut}" template="raw" asyncWriting="on" ioBufferSize="256k" flushOnTXEnd="off" flushInterval="1")`,
      ].join('\n'),
    );
    rsyslog = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(rsDir, 'pid')], { stdio: 'ignore' });
    await sleep(1000);
  }
  const steps: StepResult[] = [];
  try {
    for (const rate of rates) {
      const count = rate * seconds;
      process.stdout.write(`\n-- ${fmt(rate, 0)} msg/s for ${seconds} s (${fmt(count, 0)} messages)\n`);
      const before = services.logs.intake.stats.stored;
      const dropsBefore = services.logs.intake.stats.dropped_queue_full;
      const kBefore = udpRcvbufErrors();
      const own = services.logs.udpReceivers[0];
      const ownBefore = await own.kernelDrops();
      const cpu0 = process.cpuUsage();
      const s1 = await send(recv.port, rate, count);
      // until every message is stored or counted as dropped (hand-off, or the socket's kernel
      // drops as last polled); a quiet period alone cut steps short when the pipeline paused for
      // a second (a journal write, a starved thread) and reported stored-later messages as lost
      const accounted = (): number => services.logs.intake.stats.stored - before + (services.logs.intake.stats.dropped_queue_full - dropsBefore) + Math.max(0, (own.kernelDropsSeen ?? 0) - (ownBefore ?? 0));
      const stored = (await settle(accounted, s1.sent, 5000)) as number;
      await services.logs.intake.flush();
      const tapline = services.logs.intake.stats.stored - before;
      const taplineQueueDrops = services.logs.intake.stats.dropped_queue_full - dropsBefore;
      const cpu1 = process.cpuUsage(cpu0);
      const kAfter = udpRcvbufErrors();
      const ownAfter = await own.kernelDrops();
      let rs: number | null = null;
      let rsRate: number | null = null;
      let rsCpu0: number | null = null;
      let rsCpuUs: number | null = null;
      if (rsyslog) {
        const rsBefore = countLines(rsOut);
        rsCpu0 = procCpuSeconds(rsyslog.pid);
        const s2 = await send(rsPort, rate, count);
        rsRate = s2.sent / s2.seconds;
        // rsyslogd's asynchronous file writer flushes its buffer every second: wait past that
        rs = (await settle(() => countLines(rsOut) - rsBefore, s2.sent, 3000)) as number;
        const rsCpu1 = procCpuSeconds(rsyslog.pid);
        rsCpuUs = rsCpu0 !== null && rsCpu1 !== null ? ((rsCpu1 - rsCpu0) * 1e6) / s2.sent : null;
      }
      const step = { rate, sent: s1.sent, achievedRate: s1.sent / s1.seconds, tapline, taplineQueueDrops, kernelDrops: kBefore !== null && kAfter !== null ? kAfter - kBefore : null, rsyslog: rs, rsyslogAchievedRate: rsRate, taplineCpuUsPerMsg: (cpu1.user + cpu1.system) / s1.sent, rsyslogCpuUsPerMsg: rsCpuUs, socketDrops: ownBefore !== null && ownAfter !== null ? ownAfter - ownBefore : null };
      steps.push(step);
      void stored;
      process.stdout.write(`   sender achieved ${fmt(step.achievedRate, 0)} msg/s; tapline stored ${fmt(tapline, 0)}/${fmt(s1.sent, 0)} (queue drops ${step.taplineQueueDrops}, its socket's kernel drops ${step.socketDrops ?? 'n/a'}, all sockets' receive-buffer drops ${step.kernelDrops ?? 'n/a'}), CPU ${step.taplineCpuUsPerMsg.toFixed(1)} µs/msg${rs !== null ? `; rsyslogd (sender achieved ${fmt(rsRate, 0)} msg/s) wrote ${fmt(rs, 0)}/${fmt(count, 0)}, CPU ${rsCpuUs === null ? 'n/a' : rsCpuUs.toFixed(1)} µs/msg` : ''}\n`);
    }
  } finally {
    await services.close();
    if (rsyslog) {
      rsyslog.kill('SIGTERM');
      await new Promise<void>((r) => (rsyslog as ReturnType<typeof spawn>).once('exit', () => r()));
    }
  }
  // a step proves a rate only when the sender really reached it (>= 95%): on a loaded machine
  // the sender shares the CPU with the receiver, and a slowed sender makes any receiver look lossless
  const zeroLoss = (pick: (s: StepResult) => number | null, achieved: (s: StepResult) => number | null): number | null => {
    let best: number | null = null;
    for (const s of steps) {
      const got = pick(s);
      const a = achieved(s);
      if (got !== null && got >= s.sent && a !== null && a >= 0.95 * s.rate) best = Math.max(best ?? 0, s.rate);
    }
    return best;
  };
  const tz = zeroLoss((s) => s.tapline, (s) => s.achievedRate);
  const rz = rsyslog ? zeroLoss((s) => s.rsyslog, (s) => s.rsyslogAchievedRate) : null;
  process.stdout.write(
    `\n${renderTable(
      [{ header: 'rate msg/s', align: 'right' }, { header: 'sent', align: 'right' }, { header: 'achieved → tapline', align: 'right' }, { header: 'achieved → rsyslogd', align: 'right' }, { header: 'tapline stored', align: 'right' }, { header: 'tapline loss', align: 'right' }, { header: 'tapline CPU µs/msg', align: 'right' }, { header: 'rsyslogd wrote', align: 'right' }, { header: 'rsyslogd loss', align: 'right' }, { header: 'rsyslogd CPU µs/msg', align: 'right' }],
      steps.map((s) => [fmt(s.rate, 0), fmt(s.sent, 0), fmt(s.achievedRate, 0), s.rsyslogAchievedRate === null ? 'n/a' : fmt(s.rsyslogAchievedRate, 0), fmt(s.tapline, 0), fmt(s.sent - s.tapline, 0), s.taplineCpuUsPerMsg.toFixed(1), s.rsyslog === null ? 'n/a' : fmt(s.rsyslog, 0), s.rsyslog === null ? 'n/a' : fmt(s.rate * seconds - s.rsyslog, 0), s.rsyslogCpuUsPerMsg === null ? 'n/a' : s.rsyslogCpuUsPerMsg.toFixed(1)]),
    )}\n`,
  );
  const rows: TargetRow[] = [
    { metric: 'highest zero-loss UDP rate', value: tz === null ? 'none' : fmt(tz, 0), reference: rz === null ? 'n/a' : `rsyslogd ${fmt(rz, 0)}`, ratio: tz !== null && rz ? fmtRatio(tz / rz) : 'n/a', target: '>= 50,000 and >= rsyslogd', meets: tz === null ? false : tz >= 50_000 && (rz === null || tz >= rz) },
  ];
  process.stdout.write(
    `\n${renderTable(
      [{ header: 'metric' }, { header: 'tapline', align: 'right' }, { header: 'reference', align: 'right' }, { header: 'ratio', align: 'right' }, { header: 'target' }, { header: 'meets' }],
      rows.map((r) => [r.metric, r.value, r.reference, r.ratio, r.target, r.meets === null ? 'n/a' : r.meets ? 'yes' : 'no']),
    )}\n(sender: ${sender?.describe ?? 'none'}; UDP receiver: ${recv.udp_receiver_reason ?? 'dgram'}; its thread's nice ${recv.socket_thread_nice ?? 'n/a'}; receive buffer: getsockopt reports ${recv.recv_buffer_bytes} bytes, twice what Linux grants (rsyslogd asks for ${DEFAULT_UDP_RECV_BUFFER}); net.core.rmem_max ${rmemMax}; load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n`,
  );
  const path = writeResults('logs', { machine: machineInfo(), seconds, parse, steps, zeroLoss: { tapline: tz, rsyslog: rz }, recvBufferBytes: recv.recv_buffer_bytes, socketThreadNice: recv.socket_thread_nice ?? null, udpReceiver: recv.udp_receiver ?? null, udpReceiverReason: recv.udp_receiver_reason ?? null, rmemMax, loadavg: readFileSync('/proc/loadavg', 'utf8').trim(), rsyslogVersion: haveRsyslog ? spawnSync('rsyslogd', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0] : null });
  process.stdout.write(`results: ${path}\n`);
}

async function freeUdpPort(): Promise<number> {
  return new Promise((resolve) => {
    const u = createSocket('udp4');
    u.bind(0, '127.0.0.1', () => {
      const p = u.address().port;
      u.close(() => resolve(p));
    });
  });
}

export const logsSuite: Suite = {
  name: 'logs',
  description: 'syslog parse rate per format; sustained UDP intake, highest zero-loss rate vs rsyslogd',
  run: () => run(),
};

if (process.argv[2] === '--sender') {
  void senderMain(process.argv[3], Number(process.argv[4]), Number(process.argv[5]), Number(process.argv[6]));
}
