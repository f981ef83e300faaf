/**
 * Every capture of the shared corpus parses to exactly what tshark saw (packets.tsv): same
 * packet count, and per packet the same cap_len, len and time_epoch string. Files tshark could
 * only partly read must yield the same packets plus a CaptureFormatError with an offset.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  CORPUS_SKIP_REASON,
  capinfosAvailable,
  corpusAvailable,
  corpusCaptures,
  normalizeTsharkEpoch,
  parseInChunks,
  prng,
  readCapture,
  readOracle,
  runCapinfos,
  PCAPS_DIR,
} from './capture-test-helpers.js';
import type { ParseOutcome } from './capture-test-helpers.js';

function assertMatchesOracle(name: string, got: ParseOutcome, rows: ReturnType<typeof readOracle>): void {
  assert.equal(got.records.length, rows.length, `${name}: packet count`);
  for (let i = 0; i < rows.length; i++) {
    const r = got.records[i];
    const o = rows[i];
    const where = `${name} frame ${o.frameNumber}`;
    assert.equal(r.index + 1, o.frameNumber, `${where}: frame number`);
    assert.equal(r.time, normalizeTsharkEpoch(o.timeEpoch), `${where}: time_epoch`);
    assert.equal(r.capLen, o.capLen, `${where}: cap_len`);
    assert.equal(r.origLen, o.len, `${where}: len`);
  }
}

if (!corpusAvailable()) {
  test('corpus captures match tshark oracles', (t) => {
    t.skip(CORPUS_SKIP_REASON);
  });
} else {
  for (const name of corpusCaptures()) {
    test(`${name}: packet count, cap_len, len and time_epoch equal tshark's packets.tsv; damage reported iff capinfos reports it`, () => {
      const bytes = readCapture(name);
      const rows = readOracle(name);
      const got = parseInChunks(bytes, 64 * 1024);
      assertMatchesOracle(name, got, rows);
      if (bytes.length === 0) {
        // capinfos reads a 0-byte file as an empty capture; we refuse it explicitly.
        assert.equal(got.error?.message, 'empty file at byte offset 0');
        return;
      }
      if (capinfosAvailable()) {
        const ci = runCapinfos(join(PCAPS_DIR, name));
        assert.equal(got.error !== null, ci.damaged, `${name}: error ${got.error?.message} vs capinfos ${ci.stderr}`);
      }
      if (got.error !== null) {
        assert.ok(got.error.offset >= got.consumed && got.error.offset <= bytes.length, `${name}: error offset in range`);
      } else {
        assert.equal(got.consumed, bytes.length, `${name}: whole file consumed`);
      }
    });
  }

  test('corpus files cut at seeded random points: same packets as capinfos counts, error at the cut record', (t) => {
    if (!capinfosAvailable()) {
      t.skip('capinfos not installed');
      return;
    }
    const rand = prng(0x7a911e);
    const dir = mkdtempSync(join(tmpdir(), 'tapline-cut-'));
    try {
      const names = corpusCaptures().filter((n) => readCapture(n).length > 200);
      for (let k = 0; k < 24; k++) {
        const name = names[Math.floor(rand() * names.length)];
        const full = readCapture(name);
        const cut = 1 + Math.floor(rand() * (full.length - 1));
        const bytes = full.subarray(0, cut);
        const path = join(dir, `cut-${k}-${name}`);
        writeFileSync(path, bytes);
        const got = parseInChunks(bytes, 4096);
        const ci = runCapinfos(path);
        const where = `${name} cut at ${cut}`;
        if (ci.packets !== null) assert.equal(got.records.length, ci.packets, `${where}: packets`);
        assertMatchesOracle(where, got, readOracle(name).slice(0, got.records.length));
        assert.equal(got.error !== null, ci.damaged, `${where}: ${got.error?.message} vs ${ci.stderr}`);
        if (got.error !== null) {
          // The damaged record starts where the last complete one ended and reaches past the cut.
          assert.equal(got.error.offset, got.consumed, `${where}: error offset`);
          assert.ok(got.error.offset < cut, `${where}: error offset before the cut`);
          assert.match(got.error.message, /truncated record|shorter than/);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
