/** A one-line progress display on a TTY (stderr); silent when stderr is not a terminal. */
export class Progress {
  private last = 0;
  private readonly tty = Boolean(process.stderr.isTTY);
  private startedAt = Date.now();
  private label = '';

  start(label: string): void {
    this.label = label;
    this.startedAt = Date.now();
    this.last = 0;
  }

  update(done: number, total: number): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.last < 200 && done < total) return;
    this.last = now;
    const pct = total > 0 ? Math.min(100, (done / total) * 100).toFixed(0) : '?';
    const secs = (now - this.startedAt) / 1000;
    const rate = secs > 0 ? (done / 1e6 / secs).toFixed(0) : '…';
    process.stderr.write(`\r\x1b[K${this.label} ${pct}% (${rate} MB/s)`);
  }

  clear(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }
}

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
