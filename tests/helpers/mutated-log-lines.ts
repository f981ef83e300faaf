/**
 * Real log lines mutated for property tests: each sample takes up to `maxEdits` random edits,
 * each deleting up to 20 characters at a random place and inserting a short run (0-6 characters)
 * drawn from `insert`, a pattern for the characters that stress a parser (separators, quotes,
 * brackets, digits).
 */
import fc from 'fast-check';

const enc = new TextEncoder();

/** The mutated lines as text. */
export function mutatedLogText(samples: readonly string[], insert: RegExp, maxEdits: number): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.nat(20), fc.stringMatching(insert)), { maxLength: maxEdits })).map(([s, edits]) => {
    let t = s;
    for (const [at, del, ins] of edits) {
      const i = at % (t.length + 1);
      t = t.slice(0, i) + ins + t.slice(i + del);
    }
    return t;
  });
}

/** The mutated lines as the bytes a sender would put in a datagram. */
export function mutatedLogLines(samples: readonly string[], insert: RegExp, maxEdits: number): fc.Arbitrary<Uint8Array> {
  return mutatedLogText(samples, insert, maxEdits).map((t) => enc.encode(t));
}
