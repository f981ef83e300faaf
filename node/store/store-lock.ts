/**
 * One writer per store: a lock file created with O_EXCL holding the writer's pid. A lock left by
 * a dead process (kill -9, power loss) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

export class StoreLock {
  private constructor(private readonly path: string) {}

  static async acquire(dir: string): Promise<StoreLock> {
    const path = join(dir, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fh = await open(path, 'wx', 0o644);
        await fh.writeFile(`${process.pid}\n`);
        await fh.close();
        return new StoreLock(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
        if (holder > 0 && holder !== process.pid && isAlive(holder)) throw new Error(`store ${dir} is being written by process ${holder}; try again when it finishes`);
        await rm(path, { force: true });
      }
    }
    throw new Error(`could not lock store ${dir}`);
  }

  async release(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
