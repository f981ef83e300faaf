/**
 * Partial mail stored end to end (carvePayload into a FileStore): a POP3 TOP answer and IMAP
 * partial fetches become records marked partial (command and what they are, incomplete) that
 * pass the record schema, and a partial message is not split into MIME parts (they would be cut),
 * while the whole message fetched by RETR in the same session is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { carvedFileRecordSchema } from '../../../common/carve/carved-record.js';
import type { StreamChunk, StreamSink } from '../../../common/reassembly/stream-types.js';
import { carvePayload } from '../../../node/carve/carve-flow.js';
import { FileStore } from '../../../node/carve/file-store.js';

const MAIL = [
  'From: Eve <eve@example.net>',
  'To: bob@example.org',
  'Subject: numbers',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain',
  '',
  'see attached',
  '--b1',
  'Content-Type: application/octet-stream',
  'Content-Disposition: attachment; filename="data.bin"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('attachment bytes').toString('base64'),
  '--b1--',
  '',
].join('\r\n');
// TOP 1 3: the header block and the first three body lines
const TOP = `${MAIL.split('\r\n\r\n')[0]}\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n`;

function feedOf(steps: [0 | 1, string][]): (sink: StreamSink) => Promise<void> {
  return async (sink) => {
    const off = [0, 0];
    steps.forEach(([dir, text], i) => {
      const data = Buffer.from(text, 'latin1');
      const c: StreamChunk = { dir, offset: off[dir], data, gapBefore: 0, tsSec: 100 + i, tsNsec: 0, packet: i };
      sink.onData(c);
      off[dir] += data.length;
    });
    sink.onEnd(0, 'fin', 0);
    sink.onEnd(1, 'fin', 0);
  };
}

test('POP3 TOP is stored as a partial message without MIME parts; RETR of the same message is whole and split', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-partial-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = await carvePayload(
    FileStore.open(dir),
    '0123456789ab-1',
    feedOf([
      [1, '+OK ready\r\n'],
      [0, 'USER bob\r\nPASS x\r\nTOP 1 3\r\nRETR 1\r\n'],
      [1, `+OK\r\n+OK\r\n+OK\r\n${TOP}.\r\n+OK\r\n${MAIL}.\r\n`],
    ]),
  );
  for (const rec of r.files) assert.ok(carvedFileRecordSchema.safeParse(rec).success, rec.id);
  const top = r.files.filter((f) => f.partial !== null);
  assert.equal(top.length, 1);
  assert.deepEqual(
    [top[0].kind, top[0].protocol, top[0].name, top[0].incomplete, top[0].size, top[0].email?.subject, top[0].partial],
    ['message', 'pop3', 'numbers.partial.eml', true, TOP.length, 'numbers', { command: 'TOP 1 3', what: 'POP3 TOP: the headers and at most the first 3 body lines of message 1' }],
  );
  assert.equal(r.files.filter((f) => f.parentId === top[0].id).length, 0, 'no MIME parts cut from a partial message');
  const whole = r.files.find((f) => f.kind === 'message' && f.partial === null);
  assert.ok(whole);
  assert.equal(whole.incomplete, false);
  assert.deepEqual(
    r.files.filter((f) => f.parentId === whole.id).map((f) => f.name),
    [null, 'data.bin'],
  );
});

test('IMAP BODY[1] is stored as one MIME section, not a message, and BODY[]<0> as the start of one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tapline-partial-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const lit = (m: string): string => `{${Buffer.byteLength(m, 'latin1')}}\r\n${m}`;
  const r = await carvePayload(
    FileStore.open(dir),
    '0123456789ab-2',
    feedOf([
      [1, '* OK ready\r\n'],
      [0, 'a FETCH 3 (BODY.PEEK[]<0.40> BODY.PEEK[1])\r\n'],
      [1, `* 3 FETCH (BODY[]<0> ${lit(MAIL.slice(0, 40))} BODY[1] ${lit('see attached')})\r\na OK\r\n`],
    ]),
  );
  assert.deepEqual(
    r.files.map((f) => [f.kind, f.name, f.partial?.command, f.incomplete, f.declaredType]),
    [
      ['message', 'message-3.from-0.partial.eml', 'FETCH 3 BODY[]<0>', true, 'message/rfc822'],
      ['mime-part', 'message-3.section-1.bin', 'FETCH 3 BODY[1]', true, null],
    ],
  );
});
