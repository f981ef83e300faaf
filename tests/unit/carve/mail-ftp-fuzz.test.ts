/**
 * Property-based fuzzing (fast-check, fixed seeds, bounded runs) of the MIME walker and the SMTP,
 * POP3, IMAP, FTP-control and TFTP parsers: random bytes and mutated valid sessions, cut into
 * random pieces with random gaps. Properties: no exception, every started file ends exactly once,
 * carved bytes never exceed the input, issue lists bounded, MIME ranges inside the message.
 * Plus the memory bounds that hostile peers aim at: endless lines and never-answered DATA.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FtpControlParser } from '../../../common/carve/ftp/ftp-control.js';
import { ImapCarver } from '../../../common/carve/imap/imap-carver.js';
import { MAX_LINE } from '../../../common/carve/line-buffer.js';
import type { StreamCarver } from '../../../common/carve/stream-carver.js';
import { decodeLeaf, MAX_PARTS, walkMime } from '../../../common/carve/mime/mime-walker.js';
import { Pop3Carver } from '../../../common/carve/pop3/pop3-carver.js';
import { SmtpCarver } from '../../../common/carve/smtp/smtp-carver.js';
import { TftpCarver } from '../../../common/carve/tftp/tftp-carver.js';
import { CollectingSink } from './carve-test-helpers.js';

const RUNS = 300;
const MIME = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\n--c--\r\n--b--\r\n';

type Session = [0 | 1, string][];
const SESSIONS: Record<string, Session> = {
  smtp: [[1, '220 x\r\n'], [0, 'EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n'], [1, '250 a\r\n250 b\r\n250 c\r\n354 go\r\n'], [0, `${MIME}..x\r\n.\r\nBDAT 5\r\nabcdeBDAT 0 LAST\r\nSTARTTLS\r\n`], [1, '250 ok\r\n250 ok\r\n220 tls\r\n']],
  pop3: [[1, '+OK\r\n'], [0, 'USER a\r\nRETR 1\r\nLIST\r\nSTLS\r\n'], [1, `+OK\r\n+OK 9 octets\r\n${MIME}.\r\n+OK\r\n1 2\r\n.\r\n+OK\r\n`]],
  imap: [[1, '* OK\r\n'], [0, 'a LOGIN {1}\r\nb c\r\nb FETCH 1 BODY[]\r\n'], [1, `* 1 FETCH (BODY[] {${MIME.length}}\r\n${MIME})\r\nb OK\r\n`], [0, `c APPEND x {3}\r\nabc {2}\r\nde\r\nd STARTTLS\r\n`], [1, 'd OK\r\n']],
  ftp: [[1, '220 x\r\n'], [0, 'USER a\r\nPORT 1,2,3,4,5,6\r\n'], [1, '200 ok\r\n'], [0, 'RETR f\r\nEPRT |2|::1|99|\r\nPASV\r\nEPSV\r\nSTOU\r\nCWD ..\r\n'], [1, '150 FILE: z\r\n226 ok\r\n200 ok\r\n227 (1,2,3,4,5,6)\r\n229 (|||7|)\r\n250 ok\r\n257 "/a""b"\r\n']],
};

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom('\r\n', '\r\n.\r\n', '{99999999}', '{5}\r\n', 'BDAT 999999999999', '--b', '--b--', '=', '354 ', '227 (', '\x00', '.', 'DATA\r\n', '+OK ', '\xff\xfe') }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 30 }) }),
);

function mutate(s: string, ms: { op: string; at: number; byte?: number; text?: string; len?: number }[]): string {
  let out = s;
  for (const m of ms) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.op === 'flip') out = out.slice(0, at) + String.fromCharCode(m.byte ?? 0) + out.slice(at + 1);
    else if (m.op === 'insert') out = out.slice(0, at) + (m.text ?? '') + out.slice(at);
    else out = out.slice(0, at) + out.slice(at + (m.len ?? 1));
  }
  return out;
}

const sessionArb = (name: string): fc.Arbitrary<{ steps: Session; piece: number; gaps: number[] }> =>
  fc.record({
    steps: fc.oneof(
      fc.array(fc.tuple(fc.constantFrom(0 as const, 1 as const), fc.string({ unit: 'binary', maxLength: 200 })), { maxLength: 8 }),
      fc.array(mutation, { maxLength: 6 }).map((ms) => SESSIONS[name].map(([d, t]) => [d, mutate(t, ms)] as [0 | 1, string])),
    ),
    piece: fc.integer({ min: 1, max: 64 }),
    gaps: fc.array(fc.integer({ min: 0, max: 5000 }), { maxLength: 4 }),
  });

/** Feeds a session; returns input size per direction and what came out. */
function feed(carver: StreamCarver, sink: CollectingSink, c: { steps: Session; piece: number; gaps: number[] }): number {
  const offset = [0, 0];
  let packet = 0;
  let input = 0;
  c.steps.forEach(([dir, text], i) => {
    const data = Buffer.from(text, 'latin1');
    input += data.length;
    let gap = c.gaps[i] ?? 0;
    offset[dir] += gap;
    for (let k = 0; k < data.length; k += c.piece) {
      const part = data.subarray(k, k + c.piece);
      carver.onData({ dir, offset: offset[dir], data: part, gapBefore: gap, tsSec: packet, tsNsec: 0, packet: packet++ });
      offset[dir] += part.length;
      gap = 0;
    }
  });
  carver.onEnd(0, 'fin', 0);
  carver.onEnd(1, 'fin', 0);
  return input;
}

function checkCarver(name: string, make: (sink: CollectingSink) => StreamCarver, seed: number): void {
  fc.assert(
    fc.property(sessionArb(name), (c) => {
      const sink = new CollectingSink();
      const carver = make(sink);
      const input = feed(carver, sink, c);
      const files = sink.list();
      assert.ok(files.every((f) => f.end !== null), 'every started file ended');
      const out = files.reduce((n, f) => n + f.bytes.length, 0);
      assert.ok(out <= input, `carved ${out} bytes from ${input}`);
      assert.ok(carver.issues.length <= 64);
    }),
    { seed, numRuns: RUNS },
  );
}

test('fuzz: SMTP carver', () => checkCarver('smtp', (k) => new SmtpCarver(k), 11));
test('fuzz: POP3 carver', () => checkCarver('pop3', (k) => new Pop3Carver(k), 12));
test('fuzz: IMAP carver', () => checkCarver('imap', (k) => new ImapCarver(k), 13));
test('fuzz: FTP control parser', () =>
  fc.assert(
    fc.property(sessionArb('ftp'), (c) => {
      const p = new FtpControlParser();
      feed(p, new CollectingSink(), c);
      for (const t of p.transfers) {
        assert.ok(t.endpoint === null || (t.endpoint.port >= 0 && t.endpoint.port < 65536));
        assert.ok((t.path ?? '').length <= 4096);
      }
    }),
    { seed: 14, numRuns: RUNS },
  ));

test('fuzz: TFTP carver on random and mutated datagrams', () =>
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom(0 as const, 1 as const), fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 0, max: 6 })), { maxLength: 40 }), (dgrams) => {
      const sink = new CollectingSink();
      const t = new TftpCarver(sink, { request: { op: 'RRQ', filename: 'f', mode: 'octet', options: {} }, url: 'u', host: 'h' });
      let input = 0;
      dgrams.forEach(([dir, d, op], i) => {
        // most datagrams get a plausible opcode so the state machine is exercised, not just rejected
        const dg = op < 6 && d.length >= 2 ? Uint8Array.from([0, op + 1, ...d.subarray(2)]) : d;
        input += dg.length;
        t.onData({ dir, offset: 0, data: dg, gapBefore: 0, tsSec: i, tsNsec: 0, packet: i });
      });
      t.onEnd(0);
      t.onEnd(1);
      const files = sink.list();
      assert.ok(files.length <= 1 && files.every((f) => f.end !== null && f.bytes.length <= input));
    }),
    { seed: 15, numRuns: RUNS },
  ));

test('fuzz: MIME walker keeps every range inside the message and decodes without growing', () =>
  fc.assert(
    fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 2000 }), fc.array(mutation, { maxLength: 8 }).map((ms) => mutate(MIME, ms))), (text) => {
      const data = Buffer.from(text, 'latin1');
      const t = walkMime(data);
      assert.ok(t.nodes.length <= MAX_PARTS);
      for (const n of t.nodes) {
        assert.ok(n.start >= 0 && n.start <= n.bodyStart && n.bodyStart <= n.bodyEnd && n.bodyEnd <= n.end && n.end <= data.length, JSON.stringify(n));
        if (n.kind === 'leaf') assert.ok(decodeLeaf(data, n).bytes.length <= n.bodyEnd - n.bodyStart);
      }
    }),
    { seed: 16, numRuns: RUNS * 3 },
  ));

test('MIME bomb: deeply nested multiparts and many parts stay within the walker limits', () => {
  let nested = 'leaf\r\n';
  for (let i = 0; i < 200; i++) nested = `Content-Type: multipart/mixed; boundary=x${i}\r\n\r\n--x${i}\r\n${nested}\r\n--x${i}--\r\n`;
  const deep = walkMime(Buffer.from(nested));
  assert.ok(deep.notes.some((n) => /deeper than/.test(n)));
  const many = Buffer.from(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${'--b\r\n\r\nx\r\n'.repeat(MAX_PARTS + 50)}--b--\r\n`);
  const wide = walkMime(many);
  assert.equal(wide.nodes.length, MAX_PARTS);
  assert.ok(wide.notes.some((n) => /more than/.test(n)));
});

test('memory bounds: an endless command line is cut at MAX_LINE; DATA never answered stops holding at 1 MiB', () => {
  const p = new FtpControlParser();
  const huge = Buffer.alloc(4 * MAX_LINE, 0x41);
  p.onData({ dir: 0, offset: 0, data: Buffer.from('USER a\r\nRETR '), gapBefore: 0, tsSec: 0, tsNsec: 0, packet: 0 });
  for (let i = 0; i < 64; i++) p.onData({ dir: 0, offset: 0, data: huge, gapBefore: 0, tsSec: 0, tsNsec: 0, packet: i + 1 });
  p.onData({ dir: 0, offset: 0, data: Buffer.from('\r\nRETR next\r\n'), gapBefore: 0, tsSec: 0, tsNsec: 0, packet: 99 });
  assert.deepEqual(p.transfers.map((t) => t.path?.length), [4096, 4]);

  const sink = new CollectingSink();
  const smtp = new SmtpCarver(sink);
  const send = (dir: 0 | 1, s: string | Buffer): void => smtp.onData({ dir, offset: 0, data: Buffer.from(s), gapBefore: 0, tsSec: 0, tsNsec: 0, packet: 0 });
  send(1, '220 x\r\n');
  send(0, 'EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n');
  const block = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 20; i++) send(0, block);
  assert.ok(smtp.issues.some((i) => /1 MiB/.test(i.message)), 'held data is given up as accepted past the cap');
  assert.equal(sink.list().length, 1);
});
