/**
 * The debug switch: every exported message also appended to a file, bounded in size. When the
 * file reaches maxBytes it becomes FILE.1 (replacing the previous one), so the copy never takes
 * more than about 2 × maxBytes of disk (the seed's version grew until the disk was full).
 */
import { appendFile, rename, stat } from 'node:fs/promises';

export class DebugCopy {
  private size = -1;
  private chain: Promise<void> = Promise.resolve();
  /** Messages not written because the file could not be written (reported once). */
  failed = 0;

  constructor(
    readonly path: string,
    readonly maxBytes: number = 64 * 1024 * 1024,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  write(line: string): void {
    const text = `${line}\n`;
    this.chain = this.chain.then(async () => {
      try {
        if (this.size < 0) this.size = await stat(this.path).then((s) => s.size, () => 0);
        const n = Buffer.byteLength(text);
        if (this.size > 0 && this.size + n > this.maxBytes) {
          await rename(this.path, `${this.path}.1`);
          this.size = 0;
        }
        await appendFile(this.path, text);
        this.size += n;
      } catch (e) {
        if (this.failed++ === 0) this.log(`export debug copy ${this.path}: ${(e as Error).message}`);
      }
    });
  }

  flush(): Promise<void> {
    return this.chain;
  }
}
