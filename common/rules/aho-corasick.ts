/**
 * Case-insensitive Aho-Corasick over bytes: one pass over a buffer reports every pattern (given
 * lowercased) that occurs in it. The automaton is a dense DFA over a compressed alphabet (bytes
 * that occur in no pattern share one class), so the table stays small enough for the cache:
 * states × classes Int32Array instead of states × 256. Built once per rule set; scanning costs
 * two table loads per byte, independent of the number of patterns. Environment-free.
 */

const FOLD = new Uint8Array(256);
for (let i = 0; i < 256; i++) FOLD[i] = i >= 0x41 && i <= 0x5a ? i | 0x20 : i;

export class AhoCorasick {
  /** Byte → alphabet class (case folded; 0 = a byte in no pattern). */
  private readonly cls = new Uint8Array(256);
  private readonly classes: number;
  private readonly delta: Int32Array;
  /** Pattern ids ending in state s (including via failure links): outList[outStart[s] .. outStart[s+1]). */
  private readonly outStart: Int32Array;
  private readonly outList: Int32Array;
  readonly states: number;

  constructor(patterns: readonly Uint8Array[]) {
    let classes = 1;
    const classOfFolded = new Int16Array(256).fill(-1);
    for (const p of patterns) {
      for (const raw of p) {
        const f = FOLD[raw];
        if (classOfFolded[f] < 0) classOfFolded[f] = classes++;
      }
    }
    if (classes > 256) throw new Error('alphabet overflow'); // cannot happen: at most 256 folded bytes
    for (let b = 0; b < 256; b++) this.cls[b] = Math.max(0, classOfFolded[FOLD[b]]);
    this.classes = classes;
    const C = classes;
    // trie with sparse children first, then BFS to fill the dense table
    const children: Map<number, number>[] = [new Map()];
    const outs: number[][] = [[]];
    patterns.forEach((p, id) => {
      let s = 0;
      for (const raw of p) {
        const c = this.cls[raw];
        let n = children[s].get(c);
        if (n === undefined) {
          n = children.length;
          children.push(new Map());
          outs.push([]);
          children[s].set(c, n);
        }
        s = n;
      }
      outs[s].push(id);
    });
    const count = children.length;
    const delta = new Int32Array(count * C);
    const fail = new Int32Array(count);
    const queue: number[] = [];
    for (let c = 0; c < C; c++) {
      const n = children[0].get(c);
      if (n !== undefined) {
        delta[c] = n;
        queue.push(n);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi];
      if (outs[fail[s]].length) outs[s] = outs[s].concat(outs[fail[s]]);
      for (let c = 0; c < C; c++) {
        const n = children[s].get(c);
        if (n !== undefined) {
          fail[n] = delta[fail[s] * C + c];
          delta[s * C + c] = n;
          queue.push(n);
        } else delta[s * C + c] = delta[fail[s] * C + c];
      }
    }
    // Entries hold the next state's row offset (state × C) so the scan needs no multiply; a
    // state with outputs is stored as −(offset + 1) so the common case tests one sign bit.
    for (let i = 0; i < delta.length; i++) {
      const nx = delta[i];
      delta[i] = outs[nx].length ? -(nx * C) - 1 : nx * C;
    }
    this.delta = delta;
    this.outStart = new Int32Array(count + 1);
    let total = 0;
    for (let s = 0; s < count; s++) {
      this.outStart[s] = total;
      total += outs[s].length;
    }
    this.outStart[count] = total;
    this.outList = new Int32Array(total);
    for (let s = 0; s < count; s++) this.outList.set(outs[s], this.outStart[s]);
    this.states = count;
  }

  /** Calls hit(id) for each pattern id found (an id may be reported more than once). */
  scan(buf: Uint8Array, hit: (id: number) => void): void {
    const { delta: d, cls, outStart, outList } = this;
    const C = this.classes;
    let s = 0;
    for (let i = 0; i < buf.length; i++) {
      const v = d[s + cls[buf[i]]];
      if (v >= 0) {
        s = v;
        continue;
      }
      s = -v - 1;
      const st = s / C;
      for (let k = outStart[st]; k < outStart[st + 1]; k++) hit(outList[k]);
    }
  }

  /**
   * The prefilter's inner loop (no callback): for each pattern found, t = target[id]; the first
   * time marks[t] is not yet `stamp` it is set and t appended to hits.
   */
  mark(buf: Uint8Array, target: Int32Array, marks: Uint32Array, stamp: number, hits: number[]): void {
    const { delta: d, cls, outStart, outList } = this;
    const C = this.classes;
    let s = 0;
    for (let i = 0; i < buf.length; i++) {
      const v = d[s + cls[buf[i]]];
      if (v >= 0) {
        s = v;
        continue;
      }
      s = -v - 1;
      const st = s / C;
      for (let k = outStart[st]; k < outStart[st + 1]; k++) {
        const t = target[outList[k]];
        if (marks[t] !== stamp) {
          marks[t] = stamp;
          hits.push(t);
        }
      }
    }
  }
}
