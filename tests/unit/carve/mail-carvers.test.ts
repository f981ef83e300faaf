/** SMTP, POP3 and IMAP carvers on generated sessions: what becomes a message file, with which bytes and fields. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpCarver } from '../../../common/carve/smtp/smtp-carver.js';
import { Pop3Carver } from '../../../common/carve/pop3/pop3-carver.js';
import { ImapCarver } from '../../../common/carve/imap/imap-carver.js';
import { DotStuffedReader } from '../../../common/carve/mime/dot-stuffed-reader.js';
import { c, runSteps, s } from './stream-steps.js';

const MSG = 'From: Alice <a@example.org>\r\nTo: b@example.org, "Doe, J" <j@example.org>\r\nSubject: =?utf-8?B?SMOpbGxv?= world\r\n\r\nline 1\r\n.hidden dot\r\n\r\n';
/** MSG as it crosses the wire in DATA/RETR: dot-stuffed, ended by "." */
const STUFFED = MSG.replace(/(^|\n)\./g, '$1..') + '.\r\n';

const smtp = (steps: Parameters<typeof runSteps>[1], piece = Infinity) => runSteps((k) => new SmtpCarver(k), steps, piece);

test('SMTP DATA: the message is unstuffed, ends before ".", and carries envelope and headers', () => {
  for (const piece of [Infinity, 1, 7]) {
    const { sink, carver } = smtp(
      [
        s('220 mx ESMTP\r\n'),
        c('EHLO me\r\n'),
        s('250-mx\r\n250 PIPELINING\r\n'),
        c('MAIL FROM:<a@example.org> SIZE=100\r\n'),
        s('250 ok\r\n'),
        c('RCPT TO:<b@example.org>\r\n'),
        s('250 ok\r\n'),
        c('DATA\r\n'),
        s('354 go\r\n'),
        c(STUFFED),
        s('250 queued\r\n'),
        c('QUIT\r\n'),
      ],
      piece,
    );
    assert.ok(carver.recognized);
    const [f] = sink.list();
    assert.equal(sink.list().length, 1, `piece ${piece}`);
    assert.equal(f.bytes.toString('latin1'), MSG, `piece ${piece}`);
    assert.deepEqual([f.start.kind, f.start.protocol, f.start.direction, f.start.name, f.end?.incomplete], ['message', 'smtp', 'upload', 'Héllo world.eml', false]);
    assert.deepEqual(f.start.email, {
      from: 'Alice <a@example.org>',
      to: ['b@example.org', '"Doe, J" <j@example.org>'],
      cc: [],
      subject: 'Héllo world',
      messageId: null,
      date: null,
      envelopeFrom: 'a@example.org',
      envelopeTo: ['b@example.org'],
    });
  }
});

test('SMTP pipelining: two transactions, the first DATA refused with 554 — its held bytes are commands again', () => {
  const { sink } = smtp([
    s('220 mx\r\n'),
    c('EHLO me\r\nMAIL FROM:<x@a>\r\nRCPT TO:<y@b>\r\nDATA\r\n'),
    s('250 mx\r\n250 ok\r\n550 no such user\r\n554 no valid recipients\r\n'),
    c('RSET\r\nMAIL FROM:<x@a>\r\nRCPT TO:<z@b>\r\nDATA\r\n'),
    s('250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n'),
    c(STUFFED),
    s('250 ok\r\n'),
  ]);
  assert.equal(sink.list().length, 1);
  assert.equal(sink.list()[0].bytes.toString('latin1'), MSG);
  assert.deepEqual(sink.list()[0].start.email?.envelopeTo, ['z@b']);
});

test('SMTP: client bytes that race ahead of the 354 are held and replayed as the message', () => {
  const { sink } = smtp([s('220 mx\r\n'), c('HELO me\r\n'), s('250 ok\r\n'), c('MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n'), s('250 ok\r\n250 ok\r\n'), c(STUFFED), s('354 go\r\n250 ok\r\n')]);
  assert.equal(sink.list()[0]?.bytes.toString('latin1'), MSG);
});

test('SMTP BDAT (CHUNKING): chunks are concatenated exactly, without unstuffing, until LAST', () => {
  const a = 'Subject: chunks\r\n\r\n.not stuffed\r\n';
  const b = 'tail\r\n.\r\n';
  const { sink } = smtp([s('220 mx\r\n'), c('EHLO me\r\n'), s('250 CHUNKING\r\n'), c(`MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT ${a.length}\r\n${a}BDAT ${b.length} LAST\r\n${b}QUIT\r\n`)], 3);
  const [f] = sink.list();
  assert.equal(f.bytes.toString('latin1'), a + b);
  assert.equal(f.start.email?.subject, 'chunks');
  assert.equal(f.end?.incomplete, false);
});

test('SMTP STARTTLS accepted: nothing after it is parsed', () => {
  const { sink, carver } = smtp([s('220 mx\r\n'), c('EHLO me\r\n'), s('250 STARTTLS\r\n'), c('STARTTLS\r\n'), s('220 go ahead\r\n'), c('\x16\x03\x01\x02\x00DATA\r\n'), s('\x16\x03\x03')]);
  assert.equal(sink.list().length, 0);
  assert.ok(carver.issues.some((i) => /STARTTLS/.test(i.message)));
});

test('SMTP one-sided capture (client only): DATA is taken as accepted', () => {
  const { sink } = smtp([c('ehlo x\r\nmail FROM:<a@b>\r\nrcpt TO:<c@d>\r\ndata\r\n'), c(STUFFED)]);
  assert.equal(sink.list()[0]?.bytes.toString('latin1'), MSG);
});

test('SMTP: a gap inside the message is reported and makes the message incomplete', () => {
  const { sink } = smtp([s('220 mx\r\n'), c('EHLO me\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n'), s('250 a\r\n250 b\r\n250 c\r\n354 d\r\n'), c('Subject: x\r\n\r\nab'), c('cd\r\n.\r\n', 100)]);
  const [f] = sink.list();
  assert.deepEqual([f.gaps, f.end?.missingBytes, f.end?.incomplete], [[100], 100, true]);
});

test('SMTP: HTTP, TLS and FTP flows are given up at once', () => {
  for (const steps of [[c('GET / HTTP/1.1\r\n\r\n')], [c('\x16\x03\x01\x00\x10')], [s('220 ftp ready\r\n'), c('USER anonymous\r\n')]]) {
    assert.equal(smtp(steps).carver.gaveUp, true);
  }
});

test('dot-stuffing reader: terminator split across chunks at every position', () => {
  const wire = Buffer.from(STUFFED + 'NEXT', 'latin1');
  for (let cut = 0; cut <= wire.length; cut++) {
    const r = new DotStuffedReader();
    const out: Buffer[] = [];
    const emit = (b: Uint8Array): number => out.push(Buffer.from(b));
    let end = r.feed(wire.subarray(0, cut), emit);
    let consumed = end;
    if (end === -1) {
      end = r.feed(wire.subarray(cut), emit);
      consumed = cut + end;
    }
    assert.equal(Buffer.concat(out).toString('latin1'), MSG, `cut ${cut}`);
    assert.equal(wire.subarray(consumed).toString(), 'NEXT', `cut ${cut}`);
  }
});

test('POP3 RETR: the message after +OK, unstuffed; a LIST answer is read past; a TOP answer is a message marked partial', () => {
  for (const piece of [Infinity, 5]) {
    const { sink, carver } = runSteps(
      (k) => new Pop3Carver(k),
      [
        s('+OK POP3 ready\r\n'),
        c('USER bob\r\n'),
        s('+OK\r\n'),
        c('PASS x\r\nLIST\r\nTOP 1 0\r\nRETR 1\r\nRETR 9\r\nQUIT\r\n'),
        s('+OK logged in\r\n+OK 1 messages\r\n1 120\r\n.\r\n+OK\r\nSubject: top\r\n\r\n.\r\n'),
        s(`+OK 120 octets\r\n${STUFFED}-ERR no such message\r\n+OK bye\r\n`),
      ],
      piece,
    );
    assert.ok(carver.recognized);
    assert.equal(sink.list().length, 2);
    const [top, f] = sink.list();
    assert.deepEqual([f.bytes.toString('latin1'), f.start.protocol, f.start.direction, f.start.email?.subject, f.start.partial ?? null, f.end?.incomplete], [MSG, 'pop3', 'download', 'Héllo world', null, false]);
    assert.deepEqual(
      [top.bytes.toString('latin1'), top.start.kind, top.start.email?.subject, top.start.partial, top.start.name, top.end?.incomplete, top.end?.missingBytes],
      ['Subject: top\r\n\r\n', 'message', 'top', { command: 'TOP 1 0', what: 'POP3 TOP: the headers of message 1 only' }, 'top.partial.eml', true, 0],
    );
    assert.ok(top.end?.notes.includes('partial: POP3 TOP: the headers of message 1 only'));
  }
});

test('POP3 TOP n: the headers and at most n body lines, unstuffed, never taken for the whole message', () => {
  const { sink } = runSteps(
    (k) => new Pop3Carver(k),
    [s('+OK ready\r\n'), c('USER a\r\nPASS b\r\nTOP 3 2\r\n'), s('+OK\r\n+OK\r\n+OK top of message follows\r\nFrom: x@example.org\r\nSubject: t\r\n\r\n..dotted\r\nline 2\r\n.\r\n')],
    7,
  );
  const [f] = sink.list();
  assert.equal(sink.list().length, 1);
  assert.equal(f.bytes.toString('latin1'), 'From: x@example.org\r\nSubject: t\r\n\r\n.dotted\r\nline 2\r\n');
  assert.deepEqual(f.start.partial, { command: 'TOP 3 2', what: 'POP3 TOP: the headers and at most the first 2 body lines of message 3' });
  assert.equal(f.end?.incomplete, true);
});

test('IMAP FETCH BODY[] and APPEND literals are whole messages; BODY[HEADER] is a partial one; other literals are skipped by count', () => {
  const lit = (m: string): string => `{${Buffer.byteLength(m, 'latin1')}}\r\n${m}`;
  for (const piece of [Infinity, 4]) {
    const { sink } = runSteps(
      (k) => new ImapCarver(k),
      [
        s('* OK IMAP4rev1 ready\r\n'),
        c('a1 LOGIN bob secret\r\n'),
        s('a1 OK\r\n'),
        c('a2 FETCH 1:2 (BODY.PEEK[HEADER] BODY.PEEK[])\r\n'),
        s(`* 1 FETCH (BODY[HEADER] ${lit('Subject: h\r\n\r\n')} BODY[] ${lit(MSG)})\r\n* 2 FETCH (UID 9 RFC822 ${lit('a) {3}\r\nxyz')} X-GM-LABELS ${lit('skip')})\r\na2 OK done\r\n`),
        c(`a3 APPEND Sent (\\Seen) ${lit('Subject: sent\r\n\r\nbody\r\n')}\r\n`),
        s('a3 OK\r\n'),
      ],
      piece,
    );
    const files = sink.list();
    assert.deepEqual(
      files.map((f) => [f.bytes.toString('latin1'), f.start.direction, f.start.partial?.command ?? null, f.end?.incomplete]),
      [
        ['Subject: h\r\n\r\n', 'download', 'FETCH 1 BODY[HEADER]', true],
        [MSG, 'download', null, false],
        ['a) {3}\r\nxyz', 'download', null, false],
        ['Subject: sent\r\n\r\nbody\r\n', 'upload', null, false],
      ],
      `piece ${piece}`,
    );
  }
});

test('IMAP partial fetches and sections are carved as such: BODY[]<0> (start of a message), BODY[]<n>, BODY[TEXT], BODY[1], BINARY[2]', () => {
  const lit = (m: string): string => `{${Buffer.byteLength(m, 'latin1')}}\r\n${m}`;
  const { sink } = runSteps(
    (k) => new ImapCarver(k),
    [
      s('* OK ready\r\n'),
      c('a1 UID FETCH 7 (BODY.PEEK[]<0.30>)\r\n'),
      s(`* 4 FETCH (UID 7 BODY[]<0> ${lit('From: a@b\r\nSubject: p\r\n\r\nbo')})\r\na1 OK\r\n`),
      c('a2 FETCH 4 (BODY[]<30.10> BODY[TEXT] BODY[1] BINARY[2])\r\n'),
      s(`* 4 FETCH (BODY[]<30> ${lit('dy middle!')} BODY[TEXT] ${lit('body text\r\n')} BODY[1] ${lit('aGVsbG8=')} BINARY[2] ${lit('hello')})\r\na2 OK\r\n`),
    ],
    6,
  );
  const got = sink.list().map((f) => ({
    bytes: f.bytes.toString('latin1'),
    kind: f.start.kind,
    name: f.start.name,
    subject: f.start.email?.subject ?? null,
    command: f.start.partial?.command,
    what: f.start.partial?.what,
    incomplete: f.end?.incomplete,
  }));
  assert.deepEqual(got, [
    { bytes: 'From: a@b\r\nSubject: p\r\n\r\nbo', kind: 'message', name: 'p.partial.eml', subject: 'p', command: 'FETCH 4 BODY[]<0>', what: 'IMAP partial fetch BODY[]<0>: the first bytes of message 4, not the whole message', incomplete: true },
    { bytes: 'dy middle!', kind: 'message', name: 'message-4.from-30.partial.eml', subject: null, command: 'FETCH 4 BODY[]<30>', what: 'IMAP partial fetch BODY[]<30>: bytes of message 4 from offset 30 on, not the whole message', incomplete: true },
    { bytes: 'body text\r\n', kind: 'message', name: 'message-4.text.partial.eml', subject: null, command: 'FETCH 4 BODY[TEXT]', what: 'IMAP BODY[TEXT]: the text of message 4 without its header block', incomplete: true },
    { bytes: 'aGVsbG8=', kind: 'mime-part', name: 'message-4.section-1.bin', subject: null, command: 'FETCH 4 BODY[1]', what: 'IMAP BODY[1]: MIME section 1 of message 4 only, as sent, its Content-Transfer-Encoding not undone (the part headers are not in it)', incomplete: true },
    { bytes: 'hello', kind: 'mime-part', name: 'message-4.section-2.bin', subject: null, command: 'FETCH 4 BINARY[2]', what: 'IMAP BINARY[2]: MIME section 2 of message 4 only, content decoded by the server', incomplete: true },
  ]);
});
