/** File-name sanitizing, Content-Range parsing and range coverage plans. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { coverPlan, parseContentRange, type RangePiece } from '../../../common/carve/range-coverage.js';
import { MAX_NAME_BYTES, sanitizeFileName } from '../../../common/carve/sanitize-name.js';
import { Fifo } from '../../../common/carve/fifo.js';

test('names lose paths, controls, bidi tricks and forbidden characters; reserved names are defused', () => {
  const cases: [string | null, string | null][] = [
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\Windows\\system32\\evil.dll', 'evil.dll'],
    ['/abs/path/', null],
    ['..', null],
    ['.', null],
    ['   ', null],
    ['.hidden', 'hidden'],
    ['name. . .', 'name'],
    ['a\u0000b\u001fc\u007fd.txt', 'abcd.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['what?<>:"|*.txt', 'what_______.txt'],
    ['CON', '_CON'],
    ['nul.txt', '_nul.txt'],
    ['COM1.log', '_COM1.log'],
    ['console.log', 'console.log'],
    ['e\u0301te\u0301.doc', 'été.doc'],
    [null, null],
  ];
  for (const [raw, want] of cases) assert.equal(sanitizeFileName(raw), want, JSON.stringify(raw));
});

test('long names are cut to 200 UTF-8 bytes keeping the extension', () => {
  const long = sanitizeFileName(`${'a'.repeat(300)}.tar.gz`) as string;
  assert.equal(Buffer.byteLength(long), MAX_NAME_BYTES);
  assert.ok(long.endsWith('a.gz'));
  const wide = sanitizeFileName(`${'日本'.repeat(100)}.jpeg`) as string;
  assert.ok(Buffer.byteLength(wide) <= MAX_NAME_BYTES);
  assert.ok(wide.endsWith('.jpeg'));
  assert.ok(!wide.includes('\ufffd'), 'cut on a code point boundary');
  const noExt = sanitizeFileName('x'.repeat(500)) as string;
  assert.equal(noExt.length, MAX_NAME_BYTES);
  const hugeExt = sanitizeFileName(`a.${'e'.repeat(300)}`) as string;
  assert.ok(Buffer.byteLength(hugeExt) <= MAX_NAME_BYTES, 'an absurd extension is not kept whole');
});

test('Content-Range: valid forms parse; unsatisfied, reversed and out-of-bounds ranges do not', () => {
  assert.deepEqual(parseContentRange('bytes 0-99/1000'), { start: 0, end: 99, total: 1000 });
  assert.deepEqual(parseContentRange('bytes 5-9/*'), { start: 5, end: 9, total: null });
  assert.deepEqual(parseContentRange('BYTES  1 - 2 / 3'), { start: 1, end: 2, total: 3 });
  for (const bad of ['bytes */1000', 'bytes 9-5/10', 'bytes 0-10/10', 'items 0-1/2', 'bytes 0-99999999999999999/*', 'bytes -1-2/3', '', null]) {
    assert.equal(parseContentRange(bad), null, String(bad));
  }
});

function piece(key: string, start: number, end: number, complete = true, size = end - start + 1): RangePiece<string> {
  return { key, range: { start, end, total: 100 }, size, complete };
}

test('coverage plans: exact tiling, overlaps read once, holes and incomplete pieces refuse', () => {
  assert.deepEqual(coverPlan([piece('b', 50, 99), piece('a', 0, 49)], 100), [
    { key: 'a', offset: 0, length: 50 },
    { key: 'b', offset: 0, length: 50 },
  ]);
  assert.deepEqual(coverPlan([piece('a', 0, 59), piece('b', 40, 99), piece('c', 10, 20)], 100), [
    { key: 'a', offset: 0, length: 60 },
    { key: 'b', offset: 20, length: 40 },
  ]);
  assert.deepEqual(coverPlan([piece('a', 0, 30), piece('w', 0, 99)], 100), [{ key: 'w', offset: 0, length: 100 }]);
  assert.equal(coverPlan([piece('a', 0, 49), piece('b', 51, 99)], 100), null, 'a one-byte hole');
  assert.equal(coverPlan([piece('a', 0, 49), piece('b', 50, 99, false)], 100), null, 'a piece with a gap covers nothing');
  assert.equal(coverPlan([piece('a', 0, 49), piece('b', 50, 99, true, 10)], 100), null, 'a piece shorter than its range');
  assert.equal(coverPlan([piece('a', 1, 99)], 100), null, 'the first byte is missing');
  assert.equal(coverPlan([], 100), null);
});

test('the FIFO shifts in order across compactions', () => {
  const q = new Fifo<number>();
  for (let i = 0; i < 1000; i++) q.push(i);
  for (let i = 0; i < 700; i++) assert.equal(q.shift(), i);
  q.push(1000);
  assert.equal(q.length, 301);
  assert.equal(q.keepLast(1), 300);
  assert.equal(q.peek(), 1000);
  assert.equal(q.shift(), 1000);
  assert.equal(q.shift(), undefined);
});
