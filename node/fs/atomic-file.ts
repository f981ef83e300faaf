/**
 * Files that appear whole or not at all: written under a temporary name in the same directory,
 * fsynced, then renamed over the target. An interrupted write leaves no half-written output
 * (the temporary file is removed on failure and on SIGINT/SIGTERM via removeOnExit).
 */
import { rmSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';

const pendingTemps = new Set<string>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const cleanup = (signal: NodeJS.Signals): void => {
    for (const p of pendingTemps) {
      // synchronous on purpose: the process is about to exit
      rmSync(p, { force: true });
    }
    process.exitCode = 130;
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', cleanup);
  process.once('SIGTERM', cleanup);
}


export class AtomicFile {
  private constructor(
    readonly target: string,
    readonly tempPath: string,
    readonly handle: FileHandle,
  ) {}

  static async create(target: string): Promise<AtomicFile> {
    installExitHooks();
    const temp = join(dirname(target), `.${basename(target)}.partial-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    const handle = await open(temp, 'w', 0o644);
    pendingTemps.add(temp);
    return new AtomicFile(target, temp, handle);
  }

  async write(chunk: Uint8Array): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, off, chunk.length - off);
      off += bytesWritten;
    }
  }

  async commit(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
    await rename(this.tempPath, this.target);
    pendingTemps.delete(this.tempPath);
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.tempPath, { force: true });
    pendingTemps.delete(this.tempPath);
  }
}
