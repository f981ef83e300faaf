/** The MIME walker and decoders: Python-email-compatible part boundaries, decoding and header fields. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLeaf, walkMime } from '../../../common/carve/mime/mime-walker.js';
import { decodeBase64, decodeEncodedWords, decodeQuotedPrintable, parseParameterized, readHeaderBlock } from '../../../common/carve/mime/mime-headers.js';

const b = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const str = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

const MESSAGE = [
  'From: a@b',
  'Content-Type: multipart/mixed; boundary="outer"',
  '',
  'preamble',
  '--outer',
  'Content-Type: multipart/alternative; boundary=inner',
  '',
  '--inner',
  'Content-Type: text/plain',
  '',
  'plain text',
  '--inner',
  'Content-Type: text/html; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  '<p>caf=C3=A9 soft=',
  'break =3D done</p>',
  '--inner--',
  '',
  '--outer',
  'Content-Type: application/octet-stream; name="ignored.bin"',
  "Content-Disposition: attachment;\r\n filename*=utf-8''r%C3%A9sum%C3%A9.pdf",
  'Content-Transfer-Encoding: base64',
  '',
  'SGVs bG8g',
  'V29y bGQ=',
  '--outer',
  'Content-Type: message/rfc822',
  '',
  'Subject: inner',
  '',
  'inner body',
  '--outer--  ',
  'epilogue',
].join('\r\n');

test('walk order, kinds and leaf byte ranges follow Python email (line break before a boundary excluded)', () => {
  const data = b(MESSAGE);
  const t = walkMime(data);
  assert.deepEqual(
    t.nodes.map((n) => [n.index, n.kind, n.contentType]),
    [
      [0, 'multipart', 'multipart/mixed'],
      [1, 'multipart', 'multipart/alternative'],
      [2, 'leaf', 'text/plain'],
      [3, 'leaf', 'text/html'],
      [4, 'leaf', 'application/octet-stream'],
      [5, 'message', 'message/rfc822'],
      [6, 'leaf', 'text/plain'],
    ],
  );
  const leaf = (i: number): string => str(decodeLeaf(data, t.nodes[i]).bytes);
  assert.equal(leaf(2), 'plain text');
  assert.equal(Buffer.from(decodeLeaf(data, t.nodes[3]).bytes).toString('utf8'), '<p>café soft' + 'break = done</p>');
  assert.equal(leaf(4), 'Hello World');
  assert.equal(t.nodes[4].filename, 'résumé.pdf', 'RFC 2231 filename* wins over name');
  assert.equal(t.nodes[4].disposition, 'attachment');
  assert.equal(str(data.subarray(t.nodes[5].bodyStart, t.nodes[5].bodyEnd)), 'Subject: inner\r\n\r\ninner body');
  assert.equal(leaf(6), 'inner body');
  assert.deepEqual(t.notes, []);
});

test('a multipart without its closing boundary: the last part runs to the end, noted', () => {
  const data = b('Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\nonly part\r\n');
  const t = walkMime(data);
  assert.equal(str(decodeLeaf(data, t.nodes[1]).bytes), 'only part\r\n');
  assert.ok(t.notes.some((n) => /no closing boundary/.test(n)));
});

test('quoted-printable follows binascii.a2b_qp: soft breaks, lowercase hex, stray "=" kept', () => {
  assert.equal(str(decodeQuotedPrintable(b('a=3db=\r\nc=\nd=ZZ=4'))), 'a=bcd=ZZ=4');
  assert.equal(str(decodeQuotedPrintable(b('x==y'))), 'x=y');
});

test('base64 is lenient: whitespace and junk skipped, stops at padding', () => {
  assert.equal(str(decodeBase64(b('SGVs\r\nbG8*'))), 'Hello');
  assert.equal(str(decodeBase64(b('SGk=IGlnbm9yZWQ='))), 'Hi');
  assert.equal(str(decodeBase64(b('SGVsbA'))), 'Hell');
});

test('header fields: folding, encoded words, quoted parameters with ";"', () => {
  const h = readHeaderBlock(b('Subject: =?iso-8859-1?Q?caf=E9?=\r\n =?utf-8?B?IOKCrA==?=\r\nX: 1\r\n\r\nbody'));
  assert.equal(decodeEncodedWords(h.fields[0].value), 'café €');
  assert.equal(h.bodyStart, b('Subject: =?iso-8859-1?Q?caf=E9?=\r\n =?utf-8?B?IOKCrA==?=\r\nX: 1\r\n\r\n').length);
  const p = parseParameterized('attachment; filename="a;b \\"c\\".txt"; size=3');
  assert.deepEqual([p.value, p.params.get('filename'), p.params.get('size')], ['attachment', 'a;b "c".txt', '3']);
});

test('a body without an empty line after the header: the first non-field line starts the body', () => {
  const h = readHeaderBlock(b('Subject: x\r\nthis is body text\r\n'));
  assert.equal(h.fields.length, 1);
  assert.equal(h.bodyStart, 'Subject: x\r\n'.length);
});
