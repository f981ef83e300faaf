/** The event journal: appended events survive reopening, search filters them newest first, retention bounds it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TaplineEvent } from '../../../common/bridge/messages.js';
import { EventJournal } from '../../../node/store/event-journal.js';

function notice(n: number): TaplineEvent {
  return { kind: 'notice', id: `e${n}`, sensor: 's', ts: `${1700000000 + n}.000000000`, rank: 0, level: 'info', message: `message ${n}` };
}

test('events appended are found after reopening, newest first, filtered by kind and time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-journal-'));
  try {
    const j = await EventJournal.open(dir);
    await j.append([notice(1), notice(2), notice(3)]);
    const again = await EventJournal.open(dir);
    assert.deepEqual((await again.search({ limit: 10 })).map((e) => e.id), ['e3', 'e2', 'e1']);
    assert.deepEqual((await again.search({ limit: 10, since: { sec: 1700000002, nsec: 0 } })).map((e) => e.id), ['e3', 'e2']);
    assert.deepEqual((await again.search({ limit: 10, until: { sec: 1700000001, nsec: 0 } })).map((e) => e.id), ['e1']);
    assert.deepEqual((await again.search({ limit: 1 })).map((e) => e.id), ['e3']);
    assert.deepEqual(await again.search({ limit: 10, kind: 'flow' }), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a torn or foreign line (crash mid-write, manual edit) is skipped, not fatal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-journal-'));
  try {
    const j = await EventJournal.open(dir);
    await j.append([notice(1)]);
    const [file] = readdirSync(join(dir, 'events'));
    appendFileSync(join(dir, 'events', file), '{"kind":"notice","id":"e2","sen');
    appendFileSync(join(dir, 'events', file), '\n{"kind":"bogus"}\n');
    const again = await EventJournal.open(dir);
    await again.append([notice(3)]);
    assert.deepEqual((await again.search({ limit: 10 })).map((e) => e.id), ['e3', 'e1']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the journal rotates files and deletes the oldest beyond its size bound', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-journal-'));
  try {
    const j = await EventJournal.open(dir, { fileBytes: 1000, totalBytes: 3000 });
    for (let i = 1; i <= 200; i++) await j.append([notice(i)]);
    const files = readdirSync(join(dir, 'events'));
    assert.ok(files.length >= 2 && files.length <= 5, `${files.length} files`);
    const all = await j.search({ limit: 1000 });
    assert.equal(all[0].id, 'e200', 'newest kept');
    assert.ok(all.length < 200, 'oldest dropped');
    assert.ok(all.length >= 20);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
