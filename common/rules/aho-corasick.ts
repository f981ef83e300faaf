/**
 * Case-insensitive Aho-Corasick over bytes: one pass over a buffer reports every pattern (given
 * lowercased) that occurs in it. The automaton is a dense DFA (states × 256, Int32Array), built
 * once per rule set; scanning costs one table load per byte, independent of the number of
 * patterns. Environment-free.
 */

const FOLD = new Uint8Array(256);
for (let i = 0; i < 256; i++) FOLD[i] = i >= 0x41 && i <= 0x5a ? i | 0x20 : i;

export class AhoCorasick {
  private readonly delta: Int32Array;
  /** Per state: pattern ids ending here (including those reached through failure links). */
  private readonly out: (number[] | null)[];
  readonly states: number;

  constructor(patterns: readonly Uint8Array[]) {
    // trie with sparse children first, then BFS to fill the dense table
    const children: Map<number, number>[] = [new Map()];
    const outs: number[][] = [[]];
    patterns.forEach((p, id) => {
      let s = 0;
      for (const raw of p) {
        const b = FOLD[raw];
        let n = children[s].get(b);
        if (n === undefined) {
          n = children.length;
          children.push(new Map());
          outs.push([]);
          children[s].set(b, n);
        }
        s = n;
      }
      outs[s].push(id);
    });
    const count = children.length;
    const delta = new Int32Array(count * 256);
    const fail = new Int32Array(count);
    const queue: number[] = [];
    for (let b = 0; b < 256; b++) {
      const n = children[0].get(b);
      if (n !== undefined) {
        delta[b] = n;
        fail[n] = 0;
        queue.push(n);
      }
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi];
      if (outs[fail[s]].length) outs[s] = outs[s].concat(outs[fail[s]]);
      for (let b = 0; b < 256; b++) {
        const n = children[s].get(b);
        if (n !== undefined) {
          fail[n] = delta[fail[s] * 256 + b];
          delta[s * 256 + b] = n;
          queue.push(n);
        } else delta[s * 256 + b] = delta[fail[s] * 256 + b];
      }
    }
    this.delta = delta;
    this.out = outs.map((o) => (o.length ? o : null));
    this.states = count;
  }

  /** Calls hit(id) for each pattern id found (an id may be reported more than once). */
  scan(buf: Uint8Array, hit: (id: number) => void): void {
    const d = this.delta;
    const out = this.out;
    let s = 0;
    for (let i = 0; i < buf.length; i++) {
      s = d[(s << 8) | FOLD[buf[i]]];
      const o = out[s];
      if (o !== null) for (let k = 0; k < o.length; k++) hit(o[k]);
    }
  }
}
