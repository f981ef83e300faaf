/** writeAllChunks: every byte in order, whatever the writes' lengths (short writes resume). */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeAllChunks, type VectorWriter } from '../../../node/store/live/write-chunks.js';
import { prng } from '../../helpers/prng.js';

function chunksOf(rnd: () => number, n: number): Uint8Array[] {
  return Array.from({ length: n }, () => Uint8Array.from({ length: Math.floor(rnd() * 40) }, () => Math.floor(rnd() * 256)));
}

function concat(cs: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(cs.flatMap((c) => [...c]));
}

describe('writeAllChunks', () => {
  test('short writes of random lengths still deliver every byte once, in order', async () => {
    const rnd = prng(7);
    for (let round = 0; round < 200; round++) {
      const chunks = chunksOf(rnd, 1 + Math.floor(rnd() * 12));
      const out: number[] = [];
      const short: VectorWriter = {
        writev: async (bufs) => {
          // writes a random prefix (at least one byte) of what it is given
          const all = concat(bufs);
          const n = Math.max(1, Math.floor(rnd() * (all.length + 1)));
          out.push(...all.subarray(0, n));
          return { bytesWritten: Math.min(n, all.length) };
        },
      };
      await writeAllChunks(short, chunks);
      assert.deepEqual(Uint8Array.from(out), concat(chunks), `round ${round}`);
    }
  });

  test('a writer that writes nothing is an error, not a loop', async () => {
    await assert.rejects(writeAllChunks({ writev: async () => ({ bytesWritten: 0 }) }, [new Uint8Array(3)]), /wrote nothing/);
  });

  test('a real file gets the chunks back to back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-wchunks-'));
    try {
      const chunks = chunksOf(prng(3), 17);
      const fh = await open(join(dir, 'f'), 'w');
      await writeAllChunks(fh, chunks);
      await fh.close();
      assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'f'))), concat(chunks));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
