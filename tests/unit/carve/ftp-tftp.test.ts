/** FTP control-channel parsing, the FTP data carver and the TFTP transfer carver on generated sessions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FtpControlParser } from '../../../common/carve/ftp/ftp-control.js';
import { FtpDataCarver } from '../../../common/carve/ftp/ftp-data-carver.js';
import { parseTftpRequest, TftpCarver, TftpRequestFlowCarver, type TftpRequest } from '../../../common/carve/tftp/tftp-carver.js';
import { c, runSteps, s } from './stream-steps.js';

const control = (lines: [0 | 1, string][], piece = Infinity): FtpControlParser => runSteps(() => new FtpControlParser(), lines.map(([d, t]) => (d === 0 ? c(t) : s(t))), piece).carver;

test('FTP control: PORT, EPRT (IPv6), PASV, EPSV give each transfer its endpoint, path, direction and reply', () => {
  for (const piece of [Infinity, 3]) {
    const p = control(
      [
        [1, '220 ready\r\n'],
        [0, 'USER anonymous\r\n'],
        [1, '331 pass\r\n'],
        [0, 'PASS x\r\n'],
        [1, '230-welcome\r\n230 ok\r\n'],
        [0, 'CWD pub\r\n'],
        [1, '250 ok\r\n'],
        [0, 'PORT 10,0,0,1,4,1\r\n'],
        [1, '200 PORT ok\r\n'],
        [0, 'RETR a.txt\r\n'],
        [1, '150 opening\r\n226 done\r\n'],
        [0, 'EPRT |2|2001:DB8:0:0::1|5282|\r\n'],
        [1, '200 EPRT ok\r\n'],
        [0, 'STOR up.bin\r\n'],
        [1, '150 ok\r\n226 ok\r\n'],
        [0, 'PASV\r\n'],
        [1, '227 Entering Passive Mode (192,0,2,9,200,10).\r\n'],
        [0, 'RETR /abs/missing\r\n'],
        [1, '550 no such file\r\n'],
        [0, 'EPSV\r\n'],
        [1, '229 Entering Extended Passive Mode (|||50001|)\r\n'],
        [0, 'STOU\r\n'],
        [1, '150 FILE: unique.1\r\n226 ok\r\n'],
        [0, 'LIST\r\n'],
        [1, '150 here\r\n226 ok\r\n'],
      ],
      piece,
    );
    assert.ok(p.recognized);
    assert.deepEqual(
      p.transfers.map((t) => [t.command, t.path, t.cwd, t.direction, t.endpoint?.listener, t.endpoint?.ip, t.endpoint?.port, t.reply, t.user]),
      [
        ['RETR', 'a.txt', 'pub', 'download', 'client', '10.0.0.1', 1025, 226, 'anonymous'],
        ['STOR', 'up.bin', 'pub', 'upload', 'client', '2001:db8::1', 5282, 226, 'anonymous'],
        ['RETR', '/abs/missing', 'pub', 'download', 'server', '192.0.2.9', 51210, 550, 'anonymous'],
        ['STOU', 'unique.1', 'pub', 'upload', 'server', null, 50001, 226, 'anonymous'],
        ['LIST', null, 'pub', 'download', 'server', null, 50001, 226, 'anonymous'],
      ],
      `piece ${piece}`,
    );
  }
});

test('FTP control: AUTH TLS accepted stops parsing; a non-FTP flow is given up', () => {
  const p = control([[1, '220 x\r\n'], [0, 'AUTH TLS\r\n'], [1, '234 go\r\n'], [0, 'PORT 1,2,3,4,0,20\r\nRETR x\r\n']]);
  assert.equal(p.transfers.length, 0);
  assert.equal(control([[0, 'GET / HTTP/1.1\r\n']]).gaveUp, true);
});

test('FTP data: the sending direction is the file; gaps are reported; a failed transfer is incomplete', () => {
  const transfer = { command: 'RETR' as const, path: 'dir/f.bin', cwd: null, direction: 'download' as const, endpoint: null, user: null, type: 'I', at: { sec: 1, nsec: 0, packet: 0 }, reply: 226, opened: true, restart: null };
  const { sink } = runSteps((k) => new FtpDataCarver(k, { transfer, senderDir: 1, url: 'ftp://h/dir/f.bin', host: 'h' }), [s('abc'), c('ignored'), s('def', 10), s('g')], 2);
  const [f] = sink.list();
  assert.deepEqual([f.bytes.toString(), f.gaps, f.end?.missingBytes, f.end?.incomplete, f.start.name, f.start.http.url, f.start.protocol], ['abcdefg', [10], 10, true, 'dir/f.bin', 'ftp://h/dir/f.bin', 'ftp-data']);
  const failed = runSteps((k) => new FtpDataCarver(k, { transfer: { ...transfer, reply: 426 }, senderDir: 0, url: null, host: 'h' }), [c('partial')]);
  assert.equal(failed.sink.list()[0].end?.incomplete, true);
});

const u16 = (n: number): number[] => [n >> 8, n & 0xff];
const dataPkt = (block: number, payload: Buffer): Uint8Array => Uint8Array.from([0, 3, ...u16(block), ...payload]);
const ack = (block: number): Uint8Array => Uint8Array.from([0, 4, ...u16(block)]);
const RRQ: TftpRequest = { op: 'RRQ', filename: 'boot/pxe.0', mode: 'octet', options: {} };
const tftp = (req: TftpRequest, steps: Parameters<typeof runSteps>[1]) => runSteps((k) => new TftpCarver(k, { request: req, url: `tftp://h/${req.filename}`, host: 'h' }), steps);

test('TFTP: requests parse (name, mode, options); malformed ones do not', () => {
  const r = parseTftpRequest(Uint8Array.from([0, 2, ...Buffer.from('up.txt\0netascii\0blksize\x001428\0tsize\x000\0')]));
  assert.deepEqual(r, { op: 'WRQ', filename: 'up.txt', mode: 'netascii', options: { blksize: '1428', tsize: '0' } });
  assert.equal(parseTftpRequest(Uint8Array.from([0, 3, 0, 1])), null);
  assert.equal(parseTftpRequest(Uint8Array.from([0, 1, 0x61])), null);
});

test('TFTP: blocks in order, retransmissions dropped, the short block ends the file', () => {
  const blocks = [Buffer.alloc(512, 1), Buffer.alloc(512, 2), Buffer.alloc(100, 3)];
  const { sink } = tftp(RRQ, [s(dataPkt(1, blocks[0])), c(ack(1)), s(dataPkt(1, blocks[0])), s(dataPkt(2, blocks[1])), c(ack(2)), s(dataPkt(3, blocks[2])), c(ack(3))]);
  const [f] = sink.list();
  assert.deepEqual([f.bytes.equals(Buffer.concat(blocks)), f.end?.incomplete, f.start.direction, f.start.name, f.start.http.method], [true, false, 'download', 'boot/pxe.0', 'RRQ']);
  assert.ok(f.end?.notes.some((n) => /1 retransmitted/.test(n)));
});

test('TFTP: OACK sets the block size; a WRQ is an upload from the requester; a lost block is a gap', () => {
  const oack = Uint8Array.from([0, 6, ...Buffer.from('blksize\x001024\0')]);
  const full = Buffer.alloc(1024, 7);
  const { sink } = tftp({ ...RRQ, op: 'WRQ', options: { blksize: '1024' } }, [s(oack), c(dataPkt(1, full)), s(ack(1)), c(dataPkt(3, Buffer.alloc(10, 9))), s(ack(3))]);
  const [f] = sink.list();
  assert.deepEqual([f.bytes.length, f.gaps, f.end?.missingBytes, f.end?.incomplete, f.start.direction], [1034, [1024], 1024, true, 'upload']);
});

test('TFTP: block numbers roll over after 65535; an ERROR ends the file incomplete', () => {
  const steps = [];
  for (let i = 1; i <= 65537; i++) steps.push(s(dataPkt(i & 0xffff, Buffer.alloc(8, i & 0xff))));
  steps.push(s(Uint8Array.from([0, 5, 0, 3, ...Buffer.from('disk full\0')])));
  // a server-accepted 8-byte block size: every block is full until the ERROR
  const oack8 = Uint8Array.from([0, 6, ...Buffer.from('blksize\x008\0')]);
  const r = runSteps((k) => new TftpCarver(k, { request: RRQ, url: 'x', host: 'h' }), [s(oack8), ...steps]);
  const [g] = r.sink.list();
  assert.deepEqual([g.bytes.length, g.end?.incomplete, g.gaps], [65537 * 8, true, []]);
  assert.ok(g.end?.notes.some((n) => /disk full/.test(n)));
});

test('TFTP: a server answering from port 69 itself: the request flow carries the transfer and is carved', () => {
  const req = Uint8Array.from([0, 1, ...Buffer.from('cfg.txt\0octet\0')]);
  const { sink, carver } = runSteps((k) => new TftpRequestFlowCarver(k, 0, '192.0.2.9'), [c(req), s(dataPkt(1, Buffer.from('hello'))), c(ack(1))]);
  assert.ok(carver.recognized);
  const [f] = sink.list();
  assert.deepEqual([f.bytes.toString(), f.start.name, f.start.http.url, f.end?.incomplete], ['hello', 'cfg.txt', 'tftp://192.0.2.9/cfg.txt', false]);
  // only a request (the usual case): no file; not TFTP at all: given up
  assert.equal(runSteps((k) => new TftpRequestFlowCarver(k, 0, 'h'), [c(req)]).sink.list().length, 0);
  assert.equal(runSteps((k) => new TftpRequestFlowCarver(k, 0, 'h'), [c('GET /')]).carver.gaveUp, true);
});

test('FTP: a transfer resumed with REST is marked as starting at that offset (incomplete as a file)', () => {
  const p = control([[1, '220 x\r\n'], [0, 'USER a\r\nPASV\r\n'], [1, '331 p\r\n227 (1,2,3,4,0,99)\r\n'], [0, 'REST 1000\r\n'], [1, '350 ok\r\n'], [0, 'RETR big.iso\r\n'], [1, '150 go\r\n226 ok\r\n'], [0, 'RETR next\r\n']]);
  assert.deepEqual(p.transfers.map((t) => t.restart), [1000, null]);
  const { sink } = runSteps((k) => new FtpDataCarver(k, { transfer: p.transfers[0], senderDir: 1, url: null, host: 'h' }), [s('tail')]);
  const [f] = sink.list();
  assert.equal(f.end?.incomplete, true);
  assert.ok(f.end?.notes.some((n) => /REST 1000/.test(n)));
});
