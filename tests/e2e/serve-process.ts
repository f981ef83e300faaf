/**
 * Runs `tapline serve` for an end-to-end test: a temporary store and token file, a free loopback
 * port, and the login URL it prints. A serve that fails to start is a test failure, with its output.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/corpus.js';

export const CLI = join(repoRoot, 'dist', 'electron', 'cli', 'main.js');

export interface ServeProcess {
  loginUrl: string;
  origin: string;
  storeDir: string;
  stop(): Promise<void>;
}

export type ServeStart = { ok: true; serve: ServeProcess } | { ok: false; skip: string };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** extraArgs: more serve options (the UI bench's --import-dir). */
export async function startServe(timeoutMs = 20_000, extraArgs: readonly string[] = []): Promise<ServeStart> {
  if (!existsSync(CLI)) return { ok: false, skip: `the CLI is not built (${CLI}); run npm run build` };
  const dir = await mkdtemp(join(tmpdir(), 'tapline-e2e-'));
  const storeDir = join(dir, 'store');
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, `${randomBytes(24).toString('hex')}\n`, { mode: 0o600 });
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--store', storeDir, '--listen', `127.0.0.1:${port}`, '--token-file', tokenFile, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const found = await new Promise<string | { exit: number | null }>((resolve) => {
    const timer = setTimeout(() => resolve({ exit: null }), timeoutMs);
    const onData = (b: Buffer): void => {
      output += b.toString();
      const m = /(https?:\/\/127\.0\.0\.1:\d+\/login\?token=[^\s]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ exit: code });
    });
  });

  if (typeof found !== 'string') {
    await cleanup();
    throw new Error(`tapline serve ${found.exit === null ? 'printed no login URL in time' : `exited with ${found.exit}`}:\n${output}`);
  }
  return { ok: true, serve: { loginUrl: found, origin: new URL(found).origin, storeDir, stop: cleanup } };
}

/** Runs the CLI to completion (for the reference slice). */
export function runCli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.once('exit', (code) => resolve({ code, out }));
  });
}

/**
 * A test's serve: skipped (with why) when the test cannot run here (`skipReason`) or serve cannot
 * start; else the running process.
 */
export async function serveForTest(t: { skip(message?: string): void }, skipReason: string | null, extraArgs: readonly string[] = []): Promise<ServeProcess | null> {
  if (skipReason) {
    t.skip(skipReason);
    return null;
  }
  const started = await startServe(20_000, extraArgs);
  if (!started.ok) {
    t.skip(started.skip);
    return null;
  }
  return started.serve;
}
