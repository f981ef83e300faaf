/**
 * The floor of Node's UDP receive (a diagnostic for the `logs` suite): a worker thread with a
 * bare dgram socket that only counts datagrams, fed by the suite's sender at one rate:
 * `node --import tsx tests/bench/logs-dgram-floor.ts RATE COUNT [NICE]`. Prints received,
 * the kernel's drops and the thread's CPU µs per datagram (one recvmsg and one JS callback each).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const SUITE = fileURLToPath(new URL('./suites/logs.ts', import.meta.url));
const SOURCE = `
const { createSocket } = require('node:dgram');
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
if (workerData.nice !== null) try { require('node:os').setPriority(tid, workerData.nice); } catch {}
const cpu = () => { const f = fs.readFileSync('/proc/thread-self/stat', 'utf8'); const g = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(g[11]) + Number(g[12])) / 100; };
const sock = createSocket('udp4');
let n = 0; let bytes = 0;
sock.on('message', (m) => { n++; bytes += m.length; });
sock.bind(0, '127.0.0.1', () => {
  try { sock.setRecvBufferSize(16 << 20); } catch {}
  const c0 = cpu();
  parentPort.postMessage({ port: sock.address().port });
  parentPort.on('message', () => { parentPort.postMessage({ n, cpu: cpu() - c0 }); sock.close(); });
});
`;

async function main(): Promise<void> {
  const rate = Number(process.argv[2] ?? 50000);
  const count = Number(process.argv[3] ?? 150000);
  const nice = process.argv[4] === undefined ? null : Number(process.argv[4]);
  const w = new Worker(SOURCE, { eval: true, workerData: { nice } });
  const port = await new Promise<number>((r) => w.once('message', (m: { port: number }) => r(m.port)));
  const sent = await new Promise<{ sent: number; seconds: number }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SUITE, '--sender', '127.0.0.1', String(port), String(rate), String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() as string)) : reject(new Error(`sender ${code}`))));
  });
  await new Promise((r) => setTimeout(r, 500));
  w.postMessage('stop');
  const got = await new Promise<{ n: number; cpu: number }>((r) => w.once('message', r));
  await w.terminate();
  process.stdout.write(`bare dgram: sent ${sent.sent} at ${(sent.sent / sent.seconds).toFixed(0)}/s, received ${got.n}, thread CPU ${((got.cpu * 1e6) / Math.max(1, got.n)).toFixed(1)} µs/datagram (nice ${nice ?? 'unchanged'}); load ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
}

void main();
