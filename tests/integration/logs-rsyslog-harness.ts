/**
 * A private rsyslogd for the log tests: its own config, work directory and output file under a
 * temporary directory, listening on loopback ports picked for it; stopped (by its pid) in after().
 * Also: free-port picking, waiting for lines in a file, running util-linux `logger`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';

export const rsyslogdPresent = spawnSync('rsyslogd', ['-v'], { encoding: 'utf8' }).status === 0;
export const loggerPresent = spawnSync('logger', ['--help'], { encoding: 'utf8' }).status === 0;

/** A loopback port free for both TCP and UDP right now. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free loopback port');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Lines of a file once it has at least n (polls for at most timeoutMs; returns what is there then). */
export async function waitForLines(path: string, n: number, timeoutMs = 15_000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l !== '') : [];
    if (lines.length >= n || Date.now() > end) return lines;
    await sleep(50);
  }
}

/** Polls until check() holds or timeoutMs passes; returns the last result. */
export async function waitFor<T>(check: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (ok(v) || Date.now() > end) return v;
    await sleep(50);
  }
}

export function logger(...args: string[]): void {
  const r = spawnSync('logger', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`logger ${args.join(' ')}: ${r.stderr}`);
}

export class Rsyslogd {
  private constructor(
    readonly dir: string,
    readonly outFile: string,
    private readonly child: ChildProcess,
    private stderr: string,
  ) {}

  /**
   * Starts rsyslogd with `config` (rsyslog RainerScript) appended to a header that sets its work
   * directory; OUT in the config is replaced by the output file's path.
   */
  static async start(dir: string, config: string): Promise<Rsyslogd> {
    await mkdir(join(dir, 'work'), { recursive: true });
    const outFile = join(dir, 'out.log');
    const conf = join(dir, 'rsyslog.conf');
    await writeFile(conf, `global(workDirectory="${join(dir, 'work')}" maxMessageSize="64k")\n${config.replace(/OUT/g, outFile)}\n`);
    const child = spawn('rsyslogd', ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
    const r = new Rsyslogd(dir, outFile, child, '');
    child.stderr?.on('data', (d: Buffer) => {
      r.stderr += d.toString();
    });
    return r;
  }

  get errors(): string {
    return this.stderr;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const done = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  }
}

/** rsyslog config: an imudp and imtcp input on the given ports writing every message raw to OUT. */
export function rawSinkConfig(udpPort: number, tcpPort: number): string {
  return [
    'module(load="imudp")',
    'module(load="imtcp")',
    `input(type="imudp" address="127.0.0.1" port="${udpPort}")`,
    `input(type="imtcp" address="127.0.0.1" port="${tcpPort}")`,
    'template(name="raw" type="string" string="%rawmsg%\\n")',
    '*.* action(type="omfile" file="OUT" template="raw")',
  ].join('\n');
}
