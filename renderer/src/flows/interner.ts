/** Strings that repeat across rows (addresses, sensors, notes) stored once; rows keep a number. */
export class Interner {
  private readonly ids = new Map<string, number>();
  /** Index 0 stands for null. */
  private readonly values: (string | null)[] = [null];

  id(value: string | null): number {
    if (value === null) return 0;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  /** The id of a value already seen, or -1 (does not add it). */
  find(value: string): number {
    return this.ids.get(value) ?? -1;
  }

  value(id: number): string | null {
    return this.values[id] ?? null;
  }

  get size(): number {
    return this.values.length - 1;
  }
}
