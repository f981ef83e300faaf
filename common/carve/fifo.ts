/** A FIFO with O(1) shift (Array#shift is O(n): deep pipelines would make pairing quadratic). Environment-free. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  push(v: T): void {
    this.items.push(v);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const v = this.items[this.head];
    this.items[this.head++] = undefined;
    // compact once the dead prefix dominates, keeping shifts amortized O(1)
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return v;
  }

  /** Drops all but the newest n items. */
  keepLast(n: number): number {
    const drop = Math.max(0, this.length - n);
    for (let i = 0; i < drop; i++) this.shift();
    return drop;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
