/** Where a store's carved content lives: one directory for new stores, the old fan-out kept by stores that have it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../../../node/carve/file-store.js';

function tempDir(t: { after: (f: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-layout-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function placeBytes(fs: FileStore, bytes: Uint8Array): Promise<string> {
  const spool = fs.newSpool();
  spool.write(bytes);
  return (await fs.place(spool.finish())).path;
}

test('a new store keeps carved content in files/content/, one file per sha256, with no fan-out directories', async (t) => {
  const dir = tempDir(t);
  const fs = FileStore.open(dir);
  const shas = [];
  for (let i = 0; i < 40; i++) {
    const b = new TextEncoder().encode(`file ${i}`);
    const sha = createHash('sha256').update(b).digest('hex');
    shas.push(sha);
    const path = await placeBytes(fs, b);
    assert.equal(path, join(dir, 'files', 'content', sha));
    assert.deepEqual(new Uint8Array(readFileSync(path)), b);
  }
  assert.deepEqual(readdirSync(join(dir, 'files')).sort(), ['.spool', 'content', 'flows']);
  assert.equal(readdirSync(join(dir, 'files', 'content')).length, 40);
  // opened again (another process, a later run): the same layout
  const again = FileStore.open(dir);
  for (const sha of shas) assert.ok(again.has(sha));
});

test('a store made with the fan-out layout keeps it: its content is found and new content joins it', async (t) => {
  const dir = tempDir(t);
  const old = new TextEncoder().encode('carved by an earlier version');
  const oldSha = createHash('sha256').update(old).digest('hex');
  mkdirSync(join(dir, 'files', oldSha.slice(0, 2)), { recursive: true });
  writeFileSync(join(dir, 'files', oldSha.slice(0, 2), oldSha), old);
  const fs = FileStore.open(dir);
  assert.ok(fs.has(oldSha));
  assert.equal(fs.contentPath(oldSha), join(dir, 'files', oldSha.slice(0, 2), oldSha));
  const b = new TextEncoder().encode('carved now');
  const sha = createHash('sha256').update(b).digest('hex');
  assert.equal(await placeBytes(fs, b), join(dir, 'files', sha.slice(0, 2), sha));
  assert.equal(existsSync(join(dir, 'files', 'content')), false);
});
