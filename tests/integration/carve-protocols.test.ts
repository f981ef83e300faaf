/**
 * Carving beyond HTTP end to end on a generated capture (no corpus needed): an FTP upload over IPv6
 * in active mode (EPRT), an FTP download through a NAT'd PASV address, a refused RETR, a TFTP
 * write with a negotiated block size, and one message sent by SMTP and fetched by POP3 and IMAP.
 * Data connections are their own flows, named through the control connection or request flow in
 * the store. Checked through `tapline carve --json` and `GET /api/flows/{id}/files`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CarvedFileSchema, type FlowRow } from '../../common/bridge/messages.js';
import type { CarveJson } from '../../electron/cli/carve-command.js';
import { writeSessionCapture, type Conversation } from '../unit/carve/session-capture.js';
import { bearer, cliImport, raw, startServe, tapline, type Running } from './server-harness.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
const T0 = 1_700_000_000_000_000;
const C4 = [192, 0, 2, 1];
const S4 = [198, 51, 100, 7];
const C6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const S6 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(5000, 0x41), Buffer.from('\n%%EOF\n')]);
const BIN = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) & 0xff));
const UP = Buffer.concat([Buffer.alloc(1024, 0x55), Buffer.from('tail of the upload\n')]);
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(200, 9)]);
const MAIL = [
  'From: Eve <eve@example.net>',
  'To: bob@example.org',
  'Subject: quarterly numbers',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain',
  '',
  'see attached',
  '.leading dot line',
  '--b1',
  'Content-Type: image/png',
  'Content-Disposition: attachment; filename="chart.png"',
  'Content-Transfer-Encoding: base64',
  '',
  ...(PNG.toString('base64').match(/.{1,76}/g) as string[]),
  '--b1--',
  '',
].join('\r\n');
const STUFFED = MAIL.replace(/(^|\n)\./g, '$1..') + '.\r\n';

const conv = (proto: 'tcp' | 'udp', a: number[], ap: number, b: number[], bp: number, t0: number, steps: [0 | 1, Uint8Array | string][]): Conversation => ({
  proto,
  a: { ip: a, port: ap },
  b: { ip: b, port: bp },
  t0: T0 + t0,
  steps: steps.map(([dir, data]) => ({ dir, data })),
});
const u16 = (n: number): number[] => [n >> 8, n & 0xff];

let dir = '';
let store = '';
let run: Running;
let flows: FlowRow[] = [];
let carved: CarveJson[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tapline-carve-proto-'));
  store = join(dir, 'store');
  const pcap = join(dir, 'sessions.pcap');
  writeSessionCapture(pcap, [
    // FTP over IPv6, active mode: the server connects from port 20 to the client's EPRT port; STOR uploads
    conv('tcp', C6, 41000, S6, 21, 0, [
      [1, '220 ready\r\n'], [0, 'USER u\r\n'], [1, '331 p\r\n'], [0, 'PASS p\r\n'], [1, '230 ok\r\n'],
      [0, 'CWD /in\r\n'], [1, '250 ok\r\n'], [0, 'EPRT |2|2001:db8::1|41100|\r\n'], [1, '200 ok\r\n'],
      [0, 'STOR ../../etc/report.pdf\r\n'], [1, '150 go\r\n'],
    ]),
    conv('tcp', S6, 20, C6, 41100, 20_000, [[1, PDF]]),
    // FTP over IPv4 behind NAT: PASV names a private address; the data connection goes to the public one
    conv('tcp', C4, 41001, S4, 21, 1_000_000, [
      [1, '220 ready\r\n'], [0, 'USER u\r\n'], [1, '331 p\r\n'], [0, 'PASS p\r\n'], [1, '230 ok\r\n'],
      [0, 'PASV\r\n'], [1, '227 Entering Passive Mode (10,0,0,7,156,64)\r\n'], [0, 'RETR data.bin\r\n'], [1, '150 go\r\n'],
      [0, 'PASV\r\n'], [1, '227 Entering Passive Mode (10,0,0,7,156,65)\r\n'], [0, 'RETR gone.bin\r\n'], [1, '550 no such file\r\n'],
    ]),
    conv('tcp', C4, 41002, S4, 40000, 1_008_000, [[1, BIN]]),
    // TFTP write: the request to port 69, then the server answers from a new port (OACK, blksize 1024)
    conv('udp', C4, 41003, S4, 69, 2_000_000, [[0, Uint8Array.from([0, 2, ...Buffer.from('up.txt\0octet\0blksize\x001024\0')])]]),
    conv('udp', S4, 50000, C4, 41003, 2_001_000, [
      [0, Uint8Array.from([0, 6, ...Buffer.from('blksize\x001024\0')])],
      [1, Uint8Array.from([0, 3, ...u16(1), ...UP.subarray(0, 1024)])], [0, Uint8Array.from([0, 4, 0, 1])],
      [1, Uint8Array.from([0, 3, ...u16(2), ...UP.subarray(1024)])], [0, Uint8Array.from([0, 4, 0, 2])],
    ]),
    // the same message by SMTP (port 2525: recognized by content), POP3 and IMAP
    conv('tcp', C4, 41010, S4, 2525, 3_000_000, [
      [1, '220 mx ESMTP\r\n'], [0, 'EHLO c\r\n'], [1, '250 mx\r\n'], [0, 'MAIL FROM:<eve@example.net>\r\n'], [1, '250 ok\r\n'],
      [0, 'RCPT TO:<bob@example.org>\r\n'], [1, '250 ok\r\n'], [0, 'DATA\r\n'], [1, '354 go\r\n'], [0, STUFFED], [1, '250 ok\r\n'], [0, 'QUIT\r\n'], [1, '221 bye\r\n'],
    ]),
    conv('tcp', C4, 41011, S4, 110, 4_000_000, [[1, '+OK ready\r\n'], [0, 'USER bob\r\n'], [1, '+OK\r\n'], [0, 'PASS x\r\n'], [1, '+OK\r\n'], [0, 'RETR 1\r\n'], [1, `+OK\r\n${STUFFED}`], [0, 'QUIT\r\n'], [1, '+OK\r\n']]),
    conv('tcp', C4, 41012, S4, 143, 5_000_000, [[1, '* OK ready\r\n'], [0, 'a LOGIN bob x\r\n'], [1, 'a OK\r\n'], [0, 'b FETCH 1 BODY.PEEK[]\r\n'], [1, `* 1 FETCH (BODY[] {${MAIL.length}}\r\n${MAIL})\r\nb OK\r\n`]]),
  ]);
  cliImport(store, pcap);
  const cli = tapline('carve', '--store', store, '-o', join(dir, 'out'), '--json');
  assert.equal(cli.code, 0, cli.stderr);
  carved = cli.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as CarveJson);
  run = await startServe({ storeDir: store, sensorId: 'carve-proto' });
  flows = (await raw(run.base, 'GET', '/api/flows', { headers: bearer() })).json<FlowRow[]>();
});

after(async () => {
  await run?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const pick = (pred: (f: CarveJson) => boolean): CarveJson => {
  const f = carved.find(pred);
  assert.ok(f, `no such file among ${JSON.stringify(carved.map((x) => [x.protocol, x.kind, x.name]))}`);
  return f;
};

test('FTP: EPRT over IPv6 upload and NAT-ed PASV download are carved from their data flows, named by the control channel', () => {
  const up = pick((f) => f.protocol === 'ftp-data' && f.method === 'STOR');
  assert.deepEqual([up.sha256, up.name, up.direction, up.url, up.host, up.mime, up.kind, up.incomplete], [sha(PDF), 'report.pdf', 'upload', 'ftp://[2001:db8::2]/in/../../etc/report.pdf', '2001:db8::2', 'application/pdf', 'transfer', false]);
  // the URL keeps the path as sent (evidence); the name is its sanitized last component
  const down = pick((f) => f.protocol === 'ftp-data' && f.method === 'RETR');
  assert.deepEqual([down.sha256, down.name, down.direction, down.url], [sha(BIN), 'data.bin', 'download', 'ftp://198.51.100.7/data.bin']);
  assert.equal(carved.filter((f) => f.protocol === 'ftp-data').length, 2, 'the refused RETR has no data connection and no file');
  // the data flows are the files' flows, not the control connections
  const flowOf = (id: string): FlowRow | undefined => flows.find((f) => f.id === id);
  assert.deepEqual([flowOf(up.flow_id)?.server_port, flowOf(down.flow_id)?.server_port], [41100, 40000]);
});

test('TFTP write: the request flow names the transfer flow; OACK block size; upload direction', () => {
  const f = pick((x) => x.protocol === 'tftp');
  assert.deepEqual([f.sha256, f.name, f.direction, f.method, f.url, f.incomplete], [sha(UP), 'up.txt', 'upload', 'WRQ', 'tftp://198.51.100.7/up.txt', false]);
});

test('SMTP, POP3 and IMAP: the same message three times, with its attachment decoded and email fields', () => {
  const wire = (p: string): CarveJson => pick((f) => f.protocol === p && f.kind === 'message');
  const [smtp, pop3, imap] = ['smtp', 'pop3', 'imap'].map(wire);
  for (const m of [smtp, pop3, imap]) {
    assert.equal(m.sha256, sha(Buffer.from(MAIL, 'latin1')), m.protocol);
    assert.deepEqual([m.name, m.email?.from, m.email?.to, m.email?.subject], ['quarterly numbers.eml', 'Eve <eve@example.net>', ['bob@example.org'], 'quarterly numbers']);
    const png = pick((f) => f.protocol === m.protocol && f.name === 'chart.png');
    assert.deepEqual([png.sha256, png.mime, png.parentId, png.kind, png.content], [sha(PNG), 'image/png', m.id, 'mime-part', 'decoded']);
    const text = pick((f) => f.protocol === m.protocol && f.kind === 'mime-part' && f.declaredType === 'text/plain');
    assert.equal(readFileSync(text.path, 'latin1'), 'see attached\r\n.leading dot line');
  }
  assert.deepEqual([smtp.direction, pop3.direction, imap.direction], ['upload', 'download', 'download']);
  assert.deepEqual([smtp.email?.envelopeFrom, smtp.email?.envelopeTo, pop3.email?.envelopeFrom], ['eve@example.net', ['bob@example.org'], null]);
});

test('GET /api/flows/{id}/files returns the same records for FTP, TFTP and mail flows', async () => {
  const byFlow = new Map<string, CarveJson[]>();
  for (const f of carved) byFlow.set(f.flow_id, [...(byFlow.get(f.flow_id) ?? []), f]);
  assert.ok(byFlow.size >= 6);
  for (const [flowId, recs] of byFlow) {
    const r = await raw(run.base, 'GET', `/api/flows/${flowId}/files`, { headers: bearer() });
    assert.equal(r.status, 200, r.body.toString());
    const files = z.array(CarvedFileSchema).parse(r.json());
    assert.deepEqual(files.map((f) => [f.sha256, f.protocol, f.name, f.email]), recs.map((f) => [f.sha256, f.protocol, f.name, f.email]));
  }
});
